/*
 * ranker.c - a ranker's scores and rankings (ranker.h): the head MLP per
 * item on top of the engine's factorised scores; every eligible item, given
 * candidates, or the two-stage path (the engine's exact top R, re-ranked).
 */
#include <stdlib.h>

#include "../dense.h"
#include "../kernels/kernels.h"
#include "../table.h"
#include "ranker.h"

/* at most this many bytes of per-row products M R[r] are cached (else each
 * item computes its row's product again: the same values, more time) */
#define MC_RANKER_P_MAX (64ull << 20)

static int mcc_ranker_shared(const mcc_ranker *r) { return mcc_kind_has_buckets(r->v->output.desc.kind); }

int mcc_ranker_init(mcc_ranker *r, const mcc_view *v)
{
    r->v = v;
    r->d = v->output.desc.d;
    const mcc_layer *L0 = &v->head[0];
    r->h1 = L0->out;
    uint32_t width = 3 * r->d;
    for (uint32_t l = 0; l < v->n_head; l++) {
        if (v->head[l].in > width) width = v->head[l].in;
        if (v->head[l].out > width) width = v->head[l].out;
    }
    r->width = width;
    r->split = L0->w != NULL;
    r->fused = r->split && v->n_head == 2 && L0->act == MEMCOM_ACT_RELU && v->head[1].w != NULL;
    size_t d = r->d, hd = (size_t)r->h1 * d;
    r->e = (float *)memcom_malloc(sizeof(float) * d);
    r->row = (float *)memcom_malloc(sizeof(float) * d);
    r->x = (float *)memcom_malloc(sizeof(float) * width);
    r->y = (float *)memcom_malloc(sizeof(float) * width);
    if (!r->e || !r->row || !r->x || !r->y) return MEMCOM_E_NOMEM;
    if (!r->split) return MEMCOM_OK;
    r->wu = (float *)memcom_malloc(sizeof(float) * hd);
    r->weT = (float *)memcom_malloc(sizeof(float) * hd);
    r->wueT = (float *)memcom_malloc(sizeof(float) * hd);
    r->MT = (float *)memcom_malloc(sizeof(float) * hd);
    r->c = (float *)memcom_malloc(sizeof(float) * r->h1);
    if (!r->wu || !r->weT || !r->wueT || !r->MT || !r->c) return MEMCOM_E_NOMEM;
    for (uint32_t h = 0; h < r->h1; h++) { /* row h of W: [W_u | W_e | W_ue]; W_e and W_ue transposed */
        const float *w = L0->w + (size_t)h * 3 * d;
        memcpy(r->wu + h * d, w, sizeof(float) * d);
        for (size_t j = 0; j < d; j++) {
            r->weT[j * r->h1 + h] = w[d + j];
            r->wueT[j * r->h1 + h] = w[2 * d + j];
        }
    }
    return MEMCOM_OK;
}

void mcc_ranker_free(mcc_ranker *r)
{
    memcom_free(r->wu);
    memcom_free(r->weT);
    memcom_free(r->wueT);
    memcom_free(r->MT);
    memcom_free(r->c);
    memcom_free(r->P);
    memcom_free(r->stamp);
    memcom_free(r->e);
    memcom_free(r->row);
    memcom_free(r->x);
    memcom_free(r->y);
    memcom_free(r->f);
    memcom_free(r->s0);
    memcom_free(r->idx);
    memcom_free(r->sc);
    memset(r, 0, sizeof *r);
}

static uint64_t mcc_ranker_p_bytes(const mcc_ranker *r)
{
    return (uint64_t)r->v->output.desc.m * ((uint64_t)r->h1 * 4 + 4);
}

uint64_t mcc_ranker_working_bytes(const mcc_ranker *r)
{
    /* scratch; the catalogue's factorised scores; candidate or two-stage lists (at most n) */
    /* ... and the empty history's scores (the popularity control) */
    uint64_t d = r->d, w = 4 * (2 * d + 2 * (uint64_t)r->width) + 4 * (uint64_t)r->v->n + 8 * (uint64_t)r->v->n +
                           4 * (uint64_t)r->v->n;
    if (r->split) w += 4 * (4 * (uint64_t)r->h1 * d + r->h1);
    if (r->split && mcc_ranker_shared(r) && mcc_ranker_p_bytes(r) <= MC_RANKER_P_MAX) w += mcc_ranker_p_bytes(r);
    return w + 16 * (MC_ALIGN + 16);
}

