/* run.c - a whole training run as `memcom train` does it: check the outputs,
 * check the data can be early-stopped on, train (checkpointing), evaluate
 * the model as it will be stored (in memory, through the public API), write
 * the model file once, and build the JSON summary. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "train.h"

void mt_run_opts_default(mt_run_opts *ro)
{
    memset(ro, 0, sizeof *ro);
    mt_data_opts_default(&ro->data);
    mt_train_opts_default(&ro->train);
    ro->bias_dtype = MEMCOM_DTYPE_F16;
    ro->popularity = -1.0f;
}

static char *with_suffix(const char *path, const char *suffix)
{
    size_t l = strlen(path), s = strlen(suffix);
    char *p = mt_xmalloc(l + s + 1);
    memcpy(p, path, l);
    memcpy(p + l, suffix, s + 1);
    return p;
}

/* The files of a run: checkpoint defaults to the one resumed from. */
typedef struct run_paths {
    const char *checkpoint;
    char *state_in, *state_out;
    char *interrupt_state;   /* without a checkpoint: OUT.state, written if interrupted */
} run_paths;

static void paths_init(run_paths *p, const mt_run_opts *ro)
{
    memset(p, 0, sizeof *p);
    p->checkpoint = ro->checkpoint ? ro->checkpoint : ro->resume;
    if (ro->resume) p->state_in = with_suffix(ro->resume, ".state");
    if (p->checkpoint) p->state_out = with_suffix(p->checkpoint, ".state");
    if (!p->checkpoint && ro->out && ro->stop) p->interrupt_state = with_suffix(ro->out, ".state");
}

static void paths_free(run_paths *p)
{
    free(p->state_in);
    free(p->state_out);
    free(p->interrupt_state);
}

static int check_outputs(const mt_run_opts *ro, const run_paths *p, mt_err *err)
{
    if (!ro->out) return mt_fail(err, MT_E_OPTION, "no output file: give -o MODEL.memcom");
    const char *json = ro->json && strcmp(ro->json, "-") != 0 ? ro->json : NULL;
    mt_path outs[5] = {
        {ro->out, "the output model -o", 0},
        {p->checkpoint, "the checkpoint", 1},   /* --checkpoint F -o F: one file, rewritten */
        {p->state_out, "the training state", 0},
        {json, "the --json summary", 0},
        {p->interrupt_state, "the training state kept if interrupted", 0},
    };
    const mt_data_opts *d = &ro->data;
    mt_path ins[6] = {
        {d->format == MT_FMT_SPLIT ? d->train_path : d->path, "data file", 0},
        {d->format == MT_FMT_SPLIT ? d->valid_path : NULL, "validation data file", 0},
        {d->format == MT_FMT_SPLIT ? d->test_path : NULL, "test data file", 0},
        {ro->train.init_from, "--init-from model", 0},
        {p->state_in, "training state resumed from", 3},   /* --resume F updates F.state */
        {NULL, NULL, 0},
    };
    return mt_check_outputs(outs, 5, ins, 5, err);
}

int mt_run_check(const mt_run_opts *ro, mt_err *err)
{
    const mt_train_opts *o = &ro->train;
    if (!(o->logit_adjust >= 0 && o->logit_adjust <= 1e6f))   /* also NaN */
        return mt_fail(err, MT_E_OPTION, "logit adjustment %g: give a finite TAU >= 0 (0: the plain softmax)",
                       (double)o->logit_adjust);
    if (!(o->bias_prior >= 0 && o->bias_prior <= 1e6f))
        return mt_fail(err, MT_E_OPTION, "bias prior %g: give a finite TAU >= 0 (0: the bias starts at 0)",
                       (double)o->bias_prior);
    run_paths p;
    paths_init(&p, ro);
    int rc = check_outputs(ro, &p, err);
    paths_free(&p);
    return rc;
}

