/*
 * bounds.h - per-bucket score bounds for hash/memcom output tables, so that
 * top-k skips the buckets none of whose items can reach it (bounds.c proves
 * them exact; scan.c ranks by bucket with them).
 */
#ifndef MEMCOM_ENGINE_BOUNDS_H
#define MEMCOM_ENGINE_BOUNDS_H

#include "../table.h"
#include "backoff.h"

#define MC_BOUNDS_MAX_SHARE 32u /* rank by bucket when at most n / this many items are left to score */

#define MC_BOUNDS_SPLIT_SHARE 4u /* split by the sign of w when >= 1 in 4 buckets have >= 1 in 4 items of each sign */

/* What is ranked on: the m buckets, or (split) 2 m parts, part r holding
 * the items of bucket r with w < 0 and part m + r the others; "bucket"
 * below means either. */
typedef struct mcc_item {
    float w, b;               /* w_i and bias b_i (f32; 0 without a bias) */
    uint32_t i;
} mcc_item;
typedef struct mcc_bounds {
    int state;                /* 0 not examined, 1 usable, -1 not for this table */
    int off;                  /* memcom_set_bucket_bounds(model, 0) */
    int split;                /* 1: nb = 2 m sign parts */
    int mod;                  /* buckets i mod m: each holds about n / nb items (or, split, its sign's share) */
    uint32_t nb;              /* buckets ranked on: m, or 2 m when split */
    float *wmax, *wmin;       /* per bucket over its items' w (memcom), nb each */
    float *bmax;              /* per bucket max output bias (NULL without bias) */
    uint32_t *start;          /* with lists: bucket r holds entries start[r] .. start[r+1] - 1 of these: */
    uint32_t *items;          /* hash buckets other than i mod m: the items, ascending */
    mcc_item *wb;             /* memcom: the items with their w and bias, each bucket's run ascending by w
                               * (ties by index); buckets other than i mod m: once sorted (mcc_bounds_sorted) */
    uint32_t *unsorted;       /* buckets other than i mod m: a bit per list still in index order; each is
                               * sorted when first scored, so that loading does not sort them all */
    mcc_item *sort_tmp;       /* the merge scratch of those sorts (NULL: no list longer than MC_SORT_SHORT) */
    double wabs, babs;        /* max |w_i| (1 for hash tables), max |b_i| */
    float *ub;                /* nb: this query's bounds */
    float *tpart;             /* split: nb, each part's bucket value T_(r mod m) for this query */
    uint32_t *seed_idx;       /* the buckets scored first */
    float *seed_score;
    size_t seed_cap;
    mcc_backoff backoff;      /* tried on every ranking, or (pruning too little) now and then */
    float touched;            /* what the scan's prefetch of bucket lists read (kept, so that it is read) */
    uint64_t n_ranked, n_linear, n_scored; /* rankings that tried the bounds; of those, scanned item by item;
                                             * items scored in the others (those that finished by bucket) */
} mcc_bounds;
/* how many items bucket r holds (n items in nb buckets; without lists, the
 * buckets are i mod nb) */
static inline size_t mcc_bounds_size(const mcc_bounds *g, uint32_t r, uint32_t n, uint32_t nb)
{
    if (g->start) return g->start[r + 1] - g->start[r];
    return r < n ? (size_t)(n - 1 - r) / nb + 1 : 0;
}
/* sorts list r (g->wb) if it is still in index order (bounds.c) */
void mcc_bounds_sort(mcc_bounds *g, uint32_t r);
/* list r of g->wb in order of w, as a scan that stops early needs it */
static inline void mcc_bounds_sorted(mcc_bounds *g, uint32_t r)
{
    if (g->unsorted && (g->unsorted[r >> 5] >> (r & 31) & 1u)) mcc_bounds_sort(g, r);
}
/* examine the table once: state 1 for hash/memcom tables of n >= 2 m items;
 * memcom tables whose buckets often mix signs of w are split (bounds.c) */
int mcc_bounds_init(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, const void *bias, uint32_t bias_dtype,
                    uint32_t n);
/* room for the buckets scan.c scores in rounds for a top-k of k <= this k
 * (at most about n / MC_BOUNDS_MAX_SHARE items' buckets a round): built with
 * the rest by memcom_prepare, so that the first ranking allocates nothing */
int mcc_bounds_reserve(mcc_bounds *g, uint32_t n, size_t k);
/* the bucket values to bound with: tvals (m) itself, or each part's (split) */
const float *mcc_bounds_tvals(mcc_bounds *g, const float *tvals);
/* 1 when this ranking should try the bounds (backoff.h: after rankings
 * where they pruned too little, only now and then) */
int mcc_bounds_try(mcc_bounds *g);
/* record whether a ranking that tried them could use them */
void mcc_bounds_outcome(mcc_bounds *g, int pruned);
/* 1 when this query's bounds are exact (no overflow); tmax = max |T_r| */
int mcc_bounds_usable(const mcc_bounds *g, float tmax, int use_bias);
void mcc_bounds_free(mcc_bounds *g);

#endif
