/* trainer.c - the training loop: data-parallel mini-batches over threads,
 * Adam, per-epoch validation with early stopping (the best epoch's
 * parameters are kept), and the warm-up + k-means initialisation of the
 * learned-bucket memcom variants. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

#define MAX_THREADS 16

void mt_train_opts_default(mt_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->in_kind = -1;
    o->out_kind = MT_T_FULL;
    o->pop_frac = 0.5;
    o->d = 64;
    o->n_dense = 0;
    o->epochs = 100;
    o->batch = 500;
    o->patience = 10;
    o->warmup_epochs = 30;
    o->lr = 0.01f;
    o->dropout = 0.5f;
    o->short_share = 0.5f;
    o->weight_decay = 1.0f;
    o->seed = 1;
    o->threads = 2;
    o->head_layers = 0;
    o->head_width = 64;
    o->rank = (mt_rank_opts){16, 16, 1.0f, 1.0f, MT_NEG_UNIFORM, 0.03f};
}

typedef struct shard_job {
    mt_model *mdl;
    mt_work *work;
    const mt_csr *hist;
    const uint32_t *users;
    uint32_t b;
    float dropout, scale;
    /* adam phase */
    mt_adam *adam;
    mt_work *works;
    int n_works, part;
    int phase;
} shard_job;

static void *shard_thread(void *arg)
{
    shard_job *j = arg;
    if (j->phase == 0) {
        mt_work_zero_grad(j->work, j->mdl);
        if (j->b) {
            mt_dae_forward(j->mdl, j->work, j->hist, j->users, j->b, j->dropout, 1);
            mt_dae_backward(j->mdl, j->work, j->hist, j->users, j->b, j->scale);
        }
    } else {
        mt_adam_update(j->adam, j->mdl, j->works, j->n_works, j->part, j->n_works);
    }
    return NULL;
}

static void run_parallel(shard_job *jobs, int n)
{
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 1; t < n; t++) started[t] = pthread_create(&th[t], NULL, shard_thread, &jobs[t]) == 0;
    shard_thread(&jobs[0]);
    for (int t = 1; t < n; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            shard_thread(&jobs[t]);
    }
}

static FILE *logf_of(const mt_train_opts *o) { return o->log ? o->log : stderr; }

/* Fill st with pointers into the live run (for mt_state_write). */
static void state_view(mt_fit_state *st, const mt_model *mdl, float **best, const mt_work *works, int nt,
                       const mt_rng *rng, const mt_adam *adam, uint32_t *users, uint32_t nu)
{
    st->n_works = nt;
    for (int t = 0; t < nt; t++) st->work_rng[t] = works[t].rng;
    st->rng = *rng;
    st->adam_step = adam->step;
    st->nu = nu;
    st->users = users;
    st->n_items = mdl->n;
    st->in_bucket = mdl->in.bucket;
    st->out_bucket = mdl->out.bucket;
    st->n_params = mdl->n_params;
    for (int k = 0; k < mdl->n_params; k++) {
        st->len[k] = mdl->params[k].len;
        st->v[k] = mdl->params[k].v;
        st->m1[k] = mdl->params[k].m1;
        st->m2[k] = mdl->params[k].m2;
        st->best[k] = best[k];
    }
}

/* Train mdl for up to max_epochs; early stopping if patience > 0.  The main
 * run (allow_callback) writes its state to o->state_out after every epoch and
 * continues from `resume` when given. */
/* The expected epoch at which a run with early stopping ends, seen after
 * `epoch` with best epoch b, the previous best epoch b_prev and `since`
 * epochs without improvement: the next improvement is expected as long
 * after b as the last gap g = b - b_prev took, then patience P more epochs:
 * b + g + P while since < g, else b + P (no improvement came when expected);
 * at least `epoch`, at most `cap`. */
