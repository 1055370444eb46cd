/* dae.c - forward and backward passes of the Mult-DAE for one shard of users.
 *
 * Output tables are computed in factorised form where the kind allows it:
 *   hash/memcom: T = H U^T (b x m), s_i = w_i T[b_i] + bias_i  (m*d + n per user)
 *   gradients:   dT[j] = sum_{i: b_i = j} g_i w_i,  dw_i = sum_u g_i T[b_i],
 *                dU = dT^T H,  dH = dT U.
 *   full:        S = H A^T (sgemm), dA = G^T H, dH = G A.
 *   qr:          the n x d table is materialised once per shard, then as full. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* exp for x <= 0 (softmax after max subtraction), ~1e-7 relative error,
 * branch-free so that the compiler vectorises the loops that call it. */
static inline float exp_nonpos(float x)
{
    x = x < -87.0f ? -87.0f : x;
    float t = x * 1.44269504088896341f;
    float fi = (float)(int32_t)t;            /* floor without SSE4.1: truncate, fix negatives */
    fi -= fi > t ? 1.0f : 0.0f;
    float f = t - fi;                         /* [0, 1) */
    /* 2^f on [0,1): minimax polynomial of degree 6 */
    float p = 1.535336188319500e-4f;
    p = p * f + 1.339887440266574e-3f;
    p = p * f + 9.618437357674640e-3f;
    p = p * f + 5.550332471162809e-2f;
    p = p * f + 2.402264791363012e-1f;
    p = p * f + 6.931472028550421e-1f;
    p = p * f + 1.0f;
    int32_t e = (int32_t)fi + 127;
    union { int32_t i; float f; } u;
    u.i = e << 23;
    return p * u.f;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define MT_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MT_HOT
#endif

/* s_i = w_i t[b_i] + bias_i (w NULL: hash).  mod_m != 0: b_i = i mod m, so
 * the gather becomes contiguous runs of m. */
MT_HOT static void out_gather(float *s, const float *wv, const float *tu, const uint32_t *bk, const float *bias,
                              uint32_t n, uint32_t mod_m)
{
    if (mod_m) {
        for (uint32_t base = 0; base < n; base += mod_m) {
            uint32_t len = n - base < mod_m ? n - base : mod_m;
            float *sb = s + base;
            const float *bb = bias + base;
            if (wv) {
                const float *wb = wv + base;
                for (uint32_t j = 0; j < len; j++) sb[j] = wb[j] * tu[j] + bb[j];
            } else {
                for (uint32_t j = 0; j < len; j++) sb[j] = tu[j] + bb[j];
            }
        }
        return;
    }
    if (wv)
        for (uint32_t i = 0; i < n; i++) s[i] = wv[i] * tu[bk[i]] + bias[i];
    else
        for (uint32_t i = 0; i < n; i++) s[i] = tu[bk[i]] + bias[i];
}

/* dt[b_i] += g_i w_i;  gw_i += g_i t[b_i] */
MT_HOT static void out_scatter(float *dt, float *gw, const float *g, const float *wv, const float *tu,
                               const uint32_t *bk, uint32_t n, uint32_t mod_m)
{
    if (mod_m) {
        for (uint32_t base = 0; base < n; base += mod_m) {
            uint32_t len = n - base < mod_m ? n - base : mod_m;
            const float *gb = g + base;
            if (wv) {
                const float *wb = wv + base;
                float *gwb = gw + base;
                for (uint32_t j = 0; j < len; j++) {
                    dt[j] += gb[j] * wb[j];
                    gwb[j] += gb[j] * tu[j];
                }
            } else {
                for (uint32_t j = 0; j < len; j++) dt[j] += gb[j];
            }
        }
        return;
    }
    if (wv) {
        for (uint32_t i = 0; i < n; i++) {
            dt[bk[i]] += g[i] * wv[i];
            gw[i] += g[i] * tu[bk[i]];
        }
    } else {
        for (uint32_t i = 0; i < n; i++) dt[bk[i]] += g[i];
    }
}

MT_HOT static void add_rows(float *dst, const float *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) dst[i] += src[i];
}

