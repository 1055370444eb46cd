/* cmd_compress.c - `memcom compress`: a model trained elsewhere (full tables,
 * or any kind) as memcom tables of the default variant (src/train/compress.c);
 * with interaction data, fine-tuned by `memcom train --init-from`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model_io.h"

static const char compress_help[] =
    "usage: memcom compress MODEL.memcom --ratio R -o OUT.memcom [options] [DATA and train options]\n"
    "\n"
    "Compress the item tables of a trained model (e.g. a full model trained elsewhere and written with\n"
    "memcom.torch.export or buildModel) to memcom tables of the default variant: the most popular items\n"
    "(the first indices: order items by decreasing popularity) own rows, the others share rows assigned\n"
    "by sign-free spherical k-means of their vectors, each item's scalar by least squares. Dense layers,\n"
    "output bias, ids are copied; the metadata records the compression and keeps the source's.\n"
    "\n"
    "  --ratio R             size each item table to 1/R of the bytes of a full f32 table (R < d), its\n"
    "                        rows counted in their storage type (--dtype)\n"
    "  -o, --out FILE        the compressed model (written atomically; not the input)\n"
    "  --dtype T             row storage f32, f16 or i8 [the source's; with data, memcom train's default:\n"
    "                        i8]\n"
    "  --pop-frac F          share of the rows given to the most popular items [0.5]\n"
    "  --seed N              k-means seed [1]\n"
    "  --threads T           threads [2]\n"
    "  --string-ids          store item ids as strings (format 1.0, for readers older than 1.1); by\n"
    "                        default numeric ids are stored compactly (format 1.1), as memcom train does\n"
    "  --json FILE           a JSON summary (rows, ratio, reconstruction error) to FILE ('-' = stdout)\n"
    "  --quiet               no progress\n"
    "\n"
    "Fine-tuning: with interaction data (the DATA options of `memcom train`, e.g. --data DIR) and any\n"
    "other `memcom train` options, the compressed model is trained further on that data:\n"
    "`memcom train DATA --init-from MODEL --kind memcom --ratio R --dim D --layers L -o OUT ...`\n"
    "(the same k-means start, then training at --tune-lr with early stopping; items matched by id).\n"
    "Example:\n"
    "  memcom compress full.memcom --ratio 16 -o small.memcom\n";

/* `memcom train` with the model as its warm start, the passed-through arguments and ours */
static int fine_tune(const char *in, const char *out, const char *ratio, char **pass, int n_pass, char **ours,
                     int n_ours)
{
    memcom_model *m;
    if (cli_open_model("compress", in, &m)) return 1;
    memcom_info info;
    memcom_get_info(m, &info);
    memcom_close(m);
    char dim[16], layers[16];
    snprintf(dim, sizeof dim, "%u", info.output.d);
    snprintf(layers, sizeof layers, "%u", info.n_layers ? info.n_layers - 1 : 0);
    char *fixed[] = {"--init-from", (char *)in, "--kind", "memcom", "--ratio", (char *)ratio, "--dim", dim,
                     "--layers", layers, "-o", (char *)out};
    int nf = (int)(sizeof fixed / sizeof *fixed);
    char **argv = calloc((size_t)(1 + n_pass + nf + n_ours + 1), sizeof *argv);
    if (!argv) return 1;
    int k = 0;
    argv[k++] = "train";
    for (int i = 0; i < n_pass; i++) argv[k++] = pass[i];
    for (int i = 0; i < nf; i++) argv[k++] = fixed[i];
    for (int i = 0; i < n_ours; i++) argv[k++] = ours[i];
    int rc = cli_cmd_train(k, argv);
    free(argv);
    return rc;
}

