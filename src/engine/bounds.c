/*
 * bounds.c - per-bucket score bounds for hash and memcom output tables, so
 * that top-k scores only the items of buckets that can still reach it.
 *
 * Every item i of bucket r scores S_i = fl(fl(w_i * T_r) + b_i) with the one
 * bucket value T_r = U[r] . v (hash tables: w_i = 1, no multiply).  Per bucket
 * we keep wmax_r, wmin_r and bmax_r over its items.  The kernel computes
 * ub_r = fl(max(fl(wmax_r * T_r), fl(wmin_r * T_r)) + bmax_r).  Rounding to
 * nearest is monotone: w_i * T_r <= max(wmax_r * T_r, wmin_r * T_r) (linear in
 * w) gives fl(w_i * T_r) <= max(fl(wmax_r * T_r), fl(wmin_r * T_r)), and with
 * b_i <= bmax_r the sum rounds no higher either, so S_i <= ub_r exactly, with
 * no margin, as long as nothing overflows (checked per query: |w| * max|T| +
 * max|b| must stay far below FLT_MAX, and every T_r finite).  A bucket with
 * ub_r < floor holds no item scoring >= floor, and is skipped without reading
 * its items.  Exact top-k (floor = the k-th best score) and pre-ranking
 * (floor = theta~ - 2 delta, with the bounds taken on the approximate T~ the
 * items are pre-ranked with) stay exact.
 *
 * Top-k (scan.c): the buckets with the highest bounds are scored first, in
 * rounds, until the threshold they set leaves few buckets whose bound reaches
 * it; one pass over the bounds then scores those.  When rounds stop paying
 * (the bound of a bucket is loose when its items' w and b differ widely, as
 * in a bucket mixing popular and rare items) the caller scans every item as
 * before, and after a few such rankings in a row tries the bounds only now
 * and then (mcc_bounds_try, backoff.h).
 */
#include <math.h>

#include "bounds.h"
#include "topk.h"

void mcc_bounds_free(mcc_bounds *g)
{
    int off = g->off;
    memcom_free(g->wmax);
    memcom_free(g->wmin);
    memcom_free(g->bmax);
    memcom_free(g->start);
    memcom_free(g->items);
    memcom_free(g->ub);
    memcom_free(g->seed_idx);
    memcom_free(g->seed_score);
    memcom_free(g->tpart);
    memset(g, 0, sizeof *g);
    g->off = off;
}

/* The buckets of items [i0, i0 + len) other than i mod m: a pointer to them
 * (u32), or u16 in *b16; mcc_table_bucket one by one only for hash buckets
 * not materialised (the engine always materialises them). */
static const uint32_t *mcc_bucket_run(const mcc_table *t, const uint32_t *hash_b, uint32_t i0, const uint16_t **b16)
{
    *b16 = NULL;
    if (hash_b) return hash_b + i0;
    if (t->desc.bucket_mode != MEMCOM_BUCKET_EXPLICIT) return NULL;
    if (t->desc.bucket_dtype == MEMCOM_DTYPE_U16) {
        *b16 = (const uint16_t *)t->buckets + i0;
        return NULL;
    }
    return (const uint32_t *)t->buckets + i0;
}

static inline uint32_t mcc_run_at(const mcc_table *t, const uint32_t *b32, const uint16_t *b16, uint32_t i0, uint32_t j)
{
    return b32 ? b32[j] : b16 ? b16[j] : mcc_table_bucket(t, i0 + j);
}

/* items of each bucket, ascending, for buckets other than i mod m (counting sort) */
static int mcc_bounds_lists(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, uint32_t n)
{
    uint32_t m = t->desc.m;
    g->start = (uint32_t *)memcom_malloc(sizeof(uint32_t) * ((size_t)m + 1));
    g->items = (uint32_t *)memcom_malloc(sizeof(uint32_t) * (n ? n : 1));
    if (!g->start || !g->items) return MEMCOM_E_NOMEM;
    uint32_t *start = g->start, *items = g->items;
    const uint16_t *b16;
    memset(start, 0, sizeof(uint32_t) * ((size_t)m + 1));
    const uint32_t *b32 = mcc_bucket_run(t, hash_b, 0, &b16);
    for (uint32_t i = 0; i < n; i++) start[mcc_run_at(t, b32, b16, 0, i) + 1]++;
    for (uint32_t r = 0; r < m; r++) start[r + 1] += start[r];
    /* fill with start[r] as the cursor of bucket r, then shift back */
    for (uint32_t i = 0; i < n; i++) items[start[mcc_run_at(t, b32, b16, 0, i)]++] = i;
    for (uint32_t r = m; r > 0; r--) start[r] = start[r - 1];
    start[0] = 0;
    return MEMCOM_OK;
}

