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
 * and then (mcc_bounds_try).
 */
#include <math.h>

#include "bounds.h"

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
    memset(g, 0, sizeof *g);
    g->off = off;
}

/* items of each bucket, ascending, for buckets other than i mod m (counting sort) */
static int mcc_bounds_lists(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, uint32_t n)
{
    uint32_t m = t->desc.m;
    g->start = (uint32_t *)memcom_malloc(sizeof(uint32_t) * ((size_t)m + 1));
    g->items = (uint32_t *)memcom_malloc(sizeof(uint32_t) * (n ? n : 1));
    if (!g->start || !g->items) return MEMCOM_E_NOMEM;
    memset(g->start, 0, sizeof(uint32_t) * ((size_t)m + 1));
    for (uint32_t i = 0; i < n; i++) g->start[mcc_bucket_of(t, hash_b, i) + 1]++;
    for (uint32_t r = 0; r < m; r++) g->start[r + 1] += g->start[r];
    /* fill with start[r] as the cursor of bucket r, then shift back */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = mcc_bucket_of(t, hash_b, i);
        g->items[g->start[r]++] = i;
    }
    for (uint32_t r = m; r > 0; r--) g->start[r] = g->start[r - 1];
    g->start[0] = 0;
    return MEMCOM_OK;
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
    if (!rc && td->bucket_mode != MEMCOM_BUCKET_MOD) rc = mcc_bounds_lists(g, t, hash_b, n);
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
    double wabs = has_w ? 0.0 : 1.0, babs = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = mcc_bucket_of(t, hash_b, i);
        if (has_w) {
            float w = mcc_f32_or_f16_at(t->w, td->scalar_dtype, i);
            if (w > g->wmax[r]) g->wmax[r] = w;
            if (w < g->wmin[r]) g->wmin[r] = w;
            if (fabs((double)w) > wabs) wabs = fabs((double)w);
        }
        if (bias) {
            float b = mcc_f32_or_f16_at(bias, bias_dtype, i);
            if (b > g->bmax[r]) g->bmax[r] = b;
            if (fabs((double)b) > babs) babs = fabs((double)b);
        }
    }
    /* an empty bucket (possible with hash or explicit buckets) has no items to
     * bound: 0 keeps the kernel's arithmetic finite, and nothing is scored */
    for (uint32_t r = 0; r < m; r++) {
        if (has_w && g->wmax[r] < g->wmin[r]) g->wmax[r] = g->wmin[r] = 0.0f;
        if (bias && g->bmax[r] == -INFINITY) g->bmax[r] = 0.0f;
    }
    g->wabs = wabs;
    g->babs = babs;
    g->state = 1;
    return MEMCOM_OK;
}

int mcc_bounds_try(mcc_bounds *g)
{
    if (g->misses < MC_BOUNDS_MISSES) return 1;
    if (++g->skipped < MC_BOUNDS_RETRY) return 0;
    g->skipped = 0;
    return 1;
}

void mcc_bounds_outcome(mcc_bounds *g, int pruned)
{
    if (pruned) g->misses = 0;
    else if (g->misses < MC_BOUNDS_MISSES) g->misses++;
}

int mcc_bounds_usable(const mcc_bounds *g, float tmax, int use_bias)
{
    if (!(tmax < INFINITY)) return 0; /* an infinite or NaN bucket value */
    double b = use_bias ? g->babs : 0.0;
    return g->wabs * (double)tmax + b < 1e37; /* else scores or bounds could overflow */
}
