/*
 * scan.c - the passes of the ranking engine over the catalogue: every item in
 * blocks of MC_BLOCK (scores from table.c, filtered against the heap's
 * threshold by the mk_scan kernel), or bucket by bucket in rounds with the
 * per-bucket score bounds of bounds.c.  Both offer the same scores, rounded
 * the same way, to the same heap: the answers do not depend on the path.
 */
#include <math.h>

#include "scan.h"

/* (scan.h) called twice per ranking at most: keep one copy of the scan */
MC_NOINLINE int mcc_scan_all(mcc_engine *e, mcc_scorer *s, mcc_topk *h, int use_bias, int cosine, mcc_prerank *pre)
{
    const uint32_t *bm = e->bitmap;
    uint32_t n = e->n;
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w, *tt;
        int full = mcc_topk_full(h);
        float thr = full ? mcc_topk_threshold(h) : INFINITY;
        float floor = -INFINITY;
        if (pre && full) {
            floor = mcc_prerank_floor(pre, thr);
            thr = nextafterf(floor, -INFINITY); /* hits: every score >= floor */
        }
        mcc_scorer_block(s, i0, len, &w, &tt);
        size_t nh;
        if (cosine) {
            mk_scan(w, tt, NULL, len, INFINITY, e->out_buf, e->hits);
            nh = mk_scan(e->inv_norm + i0, e->out_buf, NULL, len, thr, e->out_buf, e->hits);
        } else {
            nh = mk_scan(w, tt, use_bias ? mcc_bias_block(e, i0, len) : NULL, len, thr, e->out_buf, e->hits);
        }
        size_t count = full ? nh : len;
        for (size_t q = 0; q < count; q++) {
            uint32_t j = full ? e->hits[q] : (uint32_t)q;
            if (mcc_bit(bm, i0 + j)) continue;
            float sc = cosine ? mcc_clamp_cos(e->out_buf[j]) : e->out_buf[j];
            mcc_topk_offer(h, i0 + j, sc);
            if (pre && !mcc_prerank_add(pre, i0 + j, sc, floor)) return -1;
        }
    }
    return 0;
}

/* Bucket bounds (bounds.c): a bucket whose bound is below this cannot hold an
 * item scoring >= the heap's threshold (with pre: >= the candidate floor). */
static float mcc_bucket_floor(const mcc_topk *h, const mcc_prerank *pre)
{
    if (!mcc_topk_full(h)) return -INFINITY;
    float th = mcc_topk_threshold(h);
    return pre ? mcc_prerank_floor(pre, th) : th;
}

/* offer item i's score sc to h (and to pre's candidates); *floor: the
 * bucket floor, kept current as the heap fills (a big bucket would
 * otherwise add all its items).  0, or -1: too many candidates */
static inline int mcc_bucket_offer(mcc_topk *h, mcc_prerank *pre, uint32_t i, float sc, float *floor)
{
    mcc_topk_offer(h, i, sc);
    if (sc < *floor) return 0;
    *floor = mcc_bucket_floor(h, pre);
    return pre && sc >= *floor && !mcc_prerank_add(pre, i, sc, *floor) ? -1 : 0;
}

/* score the items of bucket r (bucket value tr) into h; -1: too many candidates */
static MC_NOINLINE int mcc_score_bucket(mcc_engine *e, mcc_bounds *g, mcc_topk *h, uint32_t r, float tr, int use_bias,
                                        mcc_prerank *pre)
{
    uint32_t n = e->n, nb = g->nb;
    const uint32_t *bm = e->bitmap;
    float floor = mcc_bucket_floor(h, pre);
    size_t cnt = mcc_bounds_size(g, r, n, nb);
    int bias = use_bias && e->bias;
    if (g->wb) {
        /* memcom: in order of w from the end where fl(w * tr) is largest, the
         * same two roundings as mk_scan, fl(fl(w * t) + b); no later item's
         * score exceeds fl(fl(w * tr) + bb) (rounding is monotone, and
         * fl(s * b_i) <= fl(s * bmax)), so the walk stops below the floor */
        mcc_bounds_sorted(g, r);
        const mcc_item *wb = g->wb + g->start[r];
        float bs = e->bias_scale, bb = bias ? bs * g->bmax[r] : 0.0f;
        size_t c = 0;
        for (; c < cnt; c++) {
            size_t p = tr >= 0.0f ? cnt - 1 - c : c;
            float x = wb[p].w * tr;
            if ((bias ? x + bb : x) < floor) break;
            float sc = bias ? x + bs * wb[p].b : x; /* fl(s * b) as mcc_bias_one */
            if (sc < floor) continue; /* neither kept nor a candidate: the item is not read */
            uint32_t i = wb[p].i;
            if (mcc_bit(bm, i)) continue;
            if (mcc_bucket_offer(h, pre, i, sc, &floor)) return -1;
        }
        g->n_scored += c;
        return 0;
    }
    /* hash: every item of the bucket, fl(t + b) */
    const uint32_t *list = g->start ? g->items + g->start[r] : NULL;
    for (size_t c = 0; c < cnt; c++) {
        uint32_t i = list ? list[c] : r + (uint32_t)c * nb;
        if (mcc_bit(bm, i)) continue;
        if (mcc_bucket_offer(h, pre, i, bias ? tr + mcc_bias_one(e, i) : tr, &floor)) return -1;
    }
    g->n_scored += cnt;
    return 0;
}