/* hi[r] = max(hi[r], x[j]) and lo[r] = min(lo[r], x[j]) over a run of
 * consecutive buckets (i mod m): separate arrays, so compilers vectorise it */
static void mcc_max_run(float *restrict hi, const float *restrict x, uint32_t len)
{
    for (uint32_t j = 0; j < len; j++) hi[j] = x[j] > hi[j] ? x[j] : hi[j];
}
static void mcc_min_run(float *restrict lo, const float *restrict x, uint32_t len)
{
    for (uint32_t j = 0; j < len; j++) lo[j] = x[j] < lo[j] ? x[j] : lo[j];
}

/* the maxima (and minima of w) of items [i0, i0 + len) into their buckets;
 * w, b: their f32 values (NULL: none) */
static void mcc_bounds_block(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, uint32_t i0, uint32_t len,
                             const float *w, const float *b)
{
    uint32_t m = t->desc.m;
    if (t->desc.bucket_mode == MEMCOM_BUCKET_MOD) {
        /* items i0 .. are buckets i0 mod m, i0 mod m + 1, ..., wrapping at m */
        for (uint32_t j = 0, r = i0 % m; j < len; r = 0) {
            uint32_t run = m - r < len - j ? m - r : len - j;
            if (w) {
                mcc_max_run(g->wmax + r, w + j, run);
                mcc_min_run(g->wmin + r, w + j, run);
            }
            if (b) mcc_max_run(g->bmax + r, b + j, run);
            j += run;
        }
        return;
    }
    const uint16_t *b16;
    const uint32_t *b32 = mcc_bucket_run(t, hash_b, i0, &b16);
    for (uint32_t j = 0; j < len; j++) {
        uint32_t r = mcc_run_at(t, b32, b16, i0, j);
        if (w) {
            g->wmax[r] = w[j] > g->wmax[r] ? w[j] : g->wmax[r];
            g->wmin[r] = w[j] < g->wmin[r] ? w[j] : g->wmin[r];
        }
        if (b) g->bmax[r] = b[j] > g->bmax[r] ? b[j] : g->bmax[r];
    }
}

/* the part of an item of bucket r (m buckets): m + r for w >= 0 (and -0), r for w < 0 */
static inline uint32_t mcc_part(uint32_t r, float w, uint32_t m) { return (w < 0.0f ? 0u : m) + r; }

/* The buckets of a block one by one: a running i mod m, or the run pointers */
typedef struct mcc_bucket_iter {
    const mcc_table *t;
    const uint32_t *b32;
    const uint16_t *b16;
    uint32_t i0, r;
} mcc_bucket_iter;

static void mcc_iter_block(mcc_bucket_iter *it, const uint32_t *hash_b, uint32_t i0)
{
    it->i0 = i0;
    it->b32 = NULL;
    it->b16 = NULL;
    if (it->t->desc.bucket_mode == MEMCOM_BUCKET_MOD) it->r = i0 % it->t->desc.m;
    else it->b32 = mcc_bucket_run(it->t, hash_b, i0, &it->b16);
}

static inline uint32_t mcc_iter_next(mcc_bucket_iter *it, uint32_t j)
{
    if (it->t->desc.bucket_mode != MEMCOM_BUCKET_MOD) return mcc_run_at(it->t, it->b32, it->b16, it->i0, j);
    uint32_t r = it->r;
    if (++it->r == it->t->desc.m) it->r = 0;
    return r;
}

/* i mod m buckets, split: the parts' extremes over a run of consecutive
 * buckets, each item into its sign's half (selects, so it vectorises) */
