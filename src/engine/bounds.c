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
 * items are pre-ranked with) stay exact.  Memcom tables also keep each
 * bucket's items in order of w (mcc_sort_run), so that the scan of a bucket
 * stops at its first item that cannot reach the floor either (buckets
 * other than i mod m: each list sorted when it is first scored).
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
    memcom_free(g->wb);
    memcom_free(g->unsorted);
    memcom_free(g->sort_tmp);
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

/* hi[r] = max(hi[r], x[j]) over a run of consecutive buckets (i mod m),
 * so compilers vectorise it */
static void mcc_max_run(float *restrict hi, const float *restrict x, uint32_t len)
{
    for (uint32_t j = 0; j < len; j++) hi[j] = x[j] > hi[j] ? x[j] : hi[j];
}

/* hash tables: the bias maxima of items [i0, i0 + len) into their buckets */
static void mcc_bounds_block(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, uint32_t i0, uint32_t len,
                             const float *b)
{
    uint32_t m = t->desc.m;
    if (t->desc.bucket_mode == MEMCOM_BUCKET_MOD) {
        /* items i0 .. are buckets i0 mod m, i0 mod m + 1, ..., wrapping at m */
        for (uint32_t j = 0, r = i0 % m; j < len; r = 0) {
            uint32_t run = m - r < len - j ? m - r : len - j;
            mcc_max_run(g->bmax + r, b + j, run);
            j += run;
        }
        return;
    }
    const uint16_t *b16;
    const uint32_t *b32 = mcc_bucket_run(t, hash_b, i0, &b16);
    for (uint32_t j = 0; j < len; j++) {
        uint32_t r = mcc_run_at(t, b32, b16, i0, j);
        g->bmax[r] = b[j] > g->bmax[r] ? b[j] : g->bmax[r];
    }
}

/* the part of an item of bucket r (m buckets): m + r for w >= 0 (and -0), r for w < 0 */
static inline uint32_t mcc_part(uint32_t r, float w, uint32_t m) { return (w < 0.0f ? 0u : m) + r; }

/* How many buckets hold at least 1 in MC_BOUNDS_SPLIT_SHARE of their items
 * with each sign of w, from the sizes of their parts (cnt: 2 m, part r the
 * items of bucket r with w < 0, part m + r the others) */
static uint32_t mcc_mixed_parts(const uint32_t *cnt, uint32_t m)
{
    uint32_t mixed = 0;
    for (uint32_t r = 0; r < m; r++) {
        uint32_t neg = cnt[r], all = cnt[r] + cnt[m + r], few = neg < all - neg ? neg : all - neg;
        mixed += all && (uint64_t)few * MC_BOUNDS_SPLIT_SHARE >= all;
    }
    return mixed;
}

/* Sign-mixed buckets (items of both signs of w) bound loosely: the bound
 * takes the largest |w| and the largest bias over the bucket, which may be
 * different items, and either sign of T_r reaches it.  When at least one in
 * MC_BOUNDS_SPLIT_SHARE buckets holds at least one in MC_BOUNDS_SPLIT_SHARE
 * of its items with each sign (a few items of the other sign, as trained
 * models have, gain less from it than the parts cost), rank on parts instead (bounds.h):
 * each part's own extremes and item list.  The bound holds for any set of
 * items, so answers are unchanged. */

/* The parts' arrays (2 m each; bmax only with a bias; start 2 m + 1),
 * allocated with -inf / inf extremes and zero sizes */
typedef struct mcc_parts {
    float *wmax, *wmin, *bmax;
    uint32_t *start;
} mcc_parts;

static void mcc_parts_free(mcc_parts *P)
{
    memcom_free(P->wmax);
    memcom_free(P->wmin);
    memcom_free(P->bmax);
    memcom_free(P->start);
    memset(P, 0, sizeof *P);
}