/* Reads the first entries of buckets r0 + at[q] (q < count) of memcom lists
 * (and their starts) before they are scored: independent loads, whose cache
 * misses the processor overlaps, where scoring bucket after bucket would wait
 * for each (a prefetch: the sum only keeps the loads). */
static void mcc_touch_buckets(mcc_bounds *g, uint32_t r0, const uint32_t *at, size_t count)
{
    if (!g->wb) return;
    float sum = 0.0f;
    for (size_t q = 0; q < count; q++) {
        uint32_t r = r0 + at[q], a = g->start[r], b = g->start[r + 1];
        if (b > a) sum += g->wb[a].w + g->wb[b - 1].w;
    }
    g->touched = sum;
}

/* The bounds of the nb buckets into g->ub when the bucket values tv are the
 * int8 copy's T~ (each T within terr of it, prerank.h): a bucket's items
 * score at most what its bound gives at one end of [T~ - terr, T~ + terr]
 * (w * T is linear in T), so the larger of the two; returns the larger
 * max |t| (as mk_bucket_bounds) */
static float mcc_widened_bounds(mcc_engine *e, mcc_bounds *g, const float *tv, float terr, const float *bmax)
{
    float tmax = 0.0f;
    for (uint32_t r0 = 0; r0 < g->nb; r0 += MC_BLOCK) {
        uint32_t len = g->nb - r0 < MC_BLOCK ? g->nb - r0 : MC_BLOCK;
        float *hi = e->tt_buf, *lo = e->w_buf, *other = e->out_buf, *ub = g->ub + r0;
        for (uint32_t j = 0; j < len; j++) {
            hi[j] = tv[r0 + j] + terr;
            lo[j] = tv[r0 + j] - terr;
        }
        const float *wmin = g->wmin ? g->wmin + r0 : NULL, *wmax = g->wmax ? g->wmax + r0 : NULL, *bm = bmax ? bmax + r0 : NULL;
        float a = mk_bucket_bounds(hi, wmax, wmin, bm, len, ub);
        float b = mk_bucket_bounds(lo, wmax, wmin, bm, len, other);
        for (uint32_t j = 0; j < len; j++) ub[j] = other[j] > ub[j] ? other[j] : ub[j];
        /* not finite stays not finite (mcc_bounds_usable refuses it) */
        if (!(a <= tmax)) tmax = a;
        if (!(b <= tmax)) tmax = b;
    }
    return tmax;
}

/* bucket r's value for scoring its items: tv[r], or (widened bounds) the
 * exact T of its row, as the exact scan computes it (mcc_scorer_one) */
static inline float mcc_bucket_value(const mcc_scorer *s, const mcc_bounds *g, const float *tv, uint32_t r, int widened)
{
    if (!widened) return tv[r];
    uint32_t m = s->t->desc.m;
    return mcc_scorer_row(s, g->split && r >= m ? r - m : r);
}

/* Top-k by bucket (s prepared): the buckets with the highest bounds first,
 * which sets the threshold, then every other bucket whose bound reaches it.
 * Returns 1 when ranked, 0 when the bounds would prune too little (h and pre
 * hold partial results: the caller starts over), -1 when pre has too many
 * candidates. */
