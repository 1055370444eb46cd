/*
 * rank.c - the driver of the ranking engine: checks a query, prepares what the
 * table needs (hash buckets, norms for cosine), and ranks: given candidates
 * one by one; otherwise pre-ranked on int8 rows with integers and the
 * candidates scored exactly (prerank.c), or exactly in one pass; each pass by
 * bucket where the bounds pay (bounds.c), else item by item (scan.c).  An
 * exact pass over f32/f16 rows with an int8 copy bounds the buckets on the
 * copy (widened by its error bound) and reads the rows of scored buckets only.
 */
#include <math.h>

#include "../kernels/kernels.h"
#include "scan.h"

int mcc_engine_init(mcc_engine *e, const mcc_table *t, const void *bias, uint32_t bias_dtype)
{
    e->t = t;
    e->n = t->desc.n;
    e->bias = bias;
    e->bias_scale = 1.0f;
    e->bias_dtype = bias ? bias_dtype : MEMCOM_DTYPE_NONE;
    size_t fd = sizeof(float) * t->desc.d;
    uint32_t tm = mcc_kind_has_buckets(t->desc.kind) ? t->desc.m : 1;
    /* written by every ranking: touched now (mcc_malloc_touched) */
    e->tvals = (float *)mcc_malloc_touched(sizeof(float) * tm);
    e->p = (float *)mcc_malloc_touched(fd);
    e->tmp = (float *)mcc_malloc_touched(2 * fd);
    e->qvec = (float *)mcc_malloc_touched(fd);
    e->tt_buf = (float *)mcc_malloc_touched(sizeof(float) * MC_BLOCK);
    e->w_buf = (float *)mcc_malloc_touched(sizeof(float) * MC_BLOCK);
    e->bias_buf = (float *)mcc_malloc_touched(sizeof(float) * MC_BLOCK);
    e->out_buf = (float *)mcc_malloc_touched(sizeof(float) * MC_BLOCK);
    e->hits = (uint32_t *)mcc_malloc_touched(sizeof(uint32_t) * MC_BLOCK);
    if (!e->tvals || !e->p || !e->tmp || !e->qvec || !e->tt_buf || !e->w_buf || !e->bias_buf || !e->out_buf || !e->hits)
        return MEMCOM_E_NOMEM;
    return MEMCOM_OK; /* nothing O(n) until it is used: opening costs O(file) */
}

uint32_t *mcc_engine_bitmap(mcc_engine *e)
{
    if (!e->bitmap) {
        size_t bytes = sizeof(uint32_t) * (((size_t)e->n + 31) / 32);
        e->bitmap = (uint32_t *)mcc_malloc_touched(bytes);
    }
    return e->bitmap;
}

/* 1 when the file stores something for every item of the table (full rows,
 * memcom scalars, explicit buckets, or an output bias): then O(n) work is
 * O(file) */
static int mcc_engine_stores_per_item(const mcc_engine *e)
{
    const memcom_table_desc *td = &e->t->desc;
    return e->bias || td->kind == MEMCOM_KIND_FULL || td->kind == MEMCOM_KIND_MEMCOM || td->bucket_mode == MEMCOM_BUCKET_EXPLICIT;
}

/* The marks (n bits) and materialised hash buckets, then what the
 * accelerators allocate with room for k candidates: pre-ranking (as
 * mcc_prerank_init and mcc_prerank_reserve) and the bucket bounds (as
 * mcc_bounds_init and mcc_bounds_reserve) with the current settings */
