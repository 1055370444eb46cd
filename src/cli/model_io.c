/* model_io.c - opening a model file with a readable error; enum names for output. */
#include <string.h>

#include "cli.h"
#include "model_io.h"

int cli_open_model(const char *cmd, const char *path, memcom_model **out)
{
    char detail[512] = "";
    int rc = memcom_open_file(out, path, 0, detail, sizeof detail);
    if (rc != MEMCOM_OK) {
        fprintf(stderr, "memcom %s: ", cmd);
        cli_print_text(stderr, path, strlen(path), 0);
        fprintf(stderr, ": %s (%s)%s", memcom_error_message(rc), memcom_error_name(rc), detail[0] ? ": " : "");
        cli_print_text(stderr, detail, strlen(detail), 0);
        fputc('\n', stderr);
        return 1;
    }
    return 0;
}

const char *cli_name(int set, uint32_t value)
{
    const char *s = memcom_enum_name(set, value);
    return s ? s : "?";
}
