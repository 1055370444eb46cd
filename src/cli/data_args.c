/* data_args.c - the data set options shared by `memcom train` and `memcom eval`. */
#include <string.h>

#include "cli.h"

const char cli_data_help[] =
    "Data (one of):\n"
    "  --data DIR            DIR/train.txt, DIR/valid.txt, DIR/test.txt, lines `user item item ...`\n"
    "  --train F [--valid F] [--test F]   the same format, explicit files\n"
    "  --csv F               a log, one interaction a line: user,item[,grade[,time]] (more columns:\n"
    "                        --columns), split per user (seeded)\n"
    "  --tsv F               the same, tab-separated\n"
    "  --seq F               one user per line `user item item ...`, split per user (seeded)\n"
    "Data options (--csv/--tsv):\n"
    "  --delimiter C         field delimiter: comma, tab, space (runs of spaces), semicolon, pipe, ::\n"
    "                        (MovieLens .dat files) or one character [detected: the first of tab,\n"
    "                        comma, semicolon, pipe, ::, space that splits the first lines into the\n"
    "                        same number of fields]\n"
    "  --header, --no-header the first line is (is not) a header [detected: a first line whose\n"
    "                        grade or time field, or user and item fields, are not numbers where the\n"
    "                        next line's are is skipped, with a note]\n"
    "  --columns SPEC        which fields hold user, item, grade (rating) and time, by index from 0\n"
    "                        or by header name: user=0,item=1,grade=2,time=3 or user=userId,item=\n"
    "                        movieId,grade=rating [user,item,grade,time in this order]\n"
    "  --min-rating X        keep only interactions with grade >= X (implicit feedback)\n"
    "  --split T/V/E         per-user split percentages for --csv/--tsv/--seq (default 70/10/20)\n"
    "  --split-seed N        seed of the per-user split (default 1)\n"
    "  --name NAME           data set name recorded in the model metadata\n"
    "Repeated (user, item) lines count once, before the split (the first is kept, with its grade;\n"
    "with --min-rating, the first that passes); times serve only header detection; grades\n"
    "serve --min-rating and, when every line has one, the ranker's graded pairs and graded NDCG.\n"
    "The model records its data and split; memcom eval refuses different ones.\n";

void cli_data_init(cli_data *d)
{
    memset(d, 0, sizeof *d);
    mt_data_opts_default(&d->o);
}

/* the one data source of a command: refuses a second one */
static int claim_source(cli_ctx *c, cli_data *d, int fmt)
{
    if (d->given) {
        c->failed = 1;
        cli_error(c, "give only one data source (--data, --train, --csv, --tsv or --seq)");
        return -1;
    }
    d->given = 1;
    d->o.format = fmt;
    return 1;
}

static int set_single(cli_ctx *c, cli_data *d, int fmt, const char *path, char delim)
{
    if (!path || claim_source(c, d, fmt) < 0) return -1;
    d->o.path = path;
    if (delim && !d->delimiter_given) d->o.delimiter = delim;   /* --tsv: tab unless --delimiter says otherwise */
    return 1;
}

int cli_data_opt(cli_ctx *c, cli_data *d)
{
    const char *v;
    if (cli_opt(c, "--data", &v)) {
        if (!v || claim_source(c, d, MT_FMT_SPLIT) < 0) return -1;
        snprintf(d->paths[0], sizeof d->paths[0], "%s/train.txt", v);
        snprintf(d->paths[1], sizeof d->paths[1], "%s/valid.txt", v);
        snprintf(d->paths[2], sizeof d->paths[2], "%s/test.txt", v);
        d->o.train_path = d->paths[0];
        d->o.valid_path = d->paths[1];
        d->o.test_path = d->paths[2];
        return 1;
    }
    if (cli_opt(c, "--train", &v)) {
        if (!v || claim_source(c, d, MT_FMT_SPLIT) < 0) return -1;
        d->o.train_path = v;
        return 1;
    }
    if (cli_opt(c, "--valid", &v)) return v ? (d->o.valid_path = v, 1) : -1;
    if (cli_opt(c, "--test", &v)) return v ? (d->o.test_path = v, 1) : -1;
    if (cli_opt(c, "--csv", &v)) return set_single(c, d, MT_FMT_CSV, v, 0);
    if (cli_opt(c, "--tsv", &v)) return set_single(c, d, MT_FMT_CSV, v, '\t');
    if (cli_opt(c, "--seq", &v)) return set_single(c, d, MT_FMT_SEQ, v, 0);
    if (cli_flag(c, "--header")) {
        d->o.header = 1;
        return 1;
    }
    if (cli_flag(c, "--no-header")) {
        d->o.header = -1;
        return 1;
    }
    if (cli_opt(c, "--delimiter", &v)) {
        if (!v) return -1;
        if (mt_delimiter_parse(v, &d->o.delimiter)) {
            c->failed = 1;
            cli_error(c, "--delimiter expects comma, tab, space, semicolon, pipe, :: or one printable character, got '%s'",
                      v);
            return -1;
        }
        d->delimiter_given = 1;
        return 1;
    }
    if (cli_opt(c, "--columns", &v)) {
        if (!v) return -1;
        mt_columns cols;
        mt_err err;
        if (mt_columns_parse(v, &cols, &err)) {
            c->failed = 1;
            cli_error(c, "%s", err.msg);
            return -1;
        }
        d->o.columns = v;
        return 1;
    }
    if (cli_opt(c, "--min-rating", &v)) {
        if (cli_f64(c, "--min-rating", v, -1e300, 1e300, &d->o.threshold)) return -1;
        d->o.has_threshold = 1;
        return 1;
    }
    if (cli_opt(c, "--split", &v)) {
        if (!v) return -1;
        double a, b, e;
        char tail;
        if (sscanf(v, "%lf/%lf/%lf%c", &a, &b, &e, &tail) != 3 || a <= 0 || b < 0 || e < 0 ||
            a + b + e < 99.999 || a + b + e > 100.001) {
            c->failed = 1;
            cli_error(c, "--split expects TRAIN/VALID/TEST percentages summing to 100 (e.g. 70/10/20), got '%s'", v);
            return -1;
        }
        d->o.valid_frac = b / 100.0;
        d->o.test_frac = e / 100.0;
        return 1;
    }
    if (cli_opt(c, "--split-seed", &v)) return cli_u64(c, "--split-seed", v, &d->o.seed) ? -1 : 1;
    if (cli_opt(c, "--name", &v)) return v ? (d->o.name = v, 1) : -1;
    return 0;
}

int cli_data_finish(cli_ctx *c, cli_data *d)
{
    if (!d->given) {
        c->failed = 1;
        return cli_error(c, "no data given: use --data DIR, --train F, --csv F, --tsv F or --seq F");
    }
    if (d->o.format != MT_FMT_CSV && (d->o.header || d->o.has_threshold || d->o.columns || d->delimiter_given)) {
        c->failed = 1;
        return cli_error(c, "--header, --no-header, --delimiter, --columns and --min-rating apply to --csv/--tsv only");
    }
    return 0;
}
