/* list_stats.c - how personal a set of top lists is: the share of slots held
 * by the most popular items, the mean Jaccard overlap of two users' lists
 * (over all pairs, or seeded random pairs past a limit) and the share of the
 * catalogue that any list shows. */
#include <stdlib.h>
#include <string.h>

#include "train.h"

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

/* |A n B| of two sorted lists without repeats */
static uint32_t common(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
    uint32_t i = 0, j = 0, c = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            c++;
            i++;
            j++;
        }
    }
    return c;
}

static double jaccard(const uint32_t *sorted, const uint8_t *len, uint32_t k, uint32_t u, uint32_t v)
{
    uint32_t c = common(sorted + (size_t)u * k, len[u], sorted + (size_t)v * k, len[v]);
    uint32_t uni = len[u] + len[v] - c;
    return uni ? (double)c / (double)uni : 0.0;
}

void mt_list_stats_compute(const uint32_t *lists, const uint8_t *len, uint32_t n_lists, uint32_t k,
                           uint32_t n_items, uint32_t n_popular, uint64_t max_pairs, uint64_t seed,
                           mt_list_stats *out)
{
    memset(out, 0, sizeof *out);
    /* each list sorted, so that pairs intersect by merging */
    uint32_t *sorted = mt_xmalloc(((size_t)n_lists * k + 1) * sizeof *sorted);
    uint8_t *seen = mt_xcalloc(n_items ? n_items : 1, 1);
    uint64_t popular = 0;
    for (uint32_t u = 0; u < n_lists; u++) {
        uint32_t *s = sorted + (size_t)u * k;
        memcpy(s, lists + (size_t)u * k, len[u] * sizeof *s);
        qsort(s, len[u], sizeof *s, u32_cmp);
        for (uint32_t q = 0; q < len[u]; q++) {
            if (s[q] < n_popular) popular++;
            if (s[q] < n_items && !seen[s[q]]) {
                seen[s[q]] = 1;
                out->distinct++;
            }
        }
        out->slots += len[u];
    }
    double jsum = 0;
    uint64_t all = (uint64_t)n_lists * (n_lists ? n_lists - 1 : 0) / 2;
    if (max_pairs == 0 || all <= max_pairs) {
        for (uint32_t u = 0; u < n_lists; u++)
            for (uint32_t v = u + 1; v < n_lists; v++) jsum += jaccard(sorted, len, k, u, v);
        out->pairs = all;
    } else {
        /* uniform pairs of two different lists, seeded */
        mt_rng rng;
        mt_rng_seed(&rng, seed ^ 0x1AC7A2Dull);
        for (uint64_t p = 0; p < max_pairs; p++) {
            uint32_t u = mt_rng_below(&rng, n_lists), v = mt_rng_below(&rng, n_lists - 1);
            jsum += jaccard(sorted, len, k, u, v >= u ? v + 1 : v);
        }
        out->pairs = max_pairs;
        out->sampled = 1;
    }
    out->popular_share = out->slots ? (double)popular / (double)out->slots : 0;
    out->jaccard = out->pairs ? jsum / (double)out->pairs : 0;
    out->coverage = n_items ? (double)out->distinct / (double)n_items : 0;
    free(sorted);
    free(seen);
}
