/* model_io.h - helpers for commands that read model files. */
#ifndef MEMCOM_CLI_MODEL_IO_H
#define MEMCOM_CLI_MODEL_IO_H
#include "../memcom.h"
int cli_open_model(const char *cmd, const char *path, memcom_model **out);
const char *cli_kind_name(uint32_t k);
const char *cli_dtype_name(uint32_t t);
const char *cli_bucket_name(uint32_t b);
#endif