uint32_t mt_expected_end(uint32_t epoch, uint32_t b, uint32_t b_prev, uint32_t since, uint32_t patience,
                         uint32_t cap)
{
    if (!patience) return cap;
    uint64_t g = b > b_prev ? b - b_prev : 1;
    uint64_t end = (uint64_t)b + patience + (since < g ? g : 0);
    if (end < epoch) end = epoch;
    return end > cap ? cap : (uint32_t)end;
}

static int write_state(const char *path, const char *options, uint32_t epoch, uint32_t best_epoch, uint32_t since,
                       int tuned, double best_ndcg, double train_time, const mt_model *mdl, float **best,
                       const mt_work *works, int nt, const mt_rng *rng, const mt_adam *adam, uint32_t *users,
                       uint32_t nu, mt_err *err)
{
    mt_fit_state st;
    memset(&st, 0, sizeof st);
    st.options = (char *)options;
    st.epoch = epoch;
    st.best_epoch = best_epoch;
    st.since = since;
    st.tuned = (uint32_t)tuned;
    st.best_metric = best_ndcg;
    st.train_time = train_time;
    state_view(&st, mdl, best, works, nt, rng, adam, users, nu);
    if (mt_state_write(path, &st, err)) {
        char msg[sizeof err->msg];
        memcpy(msg, err->msg, sizeof msg);
        return mt_fail(err, MT_E_WRITE, "checkpoint state after epoch %u: %s", epoch, msg);
    }
    return 0;
}

/* then_epochs: a warm-up, followed by a main run of at most then_epochs
 * epochs (its time is part of the estimate of the time left). */