void mt_work_init(mt_work *w, const mt_model *mdl, uint32_t cap_b, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    uint32_t d = mdl->d, n = mdl->n;
    for (int k = 0; k < mdl->n_params; k++)
        w->grad[k] = mt_xcalloc(mdl->params[k].len, sizeof(float));
    w->x = mt_xcalloc((size_t)cap_b * d, sizeof(float));
    for (uint32_t k = 0; k <= mdl->n_dense; k++) w->act[k] = mt_xcalloc((size_t)cap_b * d, sizeof(float));
    w->dh = mt_xcalloc((size_t)cap_b * d, sizeof(float));
    w->dx = mt_xcalloc((size_t)cap_b * d, sizeof(float));
    w->S = mt_xcalloc((size_t)cap_b * n, sizeof(float));
    if (mdl->out.kind != MT_T_FULL && mdl->out.kind != MT_T_QR) {
        w->T = mt_xcalloc((size_t)cap_b * mdl->out.m, sizeof(float));
        w->dT = mt_xcalloc((size_t)cap_b * mdl->out.m, sizeof(float));
    }
    if (mdl->out.kind == MT_T_QR) {
        w->E = mt_xcalloc((size_t)n * d, sizeof(float));
        w->dE = mt_xcalloc((size_t)n * d, sizeof(float));
    }
    w->in_scale = mt_xcalloc(cap_b, sizeof(float));
    w->short_n = mt_xcalloc(cap_b, sizeof(uint32_t));
    if (mdl->n_head) {
        w->dh_head = mt_xcalloc((size_t)cap_b * d, sizeof(float));
        w->hbuf = mt_xcalloc(4 * mt_head_act_len(mdl) + 3 * (size_t)d, sizeof(float));   /* mt_rank_pairs */
    }
    mt_rng_seed(&w->rng, seed);
}

void mt_work_free(mt_work *w, const mt_model *mdl)
{
    for (int k = 0; k < mdl->n_params; k++) free(w->grad[k]);
    free(w->x);
    for (uint32_t k = 0; k <= mdl->n_dense; k++) free(w->act[k]);
    free(w->dh);
    free(w->dx);
    free(w->S);
    free(w->T);
    free(w->dT);
    free(w->E);
    free(w->dE);
    free(w->in_scale);
    free(w->keep);
    free(w->short_n);
    free(w->tgt);
    free(w->logit_adj);
    free(w->dh_head);
    free(w->hbuf);
    free(w->pg_item);
    free(w->pg_user);
    free(w->pg_val);
    free(w->Eh);
    free(w->HS);
    free(w->cdf);
    memset(w, 0, sizeof *w);
}

void mt_work_zero_grad(mt_work *w, const mt_model *mdl)
{
    for (int k = 0; k < mdl->n_params; k++)
        memset(w->grad[k], 0, mdl->params[k].len * sizeof(float));
    w->loss = 0;
}

/* x_u += coef * E_in[i] */
static void add_in_row(const mt_model *mdl, uint32_t i, float coef, float *x)
{
    const mt_table *t = &mdl->in;
    uint32_t d = t->d;
    const float *A = mdl->params[t->pidx_a].v;
    switch (t->kind) {
    case MT_T_FULL: {
        const float *a = A + (size_t)i * d;
        for (uint32_t k = 0; k < d; k++) x[k] += coef * a[k];
        break;
    }
    case MT_T_HASH: {
        const float *a = A + (size_t)t->bucket[i] * d;
        for (uint32_t k = 0; k < d; k++) x[k] += coef * a[k];
        break;
    }
    case MT_T_QR: {
        const float *q = A + (size_t)(i / t->m) * d;
        const float *r = mdl->params[t->pidx_b].v + (size_t)(i % t->m) * d;
        for (uint32_t k = 0; k < d; k++) x[k] += coef * q[k] * r[k];
        break;
    }
    default: {
        float c = coef * mdl->params[t->pidx_w].v[i];
        const float *a = A + (size_t)t->bucket[i] * d;
        for (uint32_t k = 0; k < d; k++) x[k] += c * a[k];
    }
    }
}

/* gradient of table t for item i given g = coef * dx */
void mt_table_back_row(const mt_model *mdl, mt_work *w, const mt_table *t, uint32_t i, float coef, const float *dx)
{
    uint32_t d = t->d;
    const float *A = mdl->params[t->pidx_a].v;
    float *gA = w->grad[t->pidx_a];
    switch (t->kind) {
    case MT_T_FULL: {
        float *g = gA + (size_t)i * d;
        for (uint32_t k = 0; k < d; k++) g[k] += coef * dx[k];
        break;
    }
    case MT_T_HASH: {
        float *g = gA + (size_t)t->bucket[i] * d;
        for (uint32_t k = 0; k < d; k++) g[k] += coef * dx[k];
        break;
    }
    case MT_T_QR: {
        size_t qi = (size_t)(i / t->m) * d, ri = (size_t)(i % t->m) * d;
        const float *q = A + qi, *r = mdl->params[t->pidx_b].v + ri;
        float *gq = gA + qi, *gr = w->grad[t->pidx_b] + ri;
        for (uint32_t k = 0; k < d; k++) {
            gq[k] += coef * dx[k] * r[k];
            gr[k] += coef * dx[k] * q[k];
        }
        break;
    }
    default: {
        float wi = mdl->params[t->pidx_w].v[i];
        size_t bi = (size_t)t->bucket[i] * d;
        const float *a = A + bi;
        float *g = gA + bi, dot = 0;
        for (uint32_t k = 0; k < d; k++) {
            g[k] += coef * wi * dx[k];
            dot += a[k] * dx[k];
        }
        w->grad[t->pidx_w][i] += coef * dot;
    }
    }
}