/* this query's c = W_u u + b and M = W_e + W_ue diag(u) */
static void mcc_ranker_query(mcc_ranker *r, const float *u)
{
    r->u = u;
    if (!r->split) return;
    const mcc_layer *L0 = &r->v->head[0];
    size_t d = r->d;
    mk_rows_dot_f32(r->wu, r->h1, d, u, r->c);
    if (L0->b) mk_axpy_f32(1.0f, L0->b, r->c, r->h1);
    /* M^T[j] = W_e^T[j] + u[j] W_ue^T[j] */
    memset(r->MT, 0, sizeof(float) * d * r->h1);
    for (size_t j = 0; j < d; j++) {
        mk_axpy_f32(u[j], r->wueT + j * r->h1, r->MT + j * r->h1, r->h1);
        mk_axpy_f32(1.0f, r->weT + j * r->h1, r->MT + j * r->h1, r->h1);
    }
    if (!mcc_ranker_shared(r)) return;
    if (!r->p_tried) { /* the row cache, once; without it the same values are computed per item */
        r->p_tried = 1;
        uint32_t m = r->v->output.desc.m;
        if (mcc_ranker_p_bytes(r) <= MC_RANKER_P_MAX) {
            r->P = (float *)memcom_malloc(sizeof(float) * (size_t)m * r->h1);
            r->stamp = (uint32_t *)mcc_malloc_touched(sizeof(uint32_t) * (size_t)m);
            if (!r->P || !r->stamp) {
                memcom_free(r->P);
                memcom_free(r->stamp);
                r->P = NULL;
                r->stamp = NULL;
            }
        }
    }
    if (r->stamp && ++r->query == 0) { /* wrapped: every row is stale */
        memset(r->stamp, 0, sizeof(uint32_t) * (size_t)r->v->output.desc.m);
        r->query = 1;
    }
}

/* M R[b] for shared row b: cached per query, or computed into out */
static const float *mcc_ranker_row_product(mcc_ranker *r, uint32_t b, float *out)
{
    float *p = r->P ? r->P + (size_t)b * r->h1 : out;
    if (r->P && r->stamp[b] == r->query) return p;
    mcc_table_row(&r->v->output, b, r->row);
    mk_matvec_t_f32(r->MT, r->d, r->h1, r->row, p);
    if (r->P) r->stamp[b] = r->query;
    return p;
}

/* g(i): the head's output for item i under this query */
static float mcc_ranker_head(mcc_ranker *r, const uint32_t *hash_b, uint32_t i)
{
    const mcc_view *v = r->v;
    const mcc_table *t = &v->output;
    float *x = r->x, *y = r->y;
    if (r->split) {
        const float *p;
        float a = 1.0f;
        if (mcc_ranker_shared(r)) { /* e_i = w_i R[b]: M e_i computed as w_i (M R[b]) */
            p = mcc_ranker_row_product(r, mcc_bucket_of(t, hash_b, i), y);
            if (t->desc.kind == MEMCOM_KIND_MEMCOM) a = mcc_f32_or_f16_at(t->w, t->desc.scalar_dtype, i);
        } else {
            mcc_table_lookup(t, i, r->e, r->row);
            mk_matvec_t_f32(r->MT, r->d, r->h1, r->e, y);
            p = y;
        }
        const mcc_layer *L1 = &v->head[1];
        if (r->fused) {
            float g = mk_head_hidden(r->c, a, p, L1->w, r->h1);
            return L1->b ? g + L1->b[0] : g;
        }
        memcpy(x, r->c, sizeof(float) * r->h1);
        mk_axpy_f32(a, p, x, r->h1);
        mcc_activate(v->head[0].act, x, r->h1);
    } else { /* identity first layer: [u ; e ; u * e] + b */
        size_t d = r->d;
        mcc_table_lookup(t, i, r->e, r->row);
        memcpy(y, r->u, sizeof(float) * d);
        memcpy(y + d, r->e, sizeof(float) * d);
        mk_mul_f32(r->u, r->e, y + 2 * d, d);
        mcc_dense_apply(&v->head[0], y, x);
    }
    for (uint32_t l = 1; l < v->n_head; l++) {
        mcc_dense_apply(&v->head[l], x, y);
        float *s = x; x = y; y = s;
    }
    return x[0];
}

int mcc_ranker_scores(mcc_ranker *r, mcc_engine *e, const float *u, const uint32_t *items, size_t n_items, float *out)
{
    if (!u || (n_items && !out)) return MEMCOM_E_ARG;
    if (!mcc_all_finite(u, r->d)) return MEMCOM_E_NONFINITE_INPUT; /* the engine's order of checks */
    int rc = mcc_check_list(items, n_items, r->v->n);
    if (rc || (rc = mcc_engine_score_items(e, u, r->d, items, n_items, out))) return rc;
    mcc_ranker_query(r, u);
    for (size_t j = 0; j < n_items; j++) out[j] += mcc_ranker_head(r, e->hash_b, items[j]);
    return MEMCOM_OK;
}