static int fit(mt_model *mdl, const mt_dataset *ds, const mt_train_opts *o, uint32_t max_epochs,
               uint32_t patience, const char *label, int allow_callback, const mt_fit_state *resume,
               const char *options, int tuned, uint32_t then_epochs, mt_train_result *res, mt_err *err)
{
    int nt = o->threads < 1 ? 1 : (o->threads > MAX_THREADS ? MAX_THREADS : o->threads);
    uint32_t batch = o->batch ? o->batch : 500;
    uint32_t shard_cap = (batch + (uint32_t)nt - 1) / (uint32_t)nt;
    mt_work works[MAX_THREADS];
    for (int t = 0; t < nt; t++) {
        mt_work_init(&works[t], mdl, shard_cap, o->seed * 7919 + (uint64_t)t + 11);
        works[t].rank = mdl->n_head ? &o->rank : NULL;
        works[t].short_h = o->short_h;
        works[t].short_share = o->short_share;
        works[t].logit_adj = mt_logit_adjust(&ds->train, mdl->n, o->logit_adjust);
    }
    uint32_t *users = mt_xmalloc((size_t)(ds->n_users ? ds->n_users : 1) * sizeof *users);
    uint32_t nu = 0;
    for (uint32_t u = 0; u < ds->n_users; u++)
        if (ds->train.off[u + 1] > ds->train.off[u]) users[nu++] = u;
    if (nu == 0) {
        free(users);
        for (int t = 0; t < nt; t++) mt_work_free(&works[t], mdl);
        return mt_fail(err, MT_E_DATA, "no user has training interactions");
    }
    mt_rng rng;
    mt_rng_seed(&rng, o->seed ^ 0xE90C);
    mt_adam adam = {o->lr, 0.9f, 0.999f, 1e-8f, o->weight_decay, 0};
    float **best = mt_xcalloc((size_t)mdl->n_params, sizeof *best);
    for (int k = 0; k < mdl->n_params; k++) best[k] = mt_xmalloc(mdl->params[k].len * sizeof(float));
    double best_ndcg = -1, t0 = mt_now(), train_time = 0;
    uint32_t best_epoch = 0, prev_best = 0, since = 0, epoch, first = 1;
    int have_valid = ds->valid.nnz > 0, stopped = 0;
    FILE *lf = logf_of(o);
    if (resume) {
        if (resume->nu != nu || resume->n_works != nt) {
            for (int k = 0; k < mdl->n_params; k++) free(best[k]);
            free(best);
            free(users);
            for (int t = 0; t < nt; t++) mt_work_free(&works[t], mdl);
            return mt_fail(err, MT_E_STATE, "%s: training state does not fit this run (%u users, %d threads; run has %u, %d)",
                           o->resume, resume->nu, resume->n_works, nu, nt);
        }
        for (uint32_t i = 0; i < nu; i++) users[i] = resume->users[i] < ds->n_users ? resume->users[i] : 0;
        for (int t = 0; t < nt; t++) works[t].rng = resume->work_rng[t];
        rng = resume->rng;
        adam.step = resume->adam_step;
        for (int k = 0; k < mdl->n_params; k++) {
            size_t bytes = mdl->params[k].len * sizeof(float);
            memcpy(mdl->params[k].v, resume->v[k], bytes);
            memcpy(mdl->params[k].m1, resume->m1[k], bytes);
            memcpy(mdl->params[k].m2, resume->m2[k], bytes);
            memcpy(best[k], resume->best[k], bytes);
        }
        best_ndcg = resume->best_metric;
        best_epoch = resume->best_epoch;
        since = resume->since;
        train_time = resume->train_time;
        first = resume->epoch + 1;
        stopped = patience && since >= patience;
        if (!o->quiet)
            fprintf(lf, "%s resumed after epoch %u (best epoch %u)\n", label, resume->epoch, best_epoch);
    }
    for (epoch = first; !stopped && epoch <= max_epochs; epoch++) {
        double te = mt_now();
        mt_shuffle_u32(&rng, users, nu);
        double loss = 0;
        for (uint32_t s = 0; s < nu; s += batch) {
            uint32_t b = nu - s < batch ? nu - s : batch;
            shard_job jobs[MAX_THREADS];
            uint32_t per = (b + (uint32_t)nt - 1) / (uint32_t)nt;
            for (int t = 0; t < nt; t++) {
                uint32_t lo = (uint32_t)t * per, hi = lo + per;
                if (lo > b) lo = b;
                if (hi > b) hi = b;
                jobs[t] = (shard_job){mdl, &works[t], &ds->train, users + s + lo, hi - lo, o->dropout,
                                      1.0f / (float)b, &adam, works, nt, t, 0};
            }
            run_parallel(jobs, nt);
            for (int t = 0; t < nt; t++) loss += works[t].loss;
            adam.step++;
            for (int t = 0; t < nt; t++) jobs[t].phase = 1;
            run_parallel(jobs, nt);
        }
        loss /= nu;
        double tr = mt_now() - te;
        train_time += tr;
        int finite = isfinite(loss);
        for (int k = 0; finite && k < mdl->n_params; k++)
            for (size_t i = 0; i < mdl->params[k].len; i++)
                if (!isfinite(mdl->params[k].v[i])) {
                    finite = 0;
                    break;
                }
        if (!finite) {
            for (int t = 0; t < nt; t++) mt_work_free(&works[t], mdl);
            free(users);
            for (int k = 0; k < mdl->n_params; k++) free(best[k]);
            free(best);
            return mt_fail(err, MT_E_DIVERGED, "training diverged at epoch %u (loss or parameters not finite); lower --lr", epoch);
        }
        mt_metrics vm = {0};
        double ndcg20;
        if (have_valid) {
            mt_evaluate(mdl, ds, &ds->valid, nt, &vm);
            ndcg20 = vm.ndcg[1];
        } else {
            /* no validation data (only with --patience 0, see mt_run): every
             * epoch is taken, so the model after the last one is kept */
            ndcg20 = (double)epoch;
        }
        int improved = ndcg20 > best_ndcg;
        if (improved) {
            best_ndcg = ndcg20;
            prev_best = best_epoch;
            best_epoch = epoch;
            since = 0;
            for (int k = 0; k < mdl->n_params; k++)
                memcpy(best[k], mdl->params[k].v, mdl->params[k].len * sizeof(float));
        } else {
            since++;
        }
        double el = mt_now() - t0, per_epoch = el / (epoch - first + 1);
        /* time left: expected (early stopping, expected_end) and at most;
         * a warm-up adds the main run: at most then_epochs, expected as many
         * epochs as the warm-up itself is expected to take without its cap */
        uint32_t pat = have_valid ? patience : 0;
        double exp_left = mt_expected_end(epoch, best_epoch, prev_best, since, pat, max_epochs) - epoch;
        double max_left = max_epochs - epoch;
        if (then_epochs) {
            exp_left += mt_expected_end(epoch, best_epoch, prev_best, since, pat, UINT32_MAX) < then_epochs
                            ? mt_expected_end(epoch, best_epoch, prev_best, since, pat, UINT32_MAX)
                            : then_epochs;
            max_left += then_epochs;
        }
        char e1[32], e2[32], e3[32];
        mt_format_duration(el, e1, sizeof e1);
        mt_format_duration(per_epoch * exp_left, e2, sizeof e2);
        mt_format_duration(per_epoch * max_left, e3, sizeof e3);
        if (!o->quiet) {
            fprintf(lf, "%s epoch %3u/%u  loss %.4f  valid NDCG@20 %.4f%s  epoch %.2fs  elapsed %s  left ~%s (<= %s)%s\n",
                    label, epoch, max_epochs, loss, have_valid ? ndcg20 : 0.0, improved ? " *" : "  ", tr, e1, e2,
                    e3, then_epochs ? " with training" : "");
            fflush(lf);
        }
        int failed = improved && allow_callback && o->on_improve && o->on_improve(mdl, epoch, &vm, o->ctx, err) != 0;
        if (!failed && allow_callback && o->state_out) {
            failed = write_state(o->state_out, options, epoch, best_epoch, since, tuned, best_ndcg, train_time, mdl,
                                 best, works, nt, &rng, &adam, users, nu, err) != 0;
            if (!failed) res->state_written = o->state_out;
        }
        int stop_now = !failed && o->stop && *o->stop;
        if (stop_now && !allow_callback) {
            mt_fail(err, MT_E_INTERRUPTED, "interrupted during the %s after epoch %u of at most %u: no model to keep "
                                           "yet (the warm-up is not saved); nothing was written",
                    label, epoch, max_epochs);
            failed = 1;
        } else if (stop_now && !o->state_out && o->interrupt_state) {
            failed = write_state(o->interrupt_state, options, epoch, best_epoch, since, tuned, best_ndcg, train_time,
                                 mdl, best, works, nt, &rng, &adam, users, nu, err) != 0;
            if (!failed) res->state_written = o->interrupt_state;
        }
        if (failed) {
            for (int t = 0; t < nt; t++) mt_work_free(&works[t], mdl);
            free(users);
            for (int k = 0; k < mdl->n_params; k++) free(best[k]);
            free(best);
            return -1;
        }
        if (stop_now) {
            res->interrupted = 1;
            epoch++;
            break;
        }
        if (patience && since >= patience) {
            epoch++;
            break;
        }
    }
    for (int k = 0; k < mdl->n_params; k++) memcpy(mdl->params[k].v, best[k], mdl->params[k].len * sizeof(float));
    res->best_epoch = best_epoch;
    res->epochs_run = epoch - 1;
    res->sec_per_epoch = res->epochs_run ? train_time / res->epochs_run : 0;
    for (int k = 0; k < mdl->n_params; k++) free(best[k]);
    free(best);
    free(users);
    for (int t = 0; t < nt; t++) mt_work_free(&works[t], mdl);
    return 0;
}