static int mcc_parts_alloc(mcc_parts *P, uint32_t m, int with_bias)
{
    size_t np = 2 * (size_t)m;
    memset(P, 0, sizeof *P);
    P->wmax = (float *)memcom_malloc(sizeof(float) * np);
    P->wmin = (float *)memcom_malloc(sizeof(float) * np);
    if (with_bias) P->bmax = (float *)memcom_malloc(sizeof(float) * np);
    P->start = (uint32_t *)memcom_malloc(sizeof(uint32_t) * (np + 1));
    if (!P->wmax || !P->wmin || (with_bias && !P->bmax) || !P->start) {
        mcc_parts_free(P);
        return MEMCOM_E_NOMEM;
    }
    for (size_t q = 0; q < np; q++) {
        P->wmax[q] = -INFINITY;
        P->wmin[q] = INFINITY;
        if (with_bias) P->bmax[q] = -INFINITY;
    }
    memset(P->start, 0, sizeof(uint32_t) * (np + 1));
    return MEMCOM_OK;
}

/* rank on the parts: empty parts as empty buckets, their arrays (and lists:
 * wb, n, filled by the caller from P->start) replace the buckets' */
static int mcc_parts_install(mcc_bounds *g, mcc_parts *P, uint32_t m)
{
    size_t np = 2 * (size_t)m;
    float *ub = (float *)mcc_malloc_touched(sizeof(float) * np), *tpart = (float *)mcc_malloc_touched(sizeof(float) * np);
    if (!ub || !tpart) {
        memcom_free(ub);
        memcom_free(tpart);
        return MEMCOM_E_NOMEM;
    }
    for (size_t q = 0; q < np; q++) {
        if (P->wmax[q] < P->wmin[q]) P->wmax[q] = P->wmin[q] = 0.0f; /* an empty part: as an empty bucket */
        if (P->bmax && P->bmax[q] == -INFINITY) P->bmax[q] = 0.0f;
    }
    memcom_free(g->wmax); memcom_free(g->wmin); memcom_free(g->bmax); memcom_free(g->ub);
    g->wmax = P->wmax;
    g->wmin = P->wmin;
    g->bmax = P->bmax;
    g->start = P->start;
    g->ub = ub;
    g->tpart = tpart;
    g->nb = (uint32_t)np;
    g->split = 1;
    memset(P, 0, sizeof *P);
    return MEMCOM_OK;
}

/* the buckets of items [i0, i0 + len): u32 (i mod m, and hash buckets not
 * materialised, computed into kbuf, MC_BLOCK) or u16 in *b16 */
static const uint32_t *mcc_bucket_block(const mcc_table *t, const uint32_t *hash_b, uint32_t i0, uint32_t len, uint32_t *kbuf,
                                        const uint16_t **b16)
{
    *b16 = NULL;
    if (t->desc.bucket_mode == MEMCOM_BUCKET_MOD) {
        uint32_t m = t->desc.m;
        for (uint32_t j = 0, r = i0 % m; j < len; j++, r = r + 1 == m ? 0 : r + 1) kbuf[j] = r;
        return kbuf;
    }
    const uint32_t *b32 = mcc_bucket_run(t, hash_b, i0, b16);
    if (b32 || *b16) return b32;
    for (uint32_t j = 0; j < len; j++) kbuf[j] = mcc_table_bucket(t, i0 + j);
    return kbuf;
}

/* A block of items [i0, i0 + len) of a memcom table: their w and bias
 * (NULL without one) as f32, and their buckets (as mcc_bucket_block) */
typedef struct mcc_block {
    float w[MC_BLOCK], b[MC_BLOCK];
    uint32_t k[MC_BLOCK];
    const float *wv, *bv;
    const uint32_t *b32;
    const uint16_t *b16;
} mcc_block;