static void materialise_qr(const mt_model *mdl, const mt_table *t, float *E)
{
    for (uint32_t i = 0; i < t->n; i++) mt_table_row(mdl, t, i, E + (size_t)i * t->d);
}

/* Input aggregation, dense layers and output logits (without bias for the
 * factorised kinds' T; S includes the bias). */
void mt_dae_forward(const mt_model *mdl, mt_work *w, const mt_csr *hist, const uint32_t *users,
                    uint32_t b, float dropout, int train)
{
    uint32_t d = mdl->d, n = mdl->n;
    /* input */
    size_t total = 0;
    for (uint32_t u = 0; u < b; u++) total += (size_t)(hist->off[users[u] + 1] - hist->off[users[u]]);
    int shorts = train && w->short_h > 0, masked = train && (dropout > 0 || shorts);
    if (masked && total > w->keep_cap) {
        w->keep_cap = total * 2;
        w->keep = mt_xrealloc(w->keep, w->keep_cap);
    }
    size_t pos = 0;
    w->keep_active = masked;
    memset(w->x, 0, (size_t)b * d * sizeof(float));
    for (uint32_t u = 0; u < b; u++) {
        uint64_t s = hist->off[users[u]], e = hist->off[users[u] + 1];
        float *x = w->x + (size_t)u * d;
        float c = e > s ? 1.0f / sqrtf((float)(e - s)) : 0.0f;
        w->short_n[u] = 0;
        if (shorts && e - s >= 2 && mt_rng_uniform(&w->rng) < w->short_share) {
            /* a short history: h of the items as input, no dropout */
            uint32_t h = mt_short_sample(&w->rng, (uint32_t)(e - s), w->short_h, w->keep + pos);
            w->short_n[u] = h;
            w->in_scale[u] = c = 1.0f / sqrtf((float)h);
            for (uint64_t k = s; k < e; k++)
                if (w->keep[pos++]) add_in_row(mdl, hist->idx[k], c, x);
            continue;
        }
        if (train && dropout > 0) c /= (1.0f - dropout);
        w->in_scale[u] = c;
        for (uint64_t k = s; k < e; k++) {
            if (train && dropout > 0) {
                uint8_t keep = mt_rng_uniform(&w->rng) >= dropout;
                w->keep[pos++] = keep;
                if (!keep) continue;
            } else if (masked) {
                w->keep[pos++] = 1;
            }
            add_in_row(mdl, hist->idx[k], c, x);
        }
    }
    /* layers */
    const float *b0 = mdl->params[mdl->pidx_b0].v;
    for (uint32_t u = 0; u < b; u++) {
        const float *x = w->x + (size_t)u * d;
        float *h = w->act[0] + (size_t)u * d;
        for (uint32_t k = 0; k < d; k++) h[k] = tanhf(x[k] + b0[k]);
    }
    for (uint32_t l = 1; l <= mdl->n_dense; l++) {
        const float *W = mdl->params[mdl->pidx_w[l]].v, *bl = mdl->params[mdl->pidx_b[l]].v;
        float *h = w->act[l];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)d, (int)d, 1.0f, w->act[l - 1],
                    (int)d, W, (int)d, 0.0f, h, (int)d);
        for (size_t k = 0; k < (size_t)b * d; k++) h[k] = tanhf(h[k] + bl[k % d]);
    }
    const float *H = w->act[mdl->n_dense];
    /* output */
    const mt_table *t = &mdl->out;
    const float *bias = mdl->params[mdl->pidx_bias].v;
    const float *A = mdl->params[t->pidx_a].v;
    if (t->kind == MT_T_FULL || t->kind == MT_T_QR) {
        const float *E = A;
        if (t->kind == MT_T_QR) {
            materialise_qr(mdl, t, w->E);
            E = w->E;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)n, (int)d, 1.0f, H, (int)d, E,
                    (int)d, 0.0f, w->S, (int)n);
        for (uint32_t u = 0; u < b; u++) add_rows(w->S + (size_t)u * n, bias, n);
    } else {
        uint32_t m = t->m;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)m, (int)d, 1.0f, H, (int)d, A,
                    (int)d, 0.0f, w->T, (int)m);
        const uint32_t *bk = t->bucket;
        const float *wv = t->pidx_w >= 0 ? mdl->params[t->pidx_w].v : NULL;
        for (uint32_t u = 0; u < b; u++) {
            const float *tu = w->T + (size_t)u * m;
            float *s = w->S + (size_t)u * n;
            out_gather(s, wv, tu, bk, bias, n, mt_tkind_explicit(t->kind) ? 0 : m);
        }
    }
}

