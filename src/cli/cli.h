/* cli.h - shared pieces of the memcom command-line program. */
#ifndef MEMCOM_CLI_H
#define MEMCOM_CLI_H

#include "../train/train.h"

int cli_cmd_train(int argc, char **argv);
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_inspect(int argc, char **argv);
int cli_cmd_recommend(int argc, char **argv);

/* Option parsing: argv[*i] is the current argument.  cli_opt returns 1 and
 * sets *val (and advances *i) if argv[*i] is `name` (also --name=value). */
typedef struct cli_ctx {
    const char *cmd;      /* "train" ... for messages */
    int argc;
    char **argv;
    int i;
    int failed;
} cli_ctx;

int cli_opt(cli_ctx *c, const char *name, const char **val);
int cli_flag(cli_ctx *c, const char *name);
int cli_u32(cli_ctx *c, const char *name, const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
int cli_u64(cli_ctx *c, const char *name, const char *s, uint64_t *out);
int cli_f64(cli_ctx *c, const char *name, const char *s, double lo, double hi, double *out);
int cli_dtype(cli_ctx *c, const char *name, const char *s, int allow_i8, int *out);
int cli_error(const cli_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;                                 /* prints "memcom <cmd>: ..." and returns 2 */
int cli_unknown(cli_ctx *c);          /* error for argv[c->i] */

/* Data set options shared by train and eval. */
typedef struct cli_data {
    mt_data_opts o;
    const char *dir;
    char paths[3][4096];
    int given;
} cli_data;
void cli_data_init(cli_data *d);
/* Returns 1 if argv[c->i] was a data option (consumed), 0 if not, -1 on error. */
int cli_data_opt(cli_ctx *c, cli_data *d);
int cli_data_finish(cli_ctx *c, cli_data *d);   /* validates; 0 ok */
extern const char cli_data_help[];

/* Print metrics as a table and as JSON. */
void cli_print_metrics(FILE *f, const char *label, const mt_metrics *m);
void cli_json_metrics(mt_buf *b, const mt_metrics *m);

#endif
