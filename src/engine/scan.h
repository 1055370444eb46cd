/*
 * scan.h - the passes of the ranking engine over the catalogue (scan.c), for
 * its driver (rank.c): item by item in blocks, or bucket by bucket with the
 * bucket bounds.  Not used outside engine/.
 */
#ifndef MEMCOM_ENGINE_SCAN_H
#define MEMCOM_ENGINE_SCAN_H

#include "../kernels/kernels.h"
#include "engine.h"

/* f32 view of the bias for items [i0, i0+len) times the query's bias_scale
 * (fl(scale * b), as mcc_bias_one), or NULL */
static inline const float *mcc_bias_block(mcc_engine *e, uint32_t i0, uint32_t len)
{
    const float *b = mcc_f32_run(e->bias, e->bias_dtype, i0, len, e->bias_buf);
    if (!b || e->bias_scale == 1.0f) return b;
    for (uint32_t j = 0; j < len; j++) e->bias_buf[j] = e->bias_scale * b[j];
    return e->bias_buf;
}

/* the bias of item i times the query's bias_scale (there is a bias) */
static inline float mcc_bias_one(const mcc_engine *e, uint32_t i)
{
    return e->bias_scale * mcc_f32_or_f16_at(e->bias, e->bias_dtype, i);
}

/* A cosine lies in [-1, 1]; float rounding can push it just beyond (and
 * further for qr tables whose factors are subnormal: found by the loader
 * fuzzer, two identical embeddings at 1.0018).  NaN stays NaN. */
static inline float mcc_clamp_cos(float c) { return c > 1.0f ? 1.0f : c < -1.0f ? -1.0f : c; }

/* One pass over the catalogue into the heap h (s prepared).  With pre the
 * scores are the approximate ones and every item that may still reach the top
 * k is also kept as a candidate; returns -1 when there are too many of those,
 * else 0. */
int mcc_scan_all(mcc_engine *e, mcc_scorer *s, mcc_topk *h, int use_bias, int cosine, mcc_prerank *pre);

/* Top-k by bucket (s prepared).  Returns 1 when ranked, 0 when the bounds
 * would prune too little (h and pre hold partial results: the caller starts
 * over), -1 when pre has too many candidates. */
int mcc_scan_buckets(mcc_engine *e, mcc_scorer *s, mcc_bounds *g, mcc_topk *h, int use_bias, mcc_prerank *pre);

#endif