static uint64_t mcc_engine_built_bytes(const mcc_engine *e, uint64_t k)
{
    const memcom_table_desc *td = &e->t->desc;
    uint64_t n = e->n, m = td->m, d = td->d, bm = mcc_kind_has_buckets(td->kind) ? m : 0;
    uint64_t w = (n + 31) / 32 * 4;
    if (td->bucket_mode == MEMCOM_BUCKET_HASH) w += 4 * n;
    int plan = mcc_prerank_plan(e->t, e->pre.index);
    if (plan != MC_PRERANK_NONE) {
        /* pre-ranking: the query, the candidates, an int8 copy of f32/f16 rows */
        w += 2 * d + 8 * (2 * MC_BLOCK + 8 * k);
        if (plan == MC_PRERANK_COPY) w += (uint64_t)e->t->rows_a * (d + 4) + 8 * d;
    }
    if (!e->bounds.off && bm && 2 * m <= n) {
        /* bucket bounds: this query's, seeds, wmax and wmin, bias maxima */
        w += 12 * m + (td->kind == MEMCOM_KIND_MEMCOM ? 8 * m : 0) + (e->bias ? 4 * m : 0);
        /* memcom: the sign parts, built beside the above (w extremes, bias
         * maxima, bounds, values and seeds: 2 m each; their starts, which
         * count them first), the buckets' starts, the item lists with their
         * w and bias, and the scratch of their sort (at most 6 n + 12) */
        if (td->kind == MEMCOM_KIND_MEMCOM) w += 48 * m + (e->bias ? 8 * m : 0) + 4 * (2 * m + 1) + 4 * (m + 1) + 18 * n + 12;
        /* memcom, buckets other than i mod m: a bit per list to sort when first scored */
        if (td->kind == MEMCOM_KIND_MEMCOM && td->bucket_mode != MEMCOM_BUCKET_MOD) w += 4 * ((2 * m + 31) / 32);
        else if (td->bucket_mode != MEMCOM_BUCKET_MOD) w += 4 * (m + 1) + 4 * n; /* hash: item lists */
    }
    return w;
}

uint64_t mcc_engine_working_bytes(const mcc_engine *e)
{
    const memcom_table_desc *td = &e->t->desc;
    uint64_t n = e->n, d = td->d, bm = mcc_kind_has_buckets(td->kind) ? td->m : 0;
    /* scratch of init, inverse norms (+ a row buffer), then the marks and what is built */
    uint64_t w = 4 * bm + 4 + 16 * d + 20 * MC_BLOCK + 4 * n + 4 * bm;
    w += mcc_engine_built_bytes(e, n < MC_PRERANK_MAX_K ? n : MC_PRERANK_MAX_K);
    return w + 32 * (MC_ALIGN + 16); /* each allocation's alignment and header */
}

uint64_t mcc_engine_prepare_bytes(const mcc_engine *e)
{
    if (!mcc_engine_stores_per_item(e)) return 0; /* mcc_engine_prepare builds nothing */
    uint64_t k = e->n < MC_PREPARE_K ? e->n : MC_PREPARE_K;
    return mcc_engine_built_bytes(e, k) + 24 * (MC_ALIGN + 16);
}

void mcc_engine_free(mcc_engine *e)
{
    memcom_free(e->tvals);
    memcom_free(e->p);
    memcom_free(e->tmp);
    memcom_free(e->qvec);
    memcom_free(e->tt_buf);
    memcom_free(e->w_buf);
    memcom_free(e->bias_buf);
    memcom_free(e->out_buf);
    memcom_free(e->hits);
    memcom_free(e->bitmap);
    memcom_free(e->hash_b);
    memcom_free(e->inv_norm);
    mcc_prerank_free(&e->pre);
    mcc_bounds_free(&e->bounds);
    memset(e, 0, sizeof *e);
}

void mcc_engine_set_bucket_bounds(mcc_engine *e, int enable)
{
    int off = enable ? 0 : 1;
    if (off == e->bounds.off) return;
    mcc_bounds_free(&e->bounds); /* examined again on the next top-k */
    e->bounds.off = off;
}

void mcc_engine_set_int8_index(mcc_engine *e, int index)
{
    if (index == e->pre.index) return;
    mcc_prerank_free(&e->pre); /* examined again on the next top-k */
    e->pre.index = index;
}

int mcc_all_finite(const float *x, size_t n)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= (mcc_f32_bits(x[i]) & 0x7f800000u) == 0x7f800000u;
    return !acc;
}

/* materialise the hash buckets on first use */
static int mcc_prepare_hash(mcc_engine *e)
{
    const mcc_table *t = e->t;
    if (t->desc.bucket_mode != MEMCOM_BUCKET_HASH || e->hash_b) return MEMCOM_OK;
    uint32_t *b = (uint32_t *)memcom_malloc(sizeof(uint32_t) * (size_t)e->n);
    if (!b) return MEMCOM_E_NOMEM;
    for (uint32_t i = 0; i < e->n; i++) b[i] = memcom_hash_bucket(i, t->desc.hash_seed, t->desc.m);
    e->hash_b = b;
    return MEMCOM_OK;
}