int mt_run_check_data(const mt_run_opts *ro, const mt_dataset *ds, mt_err *err)
{
    if (ds->valid.nnz) return 0;
    if (ro->train.patience == 0) return 1;   /* asked for: every epoch, the last kept */
    const char *todo = "The best epoch is chosen on validation NDCG@20, so training would keep an arbitrary model. ";
    const char *alt = "or give --patience 0 to train all --epochs epochs and keep the last (no early stopping)";
    const mt_data_opts *d = &ro->data;
    if (d->format == MT_FMT_SPLIT)
        return mt_fail(err, MT_E_NO_VALID, "no validation interactions (%s%s). %sGive a validation file (--valid F, "
                                           "or valid.txt in --data DIR), %s",
                       d->valid_path ? d->valid_path : "no --valid file given",
                       d->valid_path ? " has none that are not in the training file" : "", todo, alt);
    uint64_t most = 0;
    for (uint32_t u = 0; u < ds->n_users; u++) {
        uint64_t c = (ds->train.off[u + 1] - ds->train.off[u]) + (ds->test.off[u + 1] - ds->test.off[u]);
        if (c > most) most = c;
    }
    double v = 100 * d->valid_frac, e = 100 * d->test_frac;
    return mt_fail(err, MT_E_NO_VALID,
                   "%s: the per-user split %g/%g/%g left no validation interactions: the most interactions any "
                   "of the %u users has is %llu, too few to hold one out for validation. %sUse data with more "
                   "interactions per user, a larger validation share (--split), %s",
                   d->path, 100 - v - e, v, e, ds->n_users, (unsigned long long)most, todo, alt);
}

/* ---- metadata and summary ---- */

void mt_buf_json_metrics(mt_buf *b, const mt_metrics *m)
{
    mt_buf_printf(b, "{\"users\":%u", m->users);
    for (int k = 0; k < MT_N_KS; k++) mt_buf_printf(b, ",\"recall@%u\":%.6f", mt_eval_ks[k], m->recall[k]);
    for (int k = 0; k < MT_N_KS; k++) mt_buf_printf(b, ",\"ndcg@%u\":%.6f", mt_eval_ks[k], m->ndcg[k]);
    if (m->graded)   /* gain log2(1 + grade) (mt_gain) */
        for (int k = 0; k < MT_N_KS; k++) mt_buf_printf(b, ",\"graded_ndcg@%u\":%.6f", mt_eval_ks[k], m->gndcg[k]);
    mt_buf_printf(b, "}");
}

static const char *const format_names[3] = {"split-files", "csv", "seq"};

void mt_buf_json_provenance(mt_buf *b, const mt_dataset *ds)
{
    mt_buf_printf(b, "{\"format\":\"%s\",\"file\":", format_names[ds->format >= 0 && ds->format < 3 ? ds->format : 0]);
    mt_buf_json_string(b, ds->file);
    mt_buf_printf(b, ",\"file_bytes\":%llu,\"pairs\":%llu,\"duplicates\":%llu,\"hash\":\"%016llx\",\"split_hash\":\"%016llx\"}",
                  (unsigned long long)ds->file_bytes, (unsigned long long)ds->pairs,
                  (unsigned long long)ds->duplicates, (unsigned long long)ds->data_hash,
                  (unsigned long long)ds->split_hash);
}

static const char *dtype_name(int t) /* a storage type (0: not given, f32) */
{
    const char *s = memcom_enum_name(MEMCOM_NAMES_DTYPE, t ? (uint32_t)t : MEMCOM_DTYPE_F32);
    return s ? s : "?";
}

static void json_options(mt_buf *b, const mt_run_opts *ro, const mt_train_result *res)
{
    const mt_train_opts *o = &ro->train;
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
                  (double)(o->tune_lr > 0 ? o->tune_lr : 0.3f * o->lr), (unsigned long long)o->seed);
    if (o->short_h)
        mt_buf_printf(b, ",\"short_histories\":%u,\"short_share\":%g", o->short_h, (double)o->short_share);
    if (o->logit_adjust > 0) mt_buf_printf(b, ",\"logit_adjust\":%g", (double)o->logit_adjust);
    if (o->bias_prior > 0) mt_buf_printf(b, ",\"bias_prior\":%g", (double)o->bias_prior);
    if (o->ranker)
        mt_buf_printf(b, ",\"model\":\"ranknet\",\"head_layers\":%u,\"head_width\":%u,\"pairs\":%u,\"negatives\":%u,"
                         "\"negative_sampling\":\"%s\",\"rank_weight\":%g,\"softmax_weight\":%g,\"head_lr\":%g",
                      o->head_layers, o->head_width, o->rank.pairs, o->rank.negatives,
                      mt_neg_sampling_name(o->rank.sampling), (double)o->rank.weight, (double)o->rank.softmax_weight,
                      (double)o->rank.head_lr);
    if (o->init_from) {
        mt_buf_printf(b, ",\"init_from\":");
        mt_buf_json_string(b, mt_base_name(o->init_from));
    }
    mt_buf_printf(b, ",\"bias_dtype\":\"%s\",\"ids\":\"%s\"", dtype_name(ro->bias_dtype),
                  memcom_enum_name(MEMCOM_NAMES_ID_ENCODING, ro->string_ids ? MEMCOM_IDS_STRINGS : MEMCOM_IDS_COMPACT));
    mt_buf_printf(b, ",\"dtype\":\"%s\",\"in_dtype\":\"%s\",\"split_seed\":%llu,\"split\":[%g,%g,%g]}",
                  dtype_name(mo->out_size.row_dtype), dtype_name(mo->in_size.row_dtype),
                  (unsigned long long)ro->data.seed, 100 * (1 - ro->data.valid_frac - ro->data.test_frac),
                  100 * ro->data.valid_frac, 100 * ro->data.test_frac);
}