/* --bias-prior TAU: a fresh model's output bias starts at TAU * log(pi_i) */
static void add_bias_prior(mt_model *mdl, const mt_dataset *ds, float tau)
{
    float *prior = mt_logit_adjust(&ds->train, mdl->n, tau);
    if (!prior) return;
    float *bias = mdl->params[mdl->pidx_bias].v;
    for (uint32_t i = 0; i < mdl->n; i++) bias[i] += prior[i];
    free(prior);
}

int mt_size_table(int kind, uint32_t n, uint32_t d, double ratio, uint32_t rows, double pop_frac, int scalar_dtype,
                  int row_dtype, mt_tsize *s, mt_err *err)
{
    int rc = rows ? mt_table_size_for_rows(kind, n, d, rows, scalar_dtype, row_dtype, s, err)
                  : mt_table_size_for_ratio(kind, n, d, ratio > 0 ? ratio : 1.0, scalar_dtype, row_dtype, s, err);
    if (rc) return rc;
    if (kind == MT_T_MEMCOM_POP || kind == MT_T_MEMCOM_LEARNED_POP) {
        double p = pop_frac * s->m;
        s->pop = (uint32_t)(p + 0.5);
        if (s->pop >= s->m) s->pop = s->m - 1;
    }
    return 0;
}

