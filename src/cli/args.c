/* args.c - option parsing helpers with clear error messages. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_error(const cli_ctx *c, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "memcom %s: ", c->cmd);
    cli_print_text(stderr, msg, strlen(msg), 0);   /* quotes arguments */
    fprintf(stderr, "\n(see 'memcom %s --help')\n", c->cmd);
    return 2;
}

int cli_unknown(cli_ctx *c)
{
    c->failed = 1;
    const char *a = c->argv[c->i];
    if (a[0] == '-') return cli_error(c, "unknown option '%s'", a);
    return cli_error(c, "unexpected argument '%s'", a);
}

int cli_opt(cli_ctx *c, const char *name, const char **val)
{
    const char *a = c->argv[c->i];
    size_t nl = strlen(name);
    if (strncmp(a, name, nl) != 0) return 0;
    if (a[nl] == '=') {
        *val = a + nl + 1;
        return 1;
    }
    if (a[nl] != 0) return 0;
    if (c->i + 1 >= c->argc) {
        c->failed = 1;
        cli_error(c, "option %s needs a value", name);
        *val = NULL;
        return 1;
    }
    *val = c->argv[++c->i];
    return 1;
}

int cli_flag(cli_ctx *c, const char *name) { return strcmp(c->argv[c->i], name) == 0; }

int cli_u32(cli_ctx *c, const char *name, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    if (!s) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v < lo || v > hi) {
        c->failed = 1;
        cli_error(c, "%s expects an integer in %u..%u, got '%s'", name, lo, hi, s);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int cli_u64(cli_ctx *c, const char *name, const char *s, uint64_t *out)
{
    if (!s) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-') {
        c->failed = 1;
        cli_error(c, "%s expects a non-negative integer, got '%s'", name, s);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_f64(cli_ctx *c, const char *name, const char *s, double lo, double hi, double *out)
{
    if (!s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi) {
        c->failed = 1;
        cli_error(c, "%s expects a number in [%g, %g], got '%s'", name, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_dtype(cli_ctx *c, const char *name, const char *s, int allow_i8, int *out)
{
    if (!s) return -1;
    uint32_t t = MEMCOM_DTYPE_NONE; /* the names of memcom_enum_name, and "int8" */
    if (memcom_enum_value(MEMCOM_NAMES_DTYPE, s, &t) != MEMCOM_OK && strcmp(s, "int8") == 0) t = MEMCOM_DTYPE_I8;
    if (t == MEMCOM_DTYPE_F32 || t == MEMCOM_DTYPE_F16 || (allow_i8 && t == MEMCOM_DTYPE_I8)) {
        *out = (int)t;
    } else {
        c->failed = 1;
        cli_error(c, "%s expects %s, got '%s'", name, allow_i8 ? "f32, f16 or i8" : "f32 or f16", s);
        return -1;
    }
    return 0;
}

void cli_print_metrics(FILE *f, const char *label, const mt_metrics *m)
{
    fprintf(f, "%-6s users %6u  Recall@10 %.4f  Recall@20 %.4f  Recall@40 %.4f  NDCG@10 %.4f  NDCG@20 %.4f  NDCG@40 %.4f\n",
            label, m->users, m->recall[0], m->recall[1], m->recall[2], m->ndcg[0], m->ndcg[1], m->ndcg[2]);
    if (m->graded)
        fprintf(f, "%-6s graded NDCG (gain log2(1 + grade))  @10 %.4f  @20 %.4f  @40 %.4f\n", label, m->gndcg[0],
                m->gndcg[1], m->gndcg[2]);
}