/* The model file's metadata; test_file: metrics of the stored (quantised) model. */
static char *build_metadata(const mt_run_opts *ro, const mt_dataset *ds, const mt_train_result *res,
                            const mt_metrics *test_file, const mt_pop_choice *serving, int final)
{
    mt_buf b = {0};
    char when[64];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    mt_buf_printf(&b, "{\"dataset\":");
    mt_buf_json_string(&b, ds->name);
    mt_buf_printf(&b, ",\"users\":%u,\"items\":%u,\"options\":", ds->n_users, ds->n_items);
    json_options(&b, ro, res);
    mt_buf_printf(&b, ",\"data\":");
    mt_buf_json_provenance(&b, ds);
    mt_buf_printf(&b, ",\"metrics\":{\"valid\":");
    mt_buf_json_metrics(&b, &res->valid);
    mt_buf_printf(&b, ",\"test\":");
    mt_buf_json_metrics(&b, test_file ? test_file : &res->test);
    if (test_file) {
        mt_buf_printf(&b, ",\"test_f32\":");
        mt_buf_json_metrics(&b, &res->test);
    }
    mt_buf_printf(&b, "},\"training\":{\"best_epoch\":%u,\"epochs_run\":%u,\"seconds\":%.2f,\"warmup_seconds\":%.2f,"
                      "\"sec_per_epoch\":%.4f,\"final\":%s%s}",
                  res->best_epoch, res->epochs_run, res->seconds, res->warmup_seconds, res->sec_per_epoch,
                  final ? "true" : "false", res->interrupted ? ",\"interrupted\":true" : "");
    if (serving) mt_buf_json_serving(&b, serving);
    mt_buf_printf(&b, ",\"created\":\"%s\",\"memcom_version\":\"%s\"}", when, memcom_version_string());
    return b.p;
}

static char *build_summary(const mt_run_opts *ro, const mt_dataset *ds, const mt_run_result *r)
{
    const mt_train_result *res = &r->train;
    mt_buf b = {0};
    mt_buf_printf(&b, "{\"model\":");
    mt_buf_json_string(&b, ro->out);
    mt_buf_printf(&b, ",\"dataset\":");
    mt_buf_json_string(&b, ds->name);
    mt_buf_printf(&b, ",\"items\":%u,\"options\":", ds->n_items);
    json_options(&b, ro, res);
    mt_buf_printf(&b, ",\"data\":");
    mt_buf_json_provenance(&b, ds);
    mt_buf_printf(&b, ",\"valid\":");
    mt_buf_json_metrics(&b, &res->valid);
    mt_buf_printf(&b, ",\"test\":");
    mt_buf_json_metrics(&b, r->have_file_test ? &r->file_test : &res->test);
    mt_buf_printf(&b, ",\"test_f32\":");
    mt_buf_json_metrics(&b, &res->test);
    mt_buf_printf(&b,
                  ",\"file_bytes\":%llu,\"table_bytes\":%llu,\"input_bytes\":%llu,\"output_bytes\":%llu,"
                  "\"full_f32_bytes\":%llu,\"full_file_bytes\":%llu,\"table_ratio\":%.4f,\"file_ratio\":%.4f,\"seconds\":%.2f,"
                  "\"warmup_seconds\":%.2f,\"sec_per_epoch\":%.4f,\"best_epoch\":%u,\"epochs_run\":%u%s",
                  (unsigned long long)r->file_bytes, (unsigned long long)(r->input_bytes + r->output_bytes),
                  (unsigned long long)r->input_bytes, (unsigned long long)r->output_bytes,
                  (unsigned long long)r->full_f32_bytes, (unsigned long long)r->full_file_bytes,
                  mt_ratio(r->full_f32_bytes, r->input_bytes + r->output_bytes), mt_ratio(r->full_file_bytes, r->file_bytes),
                  res->seconds, res->warmup_seconds, res->sec_per_epoch,
                  res->best_epoch, res->epochs_run, res->interrupted ? ",\"interrupted\":true" : "");
    if (r->have_serving) mt_buf_json_serving(&b, &r->serving);
    mt_buf_printf(&b, "}\n");
    return b.p;
}

