/* short_eval.c - the short-history evaluation (`memcom eval --history`): for
 * each user, h items sampled from the user's training items are the input,
 * every other item is ranked, and the held-out items are the targets; the
 * model file (through the public API, as served) beside popularity, item-kNN
 * and EASE, each with NDCG/Recall and how personal its top-10 lists are. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

#define SH_K 40u   /* ranked per user: the largest K of mt_eval_ks */

static const char *const method_names[MT_SH_N_METHODS] = {"model", "popularity", "item-knn", "ease"};

const char *mt_sh_method_name(int method)
{
    return method >= 0 && method < MT_SH_N_METHODS ? method_names[method] : "?";
}

int mt_sh_method_parse(const char *s, size_t len)
{
    for (int m = 0; m < MT_SH_N_METHODS; m++)
        if (strlen(method_names[m]) == len && memcmp(method_names[m], s, len) == 0) return m;
    return -1;
}

void mt_short_opts_default(mt_short_opts *o)
{
    memset(o, 0, sizeof *o);
    static const uint32_t hs[] = {1, 3, 5, 10};
    o->n_h = 4;
    memcpy(o->h, hs, sizeof hs);
    o->seed = 1;
    o->bias_weight = 1.0;
    o->popularity = 1.0f;
    o->methods = (1u << MT_SH_POPULARITY) | (1u << MT_SH_ITEM_KNN) | (1u << MT_SH_EASE);
    o->ease_lambda = 500;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

/* The users evaluated: those with held-out items and at least hmax training
 * items, all of them or a seeded sample of max_users (ascending). */
static uint32_t pick_users(const mt_dataset *ds, const mt_csr *truth, const mt_short_opts *o, uint32_t hmax,
                           uint32_t *users, mt_short_result *r)
{
    uint32_t nu = 0;
    for (uint32_t u = 0; u < ds->n_users && u < truth->n_rows; u++) {
        if (truth->off[u + 1] == truth->off[u]) continue;
        r->with_targets++;
        if (ds->train.off[u + 1] - ds->train.off[u] < hmax)
            r->too_short++;
        else
            users[nu++] = u;
    }
    if (o->max_users && nu > o->max_users) {
        mt_rng rng;
        mt_rng_seed(&rng, o->seed ^ 0x5EED5E25ull);
        mt_shuffle_u32(&rng, users, nu);
        nu = o->max_users;
        qsort(users, nu, sizeof *users, u32_cmp);
    }
    return nu;
}

/* hmax of user u's training items, seeded by (seed, u): a partial
 * Fisher-Yates shuffle, so the first h of them are the history for h. */
static void sample_history(const mt_dataset *ds, uint32_t u, uint64_t seed, uint32_t hmax, uint32_t *scratch,
                           uint32_t *out)
{
    uint64_t s = ds->train.off[u];
    uint32_t n = (uint32_t)(ds->train.off[u + 1] - s);
    memcpy(scratch, ds->train.idx + s, n * sizeof *scratch);
    mt_rng rng;
    mt_rng_seed(&rng, seed * 0x9E3779B97F4A7C15ull + u + 1);
    for (uint32_t q = 0; q < hmax; q++) {
        uint32_t j = q + mt_rng_below(&rng, n - q);
        uint32_t t = scratch[q];
        scratch[q] = scratch[j];
        scratch[j] = t;
        out[q] = scratch[q];
    }
}

typedef struct sh_ctx {
    const mt_dataset *ds;
    const mt_short_opts *o;
    memcom_model *model;
    uint32_t n_model;
    uint32_t *to_model;      /* ds item -> model index (UINT32_MAX: unknown) */
    uint32_t *from_model;    /* model index -> ds item (UINT32_MAX: not in the data) */
    float *bias_adj;         /* (bias_weight - 1) * bias, n_model; NULL when 1 */
    float *mscores, *vec;
    float *scores;           /* n_items */
    mt_knn knn;
    mt_ease ease;
} sh_ctx;

/* top-SH_K data set items of method m for user u with history hist (sorted) */
static int rank_user(sh_ctx *c, int m, uint32_t u, const uint32_t *hist, uint32_t nh, uint32_t *top, uint32_t *got,
                     mt_err *err)
{
    const mt_dataset *ds = c->ds;
    uint32_t n = ds->n_items;
    if (m == MT_SH_MODEL) {
        uint32_t mh[64], nmh = 0;
        for (uint32_t q = 0; q < nh; q++)
            if (c->to_model[hist[q]] != UINT32_MAX) mh[nmh++] = c->to_model[hist[q]];
        qsort(mh, nmh, sizeof *mh, u32_cmp);
        uint32_t mtop[SH_K];
        size_t mgot = 0;
        int rc;
        if (!c->bias_adj) {
            memcom_topk_opts to;
            memset(&to, 0, sizeof to);
            to.k = SH_K;
            to.exclude = mh;
            to.n_exclude = nmh;
            float sc[SH_K];
            rc = memcom_recommend_popularity(c->model, mh, nmh, c->o->popularity, &to, mtop, sc, &mgot);
        } else {
            memcom_info info;
            memcom_get_info(c->model, &info);
            rc = memcom_user_vector(c->model, mh, nmh, c->vec);
            if (rc == MEMCOM_OK) rc = memcom_score_vector(c->model, c->vec, info.user_dim, c->mscores);
            if (rc == MEMCOM_OK) {
                for (uint32_t i = 0; i < c->n_model; i++) c->mscores[i] += c->bias_adj[i];
                mgot = mt_topk_scores(c->mscores, c->n_model, mh, nmh, SH_K, mtop);
            }
        }
        if (rc != MEMCOM_OK) return mt_fail(err, MT_E_EVAL, "ranking failed: %s", memcom_error_message(rc));
        for (size_t q = 0; q < mgot; q++) top[q] = c->from_model[mtop[q]];
        *got = (uint32_t)mgot;
        return 0;
    }
    if (m == MT_SH_POPULARITY) {
        for (uint32_t i = 0; i < n; i++) c->scores[i] = (float)ds->item_count[i];
    } else if (m == MT_SH_ITEM_KNN) {
        uint64_t s = ds->train.off[u];
        mt_knn_scores(&c->knn, hist, nh, ds->train.idx + s, (uint32_t)(ds->train.off[u + 1] - s), c->scores);
    } else {
        mt_ease_scores(&c->ease, hist, nh, c->scores);
    }
    *got = mt_topk_scores(c->scores, n, hist, nh, SH_K, top);
    return 0;
}

static int check_opts(const mt_short_opts *o, mt_err *err)
{
    if (o->n_h < 1 || o->n_h > MT_SH_MAX_H)
        return mt_fail(err, MT_E_OPTION, "give 1 to %d history lengths", MT_SH_MAX_H);
    for (int q = 0; q < o->n_h; q++) {
        if (o->h[q] < 1 || o->h[q] > 64) return mt_fail(err, MT_E_OPTION, "history length %u is not in 1..64", o->h[q]);
        if (q && o->h[q] <= o->h[q - 1])
            return mt_fail(err, MT_E_OPTION, "history lengths must be distinct and ascending (%u after %u)", o->h[q],
                           o->h[q - 1]);
    }
    if (!isfinite(o->bias_weight)) return mt_fail(err, MT_E_OPTION, "the bias weight must be a finite number");
    if (!(o->popularity >= 0.0f && o->popularity <= 1.0f))
        return mt_fail(err, MT_E_OPTION, "the popularity must be in [0, 1], got %g", (double)o->popularity);
    if (o->bias_weight != 1.0 && o->popularity != 1.0f)
        return mt_fail(err, MT_E_OPTION, "give a bias weight or a popularity, not both");
    return 0;
}

static int setup_model(sh_ctx *c, mt_err *err)
{
    const mt_dataset *ds = c->ds;
    memcom_info info;
    memcom_get_info(c->model, &info);
    c->n_model = info.n_items;
    c->to_model = mt_xmalloc(((size_t)ds->n_items + 1) * sizeof *c->to_model);
    c->from_model = mt_xmalloc(((size_t)c->n_model + 1) * sizeof *c->from_model);
    for (uint32_t i = 0; i < c->n_model; i++) c->from_model[i] = UINT32_MAX;
    for (uint32_t i = 0; i < ds->n_items; i++) {
        uint32_t idx;
        const char *id = ds->item_ids[i];
        c->to_model[i] = UINT32_MAX;
        if (memcom_find_id(c->model, id, strlen(id), &idx) == MEMCOM_OK) {
            c->to_model[i] = idx;
            c->from_model[idx] = i;
        }
    }
    if (c->o->bias_weight != 1.0) {
        c->bias_adj = mt_xmalloc(((size_t)c->n_model + 1) * sizeof *c->bias_adj);
        int rc = memcom_copy_output_bias(c->model, c->bias_adj);
        if (rc != MEMCOM_OK) return mt_fail(err, MT_E_MODEL, "the output bias: %s", memcom_error_message(rc));
        for (uint32_t i = 0; i < c->n_model; i++) c->bias_adj[i] *= (float)(c->o->bias_weight - 1.0);
        c->mscores = mt_xmalloc(((size_t)c->n_model + 1) * sizeof *c->mscores);
        c->vec = mt_xmalloc(((size_t)info.user_dim + 1) * sizeof *c->vec);
    }
    return 0;
}

/* one line of the lists file: method, h, user, history, top-20, targets (ids) */
static void write_list_line(mt_outfile *f, const mt_dataset *ds, int m, uint32_t h, uint32_t u, const uint32_t *hist,
                            const uint32_t *top, uint32_t got, const mt_csr *truth)
{
    mt_buf b = {0};
    mt_buf_printf(&b, "%s\t%u\t%s\t", method_names[m], h, ds->user_ids ? ds->user_ids[u] : "?");
    for (uint32_t q = 0; q < h; q++) mt_buf_printf(&b, "%s%s", q ? " " : "", ds->item_ids[hist[q]]);
    mt_buf_printf(&b, "\t");
    for (uint32_t q = 0; q < got && q < 20; q++)
        mt_buf_printf(&b, "%s%s", q ? " " : "", top[q] < ds->n_items ? ds->item_ids[top[q]] : "?");
    mt_buf_printf(&b, "\t");
    for (uint64_t q = truth->off[u]; q < truth->off[u + 1]; q++)
        mt_buf_printf(&b, "%s%s", q > truth->off[u] ? " " : "", ds->item_ids[truth->idx[q]]);
    mt_buf_printf(&b, "\n");
    mt_outfile_write(f, b.p, b.len);
    mt_buf_free(&b);
}

int mt_short_eval(memcom_model *model, const mt_dataset *ds, const mt_csr *truth, const mt_short_opts *o,
                  mt_short_result *r, mt_err *err)
{
    memset(r, 0, sizeof *r);
    if (check_opts(o, err)) return -1;
    uint32_t hmax = o->h[o->n_h - 1];
    uint32_t *users = mt_xmalloc(((size_t)ds->n_users + 1) * sizeof *users);
    uint32_t nu = pick_users(ds, truth, o, hmax, users, r);
    if (nu == 0) {
        free(users);
        return mt_fail(err, MT_E_DATA, "no user has held-out items and at least %u training items", hmax);
    }
    r->users = nu;
    sh_ctx c;
    memset(&c, 0, sizeof c);
    c.ds = ds;
    c.o = o;
    c.model = model;
    int rc = setup_model(&c, err);
    unsigned methods = 1u | o->methods;
    if (!rc && (methods & (1u << MT_SH_EASE))) {
        if (ds->n_items > MT_EASE_MAX_ITEMS) {
            methods &= ~(1u << MT_SH_EASE);
            snprintf(r->note, sizeof r->note, "EASE left out: %u items is more than %u (it inverts an n x n matrix)",
                     ds->n_items, MT_EASE_MAX_ITEMS);
        } else {
            double t0 = mt_now();
            if (o->log) fprintf(o->log, "EASE: inverting a %u x %u matrix (lambda %g)\n", ds->n_items, ds->n_items,
                                o->ease_lambda), fflush(o->log);
            rc = mt_ease_fit(&c.ease, &ds->train, ds->n_items, o->ease_lambda, err);
            if (!rc && o->log) fprintf(o->log, "EASE: fitted in %.1f s\n", mt_now() - t0);
        }
    }
    if (methods & (1u << MT_SH_ITEM_KNN)) mt_knn_init(&c.knn, &ds->train, ds->n_items);
    mt_outfile lf;
    int have_lf = 0;
    if (!rc && o->lists_path) {
        rc = mt_outfile_open(&lf, o->lists_path, err);
        have_lf = rc == 0;
        if (have_lf) {
            static const char head[] = "method\th\tuser\thistory\ttop20\ttargets\n";
            mt_outfile_write(&lf, head, sizeof head - 1);
        }
    }
    /* rows: by h, then method */
    int slot[MT_SH_MAX_H][MT_SH_N_METHODS];
    for (int hq = 0; hq < o->n_h; hq++)
        for (int m = 0; m < MT_SH_N_METHODS; m++) {
            slot[hq][m] = -1;
            if (!(methods & (1u << m))) continue;
            slot[hq][m] = r->n_rows;
            r->rows[r->n_rows].method = m;
            r->rows[r->n_rows].h = o->h[hq];
            r->n_rows++;
        }
    uint32_t *lists = mt_xmalloc((size_t)r->n_rows * nu * MT_SH_LIST * sizeof *lists);
    uint8_t *lens = mt_xcalloc((size_t)r->n_rows * nu, 1);
    c.scores = mt_xmalloc(((size_t)ds->n_items + 1) * sizeof *c.scores);
    uint32_t max_train = 0;
    for (uint32_t q = 0; q < nu; q++) {
        uint32_t t = (uint32_t)(ds->train.off[users[q] + 1] - ds->train.off[users[q]]);
        if (t > max_train) max_train = t;
    }
    uint32_t *scratch = mt_xmalloc(((size_t)max_train + 1) * sizeof *scratch);
    double t0 = mt_now(), last = t0;
    for (uint32_t q = 0; q < nu && !rc; q++) {
        uint32_t u = users[q];
        uint32_t sample[64], hist[64], top[SH_K];
        sample_history(ds, u, o->seed, hmax, scratch, sample);
        const uint32_t *tr = truth->idx + truth->off[u];
        uint32_t ntr = (uint32_t)(truth->off[u + 1] - truth->off[u]);
        for (int hq = 0; hq < o->n_h && !rc; hq++) {
            uint32_t h = o->h[hq];
            memcpy(hist, sample, h * sizeof *hist);
            qsort(hist, h, sizeof *hist, u32_cmp);
            for (int m = 0; m < MT_SH_N_METHODS && !rc; m++) {
                int s = slot[hq][m];
                if (s < 0) continue;
                uint32_t got = 0;
                rc = rank_user(&c, m, u, hist, h, top, &got, err);
                if (rc) break;
                mt_metrics_add_user(&r->rows[s].m, top, got, tr, ntr);
                uint32_t l = got < MT_SH_LIST ? got : MT_SH_LIST;
                memcpy(lists + ((size_t)s * nu + q) * MT_SH_LIST, top, l * sizeof *top);
                lens[(size_t)s * nu + q] = (uint8_t)l;
                /* the targets in the lists file are the held-out items */
                if (have_lf) write_list_line(&lf, ds, m, h, u, sample, top, got, truth);
            }
        }
        if (o->log && mt_now() - last > 10) {
            last = mt_now();
            fprintf(o->log, "short histories: %u of %u users, %.0f s\n", q + 1, nu, last - t0);
            fflush(o->log);
        }
    }
    for (int s = 0; s < r->n_rows && !rc; s++) {
        mt_metrics_average(&r->rows[s].m);
        mt_list_stats_compute(lists + (size_t)s * nu * MT_SH_LIST, lens + (size_t)s * nu, nu, MT_SH_LIST,
                              ds->n_items, MT_SH_POPULAR, MT_SH_MAX_PAIRS, o->seed, &r->rows[s].st);
    }
    if (have_lf) {
        mt_err ignored;
        if (rc) lf.ok = 0;   /* a failed run leaves no lists file */
        int crc = mt_outfile_commit(&lf, rc ? &ignored : err);
        if (!rc) rc = crc;
    }
    free(scratch);
    free(lists);
    free(lens);
    free(users);
    free(c.scores);
    free(c.to_model);
    free(c.from_model);
    free(c.bias_adj);
    free(c.mscores);
    free(c.vec);
    if (methods & (1u << MT_SH_ITEM_KNN)) mt_knn_free(&c.knn);
    mt_ease_free(&c.ease);
    return rc;
}
