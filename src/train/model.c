/* model.c - the trainable Mult-DAE: parameter blocks and their initialisation.
 *   x = sum_{i in H} E_in[i] / sqrt|H|;  h0 = tanh(x + b0);
 *   h_k = tanh(W_k h_{k-1} + b_k) (k = 1..n_dense);  s = E_out h + bias;
 * a ranker adds its head: s_i += g([h ; E_out[i] ; h * E_out[i]]) (ranknet.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

static int add_param(mt_model *mdl, const char *name, size_t len, int decay)
{
    int k = mdl->n_params++;
    mt_param *p = &mdl->params[k];
    p->name = name;
    p->len = len;
    p->decay = decay;
    p->v = mt_xcalloc(len, sizeof *p->v);
    p->m1 = mt_xcalloc(len, sizeof *p->m1);
    p->m2 = mt_xcalloc(len, sizeof *p->m2);
    return k;
}

static void fill_normal(float *v, size_t len, float mean, float std, mt_rng *r)
{
    for (size_t i = 0; i < len; i++) v[i] = mean + std * mt_rng_normal(r);
}

static void init_table(mt_model *mdl, mt_table *t, int kind, uint32_t n, uint32_t d,
                       const mt_tsize *s, const uint32_t *buckets, float std,
                       float scalar_decay, mt_rng *rng)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->n = n;
    t->d = d;
    t->m = s->m;
    t->pop = s->pop;
    t->scalar_dtype = s->scalar_dtype;
    t->row_dtype = s->row_dtype;
    t->pidx_a = t->pidx_b = t->pidx_w = -1;
    switch (kind) {
    case MT_T_FULL:
        t->m = n;
        t->rows_a = n;
        break;
    case MT_T_QR: t->rows_a = (n + s->m - 1) / s->m; break;
    default: t->rows_a = s->m; break;
    }
    t->pidx_a = add_param(mdl, "rows_a", (size_t)t->rows_a * d, 1);
    if (kind == MT_T_QR) {
        /* E = Q[i/m] * R[i%m]: Q near 1 so that E starts like a hash table. */
        fill_normal(mdl->params[t->pidx_a].v, (size_t)t->rows_a * d, 1.0f, 0.1f, rng);
        t->pidx_b = add_param(mdl, "rows_b", (size_t)t->m * d, 1);
        fill_normal(mdl->params[t->pidx_b].v, (size_t)t->m * d, 0.0f, std, rng);
    } else {
        fill_normal(mdl->params[t->pidx_a].v, (size_t)t->rows_a * d, 0.0f, std, rng);
    }
    if (kind != MT_T_FULL && kind != MT_T_QR) {
        t->bucket = mt_xmalloc((size_t)n * sizeof *t->bucket);
        if (buckets)
            memcpy(t->bucket, buckets, (size_t)n * sizeof *t->bucket);
        else
            mt_buckets_default(kind, n, t->m, t->pop, t->bucket);
    }
    if (mt_tkind_is_memcom(kind)) {
        /* per-item scalars: optionally decayed towards 1 (the shared row
         * itself), so that rarely seen items do not drift under Adam's
         * normalised steps (--scalar-decay) */
        t->pidx_w = add_param(mdl, "scalars", n, scalar_decay > 0);
        mdl->params[t->pidx_w].center = 1.0f;
        mdl->params[t->pidx_w].decay_rate = scalar_decay;
        for (uint32_t i = 0; i < n; i++) mdl->params[t->pidx_w].v[i] = 1.0f;
    }
}

int mt_model_init(mt_model *mdl, uint32_t n, const mt_model_opts *o, const uint32_t *in_buckets,
                  const uint32_t *out_buckets, uint64_t seed, mt_err *err)
{
    memset(mdl, 0, sizeof *mdl);
    if (o->d < 1 || o->d > 4096) return mt_fail(err, MT_E_OPTION, "--dim %u out of range (1..4096)", o->d);
    if (o->n_dense > MT_MAX_LAYERS - 1)
        return mt_fail(err, MT_E_OPTION, "--layers %u: at most %d dense layers", o->n_dense, MT_MAX_LAYERS - 1);
    mdl->n = n;
    mdl->d = o->d;
    mdl->n_dense = o->n_dense;
    mt_rng rng;
    mt_rng_seed(&rng, seed);
    uint32_t d = o->d;
    float std = o->init_std > 0 ? o->init_std : (float)sqrt(2.0 / ((double)n + d));
    init_table(mdl, &mdl->in, o->in_kind, n, d, &o->in_size, in_buckets, std, o->scalar_decay, &rng);
    init_table(mdl, &mdl->out, o->out_kind, n, d, &o->out_size, out_buckets, std, o->scalar_decay, &rng);
    mdl->pidx_b0 = add_param(mdl, "bias0", d, 0);
    float wstd = (float)sqrt(1.0 / d);
    for (uint32_t k = 1; k <= o->n_dense; k++) {
        mdl->pidx_w[k] = add_param(mdl, "dense_w", (size_t)d * d, 1);
        fill_normal(mdl->params[mdl->pidx_w[k]].v, (size_t)d * d, 0.0f, wstd, &rng);
        mdl->pidx_b[k] = add_param(mdl, "dense_b", d, 0);
    }
    mdl->pidx_bias = add_param(mdl, "output_bias", n, 0);
    if (o->ranker) {
        /* the head: He-initialised relu layers, then a small linear output
         * (g starts near 0, so the ranker starts as its factorised part) */
        if (o->head_layers > MT_MAX_HEAD - 1)
            return mt_fail(err, MT_E_OPTION, "--head-layers %u: at most %d hidden layers", o->head_layers,
                           MT_MAX_HEAD - 1);
        if (o->head_layers && (o->head_width < 1 || o->head_width > 4096))
            return mt_fail(err, MT_E_OPTION, "--head-width %u out of range (1..4096)", o->head_width);
        mdl->n_head = o->head_layers + 1;
        mdl->head_dim[0] = 3 * d;
        for (uint32_t l = 1; l < mdl->n_head; l++) mdl->head_dim[l] = o->head_width;
        mdl->head_dim[mdl->n_head] = 1;
        for (uint32_t l = 0; l < mdl->n_head; l++) {
            uint32_t in = mdl->head_dim[l], out = mdl->head_dim[l + 1];
            int last = l + 1 == mdl->n_head;
            mdl->pidx_hw[l] = add_param(mdl, "head_w", (size_t)in * out, 0);
            fill_normal(mdl->params[mdl->pidx_hw[l]].v, (size_t)in * out, 0.0f,
                        (float)sqrt((last ? 0.1 : 2.0) / in), &rng);
            mdl->pidx_hb[l] = add_param(mdl, "head_b", out, 0);
            mdl->params[mdl->pidx_hw[l]].lr_scale = mdl->params[mdl->pidx_hb[l]].lr_scale = o->head_lr;
        }
    }
    return 0;
}

void mt_model_free(mt_model *mdl)
{
    for (int k = 0; k < mdl->n_params; k++) {
        free(mdl->params[k].v);
        free(mdl->params[k].m1);
        free(mdl->params[k].m2);
    }
    free(mdl->in.bucket);
    free(mdl->out.bucket);
    memset(mdl, 0, sizeof *mdl);
}
