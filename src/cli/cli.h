/* cli.h - shared pieces of the memcom command-line program. */
#ifndef MEMCOM_CLI_H
#define MEMCOM_CLI_H

#include "../train/train.h"

int cli_cmd_train(int argc, char **argv);
int cli_cmd_compress(int argc, char **argv);
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
    int delimiter_given;
} cli_data;
void cli_data_init(cli_data *d);
/* Returns 1 if argv[c->i] was a data option (consumed), 0 if not, -1 on error. */
int cli_data_opt(cli_ctx *c, cli_data *d);
int cli_data_finish(cli_ctx *c, cli_data *d);   /* validates; 0 ok */
extern const char cli_data_help[];

/* `memcom eval`: the model's data note and split warning, to stderr
 * (cmd_eval.c); the short-history options and run (eval_history.c).
 * cli_history_opt returns 1 if argv[c->i] was one of its options (*history
 * set by --history, *given by the others), 0 if not, -1 on error. */
void cli_eval_notes(const mt_eval_result *r);
extern const char cli_history_help[];
int cli_history_opt(cli_ctx *c, mt_short_opts *so, int *history, int *given);
int cli_eval_history(cli_ctx *c, const mt_eval_opts *eo, const char *on, mt_short_opts *so, int json);
/* `memcom eval --choose-popularity` (eval_history.c) */
int cli_eval_choose_popularity(cli_ctx *c, const mt_eval_opts *eo, int json);

/* Print metrics as a table (JSON: mt_buf_json_metrics). */
void cli_print_metrics(FILE *f, const char *label, const mt_metrics *m);

/* Human output of text from files (ids, names, messages; text.c): writes s
 * with control characters (C0, DEL, C1), bidi controls (U+061C, U+200E/F,
 * U+202A-202E, U+2066-2069) and invalid UTF-8 escaped as \xNN and \uNNNN,
 * so that nothing read from a file reaches the terminal as a control; with
 * CLI_TEXT_BACKSLASH also \ as \\ (unambiguous: ids).  Returns the bytes written. */
#define CLI_TEXT_BACKSLASH 1
size_t cli_print_text(FILE *f, const char *s, size_t len, int flags);
/* Prints "memcom CMD: " and the error's message (escaped); returns 1. */
int cli_fail(const char *cmd, const mt_err *err);

#endif