/* r->s0[i] = s_i(u0) for every item (once: u0 does not change) */
static int mcc_ranker_base(mcc_ranker *r, mcc_engine *e, const float *u0)
{
    if (r->s0) return MEMCOM_OK;
    uint32_t n = r->v->n;
    float *s0 = (float *)memcom_malloc(sizeof(float) * (size_t)n);
    if (!s0) return MEMCOM_E_NOMEM;
    int rc = mcc_engine_score(e, u0, r->d, s0);
    if (rc) {
        memcom_free(s0);
        return rc;
    }
    mcc_ranker_query(r, u0);
    for (uint32_t i = 0; i < n; i++) s0[i] += mcc_ranker_head(r, e->hash_b, i);
    r->s0 = s0;
    return MEMCOM_OK;
}

int mcc_ranker_topk(mcc_ranker *r, mcc_engine *e, const float *u, const memcom_topk_opts *o, size_t depth, float lam,
                    const float *u0, uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!u || !o || !out_index || !out_score || !n_out) return MEMCOM_E_ARG;
    *n_out = 0;
    uint32_t n = r->v->n;
    if (o->k == 0) return MEMCOM_E_K;
    if (!mcc_all_finite(u, r->d)) return MEMCOM_E_NONFINITE_INPUT; /* the engine's order of checks */
    int rc;
    if ((rc = mcc_check_list(o->exclude, o->n_exclude, n)) || (rc = mcc_check_list(o->candidates, o->n_candidates, n)))
        return rc;
    if (lam != 0.0f && (depth || !u0 || !mcc_all_finite(u0, r->d))) return MEMCOM_E_ARG;
    if (lam != 0.0f && (rc = mcc_ranker_base(r, e, u0))) return rc;
    size_t k = o->k < n ? o->k : n;
    mcc_topk h;
    mcc_topk_init(&h, out_index, out_score, k);
    if (depth) { /* the engine's exact top R by f, re-ranked by s */
        size_t R = depth > k ? depth : k, nr = 0;
        if (R > n) R = n;
        if ((rc = mcc_pairs_reserve(&r->idx, &r->sc, &r->cap, R))) return rc;
        memcom_topk_opts first = *o;
        first.k = R;
        if ((rc = mcc_engine_topk(e, u, r->d, &first, 1, 0, UINT32_MAX, r->idx, r->sc, &nr))) return rc;
        mcc_ranker_query(r, u);
        /* R items scattered over the table: their rows and scalars read
         * first, with their cache misses overlapped (measured: 0.1-0.2 ms
         * of 1.5 per query on a 1M-item table whose data the caches lost) */
        r->touched = mcc_table_touch(&r->v->output, e->hash_b, r->idx, nr);
        for (size_t j = 0; j < nr; j++) mcc_topk_offer(&h, r->idx[j], r->sc[j] + mcc_ranker_head(r, e->hash_b, r->idx[j]));
        *n_out = mcc_topk_finish(&h);
        return MEMCOM_OK;
    }
    uint32_t *bm = mcc_engine_bitmap(e);
    if (!bm) return MEMCOM_E_NOMEM;
    for (size_t j = 0; j < o->n_exclude; j++) mcc_set(bm, o->exclude[j]);
    if (o->candidates) { /* the distinct eligible candidates, in order */
        size_t cnt = 0;
        size_t most = o->n_candidates < n ? o->n_candidates : n; /* distinct ones */
        if ((rc = mcc_pairs_reserve(&r->idx, &r->sc, &r->cap, most ? most : 1))) goto done;
        for (size_t c = 0; c < o->n_candidates; c++) {
            uint32_t i = o->candidates[c];
            if (mcc_bit(bm, i)) continue;
            mcc_set(bm, i);
            r->idx[cnt++] = i;
        }
        mcc_clear_list(bm, o->candidates, o->n_candidates);
        if ((rc = mcc_engine_score_items(e, u, r->d, r->idx, cnt, r->sc))) goto done;
        mcc_ranker_query(r, u);
        for (size_t j = 0; j < cnt; j++) {
            float s = r->sc[j] + mcc_ranker_head(r, e->hash_b, r->idx[j]);
            mcc_topk_offer(&h, r->idx[j], lam != 0.0f ? s - lam * r->s0[r->idx[j]] : s);
        }
    } else {
        if (!r->f && !(r->f = (float *)memcom_malloc(sizeof(float) * (size_t)n))) {
            rc = MEMCOM_E_NOMEM;
            goto done;
        }
        if ((rc = mcc_engine_score(e, u, r->d, r->f))) goto done;
        mcc_ranker_query(r, u);
        for (uint32_t i = 0; i < n; i++)
            if (!mcc_bit(bm, i)) {
                float s = r->f[i] + mcc_ranker_head(r, e->hash_b, i);
                mcc_topk_offer(&h, i, lam != 0.0f ? s - lam * r->s0[i] : s);
            }
    }
done:
    mcc_clear_list(bm, o->exclude, o->n_exclude);
    if (!rc) *n_out = mcc_topk_finish(&h);
    return rc;
}