static void mcc_split_run(float *restrict neg_hi, float *restrict neg_lo, float *restrict pos_hi, float *restrict pos_lo,
                          float *restrict neg_b, float *restrict pos_b, const float *restrict w, const float *restrict b,
                          uint32_t len)
{
    for (uint32_t j = 0; j < len; j++) {
        int neg = w[j] < 0.0f;
        float wn = neg ? w[j] : -INFINITY, wp = neg ? -INFINITY : w[j];
        float vn = neg ? w[j] : INFINITY, vp = neg ? INFINITY : w[j];
        neg_hi[j] = wn > neg_hi[j] ? wn : neg_hi[j];
        pos_hi[j] = wp > pos_hi[j] ? wp : pos_hi[j];
        neg_lo[j] = vn < neg_lo[j] ? vn : neg_lo[j];
        pos_lo[j] = vp < pos_lo[j] ? vp : pos_lo[j];
    }
    if (!b) return;
    for (uint32_t j = 0; j < len; j++) {
        int neg = w[j] < 0.0f;
        float bn = neg ? b[j] : -INFINITY, bp = neg ? -INFINITY : b[j];
        neg_b[j] = bn > neg_b[j] ? bn : neg_b[j];
        pos_b[j] = bp > pos_b[j] ? bp : pos_b[j];
    }
}

/* How many buckets hold at least 1 in MC_BOUNDS_SPLIT_SHARE of their items
 * with each sign of w; -1 without memory for the counts */
static int64_t mcc_count_mixed(const mcc_table *t, const uint32_t *hash_b, uint32_t n)
{
    const memcom_table_desc *td = &t->desc;
    uint32_t m = td->m;
    uint32_t *neg = (uint32_t *)memcom_malloc(sizeof(uint32_t) * m), *all = (uint32_t *)memcom_malloc(sizeof(uint32_t) * m);
    if (!neg || !all) {
        memcom_free(neg);
        memcom_free(all);
        return -1;
    }
    memset(neg, 0, sizeof(uint32_t) * m);
    memset(all, 0, sizeof(uint32_t) * m);
    float wbuf[MC_BLOCK];
    mcc_bucket_iter it = {t, NULL, NULL, 0, 0};
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w = mcc_f32_run(t->w, td->scalar_dtype, i0, len, wbuf);
        if (td->bucket_mode == MEMCOM_BUCKET_MOD) {
            /* runs of consecutive buckets: vectorised */
            for (uint32_t j = 0, r = i0 % m; j < len; r = 0) {
                uint32_t run = m - r < len - j ? m - r : len - j;
                for (uint32_t q = 0; q < run; q++) {
                    neg[r + q] += w[j + q] < 0.0f;
                    all[r + q]++;
                }
                j += run;
            }
            continue;
        }
        mcc_iter_block(&it, hash_b, i0);
        for (uint32_t j = 0; j < len; j++) {
            uint32_t r = mcc_iter_next(&it, j);
            neg[r] += w[j] < 0.0f;
            all[r]++;
        }
    }
    int64_t mixed = 0;
    for (uint32_t r = 0; r < m; r++) {
        uint32_t few = neg[r] < all[r] - neg[r] ? neg[r] : all[r] - neg[r];
        mixed += all[r] && (uint64_t)few * MC_BOUNDS_SPLIT_SHARE >= all[r];
    }
    memcom_free(neg);
    memcom_free(all);
    return mixed;
}

/* Sign-mixed buckets (items of both signs of w) bound loosely: the bound
 * takes the largest |w| and the largest bias over the bucket, which may be
 * different items, and either sign of T_r reaches it.  When at least one in
 * MC_BOUNDS_SPLIT_SHARE buckets holds at least one in MC_BOUNDS_SPLIT_SHARE
 * of its items with each sign (a few items of the other sign, as trained
 * models have, gain less from it than the parts cost), rank on parts instead (bounds.h):
 * each part's own extremes, and item lists unless buckets are i mod m (the
 * scan then walks the bucket and keeps the part's sign).  The bound holds
 * for any set of items, so answers are unchanged; the per-bucket arrays are
 * replaced (and the buckets' item lists are not built). */