int cli_cmd_compress(int argc, char **argv)
{
    cli_ctx c = {"compress", argc, argv, 0, 0};
    mt_compress_opts o = {0, 0.5, 0, 15, 2, 1, 0, 0};
    const char *in = NULL, *out = NULL, *ratio_s = NULL, *json = NULL, *v;
    char **pass = calloc((size_t)argc, sizeof *pass), **ours = calloc((size_t)argc * 2, sizeof *ours);
    int n_pass = 0, n_ours = 0;
    if (!pass || !ours) return 1;
    for (c.i = 1; c.i < argc && !c.failed; c.i++) {
        if (cli_flag(&c, "--help") || cli_flag(&c, "-h")) {
            fputs(compress_help, stdout);
            free(pass);
            free(ours);
            return 0;
        }
        int at = c.i;
        if (cli_opt(&c, "--ratio", &v)) {
            ratio_s = v;
            cli_f64(&c, "--ratio", v, 1.0, 1e6, &o.ratio);
        } else if (cli_opt(&c, "-o", &v) || cli_opt(&c, "--out", &v)) {
            out = v;
        } else if (cli_opt(&c, "--dtype", &v)) {
            cli_dtype(&c, "--dtype", v, 1, &o.row_dtype);
        } else if (cli_opt(&c, "--pop-frac", &v)) {
            cli_f64(&c, "--pop-frac", v, 0, 0.99, &o.pop_frac);
        } else if (cli_opt(&c, "--seed", &v)) {
            cli_u64(&c, "--seed", v, &o.seed);
        } else if (cli_opt(&c, "--threads", &v)) {
            uint32_t t;
            if (cli_u32(&c, "--threads", v, 1, 256, &t) == 0) o.threads = (int)t;
        } else if (cli_opt(&c, "--json", &v)) {
            json = v;
        } else if (cli_flag(&c, "--quiet")) {
            o.quiet = 1;
        } else if (cli_flag(&c, "--string-ids")) {
            o.string_ids = 1;
        } else if (argv[c.i][0] != '-' && !in) {
            in = argv[c.i];
            continue;
        } else {
            pass[n_pass++] = argv[c.i]; /* for `memcom train` (fine-tuning) */
            continue;
        }
        /* ours, except --ratio and -o (fine_tune passes those), go to train too */
        if (strcmp(argv[at], "--ratio") && strncmp(argv[at], "--ratio=", 8) && strcmp(argv[at], "-o") &&
            strcmp(argv[at], "--out") && strncmp(argv[at], "--out=", 6))
            for (int j = at; j <= c.i; j++) ours[n_ours++] = argv[j];
    }
    int rc = 2;
    if (c.failed) goto done;
    if (!in) { rc = cli_error(&c, "no model file given"); goto done; }
    if (!ratio_s) { rc = cli_error(&c, "--ratio is required"); goto done; }
    if (!out) { rc = cli_error(&c, "-o is required"); goto done; }
    if (n_pass) {
        rc = fine_tune(in, out, ratio_s, pass, n_pass, ours, n_ours);
        goto done;
    }
    if (json) { /* the JSON summary only: memcom train's --json names the same thing */
        mt_path outs[1] = {{json, "--json", 0}};
        mt_err err;
        if (strcmp(json, "-") && mt_check_outputs(outs, 1, NULL, 0, &err)) { rc = cli_fail("compress", &err); goto done; }
    }
    mt_compress_result res;
    mt_err err;
    if (mt_compress(in, out, &o, &res, &err)) {
        rc = cli_fail("compress", &err);
        goto done;
    }
    mt_buf b = {0};
    mt_buf_printf(&b, "{\"ratio\":%.4f,\"file_bytes\":%llu,\"tables\":[", res.ratio, (unsigned long long)res.file_bytes);
    const char *role[2] = {"input", "output"};
    int first = 1;
    for (int r = 0; r < 2; r++) {
        const mt_compress_table *t = &res.table[r];
        if (!t->present) continue;
        if (!o.quiet)
            fprintf(stderr, "%s: n = %u, m = %u (popular %u), relative reconstruction error %.4f\n", role[r], t->n,
                    t->m, t->pop, t->rel_error);
        mt_buf_printf(&b, "%s{\"role\":\"%s\",\"n\":%u,\"d\":%u,\"m\":%u,\"pop\":%u,\"rel_error\":%.6f,\"seconds\":%.3f}",
                      first ? "" : ",", role[r], t->n, t->d, t->m, t->pop, t->rel_error, t->seconds);
        first = 0;
    }
    mt_buf_printf(&b, "]}\n");
    if (!o.quiet) fprintf(stderr, "wrote %s: %llu bytes, item tables %.2fx smaller than full f32\n", out,
                          (unsigned long long)res.file_bytes, res.ratio);
    rc = 0;
    if (json && strcmp(json, "-") == 0)
        fputs(b.p, stdout);
    else if (json && mt_write_atomic(json, b.p, b.len, &err))
        rc = cli_fail("compress", &err);
    mt_buf_free(&b);
done:
    free(pass);
    free(ours);
    return rc;
}
