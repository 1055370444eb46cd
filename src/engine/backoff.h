/*
 * backoff.h - when an accelerator stops paying for itself: after
 * MC_BACKOFF_MISSES rankings in a row where it did not pay (the bucket bounds
 * pruned too little; pre-ranking kept too many candidates, or kept the bounds
 * from pruning), it is tried only on every MC_BACKOFF_RETRY-th ranking, until
 * it pays again.  Answers never depend on it: only which path computes them.
 */
#ifndef MEMCOM_ENGINE_BACKOFF_H
#define MEMCOM_ENGINE_BACKOFF_H

#include <stdint.h>

#define MC_BACKOFF_MISSES 4u /* after this many rankings in a row it did not pay, */
#define MC_BACKOFF_RETRY 16u /* try it again only every this many rankings */

typedef struct mcc_backoff {
    uint32_t misses;          /* rankings in a row where it did not pay */
    uint32_t skipped;         /* rankings since then that did not try it */
} mcc_backoff;

/* 1 when this ranking should try it */
static inline int mcc_backoff_try(mcc_backoff *b)
{
    if (b->misses < MC_BACKOFF_MISSES) return 1;
    if (++b->skipped < MC_BACKOFF_RETRY) return 0;
    b->skipped = 0;
    return 1;
}

/* record whether a ranking that tried it was better for it */
static inline void mcc_backoff_outcome(mcc_backoff *b, int paid)
{
    if (paid) b->misses = 0;
    else if (b->misses < MC_BACKOFF_MISSES) b->misses++;
}

#endif