static void mcc_block_read(mcc_block *B, const mcc_table *t, const uint32_t *hash_b, const void *bias, uint32_t bias_dtype,
                           uint32_t i0, uint32_t len)
{
    B->wv = mcc_f32_run(t->w, t->desc.scalar_dtype, i0, len, B->w);
    B->bv = bias ? mcc_f32_run(bias, bias_dtype, i0, len, B->b) : NULL;
    B->b32 = mcc_bucket_block(t, hash_b, i0, len, B->k, &B->b16);
}

/* Items in order of w within each bucket or part: the scan walks a bucket
 * from the end where w * T_r is largest (T_r >= 0: the largest w) and stops
 * at the first item whose fl(w * T_r) plus the bucket's bias maximum cannot
 * reach the threshold (rounding is monotone: every later item's product is no
 * larger).  A stable sort of each run, ascending w, ties in ascending index
 * (the order they are listed in): short runs by rank, longer ones merged
 * through scratch (half the run). */
#define MC_SORT_SHORT 64u /* runs up to this long: by rank */
static void mcc_sort_run(mcc_item *wb, size_t len, mcc_item *tmp)
{
    if (len <= MC_SORT_SHORT) {
        /* each item's place is the number of items before it in the order:
         * smaller w, or equal w listed earlier (no branches: vectorised) */
        mcc_item out[MC_SORT_SHORT];
        float key[MC_SORT_SHORT];
        for (size_t a = 0; a < len; a++) key[a] = wb[a].w;
        for (size_t a = 0; a < len; a++) {
            float x = key[a];
            uint32_t rank = 0;
            for (size_t c = 0; c < a; c++) rank += key[c] <= x;
            for (size_t c = a + 1; c < len; c++) rank += key[c] < x;
            out[rank] = wb[a];
        }
        memcpy(wb, out, sizeof(mcc_item) * len);
        return;
    }
    size_t h = len / 2;
    mcc_sort_run(wb, h, tmp);
    mcc_sort_run(wb + h, len - h, tmp);
    memcpy(tmp, wb, sizeof(mcc_item) * h);
    size_t l = 0, r = h, o = 0;
    for (; l < h; o++) {
        /* the left run first on ties: stable; a select, not a branch */
        size_t right = r < len && wb[r].w < tmp[l].w;
        wb[o] = *(right ? &wb[r] : &tmp[l]);
        r += right;
        l += 1 - right;
    }
}

/* items of a block into their parts: extremes and sizes (cnt: the parts'
 * sizes, 2 m).  Inlined with b32 or b16 a constant NULL, so each bucket
 * dtype gets its own loop. */
static inline void mcc_parts_run(const mcc_parts *P, uint32_t *restrict cnt, const uint32_t *b32, const uint16_t *b16,
                                 const float *restrict w, const float *restrict b, uint32_t len, uint32_t m)
{
    float *restrict wmax = P->wmax, *restrict wmin = P->wmin, *restrict bmax = P->bmax;
    for (uint32_t j = 0; j < len; j++) {
        uint32_t q = mcc_part(b32 ? b32[j] : b16[j], w[j], m);
        wmax[q] = w[j] > wmax[q] ? w[j] : wmax[q];
        wmin[q] = w[j] < wmin[q] ? w[j] : wmin[q];
        if (b) bmax[q] = b[j] > bmax[q] ? b[j] : bmax[q];
        cnt[q]++;
    }
}

/* Memcom tables, in two passes over the items: the first takes every sign
 * part's extremes and size at once; the sizes decide the split (the rule
 * above), and give the lists' starts; the buckets' extremes are their two
 * parts' merged (w: the same values as over the bucket's items); the second
 * pass lists the items of each bucket or part with their w and bias (wb),
 * each list put in order of w (mcc_sort_run) as it is filled (i mod m) or
 * when first scored (the others).  g holds mcc_bounds_init's m-bucket
 * arrays. */