static int mcc_bounds_split(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, const void *bias, uint32_t bias_dtype,
                            uint32_t n)
{
    const memcom_table_desc *td = &t->desc;
    uint32_t m = td->m, mixed = 0;
    int lists = td->bucket_mode != MEMCOM_BUCKET_MOD;
    for (uint32_t r = 0; r < m; r++) mixed += g->wmin[r] < 0.0f && g->wmax[r] >= 0.0f;
    if ((uint64_t)mixed * MC_BOUNDS_SPLIT_SHARE < m) return MEMCOM_OK; /* too few with both signs at all */
    int64_t many = mcc_count_mixed(t, hash_b, n);
    if (many < 0) return MEMCOM_E_NOMEM;
    if ((uint64_t)many * MC_BOUNDS_SPLIT_SHARE < m) return MEMCOM_OK;
    size_t np = 2 * (size_t)m;
    float *wmax = (float *)memcom_malloc(sizeof(float) * np), *wmin = (float *)memcom_malloc(sizeof(float) * np);
    float *bmax = bias ? (float *)memcom_malloc(sizeof(float) * np) : NULL, *ub = (float *)memcom_malloc(sizeof(float) * np);
    float *tpart = (float *)memcom_malloc(sizeof(float) * np);
    uint32_t *start = lists ? (uint32_t *)memcom_malloc(sizeof(uint32_t) * (np + 1)) : NULL;
    uint32_t *items = lists ? (uint32_t *)memcom_malloc(sizeof(uint32_t) * (n ? n : 1)) : NULL;
    if (!wmax || !wmin || (bias && !bmax) || !ub || !tpart || (lists && (!start || !items))) {
        memcom_free(wmax); memcom_free(wmin); memcom_free(bmax); memcom_free(ub);
        memcom_free(tpart); memcom_free(start); memcom_free(items);
        return MEMCOM_E_NOMEM;
    }
    for (size_t q = 0; q < np; q++) {
        wmax[q] = -INFINITY;
        wmin[q] = INFINITY;
        if (bmax) bmax[q] = -INFINITY;
    }
    if (lists) memset(start, 0, sizeof(uint32_t) * (np + 1));
    float wbuf[MC_BLOCK], bbuf[MC_BLOCK];
    mcc_bucket_iter it = {t, NULL, NULL, 0, 0};
    /* the extremes (and sizes) of the parts */
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w = mcc_f32_run(t->w, td->scalar_dtype, i0, len, wbuf);
        const float *b = bias ? mcc_f32_run(bias, bias_dtype, i0, len, bbuf) : NULL;
        if (!lists) {
            for (uint32_t j = 0, r = i0 % m; j < len; r = 0) {
                uint32_t run = m - r < len - j ? m - r : len - j;
                mcc_split_run(wmax + r, wmin + r, wmax + m + r, wmin + m + r, b ? bmax + r : NULL, b ? bmax + m + r : NULL,
                              w + j, b ? b + j : NULL, run);
                j += run;
            }
            continue;
        }
        mcc_iter_block(&it, hash_b, i0);
        for (uint32_t j = 0; j < len; j++) {
            uint32_t q = mcc_part(mcc_iter_next(&it, j), w[j], m);
            wmax[q] = w[j] > wmax[q] ? w[j] : wmax[q];
            wmin[q] = w[j] < wmin[q] ? w[j] : wmin[q];
            if (b) bmax[q] = b[j] > bmax[q] ? b[j] : bmax[q];
            start[q + 1]++;
        }
    }
    for (size_t q = 0; q < np; q++) {
        if (lists) start[q + 1] += start[q];
        if (wmax[q] < wmin[q]) wmax[q] = wmin[q] = 0.0f; /* an empty part: as an empty bucket */
        if (bmax && bmax[q] == -INFINITY) bmax[q] = 0.0f;
    }
    /* their items, ascending */
    for (uint32_t i0 = 0; lists && i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w = mcc_f32_run(t->w, td->scalar_dtype, i0, len, wbuf);
        mcc_iter_block(&it, hash_b, i0);
        for (uint32_t j = 0; j < len; j++) items[start[mcc_part(mcc_iter_next(&it, j), w[j], m)]++] = i0 + j;
    }
    if (lists) {
        for (size_t q = np; q > 0; q--) start[q] = start[q - 1];
        start[0] = 0;
    }
    memcom_free(g->wmax); memcom_free(g->wmin); memcom_free(g->bmax); memcom_free(g->ub);
    g->wmax = wmax;
    g->wmin = wmin;
    g->bmax = bmax;
    g->ub = ub;
    g->tpart = tpart;
    g->start = start;
    g->items = items;
    g->nb = (uint32_t)np;
    g->split = 1;
    return MEMCOM_OK;
}

const float *mcc_bounds_tvals(mcc_bounds *g, const float *tvals)
{
    if (!g->split) return tvals;
    size_t m = g->nb / 2;
    memcpy(g->tpart, tvals, sizeof(float) * m);
    memcpy(g->tpart + m, tvals, sizeof(float) * m);
    return g->tpart;
}