void mt_dae_scores(const mt_model *mdl, mt_work *w, const mt_csr *hist, const uint32_t *users, uint32_t b)
{
    mt_dae_forward(mdl, w, hist, users, b, 0.0f, 0);
    if (mdl->n_head) mt_rank_add_head(mdl, w, b);
}

/* softmax cross-entropy against the multi-hot history; S becomes G. */
MT_HOT static double softmax_grad(float *s, uint32_t n, const uint32_t *tgt, uint64_t nt, float scale)
{
    /* 16 independent lanes so that max and sum vectorise without fast-math */
    enum { L = 16 };
    float lm[L], ls[L];
    for (int k = 0; k < L; k++) lm[k] = -INFINITY;
    uint32_t i = 0;
    for (; i + L <= n; i += L)
        for (int k = 0; k < L; k++) lm[k] = s[i + k] > lm[k] ? s[i + k] : lm[k];
    float mx = -INFINITY;
    for (int k = 0; k < L; k++) mx = lm[k] > mx ? lm[k] : mx;
    for (; i < n; i++) mx = s[i] > mx ? s[i] : mx;
    double tsum = 0;
    for (uint64_t k = 0; k < nt; k++) tsum += s[tgt[k]];
    for (int k = 0; k < L; k++) ls[k] = 0;
    for (i = 0; i + L <= n; i += L)
        for (int k = 0; k < L; k++) {
            float e = exp_nonpos(s[i + k] - mx);
            s[i + k] = e;
            ls[k] += e;
        }
    float sum = 0;
    for (; i < n; i++) {
        float e = exp_nonpos(s[i] - mx);
        s[i] = e;
        sum += e;
    }
    for (int k = 0; k < L; k++) sum += ls[k];
    double loss = (double)nt * ((double)mx + log((double)sum)) - tsum;
    float c = scale * (float)nt / sum;
    for (i = 0; i < n; i++) s[i] *= c;
    for (uint64_t k = 0; k < nt; k++) s[tgt[k]] -= scale;
    return loss;
}

