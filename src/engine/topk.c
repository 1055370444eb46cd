/*
 * topk.c - exact top-k with a bounded min-heap kept in the caller's output
 * arrays.  Order: higher score first, equal scores -> lower index first.
 * The root is the worst kept entry.  NaN scores rank as -infinity.
 */
#include <math.h>

#include "topk.h"

/* 1 if (sa, ia) ranks after (sb, ib) */
static inline int mcc_worse(float sa, uint32_t ia, float sb, uint32_t ib)
{
    return sa < sb || (sa == sb && ia > ib);
}

void mcc_topk_init(mcc_topk *h, uint32_t *idx, float *score, size_t k)
{
    h->idx = idx;
    h->score = score;
    h->n = 0;
    h->k = k;
}

static void mcc_sift_down(mcc_topk *h, size_t pos, size_t n)
{
    uint32_t i = h->idx[pos];
    float s = h->score[pos];
    for (;;) {
        size_t c = 2 * pos + 1;
        if (c >= n) break;
        if (c + 1 < n && mcc_worse(h->score[c + 1], h->idx[c + 1], h->score[c], h->idx[c])) c++;
        if (!mcc_worse(h->score[c], h->idx[c], s, i)) break;
        h->idx[pos] = h->idx[c];
        h->score[pos] = h->score[c];
        pos = c;
    }
    h->idx[pos] = i;
    h->score[pos] = s;
}

void mcc_topk_offer(mcc_topk *h, uint32_t i, float s)
{
    if (s != s) s = -INFINITY;
    if (h->n < h->k) {
        size_t pos = h->n++;
        while (pos > 0) {
            size_t parent = (pos - 1) / 2;
            if (!mcc_worse(s, i, h->score[parent], h->idx[parent])) break;
            h->idx[pos] = h->idx[parent];
            h->score[pos] = h->score[parent];
            pos = parent;
        }
        h->idx[pos] = i;
        h->score[pos] = s;
        return;
    }
    if (h->k == 0 || !mcc_worse(h->score[0], h->idx[0], s, i)) return;
    h->idx[0] = i;
    h->score[0] = s;
    mcc_sift_down(h, 0, h->n);
}

int mcc_pairs_reserve(uint32_t **idx, float **score, size_t *cap, size_t want)
{
    if (*cap >= want) return MEMCOM_OK;
    /* the old contents are not kept: free them first, so that growing never
     * holds both sizes at once (working_bytes counts the largest only) */
    memcom_free(*idx);
    memcom_free(*score);
    *idx = (uint32_t *)mcc_malloc_touched(sizeof(uint32_t) * want); /* reserved for rankings to write */
    *score = (float *)mcc_malloc_touched(sizeof(float) * want);
    if (!*idx || !*score) {
        memcom_free(*idx);
        memcom_free(*score);
        *idx = NULL;
        *score = NULL;
        *cap = 0;
        return MEMCOM_E_NOMEM;
    }
    *cap = want;
    return MEMCOM_OK;
}

size_t mcc_topk_finish(mcc_topk *h)
{
    for (size_t end = h->n; end > 1; end--) {
        uint32_t ti = h->idx[0];
        float ts = h->score[0];
        h->idx[0] = h->idx[end - 1];
        h->score[0] = h->score[end - 1];
        h->idx[end - 1] = ti;
        h->score[end - 1] = ts;
        mcc_sift_down(h, 0, end - 1);
    }
    return h->n;
}