static int mcc_prepare_norms(mcc_engine *e)
{
    if (e->inv_norm) return MEMCOM_OK;
    const mcc_table *t = e->t;
    int bucketed = mcc_kind_has_buckets(t->desc.kind);
    float *inv = (float *)memcom_malloc(sizeof(float) * (size_t)e->n);
    float *rowbuf = NULL;
    if (inv && bucketed) rowbuf = (float *)memcom_malloc(sizeof(float) * t->desc.m);
    if (!inv || (bucketed && !rowbuf)) {
        memcom_free(inv);
        return MEMCOM_E_NOMEM;
    }
    mcc_table_inv_norms(t, e->hash_b, inv, e->tmp, rowbuf);
    memcom_free(rowbuf);
    e->inv_norm = inv;
    return MEMCOM_OK;
}

static void mcc_scorer_init(mcc_engine *e, mcc_scorer *s, const float *vec)
{
    s->t = e->t;
    s->v = vec;
    s->tvals = e->tvals;
    s->p = e->p;
    s->cur_q = UINT32_MAX;
    s->hash_b = e->hash_b;
    s->tt_buf = e->tt_buf;
    s->w_buf = e->w_buf;
    s->tmp = e->tmp;
    s->q = NULL;
}

int mcc_engine_score(mcc_engine *e, const float *vec, size_t dim, float *scores)
{
    if (!vec || !scores) return MEMCOM_E_ARG;
    if (dim != e->t->desc.d) return MEMCOM_E_DIM;
    if (!mcc_all_finite(vec, dim)) return MEMCOM_E_NONFINITE_INPUT;
    int rc = mcc_prepare_hash(e);
    if (rc) return rc;
    mcc_scorer s;
    mcc_scorer_init(e, &s, vec);
    mcc_scorer_prepare(&s);
    uint32_t n = e->n;
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w, *tt;
        mcc_scorer_block(&s, i0, len, &w, &tt);
        mk_scan(w, tt, mcc_bias_block(e, i0, len), len, INFINITY, scores + i0, e->hits);
    }
    return MEMCOM_OK;
}

int mcc_engine_score_items(mcc_engine *e, const float *vec, size_t dim, const uint32_t *items, size_t n_items, float *out)
{
    if (!vec || (n_items && (!items || !out))) return MEMCOM_E_ARG;
    if (dim != e->t->desc.d) return MEMCOM_E_DIM;
    if (!mcc_all_finite(vec, dim)) return MEMCOM_E_NONFINITE_INPUT;
    mcc_scorer s;
    mcc_scorer_init(e, &s, vec);
    for (size_t j = 0; j < n_items; j++) {
        float sc = mcc_scorer_one(&s, items[j]); /* the candidates path of mcc_engine_topk */
        out[j] = e->bias ? sc + mcc_bias_one(e, items[j]) : sc;
    }
    return MEMCOM_OK;
}

int mcc_check_list(const uint32_t *list, size_t n, uint32_t limit)
{
    if (n && !list) return MEMCOM_E_ARG;
    for (size_t k = 0; k < n; k++)
        if (list[k] >= limit) return MEMCOM_E_INDEX;
    return MEMCOM_OK;
}

/* One full ranking pass: by bucket where the bounds pay, else item by item
 * (*unpruned = 1 when the bounds were tried and pruned too little).  Returns
 * 0, or -1 when pre has too many candidates. */
static MC_NOINLINE int mcc_rank_all(mcc_engine *e, mcc_scorer *s, mcc_topk *h, int use_bias, int cosine, mcc_prerank *pre,
                                    mcc_bounds *g, int *unpruned)
{
    mcc_scorer_prepare(s);
    *unpruned = 0;
    if (g && !cosine && mcc_bounds_try(g)) {
        int rc = mcc_scan_buckets(e, s, g, h, use_bias, pre);
        mcc_bounds_outcome(g, rc != 0);
        if (rc) return rc > 0 ? 0 : -1;
        *unpruned = 1;
        mcc_topk_init(h, h->idx, h->score, h->k); /* start over */
        if (pre) pre->n_cand = 0;
    }
    return mcc_scan_all(e, s, h, use_bias, cosine, pre);
}

