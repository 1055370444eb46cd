/*
 * topk.h - exact top-k with a bounded min-heap kept in caller-provided arrays
 * (topk.c).  Order: higher score first, equal scores -> lower index first.
 */
#ifndef MEMCOM_ENGINE_TOPK_H
#define MEMCOM_ENGINE_TOPK_H

#include "../base/base.h"

typedef struct mcc_topk {
    uint32_t *idx;
    float *score;
    size_t n, k;
} mcc_topk;
void mcc_topk_init(mcc_topk *h, uint32_t *idx, float *score, size_t k);
void mcc_topk_offer(mcc_topk *h, uint32_t i, float s);
static inline int mcc_topk_full(const mcc_topk *h) { return h->n == h->k; }
static inline float mcc_topk_threshold(const mcc_topk *h) { return h->score[0]; } /* when full */
/* grow a pair of index / score arrays (memcom_malloc'd, *cap entries) to at
 * least want entries; the contents are not kept */
int mcc_pairs_reserve(uint32_t **idx, float **score, size_t *cap, size_t want);
/* sorts in place: descending score, ties by ascending index; returns n */
size_t mcc_topk_finish(mcc_topk *h);

#endif