static int mcc_bounds_parts(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, const void *bias, uint32_t bias_dtype,
                            uint32_t n, float *babs)
{
    const memcom_table_desc *td = &t->desc;
    uint32_t m = td->m;
    size_t np = 2 * (size_t)m;
    mcc_parts P;
    if (mcc_parts_alloc(&P, m, bias != NULL)) return MEMCOM_E_NOMEM;
    uint32_t *cnt = P.start + 1; /* sizes, then (prefix sums) the starts */
    mcc_block B;
    float ba = 0.0f;
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        mcc_block_read(&B, t, hash_b, bias, bias_dtype, i0, len);
        const float *b = B.bv;
        if (B.b16) mcc_parts_run(&P, cnt, NULL, B.b16, B.wv, b, len, m);
        else mcc_parts_run(&P, cnt, B.b32, NULL, B.wv, b, len, m);
        if (b) {
            float a = mcc_abs_max_f32(b, len);
            ba = a > ba ? a : ba;
        }
    }
    *babs = ba;
    int split = (uint64_t)mcc_mixed_parts(cnt, m) * MC_BOUNDS_SPLIT_SHARE >= m;
    uint32_t *start = P.start;
    if (!split) {
        /* the buckets: extremes and sizes of their two parts merged */
        g->start = (uint32_t *)memcom_malloc(sizeof(uint32_t) * ((size_t)m + 1));
        if (!g->start) {
            mcc_parts_free(&P);
            return MEMCOM_E_NOMEM;
        }
        g->start[0] = 0;
        for (uint32_t r = 0; r < m; r++) {
            uint32_t p = m + r;
            g->wmax[r] = P.wmax[p] > P.wmax[r] ? P.wmax[p] : P.wmax[r];
            g->wmin[r] = P.wmin[r] < P.wmin[p] ? P.wmin[r] : P.wmin[p];
            if (bias) g->bmax[r] = P.bmax[p] > P.bmax[r] ? P.bmax[p] : P.bmax[r];
            g->start[r + 1] = g->start[r] + cnt[r] + cnt[p];
        }
        start = g->start;
    } else {
        for (size_t q = 0; q < np; q++) start[q + 1] += start[q];
    }
    g->wb = (mcc_item *)memcom_malloc(sizeof(mcc_item) * (n ? n : 1));
    int rc = g->wb ? MEMCOM_OK : MEMCOM_E_NOMEM;
    if (!rc && split) rc = mcc_parts_install(g, &P, m); /* P.start is g->start from here */
    mcc_parts_free(&P);
    if (rc) return rc;
    /* runs of more than MC_SORT_SHORT are merged through scratch of half the
     * longest (at most every item of two parts: a bucket) */
    size_t nb = split ? np : m, most = 0;
    for (size_t q = 0; q < nb; q++) most = start[q + 1] - start[q] > most ? start[q + 1] - start[q] : most;
    mcc_item *tmp = NULL;
    if (most > MC_SORT_SHORT && !(tmp = (mcc_item *)memcom_malloc(sizeof(mcc_item) * (most / 2 + 1)))) return MEMCOM_E_NOMEM;
    /* the items, ascending, their w and bias, with start[r] as the cursor
     * of bucket or part r, then shifted back */
    mcc_item *wb = g->wb;
    if (td->bucket_mode == MEMCOM_BUCKET_MOD) {
        /* bucket by bucket (items r, r + m, ...: reads in n / m streams that
         * move forward together, writes in order), each bucket's runs sorted
         * while they are in cache */
        for (uint32_t r = 0; r < m; r++) {
            uint32_t lo = split ? start[r] : 0, hi = start[split ? m + r : r];
            for (uint32_t i = r; i < n; i += m) {
                float w = mcc_f32_or_f16_at(t->w, td->scalar_dtype, i);
                uint32_t c = start[split ? mcc_part(r, w, m) : r]++;
                wb[c].w = w;
                wb[c].b = bias ? mcc_f32_or_f16_at(bias, bias_dtype, i) : 0.0f;
                wb[c].i = i;
            }
            if (split) mcc_sort_run(wb + lo, start[r] - lo, tmp);
            mcc_sort_run(wb + hi, start[split ? m + r : r] - hi, tmp);
        }
    } else {
        for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
            uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
            mcc_block_read(&B, t, hash_b, bias, bias_dtype, i0, len);
            const float *w = B.wv, *b = B.bv;
            for (uint32_t j = 0; j < len; j++) {
                uint32_t r = B.b32 ? B.b32[j] : B.b16[j];
                uint32_t c = start[split ? mcc_part(r, w[j], m) : r]++;
                wb[c].w = w[j];
                wb[c].b = b ? b[j] : 0.0f;
                wb[c].i = i0 + j;
            }
        }
    }
    for (size_t q = nb; q > 0; q--) start[q] = start[q - 1];
    start[0] = 0;
    if (td->bucket_mode == MEMCOM_BUCKET_MOD) {
        memcom_free(tmp);
        return rc;
    }
    /* the other lists (filled in item order, scattered) are sorted when first
     * scored (mcc_bounds_sorted): a ranking scores a few hundred of them,
     * where sorting all would add a third to the load of a 1M-item table */
    if (!(g->unsorted = (uint32_t *)mcc_malloc_touched(sizeof(uint32_t) * ((nb + 31) / 32)))) {
        memcom_free(tmp);
        return MEMCOM_E_NOMEM;
    }
    for (size_t q = 0; q < nb; q++)
        if (start[q + 1] - start[q] > 1) g->unsorted[q >> 5] |= 1u << (q & 31);
    g->sort_tmp = tmp;
    return rc;
}