/* Exact top-k by bucket with bounds from the int8 copy's bucket values (each
 * within terr of the exact one: scan.c widens the bounds by it) and each
 * scored bucket's value exact, so the scores are those of the exact scan;
 * when the bounds prune too little, the exact scan without them (they would
 * prune no more on exact values than on these).  For f32/f16 rows where
 * pre-ranking does not pay (too many candidates near the threshold: scalars
 * of both signs in a bucket, many near-equal scores): reads the int8 copy
 * instead of the rows. */
static MC_NOINLINE void mcc_rank_widened(mcc_engine *e, mcc_scorer *s, mcc_topk *h, int use_bias, mcc_bounds *g)
{
    if (mcc_bounds_try(g)) {
        mcc_qquery q = mcc_prerank_qquery(&e->pre);
        s->q = &q;
        mcc_scorer_prepare(s);
        int rc = mcc_scan_buckets(e, s, g, h, use_bias, NULL);
        s->q = NULL;
        mcc_bounds_outcome(g, rc != 0);
        if (rc > 0) {
            e->pre.n_widened++;
            return;
        }
        mcc_topk_init(h, h->idx, h->score, h->k); /* start over */
    }
    mcc_scorer_prepare(s);
    mcc_scan_all(e, s, h, use_bias, 0, NULL);
}

/* pre-ranking's examination, with max |w_i| and max |b_i| from the bucket
 * bounds when they took them (the same values: one pass fewer over each) */
static int mcc_engine_prerank_init(mcc_engine *e)
{
    const mcc_bounds *g = &e->bounds;
    double wabs = g->state == 1 ? g->wabs : -1.0, babs = g->state == 1 ? g->babs : -1.0;
    return mcc_prerank_init(&e->pre, e->t, e->bias, e->bias_dtype, e->n, wabs, babs);
}

int mcc_engine_prepare(mcc_engine *e)
{
    const mcc_table *t = e->t;
    int rc;
    if (!mcc_engine_stores_per_item(e)) return MEMCOM_OK; /* O(n) would not be O(file): left to the first ranking */
    if ((rc = mcc_prepare_hash(e))) return rc;
    if (!mcc_engine_bitmap(e)) return MEMCOM_E_NOMEM;
    size_t k = e->n < MC_PREPARE_K ? e->n : MC_PREPARE_K;
    if ((rc = mcc_bounds_init(&e->bounds, t, e->hash_b, e->bias, e->bias_dtype, e->n)) ||
        (rc = mcc_bounds_reserve(&e->bounds, e->n, k)))
        return rc;
    if ((rc = mcc_engine_prerank_init(e))) return rc;
    if (e->pre.state == 1 && (rc = mcc_prerank_reserve(&e->pre, k))) return rc;
    return MEMCOM_OK;
}

