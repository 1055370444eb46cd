/* model_io.h - helpers for commands that read model files. */
#ifndef MEMCOM_CLI_MODEL_IO_H
#define MEMCOM_CLI_MODEL_IO_H
#include "../memcom.h"
int cli_open_model(const char *cmd, const char *path, memcom_model **out);
/* memcom_enum_name(set, value) (MEMCOM_NAMES_*), or "?" */
const char *cli_name(int set, uint32_t value);
#endif