MC_NOINLINE int mcc_scan_buckets(mcc_engine *e, mcc_scorer *s, mcc_bounds *g, mcc_topk *h, int use_bias, mcc_prerank *pre)
{
    uint32_t nb = g->nb, n = e->n;
    const float *tv = mcc_bounds_tvals(g, s->tvals);
    /* with a bias weight s in [0, 1): the largest fl(s * b) of a bucket is
     * fl(s * bmax) (rounding is monotonic), added as the kernel adds bmax */
    const float *bmax = use_bias ? g->bmax : NULL;
    float bs = e->bias_scale;
    /* scored on the int8 copy without pre-ranking: exact scores, widened bounds */
    int widened = s->q && !pre;
    float tmax = widened ? mcc_widened_bounds(e, g, tv, e->pre.terr, bs == 1.0f ? bmax : NULL)
                         : mk_bucket_bounds(tv, g->wmax, g->wmin, bs == 1.0f ? bmax : NULL, nb, g->ub);
    if (bmax && bs != 1.0f)
        for (uint32_t r = 0; r < nb; r++) g->ub[r] = g->ub[r] + bs * bmax[r];
    if (!mcc_bounds_usable(g, tmax, use_bias)) return 0;
    /* Rounds: score the best-bounded buckets not yet scored (the first round
     * enough to hold about 2k items, each next round 4x as many buckets:
     * bucket sizes vary, popular items may own a bucket each), which raises
     * the threshold; then count the items of the buckets whose bound still
     * reaches it.  Few enough: score those in one pass over the bounds.
     * Otherwise another round, unless the last one did not halve that count
     * or the rounds themselves have scored more than the budget: then, unless
     * what is left is within twice the budget, the bounds prune too little
     * for this query, which scans every item. */
    size_t per = ((size_t)n + nb - 1) / nb, budget = n / MC_BOUNDS_MAX_SHARE;
    size_t ns = (2 * h->k + per - 1) / per + 2, seeded = 0, picked = 0;
    uint64_t scored0 = g->n_scored, prev_left = 0;
    int done = 0;
    g->n_ranked++;
    for (;;) {
        if (ns > nb - picked) ns = nb - picked;
        if (ns == 0) return 1; /* every bucket scored */
        if (mcc_pairs_reserve(&g->seed_idx, &g->seed_score, &g->seed_cap, ns))
            break; /* no memory for this round: scan every item */
        mcc_topk hs;
        mcc_topk_init(&hs, g->seed_idx, g->seed_score, ns);
        for (uint32_t r0 = 0; r0 < nb; r0 += MC_BLOCK) {
            uint32_t len = nb - r0 < MC_BLOCK ? nb - r0 : MC_BLOCK;
            int full = mcc_topk_full(&hs);
            /* before hs is full, -inf (scored) buckets are skipped by hand;
             * after, the threshold excludes them */
            size_t cnt = full ? mk_scan(NULL, g->ub + r0, NULL, len, mcc_topk_threshold(&hs), e->out_buf, e->hits) : len;
            for (size_t q = 0; q < cnt; q++) {
                uint32_t r = r0 + (full ? e->hits[q] : (uint32_t)q);
                if (g->ub[r] > -INFINITY) mcc_topk_offer(&hs, r, g->ub[r]);
            }
        }
        if (hs.n == 0) return 1; /* cannot happen: an unscored bucket has a finite bound */
        mcc_touch_buckets(g, 0, g->seed_idx, hs.n);
        for (size_t q = 0; q < hs.n; q++) {
            uint32_t r = g->seed_idx[q];
            if (mcc_score_bucket(e, g, h, r, mcc_bucket_value(s, g, tv, r, widened), use_bias, pre)) return -1;
            g->ub[r] = -INFINITY; /* scored */
            seeded += mcc_bounds_size(g, r, n, nb);
        }
        picked += hs.n;
        ns *= 4;
        if (ns > budget / per + 1) ns = budget / per + 1; /* a round scores at most about the budget */
        if (seeded < 2 * h->k && picked < nb) continue;
        /* how many items the buckets still to score hold */
        float f = mcc_bucket_floor(h, pre);
        uint64_t left = 0;
        if (f > -INFINITY) {
            float thr = nextafterf(f, -INFINITY);
            for (uint32_t r0 = 0; r0 < nb; r0 += MC_BLOCK) {
                uint32_t len = nb - r0 < MC_BLOCK ? nb - r0 : MC_BLOCK;
                size_t nh = mk_scan(NULL, g->ub + r0, NULL, len, thr, e->out_buf, e->hits);
                if (g->mod) left += (uint64_t)nh * per; /* i mod m: per estimates every bucket's size, without reading them */
                else
                    for (size_t q = 0; q < nh; q++) left += mcc_bounds_size(g, r0 + e->hits[q], n, nb);
            }
        } else {
            left = n; /* the heap is not full (exclusions): no threshold yet */
        }
        if (left <= budget) {
            done = 1;
            break;
        }
        /* a round that did not halve what is left will not get there (the
         * threshold is already about final: the bounds are loose), or spent;
         * within twice the budget, scoring those buckets still beats a scan */
        if ((prev_left && left * 2 > prev_left) || seeded > budget || picked == nb) {
            done = left <= 2 * (uint64_t)budget;
            break;
        }
        prev_left = left;
    }
    if (!done) {
        g->n_linear++;
        g->n_scored = scored0; /* counted for rankings that finish by bucket */
        return 0;
    }
    for (uint32_t r0 = 0; r0 < nb; r0 += MC_BLOCK) {
        uint32_t len = nb - r0 < MC_BLOCK ? nb - r0 : MC_BLOCK;
        float f = mcc_bucket_floor(h, pre);
        size_t nh = mk_scan(NULL, g->ub + r0, NULL, len, f > -INFINITY ? nextafterf(f, -INFINITY) : -INFINITY,
                            e->out_buf, e->hits);
        mcc_touch_buckets(g, r0, e->hits, nh);
        for (size_t q = 0; q < nh; q++) {
            uint32_t r = r0 + e->hits[q];
            if (g->ub[r] < f) continue; /* the threshold rose since */
            if (mcc_score_bucket(e, g, h, r, mcc_bucket_value(s, g, tv, r, widened), use_bias, pre)) return -1;
            f = mcc_bucket_floor(h, pre);
        }
    }
    return 1;
}