int mcc_engine_topk(mcc_engine *e, const float *vec, size_t dim, const memcom_topk_opts *o, float bias_w, int cosine,
                    uint32_t extra, uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!vec || !o || !out_index || !out_score || !n_out) return MEMCOM_E_ARG;
    /* the bounds and the pre-ranking's error bound hold for weights in [0, 1] */
    if (!(bias_w >= 0.0f && bias_w <= 1.0f)) return MEMCOM_E_ARG;
    int use_bias = bias_w != 0.0f;
    *n_out = 0;
    const mcc_table *t = e->t;
    uint32_t n = e->n;
    if (dim != t->desc.d) return MEMCOM_E_DIM;
    if (o->k == 0) return MEMCOM_E_K;
    if (!mcc_all_finite(vec, dim)) return MEMCOM_E_NONFINITE_INPUT;
    int rc;
    if ((rc = mcc_check_list(o->exclude, o->n_exclude, n)) || (rc = mcc_check_list(o->candidates, o->n_candidates, n)))
        return rc;
    if ((rc = mcc_prepare_hash(e))) return rc;
    if (cosine && (rc = mcc_prepare_norms(e))) return rc;
    if (!e->bias) use_bias = 0;
    if (cosine) {
        /* rank by (E_i . v/|v|) / |E_i| */
        double sq = 0.0; /* in double: |v|^2 may overflow float for a finite v */
        for (size_t j = 0; j < dim; j++) sq += (double)vec[j] * (double)vec[j];
        double inv = sq > 0.0 ? 1.0 / sqrt(sq) : 0.0;
        for (size_t j = 0; j < dim; j++) e->qvec[j] = (float)(vec[j] * inv);
        vec = e->qvec;
        use_bias = 0;
    }

    uint32_t *bm = mcc_engine_bitmap(e);
    if (!bm) return MEMCOM_E_NOMEM;
    e->bias_scale = use_bias ? bias_w : 1.0f; /* back to 1 below: scores (mcc_engine_score) use the bias as stored */
    for (size_t k = 0; k < o->n_exclude; k++) mcc_set(bm, o->exclude[k]);
    if (extra != UINT32_MAX) mcc_set(bm, extra);

    size_t k = o->k < n ? o->k : n;
    mcc_topk h;
    mcc_topk_init(&h, out_index, out_score, k);
    mcc_scorer s;
    mcc_scorer_init(e, &s, vec);

    if (o->candidates) {
        for (size_t c = 0; c < o->n_candidates; c++) {
            uint32_t i = o->candidates[c];
            if (mcc_bit(bm, i)) continue; /* excluded or already seen */
            mcc_set(bm, i);
            float sc = mcc_scorer_one(&s, i);
            if (cosine) sc = mcc_clamp_cos(sc * e->inv_norm[i]);
            else if (use_bias) sc = sc + mcc_bias_one(e, i);
            mcc_topk_offer(&h, i, sc);
        }
        mcc_clear_list(bm, o->candidates, o->n_candidates);
    } else {
        /* pre-rank on int8 rows (the table's own, or its int8 copy) with
         * integers, then score the candidates exactly (prerank.c); an
         * accelerator only: without memory for it, rank in one exact pass */
        mcc_bounds *g = NULL;
        if (!cosine && mcc_bounds_init(&e->bounds, t, e->hash_b, e->bias, e->bias_dtype, n) == MEMCOM_OK &&
            e->bounds.state == 1)
            g = &e->bounds;
        mcc_prerank *pre = NULL;
        int unpruned = 0, quantised = 0;
        if (!cosine && k <= MC_PRERANK_MAX_K && mcc_engine_prerank_init(e) == MEMCOM_OK &&
            e->pre.state == 1 && mcc_prerank_reserve(&e->pre, k) == MEMCOM_OK && mcc_prerank_query(&e->pre, vec, dim, use_bias)) {
            quantised = 1;
            /* it has not paid lately (backoff.h): too many candidates, or its
             * wider floor kept the bounds from pruning; then rank exactly */
            if (mcc_backoff_try(&e->pre.backoff)) pre = &e->pre;
            else e->pre.n_backoff++;
        }
        if (pre) {
            mcc_qquery q = mcc_prerank_qquery(pre);
            pre->n_ranked++;
            s.q = &q;
            rc = mcc_rank_all(e, &s, &h, use_bias, 0, pre, g, &unpruned);
            mcc_backoff_outcome(&pre->backoff, rc == 0 && !unpruned);
            if (rc == 0) {
                float floor = mcc_topk_full(&h) ? mcc_prerank_floor(pre, mcc_topk_threshold(&h)) : -INFINITY;
                mcc_prerank_keep(pre, floor);
                mcc_topk_init(&h, out_index, out_score, k);
                s.q = NULL;
                for (size_t c = 0; c < pre->n_cand; c++) {
                    uint32_t i = pre->cand_idx[c];
                    float sc = mcc_scorer_one(&s, i);
                    mcc_topk_offer(&h, i, use_bias ? sc + mcc_bias_one(e, i) : sc);
                }
            } else {
                pre->n_fallback++;
                pre = NULL; /* too many candidates near the threshold: rank exactly */
                s.q = NULL;
                mcc_topk_init(&h, out_index, out_score, k);
            }
        }
        if (!pre) {
            /* an int8 copy of f32/f16 rows: by bucket on bounds from the copy
             * (a quarter of the bytes), exact rows for the scored buckets only */
            if (quantised && g && e->pre.own_q8) mcc_rank_widened(e, &s, &h, use_bias, g);
            else mcc_rank_all(e, &s, &h, use_bias, cosine, NULL, g, &unpruned);
        }
    }
    mcc_clear_list(bm, o->exclude, o->n_exclude);
    if (extra != UINT32_MAX) bm[extra >> 5] = 0;
    e->bias_scale = 1.0f;
    *n_out = mcc_topk_finish(&h);
    return MEMCOM_OK;
}