int mcc_bounds_init(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, const void *bias, uint32_t bias_dtype,
                    uint32_t n)
{
    if (g->state) return MEMCOM_OK;
    const memcom_table_desc *td = &t->desc;
    uint32_t m = td->m;
    /* worth it only when buckets hold several items on average */
    if (g->off || !mcc_kind_has_buckets(td->kind) || m == 0 || (uint64_t)m * 2 > n) {
        g->state = -1;
        return MEMCOM_OK;
    }
    int has_w = td->kind == MEMCOM_KIND_MEMCOM;
    g->ub = (float *)memcom_malloc(sizeof(float) * m);
    if (has_w) {
        g->wmax = (float *)memcom_malloc(sizeof(float) * m);
        g->wmin = (float *)memcom_malloc(sizeof(float) * m);
    }
    if (bias) g->bmax = (float *)memcom_malloc(sizeof(float) * m);
    int rc = MEMCOM_OK;
    if (!g->ub || (has_w && (!g->wmax || !g->wmin)) || (bias && !g->bmax)) rc = MEMCOM_E_NOMEM;
    if (rc) {
        mcc_bounds_free(g);
        return rc;
    }
    for (uint32_t r = 0; r < m; r++) {
        if (has_w) {
            g->wmax[r] = -INFINITY;
            g->wmin[r] = INFINITY;
        }
        if (bias) g->bmax[r] = -INFINITY;
    }
    /* block by block, the values as f32 (f16 decoded), the buckets without a
     * call per item: the same maxima as item by item, at memory speed */
    float wbuf[MC_BLOCK], bbuf[MC_BLOCK];
    float babs = 0.0f;
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w = has_w ? mcc_f32_run(t->w, td->scalar_dtype, i0, len, wbuf) : NULL;
        const float *b = bias ? mcc_f32_run(bias, bias_dtype, i0, len, bbuf) : NULL;
        mcc_bounds_block(g, t, hash_b, i0, len, w, b);
        if (b) {
            float a = mcc_abs_max_f32(b, len);
            babs = a > babs ? a : babs;
        }
    }
    /* an empty bucket (possible with hash or explicit buckets) has no items to
     * bound: 0 keeps the kernel's arithmetic finite, and nothing is scored;
     * max |w_i| is the largest |wmax_r|, |wmin_r| of the others */
    float wabs = has_w ? 0.0f : 1.0f;
    for (uint32_t r = 0; r < m; r++) {
        if (has_w && g->wmax[r] < g->wmin[r]) g->wmax[r] = g->wmin[r] = 0.0f;
        if (has_w) {
            float a = fabsf(g->wmax[r]) > fabsf(g->wmin[r]) ? fabsf(g->wmax[r]) : fabsf(g->wmin[r]);
            wabs = a > wabs ? a : wabs;
        }
        if (bias && g->bmax[r] == -INFINITY) g->bmax[r] = 0.0f;
    }
    g->wabs = wabs;
    g->babs = babs;
    g->nb = m;
    /* split by the sign of w (its own lists), or the buckets' item lists */
    if (has_w) rc = mcc_bounds_split(g, t, hash_b, bias, bias_dtype, n);
    if (!rc && !g->split && td->bucket_mode != MEMCOM_BUCKET_MOD) rc = mcc_bounds_lists(g, t, hash_b, n);
    if (rc) {
        mcc_bounds_free(g);
        return rc;
    }
    g->state = 1;
    return MEMCOM_OK;
}

int mcc_bounds_reserve(mcc_bounds *g, uint32_t n, size_t k)
{
    if (g->state != 1) return MEMCOM_OK;
    uint32_t m = g->nb;
    size_t per = ((size_t)n + m - 1) / m, first = (2 * k + per - 1) / per + 2, most = n / MC_BOUNDS_MAX_SHARE / per + 1;
    size_t want = first > most ? first : most;
    return mcc_pairs_reserve(&g->seed_idx, &g->seed_score, &g->seed_cap, want < m ? want : m);
}

int mcc_bounds_try(mcc_bounds *g) { return mcc_backoff_try(&g->backoff); }

void mcc_bounds_outcome(mcc_bounds *g, int pruned) { mcc_backoff_outcome(&g->backoff, pruned); }

int mcc_bounds_usable(const mcc_bounds *g, float tmax, int use_bias)
{
    if (!(tmax < INFINITY)) return 0; /* an infinite or NaN bucket value */
    double b = use_bias ? g->babs : 0.0;
    return g->wabs * (double)tmax + b < 1e37; /* else scores or bounds could overflow */
}
