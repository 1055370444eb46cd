/* short_input.c - the short-history inputs of training (--short-histories):
 * which of a user's training items are the input of a step, the others being
 * its targets. */
#include <string.h>

#include "train.h"

uint32_t mt_short_sample(mt_rng *r, uint32_t len, uint32_t max_h, uint8_t *keep)
{
    if (len < 2 || max_h == 0) {
        memset(keep, 1, len);
        return 0;
    }
    uint32_t top = max_h < len - 1 ? max_h : len - 1;
    uint32_t h = 1 + mt_rng_below(r, top);
    /* selection sampling: position k is taken with probability
     * (still needed) / (positions left), so exactly h are, every subset of h
     * alike */
    uint32_t need = h;
    for (uint32_t k = 0; k < len; k++) {
        uint8_t take = need && mt_rng_below(r, len - k) < need;
        keep[k] = take;
        need -= take;
    }
    return h;
}