/* Initialise a learned table from warm-up item vectors. */
static void init_learned(mt_model *mdl, mt_table *t, const float *vecs, const mt_train_opts *o)
{
    uint32_t n = t->n, d = t->d;
    float *C = mdl->params[t->pidx_a].v, *w = mdl->params[t->pidx_w].v;
    mt_kmeans_buckets(vecs, n, d, t->m, t->kind == MT_T_MEMCOM_LEARNED_POP ? t->pop : 0, 15, o->threads,
                      o->seed, t->bucket, C, w);
}

int mt_train(mt_model *mdl, const mt_dataset *ds, const mt_train_opts *o, mt_train_result *res, mt_err *err)
{
    memset(res, 0, sizeof *res);
    uint32_t n = ds->n_items, d = o->d;
    int out_kind = o->out_kind, in_kind = o->in_kind < 0 ? o->out_kind : o->in_kind;
    mt_model_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.in_kind = in_kind;
    mo.out_kind = out_kind;
    mo.d = d;
    mo.n_dense = o->n_dense;
    mo.scalar_decay = o->scalar_decay;
    mo.ranker = o->ranker;
    mo.head_layers = o->head_layers;
    mo.head_width = o->head_width;
    mo.head_lr = o->rank.head_lr;
    double in_ratio = o->in_ratio > 0 ? o->in_ratio : o->ratio;
    uint32_t in_rows = o->in_rows ? o->in_rows : (o->in_ratio > 0 ? 0 : o->rows);
    if (mt_size_table(out_kind, n, d, o->ratio, o->rows, o->pop_frac, o->scalar_dtype, o->row_dtype,
                      &mo.out_size, err)) return -1;
    if (mt_size_table(in_kind, n, d, in_ratio, in_rows, o->pop_frac, o->scalar_dtype, o->row_dtype,
                      &mo.in_size, err)) return -1;
    double t0 = mt_now();
    int learned = mt_tkind_learned(in_kind) || mt_tkind_learned(out_kind);
    mt_model warm;
    int have_warm = 0;
    memset(&warm, 0, sizeof warm);
    char *options = NULL;
    mt_fit_state rs;
    memset(&rs, 0, sizeof rs);
    if (o->state_out || o->resume || o->interrupt_state) options = mt_state_options(o, ds);
    if (o->resume) {
        if (mt_state_read(o->resume, &rs, err) || mt_state_check_options(&rs, options, o->resume, err)) {
            mt_state_free(&rs);
            free(options);
            return -1;
        }
        /* the warm-up or warm start is in the state: its buckets and tuned lr */
    } else if (o->init_from) {
        if (mt_load_warm(o->init_from, ds, &mo, &warm, err)) {
            free(options);
            return -1;
        }
        have_warm = 1;
    } else if (learned && o->warmup_epochs > 0) {
        mt_model_opts wo = mo;
        wo.in_kind = wo.out_kind = MT_T_FULL;
        wo.in_size.m = wo.out_size.m = n;
        if (mt_model_init(&warm, n, &wo, NULL, NULL, o->seed, err)) {
            free(options);
            return -1;
        }
        add_bias_prior(&warm, ds, o->bias_prior);
        mt_train_result wr;
        memset(&wr, 0, sizeof wr);
        /* a full-size run, early-stopped like the real one (best epoch kept) */
        if (fit(&warm, ds, o, o->warmup_epochs, o->patience, "warm-up", 0, NULL, NULL, 0, o->epochs, &wr, err)) {
            mt_model_free(&warm);
            free(options);
            return -1;
        }
        have_warm = 1;
    }
    if (mt_model_init(mdl, n, &mo, rs.loaded ? rs.in_bucket : NULL, rs.loaded ? rs.out_bucket : NULL, o->seed + 1,
                      err)) {
        if (have_warm) mt_model_free(&warm);
        mt_state_free(&rs);
        free(options);
        return -1;
    }
    if (!rs.loaded && !have_warm) add_bias_prior(mdl, ds, o->bias_prior);
    int tuned = have_warm;
    if (rs.loaded) {
        tuned = rs.tuned != 0;
        if (mt_state_check_model(&rs, mdl, o->resume, err)) {
            mt_model_free(mdl);
            mt_state_free(&rs);
            free(options);
            return -1;
        }
    }
    if (have_warm) {
        /* dense layers and biases start from the warm-up model */
        for (int k = 0; k < mdl->n_params; k++) {
            mt_param *p = &mdl->params[k];
            int is_table = k == mdl->in.pidx_a || k == mdl->in.pidx_b || k == mdl->in.pidx_w ||
                           k == mdl->out.pidx_a || k == mdl->out.pidx_b || k == mdl->out.pidx_w;
            if (is_table) continue;
            for (int j = 0; j < warm.n_params; j++)
                if (strcmp(warm.params[j].name, p->name) == 0 && warm.params[j].len == p->len &&
                    (j - warm.pidx_b0) == (k - mdl->pidx_b0)) {
                    memcpy(p->v, warm.params[j].v, p->len * sizeof(float));
                    break;
                }
        }
        /* tables: learned kinds from k-means; full kinds copy */
        mt_table *tabs[2] = {&mdl->in, &mdl->out};
        const mt_table *wt[2] = {&warm.in, &warm.out};
        for (int r = 0; r < 2; r++) {
            const float *vecs = warm.params[wt[r]->pidx_a].v;
            if (mt_tkind_learned(tabs[r]->kind))
                init_learned(mdl, tabs[r], vecs, o);
            else if (tabs[r]->kind == MT_T_FULL)
                memcpy(mdl->params[tabs[r]->pidx_a].v, vecs, (size_t)n * d * sizeof(float));
        }
        mt_model_free(&warm);
        res->warmup_seconds = mt_now() - t0;
    }
    /* a learned kind without a warm-up (--warmup-epochs 0) keeps the default
     * (pop + mod) bucket assignment that mt_model_init put in place: k-means
     * of random initial rows would mean nothing */
    mt_train_opts fo = *o;
    if (tuned) fo.lr = o->tune_lr > 0 ? o->tune_lr : 0.3f * o->lr;
    int frc = fit(mdl, ds, &fo, o->epochs, o->patience, "train", 1, rs.loaded ? &rs : NULL, options, tuned, 0, res,
                  err);
    mt_state_free(&rs);
    free(options);
    if (frc) {
        mt_model_free(mdl);
        return -1;
    }
    /* per-item scalars stored as f16: round now, so that the metrics below
     * are those of the model as it will be written */
    const mt_table *tabs[2] = {&mdl->in, &mdl->out};
    for (int r = 0; r < 2; r++)
        if (tabs[r]->pidx_w >= 0 && tabs[r]->scalar_dtype == MEMCOM_DTYPE_F16) {
            float *w = mdl->params[tabs[r]->pidx_w].v;
            for (uint32_t i = 0; i < tabs[r]->n; i++) w[i] = mt_round_f16(w[i]);
        }
    if (ds->valid.nnz) mt_evaluate(mdl, ds, &ds->valid, o->threads, &res->valid);
    if (ds->test.nnz) mt_evaluate(mdl, ds, &ds->test, o->threads, &res->test);
    res->seconds = mt_now() - t0;
    res->mopts = mo;
    return 0;
}