/* ---- the run ---- */

typedef struct ckpt_ctx {
    const mt_run_opts *ro;
    const mt_dataset *ds;
    const char *path;
    uint32_t written;
} ckpt_ctx;

/* after every improving epoch: the model as it is (f32) */
static int checkpoint_cb(const mt_model *mdl, uint32_t epoch, const mt_metrics *valid, void *ctx, mt_err *err)
{
    ckpt_ctx *c = ctx;
    mt_train_result r;
    memset(&r, 0, sizeof r);
    r.valid = *valid;
    r.best_epoch = epoch;
    r.mopts.in_kind = mdl->in.kind;
    r.mopts.out_kind = mdl->out.kind;
    r.mopts.in_size.m = mdl->in.m;
    r.mopts.out_size.m = mdl->out.m;
    char *meta = build_metadata(c->ro, c->ds, &r, NULL, NULL, 0);
    mt_export_opts eo = {MEMCOM_DTYPE_F32, meta, MEMCOM_DTYPE_F32, c->ro->string_ids};
    int rc = mt_export_model(mdl, c->ds, c->path, &eo, err);
    free(meta);
    if (rc) {
        char msg[sizeof err->msg];
        memcpy(msg, err->msg, sizeof msg);
        return mt_fail(err, MT_E_WRITE, "checkpoint at epoch %u: %s", epoch, msg);
    }
    c->written++;
    return 0;
}

/* Serialise with the metadata of res (and file_test), into *buf. */
static int serialise(const mt_run_opts *ro, const mt_dataset *ds, const mt_model *mdl, const mt_train_result *res,
                     const mt_metrics *file_test, const mt_pop_choice *serving, void **buf, size_t *size, mt_err *err)
{
    char *meta = build_metadata(ro, ds, res, file_test, serving, !res->interrupted);
    mt_export_opts eo = {0, meta, ro->bias_dtype, ro->string_ids};   /* each table's storage (mt_tsize) */
    int rc = mt_export_bytes(mdl, ds, &eo, buf, size, err);
    free(meta);
    return rc;
}

/* Measures what will be served: the serialised model, opened through the
 * public API (sizes; metrics of the stored model when its tables or its
 * output bias are not f32). */
static int measure(const mt_run_opts *ro, const mt_dataset *ds, const void *buf, size_t size, mt_run_result *r,
                   mt_err *err)
{
    memcom_model *h[2] = {NULL, NULL};
    int nh = ro->train.threads > 1 ? 2 : 1, rc = 0;
    char detail[512] = "";
    for (int t = 0; t < nh && !rc; t++) {
        int orc = memcom_open(&h[t], buf, size, 0, 0, detail, sizeof detail);
        if (orc != MEMCOM_OK)
            rc = mt_fail(err, MT_E_WRITE, "the serialised model does not open: %s%s%s", memcom_error_message(orc),
                         detail[0] ? ": " : "", detail);
    }
    if (!rc) {
        memcom_info info;
        memcom_get_info(h[0], &info);
        r->input_bytes = info.input_bytes;
        r->output_bytes = info.output_bytes;
        r->full_f32_bytes = info.full_f32_bytes;
        r->full_file_bytes = info.full_file_bytes;
        r->file_bytes = info.file_bytes;
        int quantised = info.output.row_dtype != MEMCOM_DTYPE_F32 ||
                        (info.input.kind != MEMCOM_KIND_NONE && info.input.row_dtype != MEMCOM_DTYPE_F32);
        if ((quantised || ro->bias_dtype != MEMCOM_DTYPE_F32) && ds->test.nnz) {
            rc = mt_evaluate_file(h, nh, ds, &ds->test, 1.0f, &r->file_test, NULL, NULL, err);
            r->have_file_test = rc == 0;
        }
        /* the popularity control's default, on the validation items (a
         * finished run with an input table) */
        if (!rc && ds->valid.nnz && !r->train.interrupted && info.input.kind != MEMCOM_KIND_NONE) {
            FILE *log = ro->train.quiet ? NULL : stderr;
            if (ro->popularity >= 0) { /* given: recorded as it is, nothing measured */
                memset(&r->serving, 0, sizeof r->serving);
                r->serving.curve[0].p = ro->popularity;
                r->serving.given = 1;
            } else {
                if (log) fprintf(log, "choosing the popularity default on the validation items\n");
                rc = mt_choose_popularity(h[0], ds, &ds->valid, log, &r->serving, err);
            }
            r->have_serving = rc == 0;
            if (rc && err->code == MT_E_DATA) { /* too little data to choose on: no default */
                if (log) fprintf(log, "no popularity default: %s\n", err->msg);
                rc = 0;
            }
            if (r->have_serving && ds->test.nnz) {
                rc = mt_evaluate_file(h, nh, ds, &ds->test, r->serving.curve[r->serving.chosen].p, &r->serving.test,
                                      NULL, NULL, err);
                r->serving.have_test = rc == 0;
            }
        }
    }
    for (int t = 0; t < nh; t++) memcom_close(h[t]);
    return rc;
}

