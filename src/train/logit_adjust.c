/* logit_adjust.c - the popularity prior of the logit-adjusted softmax
 * (--logit-adjust TAU): in training only, the Mult-DAE's softmax reads the
 * logits s_i + TAU * log(pi_i), pi_i item i's share of the training
 * interactions, so that the item vectors and the output bias need not learn
 * popularity; scoring, evaluation and the written file use s_i alone. */
#include <math.h>
#include <stdlib.h>

#include "train.h"

float *mt_logit_adjust(const mt_csr *train, uint32_t n, float tau)
{
    if (!(tau > 0) || n == 0) return NULL;
    double *count = mt_xcalloc(n, sizeof *count);
    for (uint64_t k = 0; k < train->nnz; k++)
        if (train->idx[k] < n) count[train->idx[k]] += 1;
    /* add-one smoothing: an item without training interactions gets a finite
     * prior (the share of one interaction) rather than -inf */
    double total = (double)train->nnz + (double)n;
    float *adj = mt_xmalloc((size_t)n * sizeof *adj);
    for (uint32_t i = 0; i < n; i++) adj[i] = (float)((double)tau * log((count[i] + 1) / total));
    free(count);
    return adj;
}
