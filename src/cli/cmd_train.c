/* cmd_train.c - `memcom train`: read data, train, export a .memcom file. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static const char train_help[] =
    "usage: memcom train DATA -o MODEL.memcom [options]\n"
    "\n"
    "Train a Mult-DAE recommender whose input and output item tables are compressed,\n"
    "early-stopping on validation NDCG@20, and write a .memcom model file.\n"
    "\n"
    "%s"
    "Model:\n"
    "  --kind K              table kind of both tables: full, hash, qr, memcom (= the default\n"
    "                        variant, memcom-learned-pop), memcom-plain (the paper: w[i]*U[i mod m]),\n"
    "                        memcom-pop (popular items own rows), memcom-learned (k-means buckets\n"
    "                        from a warm-up run), memcom-learned-pop (both)   [default: full]\n"
    "  --in-kind K, --out-kind K   the kind of one table only\n"
    "  --ratio R             size the compressed tables to 1/R of a full f32 table\n"
    "  --rows M              or give the rows of the shared table directly\n"
    "  --in-ratio R, --in-rows M   a different size for the input table\n"
    "  --pop-frac F          memcom-*pop: share of the rows given to popular items [0.5]\n"
    "  --scalar-dtype T      memcom per-item scalars f32 or f16 [f32 plain, f16 explicit-bucket variants]\n"
    "  --scalar-decay X      decay memcom per-item scalars towards 1 at this rate (helps very sparse\n"
    "                        catalogues, e.g. Amazon; 0 = off) [0]\n"
    "  --dim D               embedding dimension [64]\n"
    "  --layers L            extra dense tanh layers of size D [0]\n"
    "Training:\n"
    "  --epochs E            maximum epochs [100]\n"
    "  --patience P          stop after P epochs without validation improvement (0: never) [10]\n"
    "  --batch B             users per mini-batch [500; use about 100 for a few thousand users]\n"
    "  --lr X                Adam learning rate [0.01]\n"
    "  --dropout X           input dropout [0.5]\n"
    "  --weight-decay X      decoupled weight decay of tables and dense weights [1.0]\n"
    "  --warmup-epochs W     memcom-learned*: at most W epochs of a full-size warm-up run (early-\n"
    "                        stopped like training) whose item vectors are clustered [30]\n"
    "  --tune-lr X           learning rate after the warm-up (memcom-learned*) [0.3 * lr]\n"
    "  --init-from FILE      start from a trained model (e.g. the full model of the same data):\n"
    "                        its item vectors (learned buckets cluster them; no warm-up run), biases\n"
    "                        and dense layers; then training continues with --tune-lr\n"
    "  --seed N              initialisation and shuffling seed [1]\n"
    "  --threads T           worker threads [2]\n"
    "  --quiet               no per-epoch progress\n"
    "Output:\n"
    "  -o, --out FILE        the model file (written atomically: temp file + rename)\n"
    "  --dtype T             table storage f32, f16 or i8 (int8, per-row scale) [f32]\n"
    "  --checkpoint FILE     also write FILE (f32) after every improving epoch, and the training\n"
    "                        state FILE.state (current and best parameters, Adam moments, random\n"
    "                        generators, early-stopping counters) after every epoch\n"
    "  --resume FILE         continue an interrupted run from checkpoint FILE (reads FILE.state;\n"
    "                        keeps checkpointing to FILE unless --checkpoint says otherwise). Give\n"
    "                        the same data and options; only --epochs may differ. The result is\n"
    "                        bit-identical to an uninterrupted run\n"
    "  --json FILE           write a JSON summary of the run to FILE ('-' = stdout)\n"
    "\n"
    "Progress goes to stderr: per epoch the loss, validation NDCG@20, elapsed time and time left.\n"
    "Example:\n"
    "  memcom train --csv ratings.csv --header --min-rating 3.5 --kind memcom --ratio 16 -o movies.memcom\n";

typedef struct train_cli {
    cli_data data;
    mt_train_opts to;
    const char *out, *checkpoint, *json, *resume;
    int dtype;
    int kind_set;
    mt_dataset *ds;
    char *meta_options;
} train_cli;

static const char *dtype_name(int t)
{
    return t == MEMCOM_DTYPE_F16 ? "f16" : t == MEMCOM_DTYPE_I8 ? "i8" : "f32";
}

static void json_options(mt_buf *b, const train_cli *tc, const mt_train_result *res)
{
    const mt_train_opts *o = &tc->to;
    const mt_model_opts *mo = &res->mopts;
    mt_buf_printf(b, "{\"in_kind\":\"%s\",\"out_kind\":\"%s\"", mt_tkind_name(mo->in_kind), mt_tkind_name(mo->out_kind));
    mt_buf_printf(b, ",\"ratio\":%g,\"in_ratio\":%g,\"rows\":%u,\"in_rows\":%u", o->ratio,
                  o->in_ratio > 0 ? o->in_ratio : o->ratio, mo->out_size.m, mo->in_size.m);
    if (o->scalar_decay > 0) mt_buf_printf(b, ",\"scalar_decay\":%g", (double)o->scalar_decay);
    mt_buf_printf(b, ",\"pop\":%u,\"in_pop\":%u,\"pop_frac\":%g", mo->out_size.pop, mo->in_size.pop, o->pop_frac);
    mt_buf_printf(b, ",\"dim\":%u,\"layers\":%u,\"epochs\":%u,\"patience\":%u,\"batch\":%u", o->d, o->n_dense,
                  o->epochs, o->patience, o->batch);
    mt_buf_printf(b, ",\"lr\":%g,\"dropout\":%g,\"weight_decay\":%g,\"warmup_epochs\":%u,\"tune_lr\":%g,\"seed\":%llu",
                  (double)o->lr, (double)o->dropout, (double)o->weight_decay, o->warmup_epochs,
                  (double)(o->tune_lr > 0 ? o->tune_lr : 0.3f * o->lr),
                  (unsigned long long)o->seed);
    if (o->init_from) {
        mt_buf_printf(b, ",\"init_from\":");
        mt_buf_json_string(b, o->init_from);
    }
    mt_buf_printf(b, ",\"dtype\":\"%s\",\"split_seed\":%llu,\"split\":[%g,%g,%g]}", dtype_name(tc->dtype),
                  (unsigned long long)tc->data.o.seed, 100 * (1 - tc->data.o.valid_frac - tc->data.o.test_frac),
                  100 * tc->data.o.valid_frac, 100 * tc->data.o.test_frac);
}

static char *build_metadata(const train_cli *tc, const mt_train_result *res, const mt_metrics *test_file,
                            int final)
{
    mt_buf b = {0};
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    mt_buf_printf(&b, "{\"dataset\":");
    mt_buf_json_string(&b, tc->ds->name);
    mt_buf_printf(&b, ",\"users\":%u,\"items\":%u,\"options\":", tc->ds->n_users, tc->ds->n_items);
    json_options(&b, tc, res);
    mt_buf_printf(&b, ",\"metrics\":{\"valid\":");
    cli_json_metrics(&b, &res->valid);
    mt_buf_printf(&b, ",\"test\":");
    cli_json_metrics(&b, test_file ? test_file : &res->test);
    if (test_file) {
        mt_buf_printf(&b, ",\"test_f32\":");
        cli_json_metrics(&b, &res->test);
    }
    mt_buf_printf(&b, "},\"training\":{\"best_epoch\":%u,\"epochs_run\":%u,\"seconds\":%.2f,\"warmup_seconds\":%.2f,"
                      "\"sec_per_epoch\":%.4f,\"final\":%s}",
                  res->best_epoch, res->epochs_run, res->seconds, res->warmup_seconds, res->sec_per_epoch,
                  final ? "true" : "false");
    mt_buf_printf(&b, ",\"created\":\"%s\",\"memcom_version\":\"%s\"}", when, memcom_version_string());
    return b.p;
}

static int checkpoint_cb(const mt_model *mdl, uint32_t epoch, const mt_metrics *valid, void *ctx)
{
    train_cli *tc = ctx;
    mt_train_result r;
    memset(&r, 0, sizeof r);
    r.valid = *valid;
    r.best_epoch = epoch;
    r.mopts.in_kind = mdl->in.kind;
    r.mopts.out_kind = mdl->out.kind;
    r.mopts.in_size.m = mdl->in.m;
    r.mopts.out_size.m = mdl->out.m;
    char *meta = build_metadata(tc, &r, NULL, 0);
    mt_export_opts eo = {MEMCOM_DTYPE_F32, meta};
    mt_err err;
    int rc = mt_export_model(mdl, tc->ds, tc->checkpoint, &eo, &err);
    free(meta);
    if (rc) fprintf(stderr, "memcom train: checkpoint: %s\n", err.msg);
    return 0;
}

static int parse_kind(cli_ctx *c, const char *v, int *k)
{
    if (!v) return -1;
    if (mt_tkind_parse(v, k) == 0) return 0;
    c->failed = 1;
    cli_error(c, "unknown table kind '%s' (full, hash, qr, memcom, memcom-plain, memcom-pop, memcom-learned, "
                 "memcom-learned-pop)", v);
    return -1;
}

static int parse(train_cli *tc, int argc, char **argv, cli_ctx *c)
{
    for (c->i = 1; c->i < argc && !c->failed; c->i++) {
        const char *v;
        int r = cli_data_opt(c, &tc->data);
        if (r < 0) return 2;
        if (r > 0) continue;
        mt_train_opts *o = &tc->to;
        double x;
        int k;
        if (cli_opt(c, "--kind", &v)) {
            if (parse_kind(c, v, &k)) return 2;
            o->out_kind = k;
            o->in_kind = -1;
        } else if (cli_opt(c, "--out-kind", &v)) {
            if (parse_kind(c, v, &k)) return 2;
            o->out_kind = k;
        } else if (cli_opt(c, "--in-kind", &v)) {
            if (parse_kind(c, v, &k)) return 2;
            o->in_kind = k;
        } else if (cli_opt(c, "--ratio", &v)) {
            if (cli_f64(c, "--ratio", v, 1, 1e6, &o->ratio)) return 2;
        } else if (cli_opt(c, "--in-ratio", &v)) {
            if (cli_f64(c, "--in-ratio", v, 1, 1e6, &o->in_ratio)) return 2;
        } else if (cli_opt(c, "--rows", &v)) {
            if (cli_u32(c, "--rows", v, 1, 0x7fffffff, &o->rows)) return 2;
        } else if (cli_opt(c, "--in-rows", &v)) {
            if (cli_u32(c, "--in-rows", v, 1, 0x7fffffff, &o->in_rows)) return 2;
        } else if (cli_opt(c, "--pop-frac", &v)) {
            if (cli_f64(c, "--pop-frac", v, 0, 0.99, &o->pop_frac)) return 2;
        } else if (cli_opt(c, "--scalar-dtype", &v)) {
            if (cli_dtype(c, "--scalar-dtype", v, 0, &o->scalar_dtype)) return 2;
        } else if (cli_opt(c, "--dim", &v)) {
            if (cli_u32(c, "--dim", v, 1, 4096, &o->d)) return 2;
        } else if (cli_opt(c, "--layers", &v)) {
            if (cli_u32(c, "--layers", v, 0, MT_MAX_LAYERS - 1, &o->n_dense)) return 2;
        } else if (cli_opt(c, "--epochs", &v)) {
            if (cli_u32(c, "--epochs", v, 1, 100000, &o->epochs)) return 2;
        } else if (cli_opt(c, "--patience", &v)) {
            if (cli_u32(c, "--patience", v, 0, 100000, &o->patience)) return 2;
        } else if (cli_opt(c, "--batch", &v)) {
            if (cli_u32(c, "--batch", v, 1, 1000000, &o->batch)) return 2;
        } else if (cli_opt(c, "--warmup-epochs", &v)) {
            if (cli_u32(c, "--warmup-epochs", v, 0, 100000, &o->warmup_epochs)) return 2;
        } else if (cli_opt(c, "--init-from", &v)) {
            if (!v) return 2;
            o->init_from = v;
        } else if (cli_opt(c, "--scalar-decay", &v)) {
            if (cli_f64(c, "--scalar-decay", v, 0, 1e6, &x)) return 2;
            o->scalar_decay = (float)x;
        } else if (cli_opt(c, "--tune-lr", &v)) {
            if (cli_f64(c, "--tune-lr", v, 1e-9, 10, &x)) return 2;
            o->tune_lr = (float)x;
        } else if (cli_opt(c, "--lr", &v)) {
            if (cli_f64(c, "--lr", v, 1e-9, 10, &x)) return 2;
            o->lr = (float)x;
        } else if (cli_opt(c, "--dropout", &v)) {
            if (cli_f64(c, "--dropout", v, 0, 0.99, &x)) return 2;
            o->dropout = (float)x;
        } else if (cli_opt(c, "--weight-decay", &v)) {
            if (cli_f64(c, "--weight-decay", v, 0, 1e6, &x)) return 2;
            o->weight_decay = (float)x;
        } else if (cli_opt(c, "--seed", &v)) {
            if (cli_u64(c, "--seed", v, &o->seed)) return 2;
        } else if (cli_opt(c, "--threads", &v)) {
            uint32_t t;
            if (cli_u32(c, "--threads", v, 1, 16, &t)) return 2;
            o->threads = (int)t;
        } else if (cli_flag(c, "--quiet")) {
            o->quiet = 1;
        } else if (cli_opt(c, "-o", &v) || cli_opt(c, "--out", &v)) {
            if (!v) return 2;
            tc->out = v;
        } else if (cli_opt(c, "--dtype", &v)) {
            if (cli_dtype(c, "--dtype", v, 1, &tc->dtype)) return 2;
        } else if (cli_opt(c, "--checkpoint", &v)) {
            if (!v) return 2;
            tc->checkpoint = v;
        } else if (cli_opt(c, "--resume", &v)) {
            if (!v) return 2;
            tc->resume = v;
        } else if (cli_opt(c, "--json", &v)) {
            if (!v) return 2;
            tc->json = v;
        } else {
            return cli_unknown(c);
        }
    }
    if (c->failed) return 2;
    if (cli_data_finish(c, &tc->data)) return 2;
    if (!tc->out) return cli_error(c, "no output file: give -o MODEL.memcom");
    if (tc->to.ratio > 0 && tc->to.rows) return cli_error(c, "give --ratio or --rows, not both");
    int needs_size = tc->to.out_kind != MT_T_FULL || (tc->to.in_kind >= 0 && tc->to.in_kind != MT_T_FULL);
    if (needs_size && !(tc->to.ratio > 0) && !tc->to.rows && !(tc->to.in_ratio > 0) && !tc->to.in_rows)
        return cli_error(c, "compressed kinds need a size: --ratio R or --rows M");
    return 0;
}

int cli_cmd_train(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf(train_help, cli_data_help);
            return 0;
        }
    train_cli tc;
    memset(&tc, 0, sizeof tc);
    cli_data_init(&tc.data);
    mt_train_opts_default(&tc.to);
    tc.dtype = MEMCOM_DTYPE_F32;
    cli_ctx c = {"train", argc, argv, 0, 0};
    int rc = parse(&tc, argc, argv, &c);
    if (rc) return rc;

    mt_dataset ds;
    mt_err err;
    double t0 = mt_now();
    if (mt_dataset_load(&ds, &tc.data.o, &err)) {
        fprintf(stderr, "memcom train: %s\n", err.msg);
        return 1;
    }
    tc.ds = &ds;
    if (!tc.to.quiet)
        fprintf(stderr, "data %s: %u users, %u items, %llu train / %llu valid / %llu test interactions (%.1fs)\n",
                ds.name, ds.n_users, ds.n_items, (unsigned long long)ds.train.nnz, (unsigned long long)ds.valid.nnz,
                (unsigned long long)ds.test.nnz, mt_now() - t0);
    char *state_out = NULL, *state_in = NULL;
    if (tc.resume) {
        if (!tc.checkpoint) tc.checkpoint = tc.resume;
        size_t l = strlen(tc.resume);
        state_in = malloc(l + 7);
        if (state_in) snprintf(state_in, l + 7, "%s.state", tc.resume);
        tc.to.resume = state_in;
    }
    if (tc.checkpoint) {
        tc.to.on_improve = checkpoint_cb;
        tc.to.ctx = &tc;
        size_t l = strlen(tc.checkpoint);
        state_out = malloc(l + 7);
        if (state_out) snprintf(state_out, l + 7, "%s.state", tc.checkpoint);
        tc.to.state_out = state_out;
    }
    if ((tc.resume && !state_in) || (tc.checkpoint && !state_out)) {
        fprintf(stderr, "memcom train: out of memory\n");
        free(state_in);
        free(state_out);
        mt_dataset_free(&ds);
        return 1;
    }
    mt_model mdl;
    mt_train_result res;
    int trc = mt_train(&mdl, &ds, &tc.to, &res, &err);
    free(state_in);
    free(state_out);
    if (trc) {
        fprintf(stderr, "memcom train: %s\n", err.msg);
        struct stat cst;
        if (tc.checkpoint && strstr(err.msg, "diverged") && stat(tc.checkpoint, &cst) == 0)
            fprintf(stderr, "memcom train: the last good checkpoint %s (best epoch so far) and its state %s.state "
                            "are kept\n", tc.checkpoint, tc.checkpoint);
        mt_dataset_free(&ds);
        return 1;
    }
    if (!tc.to.quiet) {
        fprintf(stderr, "best epoch %u of %u, %.1fs (%.3fs per epoch)\n", res.best_epoch, res.epochs_run,
                res.seconds, res.sec_per_epoch);
        cli_print_metrics(stderr, "valid", &res.valid);
        cli_print_metrics(stderr, "test", &res.test);
    }
    char *meta = build_metadata(&tc, &res, NULL, 1);
    mt_export_opts eo = {tc.dtype, meta};
    rc = mt_export_model(&mdl, &ds, tc.out, &eo, &err);
    free(meta);
    mt_metrics file_test;
    memset(&file_test, 0, sizeof file_test);
    int have_file_test = 0;
    uint64_t file_bytes = 0, table_bytes = 0, full_bytes = 0, in_bytes = 0, out_bytes = 0;
    if (!rc) {
        /* measure what will be served: the written file, through the public API */
        memcom_model *h[2] = {NULL, NULL};
        char detail[512] = "";
        int orc = memcom_open_file(&h[0], tc.out, 0, detail, sizeof detail);
        if (orc == MEMCOM_OK) orc = memcom_open_file(&h[1], tc.out, 0, detail, sizeof detail);
        if (orc != MEMCOM_OK) {
            fprintf(stderr, "memcom train: %s: the written model does not open: %s %s\n", tc.out,
                    memcom_error_message(orc), detail);
            rc = -1;
        } else {
            memcom_info info;
            memcom_get_info(h[0], &info);
            file_bytes = info.file_bytes;
            table_bytes = info.input_bytes + info.output_bytes;
            in_bytes = info.input_bytes;
            out_bytes = info.output_bytes;
            full_bytes = info.full_f32_bytes;
            if (tc.dtype != MEMCOM_DTYPE_F32 && ds.test.nnz) {
                if (mt_evaluate_file(h, tc.to.threads > 1 ? 2 : 1, &ds, &ds.test, &file_test, NULL, &err) == 0) {
                    have_file_test = 1;
                    if (!tc.to.quiet) cli_print_metrics(stderr, "file", &file_test);
                }
            }
        }
        memcom_close(h[0]);
        memcom_close(h[1]);
        if (have_file_test) {
            meta = build_metadata(&tc, &res, &file_test, 1);
            eo.metadata_json = meta;
            rc = mt_export_model(&mdl, &ds, tc.out, &eo, &err);
            free(meta);
            struct stat st;
            if (!rc && stat(tc.out, &st) == 0) file_bytes = (uint64_t)st.st_size;
        }
    }
    if (rc) {
        if (err.msg[0]) fprintf(stderr, "memcom train: %s\n", err.msg);
        mt_model_free(&mdl);
        mt_dataset_free(&ds);
        return 1;
    }
    if (!tc.to.quiet)
        fprintf(stderr, "wrote %s: %llu bytes (item tables %llu bytes, %.2fx smaller than f32 full tables)\n", tc.out,
                (unsigned long long)file_bytes, (unsigned long long)table_bytes,
                table_bytes ? (double)full_bytes / (double)table_bytes : 0.0);
    if (tc.json) {
        mt_buf b = {0};
        mt_buf_printf(&b, "{\"model\":");
        mt_buf_json_string(&b, tc.out);
        mt_buf_printf(&b, ",\"dataset\":");
        mt_buf_json_string(&b, ds.name);
        mt_buf_printf(&b, ",\"items\":%u,\"options\":", ds.n_items);
        json_options(&b, &tc, &res);
        mt_buf_printf(&b, ",\"valid\":");
        cli_json_metrics(&b, &res.valid);
        mt_buf_printf(&b, ",\"test\":");
        cli_json_metrics(&b, have_file_test ? &file_test : &res.test);
        mt_buf_printf(&b, ",\"test_f32\":");
        cli_json_metrics(&b, &res.test);
        mt_buf_printf(&b,
                      ",\"file_bytes\":%llu,\"table_bytes\":%llu,\"input_bytes\":%llu,\"output_bytes\":%llu,"
                      "\"full_f32_bytes\":%llu,\"seconds\":%.2f,"
                      "\"warmup_seconds\":%.2f,\"sec_per_epoch\":%.4f,\"best_epoch\":%u,\"epochs_run\":%u}\n",
                      (unsigned long long)file_bytes, (unsigned long long)table_bytes, (unsigned long long)in_bytes,
                      (unsigned long long)out_bytes, (unsigned long long)full_bytes,
                      res.seconds, res.warmup_seconds, res.sec_per_epoch, res.best_epoch, res.epochs_run);
        FILE *f = strcmp(tc.json, "-") == 0 ? stdout : fopen(tc.json, "w");
        if (!f) {
            fprintf(stderr, "memcom train: cannot write %s\n", tc.json);
        } else {
            fwrite(b.p, 1, b.len, f);
            if (f != stdout) fclose(f);
        }
        mt_buf_free(&b);
    }
    mt_model_free(&mdl);
    mt_dataset_free(&ds);
    return 0;
}