void mcc_bounds_sort(mcc_bounds *g, uint32_t r)
{
    mcc_sort_run(g->wb + g->start[r], g->start[r + 1] - g->start[r], g->sort_tmp);
    g->unsorted[r >> 5] &= ~(1u << (r & 31));
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
    g->ub = (float *)mcc_malloc_touched(sizeof(float) * m); /* written by every ranking */
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
    float bbuf[MC_BLOCK];
    float babs = 0.0f;
    if (has_w) rc = mcc_bounds_parts(g, t, hash_b, bias, bias_dtype, n, &babs); /* split or not, with its lists */
    for (uint32_t i0 = 0; !has_w && bias && i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *b = mcc_f32_run(bias, bias_dtype, i0, len, bbuf);
        mcc_bounds_block(g, t, hash_b, i0, len, b);
        float a = mcc_abs_max_f32(b, len);
        babs = a > babs ? a : babs;
    }
    if (rc) {
        mcc_bounds_free(g);
        return rc;
    }
    /* an empty bucket (possible with hash or explicit buckets) has no items to
     * bound: 0 keeps the kernel's arithmetic finite, and nothing is scored;
     * max |w_i| is the largest |wmax_r|, |wmin_r| of the others (of the
     * parts, once split) */
    uint32_t nb = g->split ? 2 * m : m;
    float wabs = has_w ? 0.0f : 1.0f;
    for (uint32_t r = 0; r < nb; r++) {
        if (has_w && g->wmax[r] < g->wmin[r]) g->wmax[r] = g->wmin[r] = 0.0f;
        if (has_w) {
            float a = fabsf(g->wmax[r]) > fabsf(g->wmin[r]) ? fabsf(g->wmax[r]) : fabsf(g->wmin[r]);
            wabs = a > wabs ? a : wabs;
        }
        if (bias && g->bmax[r] == -INFINITY) g->bmax[r] = 0.0f;
    }
    g->wabs = wabs;
    g->babs = babs;
    g->nb = nb;
    g->mod = td->bucket_mode == MEMCOM_BUCKET_MOD;
    /* the buckets' item lists of hash tables */
    if (!has_w && td->bucket_mode != MEMCOM_BUCKET_MOD) rc = mcc_bounds_lists(g, t, hash_b, n);
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
