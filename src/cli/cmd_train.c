/* cmd_train.c - `memcom train`: read data, train, export a .memcom file. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char train_help[] =
    "usage: memcom train DATA -o MODEL.memcom [options]\n"
    "\n"
    "Train a Mult-DAE recommender whose input and output item tables are compressed,\n"
    "early-stopping on validation NDCG@20, and write a .memcom model file.\n"
    "\n"
    "%s"
    "Model:\n"
    "  --model M             dae (the Mult-DAE: softmax over the items) or ranknet (a pairwise\n"
    "                        ranker: the DAE's score plus an MLP head over [u ; e_i ; u * e_i],\n"
    "                        trained with RankNet's pairwise loss beside the softmax) [dae]\n"
    "  --head-layers L       ranknet: hidden relu layers of the head (0: a linear head) [0]\n"
    "  --head-width W        ranknet: their width [64]\n"
    "  --pairs N             ranknet: per user and epoch, N draws of two training items; those of\n"
    "                        different grades make a pair, the higher grade preferred (graded data:\n"
    "                        a grade column, e.g. play counts or ratings) [16]\n"
    "  --negatives N         ranknet: per user and epoch, N pairs of a training item preferred to a\n"
    "                        sampled item the user has not interacted with [16]\n"
    "  --negative-sampling S ranknet: the unobserved items of those pairs: uniform, or model (in\n"
    "                        proportion to exp of the factorised score: the items at the top) [uniform]\n"
    "  --head-lr X           ranknet: the head's learning rate is --lr (--tune-lr) times X [0.03]\n"
    "  --rank-weight X       ranknet: weight of the pairwise loss (mean over a user's pairs) [1]\n"
    "  --softmax-weight X    ranknet: weight of the softmax loss on the factorised part [1]\n"
    "  --kind K              table kind of both tables [default: full, i.e. no compression]:\n"
    "                        full, hash, qr, memcom (short for memcom-learned-pop, the recommended\n"
    "                        memcom variant), memcom-plain (the paper: w[i]*U[i mod m]), memcom-pop\n"
    "                        (popular items own rows), memcom-learned (k-means buckets from a\n"
    "                        warm-up run), memcom-learned-pop (both). Compressed kinds need --ratio\n"
    "                        or --rows; --ratio without a compressed kind is refused\n"
    "  --in-kind K, --out-kind K   the kind of one table only\n"
    "  --ratio R             size the compressed tables to 1/R of the bytes of a full f32 table, in\n"
    "                        the bytes the rows are stored in (--dtype: int8 rows by default, so about\n"
    "                        4x the rows of f32 rows; the per-item scalars and bucket indices counted)\n"
    "  --rows M              or give the rows of the shared table directly (stored f32 by default)\n"
    "  --in-ratio R, --in-rows M   a different size for the input table\n"
    "  --pop-frac F          memcom-*pop: share of the rows given to popular items [0.5]\n"
    "  --scalar-dtype T      memcom per-item scalars f32 or f16 [f32 plain, f16 explicit-bucket variants]\n"
    "  --scalar-decay X      decay memcom per-item scalars towards 1 at this rate (helps very sparse\n"
    "                        catalogues, e.g. Amazon; 0 = off) [0]\n"
    "  --dim D               embedding dimension [64]\n"
    "  --layers L            extra dense tanh layers of size D [0]\n"
    "Training:\n"
    "  --epochs E            maximum epochs [100]\n"
    "  --patience P          stop after P epochs without validation improvement (0: never; data\n"
    "                        without validation interactions then trains all epochs, keeping the last) [10]\n"
    "  --batch B             users per mini-batch [500; use about 100 for a few thousand users]\n"
    "  --lr X                Adam learning rate [0.01]\n"
    "  --dropout X           input dropout [0.5]\n"
    "  --short-histories H   in each step, a share of the users (--short-share) get as input a short\n"
    "                        history instead: h items, h uniform in 1..H (at most all but one), drawn\n"
    "                        from their training items, without dropout; the targets are their other\n"
    "                        training items. For models that follow a few picks (0: off) [0]\n"
    "  --short-share F       with --short-histories: the share of users given a short history in\n"
    "                        each step, in (0, 1] [0.5]\n"
    "  --logit-adjust TAU    train the softmax on the logits s_i + TAU * log(pi_i), pi_i item i's\n"
    "                        share of the training interactions (add-one smoothed), so that the\n"
    "                        item vectors and output bias need not learn popularity. Training only:\n"
    "                        validation, evaluation, the written file and serving use s_i (0: off) [0]\n"
    "  --bias-prior TAU      start the output bias at TAU * log(pi_i) (pi_i as above) instead of 0; it\n"
    "                        is then trained and written as usual (a model started with --init-from\n"
    "                        keeps that model's bias) (0: off) [0]\n"
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
    "                        Every output must be a new or regular file that is not an input, in an\n"
    "                        existing writable directory; this is checked before training\n"
    "  --dtype T             table storage f32, f16 or i8 (int8, per-row scale) [i8 for a compressed\n"
    "                        table sized by --ratio/--in-ratio, f32 otherwise; --dtype f32 sizes and\n"
    "                        stores f32 rows]. The trainer trains in f32 and stores the rows in T\n"
    "  --bias-dtype T        output bias storage f32 or f16 [f16]\n"
    "  --string-ids          store item ids as strings (format 1.0, for readers older than 1.1);\n"
    "                        by default numeric ids are stored compactly (format 1.1)\n"
    "  --checkpoint FILE     also write FILE (f32) after every improving epoch, and the training\n"
    "                        state FILE.state (current and best parameters, Adam moments, random\n"
    "                        generators, early-stopping counters) after every epoch\n"
    "  --resume FILE         continue an interrupted run from checkpoint FILE (reads FILE.state;\n"
    "                        keeps checkpointing to FILE unless --checkpoint says otherwise). Give\n"
    "                        the same data and options; only --epochs may differ. The result is\n"
    "                        bit-identical to an uninterrupted run\n"
    "  --json FILE           write a JSON summary of the run to FILE ('-' = stdout)\n"
    "  --popularity P        record P in [0, 1] as the popularity control's serving default (1: rank\n"
    "                        as trained) instead of choosing it on the validation items after\n"
    "                        training (short histories at P = 0, 0.05, ..., 1: minutes on a large\n"
    "                        catalogue) [chosen]\n"
    "\n"
    "Progress goes to stderr: per epoch the loss, validation NDCG@20, elapsed time and time left:\n"
    "expected (early stopping taken into account; during a warm-up, warm-up and training) and at most.\n"
    "Ctrl-C or SIGTERM ends training after the current epoch: the best model so far is written to -o\n"
    "(atomically, as at a normal end), the training state to CHECKPOINT.state (or MODEL.state without\n"
    "--checkpoint), the command to resume is printed, and the exit status is 130 (SIGINT) or 143\n"
    "(SIGTERM). During a warm-up nothing is kept. A second signal aborts at once, writing nothing.\n"
    "Example:\n"
    "  memcom train --csv ratings.csv --header --min-rating 3.5 --kind memcom --ratio 16 -o movies.memcom\n";

/* ---- Ctrl-C / SIGTERM: the first ends training after the current epoch,
 * keeping the best model and the state; a second one aborts at once ---- */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    if (stop_signal) {   /* the second: abort now, as the default action does */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_signal = sig;
    static const char msg[] = "\nmemcom train: interrupted: finishing the current epoch, then writing the best model "
                              "so far and the training state (in a warm-up: nothing to keep); interrupt again to "
                              "abort at once, writing nothing\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* an argument as the shell reads it back */
static void print_shell_word(FILE *f, const char *a)
{
    int plain = a[0] != 0;
    for (const char *p = a; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:@%+", *p)) plain = 0;
    if (plain) {
        cli_print_text(f, a, strlen(a), 0);
        return;
    }
    fputc('\'', f);
    for (const char *p = a; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", f);
        else
            cli_print_text(f, p, 1, 0);
    }
    fputc('\'', f);
}

typedef struct train_cli {
    cli_data data;
    mt_run_opts ro;
} train_cli;

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
    const char *rank_opt = NULL;   /* a ranknet option given */
    int short_share_given = 0;
    for (c->i = 1; c->i < argc && !c->failed; c->i++) {
        const char *v;
        int r = cli_data_opt(c, &tc->data);
        if (r < 0) return 2;
        if (r > 0) continue;
        mt_train_opts *o = &tc->ro.train;
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
        } else if (cli_opt(c, "--model", &v)) {
            if (!v) return 2;
            if (strcmp(v, "dae") == 0) o->ranker = 0;
            else if (strcmp(v, "ranknet") == 0) o->ranker = 1;
            else return cli_error(c, "unknown --model '%s' (dae or ranknet)", v);
        } else if (cli_opt(c, "--head-layers", &v)) {
            if (cli_u32(c, "--head-layers", v, 0, MT_MAX_HEAD - 1, &o->head_layers)) return 2;
            rank_opt = "--head-layers";
        } else if (cli_opt(c, "--head-width", &v)) {
            if (cli_u32(c, "--head-width", v, 1, 4096, &o->head_width)) return 2;
            rank_opt = "--head-width";
        } else if (cli_opt(c, "--pairs", &v)) {
            if (cli_u32(c, "--pairs", v, 0, 4096, &o->rank.pairs)) return 2;
            rank_opt = "--pairs";
        } else if (cli_opt(c, "--negatives", &v)) {
            if (cli_u32(c, "--negatives", v, 0, 4096, &o->rank.negatives)) return 2;
            rank_opt = "--negatives";
        } else if (cli_opt(c, "--negative-sampling", &v)) {
            if (!v) return 2;
            if (mt_neg_sampling_parse(v, &o->rank.sampling))
                return cli_error(c, "unknown --negative-sampling '%s' (uniform or model)", v);
            rank_opt = "--negative-sampling";
        } else if (cli_opt(c, "--head-lr", &v)) {
            if (cli_f64(c, "--head-lr", v, 1e-6, 100, &x)) return 2;
            o->rank.head_lr = (float)x;
            rank_opt = "--head-lr";
        } else if (cli_opt(c, "--rank-weight", &v)) {
            if (cli_f64(c, "--rank-weight", v, 0, 1e6, &x)) return 2;
            o->rank.weight = (float)x;
            rank_opt = "--rank-weight";
        } else if (cli_opt(c, "--softmax-weight", &v)) {
            if (cli_f64(c, "--softmax-weight", v, 0, 1e6, &x)) return 2;
            o->rank.softmax_weight = (float)x;
            rank_opt = "--softmax-weight";
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
        } else if (cli_opt(c, "--short-histories", &v)) {
            if (cli_u32(c, "--short-histories", v, 0, 100000, &o->short_h)) return 2;
        } else if (cli_opt(c, "--short-share", &v)) {
            if (cli_f64(c, "--short-share", v, 1e-6, 1, &x)) return 2;
            o->short_share = (float)x;
            short_share_given = 1;
        } else if (cli_opt(c, "--logit-adjust", &v)) {
            if (cli_f64(c, "--logit-adjust", v, 0, 1e6, &x)) return 2;
            o->logit_adjust = (float)x;
        } else if (cli_opt(c, "--bias-prior", &v)) {
            if (cli_f64(c, "--bias-prior", v, 0, 1e6, &x)) return 2;
            o->bias_prior = (float)x;
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
            tc->ro.out = v;
        } else if (cli_opt(c, "--dtype", &v)) {
            if (cli_dtype(c, "--dtype", v, 1, &o->row_dtype)) return 2;
        } else if (cli_opt(c, "--bias-dtype", &v)) {
            if (cli_dtype(c, "--bias-dtype", v, 0, &tc->ro.bias_dtype)) return 2;
        } else if (cli_flag(c, "--string-ids")) {
            tc->ro.string_ids = 1;
        } else if (cli_opt(c, "--checkpoint", &v)) {
            if (!v) return 2;
            tc->ro.checkpoint = v;
        } else if (cli_opt(c, "--resume", &v)) {
            if (!v) return 2;
            tc->ro.resume = v;
        } else if (cli_opt(c, "--json", &v)) {
            if (!v) return 2;
            tc->ro.json = v;
        } else if (cli_opt(c, "--popularity", &v)) {
            double p;
            if (cli_f64(c, "--popularity", v, 0, 1, &p)) return 2;
            tc->ro.popularity = (float)p;
        } else {
            return cli_unknown(c);
        }
    }
    if (c->failed) return 2;
    if (cli_data_finish(c, &tc->data)) return 2;
    tc->ro.data = tc->data.o;
    const mt_train_opts *o = &tc->ro.train;
    if (!tc->ro.out) return cli_error(c, "no output file: give -o MODEL.memcom");
    if (rank_opt && !o->ranker) return cli_error(c, "%s is an option of the pairwise ranker: give --model ranknet", rank_opt);
    if (o->ranker && o->rank.pairs + o->rank.negatives == 0)
        return cli_error(c, "--pairs 0 --negatives 0 leaves the ranker no pairs to learn from");
    if (o->ranker && o->rank.weight == 0 && o->rank.softmax_weight == 0)
        return cli_error(c, "--rank-weight 0 --softmax-weight 0 leaves nothing to train");
    if (short_share_given && !o->short_h)
        return cli_error(c, "--short-share is the share of short histories: give --short-histories H too");
    if (o->ratio > 0 && o->rows) return cli_error(c, "give --ratio or --rows, not both");
    int needs_size = o->out_kind != MT_T_FULL || (o->in_kind >= 0 && o->in_kind != MT_T_FULL);
    int in_full = o->in_kind < 0 ? o->out_kind == MT_T_FULL : o->in_kind == MT_T_FULL;
    if (!needs_size && (o->ratio > 0 || o->rows || o->in_ratio > 0 || o->in_rows))
        return cli_error(c, "--ratio/--rows size compressed tables, but both tables are full (the default --kind, "
                            "no compression): give --kind memcom (or hash, qr, memcom-plain, ...)");
    if (in_full && !(o->ratio > 0) && !o->rows && (o->in_ratio > 0 || o->in_rows))
        return cli_error(c, "--in-ratio/--in-rows size the input table, which is full: give --in-kind");
    if (needs_size && !(o->ratio > 0) && !o->rows && !(o->in_ratio > 0) && !o->in_rows)
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
    mt_run_opts_default(&tc.ro);
    cli_ctx c = {"train", argc, argv, 0, 0};
    int rc = parse(&tc, argc, argv, &c);
    if (rc) return rc;
    tc.ro.stop = &stop_signal;   /* set by the handler catch_signals installs before training */
    const mt_run_opts *ro = &tc.ro;
    int quiet = ro->train.quiet;

    mt_err err;
    if (mt_run_check(ro, &err)) return cli_fail("train", &err);
    mt_dataset ds;
    double t0 = mt_now();
    if (mt_dataset_load(&ds, &ro->data, &err)) return cli_fail("train", &err);
    if (ds.note[0]) {   /* also with --quiet: how the file was read */
        fputs("memcom train: note: ", stderr);
        cli_print_text(stderr, ds.note, strlen(ds.note), 0);
        fputc('\n', stderr);
    }
    if (!quiet) {
        fputs("data ", stderr);
        cli_print_text(stderr, ds.name, strlen(ds.name), 0);
        fprintf(stderr, ": %u users, %u items, %llu train / %llu valid / %llu test interactions", ds.n_users,
                ds.n_items, (unsigned long long)ds.train.nnz, (unsigned long long)ds.valid.nnz,
                (unsigned long long)ds.test.nnz);
        if (ds.duplicates) fprintf(stderr, " (%llu repeated pairs counted once)", (unsigned long long)ds.duplicates);
        fprintf(stderr, " (%.1fs)\n", mt_now() - t0);
    }
    int v = mt_run_check_data(ro, &ds, &err);
    if (v < 0) {
        mt_dataset_free(&ds);
        return cli_fail("train", &err);
    }
    if (v > 0)
        fprintf(stderr, "memcom train: note: the data has no validation interactions: no early stopping; all %u "
                        "epochs run and the model after the last is kept (--patience 0)\n",
                ro->train.epochs);
    mt_run_result res;
    catch_signals();
    rc = mt_run(ro, &ds, &res, &err);
    if (rc) {
        mt_run_result_free(&res);
        mt_dataset_free(&ds);
        cli_fail("train", &err);
        return err.code == MT_E_INTERRUPTED ? 128 + (int)stop_signal : 1;
    }
    if (!quiet) {
        const mt_train_result *tr = &res.train;
        fprintf(stderr, "best epoch %u of %u, %.1fs (%.3fs per epoch)\n", tr->best_epoch, tr->epochs_run, tr->seconds,
                tr->sec_per_epoch);
        cli_print_metrics(stderr, "valid", &tr->valid);
        cli_print_metrics(stderr, "test", &tr->test);
        if (res.have_file_test) cli_print_metrics(stderr, "file", &res.file_test);
        uint64_t table_bytes = res.input_bytes + res.output_bytes;
        fputs("wrote ", stderr);
        cli_print_text(stderr, ro->out, strlen(ro->out), 0);
        fprintf(stderr, ": %llu bytes, %.2fx smaller than with full f32 tables and bias (item tables %llu bytes, "
                        "%.2fx smaller than f32 full tables)\n",
                (unsigned long long)res.file_bytes, mt_ratio(res.full_file_bytes, res.file_bytes),
                (unsigned long long)table_bytes, mt_ratio(res.full_f32_bytes, table_bytes));
    }
    if (ro->json && strcmp(ro->json, "-") == 0) fputs(res.summary, stdout);
    int interrupted = res.interrupted;
    if (interrupted) {
        fprintf(stderr, "memcom train: interrupted after epoch %u: wrote the best model so far (epoch %u) to ",
                res.train.epochs_run, res.train.best_epoch);
        cli_print_text(stderr, ro->out, strlen(ro->out), 0);
        if (res.state_path[0]) {
            fputs(" and the training state to ", stderr);
            cli_print_text(stderr, res.state_path, strlen(res.state_path), 0);
            fputs(". To continue, run the same command with --resume ", stderr);
            print_shell_word(stderr, res.resume_from);
            fputs(":\n  memcom train", stderr);
            int has_resume = 0;
            for (int i = 1; i < argc; i++) {
                fputc(' ', stderr);
                print_shell_word(stderr, argv[i]);
                has_resume |= strcmp(argv[i], "--resume") == 0 || strncmp(argv[i], "--resume=", 9) == 0;
            }
            if (!has_resume) {
                fputs(" --resume ", stderr);
                print_shell_word(stderr, res.resume_from);
            }
        }
        fputc('\n', stderr);
    }
    mt_run_result_free(&res);
    mt_dataset_free(&ds);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "memcom train: cannot write the summary to standard output\n");
        return 1;
    }
    return interrupted ? 128 + (int)stop_signal : 0;
}