void mt_dae_backward(const mt_model *mdl, mt_work *w, const mt_csr *hist, const uint32_t *users,
                     uint32_t b, float grad_scale)
{
    uint32_t d = mdl->d, n = mdl->n;
    const mt_table *t = &mdl->out;
    /* a ranker's pairwise loss reads the logits before the softmax */
    w->pg_n = 0;
    int ranked = mdl->n_head && w->rank;
    if (ranked) mt_rank_pairs(mdl, w, hist, users, b, grad_scale);
    float sw = ranked ? w->rank->softmax_weight : 1.0f;
    /* G in S; a short history's targets are the items not in its input */
    size_t kpos = 0;
    for (uint32_t u = 0; u < b; u++) {
        uint64_t s = hist->off[users[u]], e = hist->off[users[u] + 1];
        const uint32_t *tgt = hist->idx + s;
        uint64_t nt = e - s;
        if (w->keep_active && w->short_n[u]) {
            if (nt > w->tgt_cap) {
                w->tgt_cap = nt * 2;
                w->tgt = mt_xrealloc(w->tgt, w->tgt_cap * sizeof *w->tgt);
            }
            uint64_t m = 0;
            for (uint64_t k = 0; k < e - s; k++)
                if (!w->keep[kpos + k]) w->tgt[m++] = hist->idx[s + k];
            tgt = w->tgt;
            nt = m;
        }
        if (w->keep_active) kpos += e - s;
        if (sw != 0) {
            /* the logit adjustment: the loss's logits only; dL/ds is unchanged in form */
            if (w->logit_adj) add_rows(w->S + (size_t)u * n, w->logit_adj, n);
            w->loss += sw * softmax_grad(w->S + (size_t)u * n, n, tgt, nt, sw * grad_scale);
        } else
            memset(w->S + (size_t)u * n, 0, (size_t)n * sizeof(float));
    }
    for (size_t k = 0; k < w->pg_n; k++) w->S[(size_t)w->pg_user[k] * n + w->pg_item[k]] += w->pg_val[k];
    /* output bias */
    float *gbias = w->grad[mdl->pidx_bias];
    for (uint32_t u = 0; u < b; u++) add_rows(gbias, w->S + (size_t)u * n, n);
    const float *H = w->act[mdl->n_dense];
    const float *A = mdl->params[t->pidx_a].v;
    float *gA = w->grad[t->pidx_a];
    if (t->kind == MT_T_FULL) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n, (int)d, (int)b, 1.0f, w->S, (int)n, H,
                    (int)d, 1.0f, gA, (int)d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)d, (int)n, 1.0f, w->S, (int)n, A,
                    (int)d, 0.0f, w->dh, (int)d);
    } else if (t->kind == MT_T_QR) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n, (int)d, (int)b, 1.0f, w->S, (int)n, H,
                    (int)d, 0.0f, w->dE, (int)d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)d, (int)n, 1.0f, w->S, (int)n,
                    w->E, (int)d, 0.0f, w->dh, (int)d);
        const float *R = mdl->params[t->pidx_b].v;
        float *gR = w->grad[t->pidx_b];
        for (uint32_t i = 0; i < n; i++) {
            size_t qi = (size_t)(i / t->m) * d, ri = (size_t)(i % t->m) * d;
            const float *de = w->dE + (size_t)i * d;
            for (uint32_t k = 0; k < d; k++) {
                gA[qi + k] += de[k] * R[ri + k];
                gR[ri + k] += de[k] * A[qi + k];
            }
        }
    } else {
        uint32_t m = t->m;
        const uint32_t *bk = t->bucket;
        const float *wv = t->pidx_w >= 0 ? mdl->params[t->pidx_w].v : NULL;
        float *gw = t->pidx_w >= 0 ? w->grad[t->pidx_w] : NULL;
        memset(w->dT, 0, (size_t)b * m * sizeof(float));
        for (uint32_t u = 0; u < b; u++) {
            const float *g = w->S + (size_t)u * n, *tu = w->T + (size_t)u * m;
            float *dt = w->dT + (size_t)u * m;
            out_scatter(dt, gw, g, wv, tu, bk, n, mt_tkind_explicit(t->kind) ? 0 : m);
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)d, (int)b, 1.0f, w->dT, (int)m, H,
                    (int)d, 1.0f, gA, (int)d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)d, (int)m, 1.0f, w->dT, (int)m, A,
                    (int)d, 0.0f, w->dh, (int)d);
    }
    if (ranked)
        for (size_t k = 0; k < (size_t)b * d; k++) w->dh[k] += w->dh_head[k];
    /* dense layers, last to first; dh holds dL/dh_l */
    for (uint32_t l = mdl->n_dense; l >= 1; l--) {
        const float *h = w->act[l];
        for (size_t k = 0; k < (size_t)b * d; k++) w->dh[k] *= 1.0f - h[k] * h[k];
        float *gb = w->grad[mdl->pidx_b[l]];
        for (size_t k = 0; k < (size_t)b * d; k++) gb[k % d] += w->dh[k];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)b, 1.0f, w->dh, (int)d,
                    w->act[l - 1], (int)d, 1.0f, w->grad[mdl->pidx_w[l]], (int)d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)d, (int)d, 1.0f, w->dh, (int)d,
                    mdl->params[mdl->pidx_w[l]].v, (int)d, 0.0f, w->dx, (int)d);
        memcpy(w->dh, w->dx, (size_t)b * d * sizeof(float));
    }
    /* first layer: h0 = tanh(x + b0) */
    {
        const float *h = w->act[0];
        float *gb = w->grad[mdl->pidx_b0];
        for (size_t k = 0; k < (size_t)b * d; k++) {
            w->dx[k] = w->dh[k] * (1.0f - h[k] * h[k]);
            gb[k % d] += w->dx[k];
        }
    }
    /* input table */
    size_t pos = 0;
    for (uint32_t u = 0; u < b; u++) {
        uint64_t s = hist->off[users[u]], e = hist->off[users[u] + 1];
        const float *dx = w->dx + (size_t)u * d;
        for (uint64_t k = s; k < e; k++) {
            if (w->keep_active && !w->keep[pos++]) continue;
            mt_table_back_row(mdl, w, &mdl->in, hist->idx[k], w->in_scale[u], dx);
        }
    }
}
