/* adam.c - Adam with decoupled weight decay (AdamW), over parameter slices so
 * that threads can update disjoint parts; sums the workers' gradients. */
#include <math.h>

#include "train.h"

void mt_adam_update(const mt_adam *a, mt_model *mdl, mt_work *works, int n_works, int part, int n_parts)
{
    float b1 = a->beta1, b2 = a->beta2;
    double c1 = 1.0 - pow(b1, (double)a->step), c2 = 1.0 - pow(b2, (double)a->step);
    float lr_t = (float)(a->lr * sqrt(c2) / c1);
    float eps = a->eps * (float)sqrt(c2);
    for (int k = 0; k < mdl->n_params; k++) {
        mt_param *p = &mdl->params[k];
        size_t lo = p->len * (size_t)part / (size_t)n_parts, hi = p->len * (size_t)(part + 1) / (size_t)n_parts;
        float rate = p->decay_rate > 0 ? p->decay_rate : a->weight_decay;
        float lr_p = p->lr_scale > 0 ? lr_t * p->lr_scale : lr_t;
        float decay = p->decay ? 1.0f - a->lr * rate : 1.0f;
        float *v = p->v, *m1 = p->m1, *m2 = p->m2, c = p->center;
        const float *g0 = works[0].grad[k];
        for (size_t i = lo; i < hi; i++) {
            float g = g0[i];
            for (int w = 1; w < n_works; w++) g += works[w].grad[k][i];
            m1[i] = b1 * m1[i] + (1.0f - b1) * g;
            m2[i] = b2 * m2[i] + (1.0f - b2) * g * g;
            v[i] = c + (v[i] - c) * decay - lr_p * m1[i] / (sqrtf(m2[i]) + eps);
        }
    }
}