int mt_run(const mt_run_opts *ro, const mt_dataset *ds, mt_run_result *r, mt_err *err)
{
    memset(r, 0, sizeof *r);
    run_paths p;
    paths_init(&p, ro);
    if (check_outputs(ro, &p, err) || mt_run_check_data(ro, ds, err) < 0) {
        paths_free(&p);
        return -1;
    }
    r->no_valid = ds->valid.nnz == 0;
    mt_train_opts to = ro->train;
    ckpt_ctx cc = {ro, ds, p.checkpoint, 0};
    to.resume = p.state_in;
    to.state_out = p.state_out;
    to.stop = ro->stop;
    to.interrupt_state = p.interrupt_state;
    if (p.checkpoint) {
        to.on_improve = checkpoint_cb;
        to.ctx = &cc;
    }
    mt_model mdl;
    int rc = mt_train(&mdl, ds, &to, &r->train, err);
    if (rc) {
        struct stat st;
        size_t l = strlen(err->msg);
        if (err->code == MT_E_DIVERGED && p.checkpoint && stat(p.checkpoint, &st) == 0 && l < sizeof err->msg)
            snprintf(err->msg + l, sizeof err->msg - l,
                     "; the last good checkpoint %s (best epoch so far) and its state %s are kept", p.checkpoint,
                     p.state_out);
        paths_free(&p);
        return -1;
    }
    r->interrupted = r->train.interrupted;
    if (r->train.state_written)
        snprintf(r->state_path, sizeof r->state_path, "%s", r->train.state_written);
    r->train.state_written = NULL;   /* pointed into p */
    r->resume_from[0] = 0;
    if (r->interrupted && (p.checkpoint || ro->out))
        snprintf(r->resume_from, sizeof r->resume_from, "%s", p.checkpoint ? p.checkpoint : ro->out);
    paths_free(&p);
    void *buf = NULL;
    size_t size = 0;
    rc = serialise(ro, ds, &mdl, &r->train, NULL, NULL, &buf, &size, err);
    if (!rc) rc = measure(ro, ds, buf, size, r, err);
    if (!rc && (r->have_file_test || r->have_serving)) {   /* the metadata records these too */
        memcom_free(buf);
        buf = NULL;
        rc = serialise(ro, ds, &mdl, &r->train, r->have_file_test ? &r->file_test : NULL,
                       r->have_serving ? &r->serving : NULL, &buf, &size, err);
    }
    if (!rc) rc = mt_write_atomic(ro->out, buf, size, err);
    memcom_free(buf);
    mt_model_free(&mdl);
    if (rc) return -1;
    r->full_file_bytes = r->full_file_bytes - r->file_bytes + size; /* the metadata may have grown since measure() */
    r->file_bytes = size;
    r->summary = build_summary(ro, ds, r);
    if (ro->json && strcmp(ro->json, "-") != 0 && mt_write_atomic(ro->json, r->summary, strlen(r->summary), err)) {
        char msg[sizeof err->msg];
        memcpy(msg, err->msg, sizeof msg);
        return mt_fail(err, MT_E_WRITE, "the model was written to %s, but the --json summary was not: %s", ro->out,
                       msg);
    }
    return 0;
}

void mt_run_result_free(mt_run_result *r)
{
    free(r->summary);
    r->summary = NULL;
}
