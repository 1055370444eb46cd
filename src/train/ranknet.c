/* ranknet.c - the pairwise ranker (RankNet, Burges et al. 2005): the head
 *   g(u, e) = MLP([u ; e ; u * e])   (relu hidden layers, linear output)
 * over the user vector u and the output-table row e = E_out[i], whose score
 *   s_i = E_out[i] . u + bias[i] + g(u, E_out[i])
 * is trained with the pairwise cross-entropy -log sigmoid(s_i - s_j) on pairs
 * of the same user's items (i preferred to j): graded pairs (the higher
 * grade preferred) and a training item against a sampled unobserved item.
 * The factorised part E_out[i] . u + bias[i] (the retrieval scorer of the
 * two-stage path) keeps the Mult-DAE softmax loss (dae.c) beside it. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

static const char *const sampling_names[2] = {"uniform", "model"};

const char *mt_neg_sampling_name(int sampling)
{
    return sampling >= 0 && sampling < 2 ? sampling_names[sampling] : "?";
}

int mt_neg_sampling_parse(const char *s, int *sampling)
{
    for (int k = 0; k < 2; k++)
        if (strcmp(s, sampling_names[k]) == 0) {
            *sampling = k;
            return 0;
        }
    return -1;
}

/* the activations of every head layer's input, then the output */
size_t mt_head_act_len(const mt_model *mdl)
{
    size_t len = 0;
    for (uint32_t l = 0; l <= mdl->n_head; l++) len += mdl->head_dim[l];
    return len;
}

float mt_head_score(const mt_model *mdl, const float *u, const float *e, float *act)
{
    uint32_t d = mdl->d;
    float *z = act;
    for (uint32_t k = 0; k < d; k++) {
        z[k] = u[k];
        z[d + k] = e[k];
        z[2 * d + k] = u[k] * e[k];
    }
    float *in = z;
    for (uint32_t l = 0; l < mdl->n_head; l++) {
        uint32_t ni = mdl->head_dim[l], no = mdl->head_dim[l + 1];
        const float *W = mdl->params[mdl->pidx_hw[l]].v, *bias = mdl->params[mdl->pidx_hb[l]].v;
        float *out = in + ni;
        int relu = l + 1 < mdl->n_head;
        for (uint32_t r = 0; r < no; r++) {
            const float *wr = W + (size_t)r * ni;
            float a = bias[r];
            for (uint32_t k = 0; k < ni; k++) a += wr[k] * in[k];
            out[r] = relu && a < 0 ? 0.0f : a;
        }
        in = out;
    }
    return in[0];
}

void mt_head_back(const mt_model *mdl, mt_work *w, const float *u, const float *e, const float *act, float dout,
                  float *du, float *de)
{
    uint32_t d = mdl->d;
    /* offsets of each layer's input in act */
    size_t off[MT_MAX_HEAD + 1];
    off[0] = 0;
    for (uint32_t l = 0; l < mdl->n_head; l++) off[l + 1] = off[l] + mdl->head_dim[l];
    /* g: gradient on the current layer's output; two scratch halves of
     * mt_head_act_len floats each after the pair's activations and rows */
    size_t alen = mt_head_act_len(mdl);
    float *g = w->hbuf + 2 * alen + 3 * (size_t)d, *gin = g + alen;
    g[0] = dout;
    for (uint32_t l = mdl->n_head; l-- > 0;) {
        uint32_t ni = mdl->head_dim[l], no = mdl->head_dim[l + 1];
        const float *in = act + off[l], *out = act + off[l + 1];
        const float *W = mdl->params[mdl->pidx_hw[l]].v;
        float *gW = w->grad[mdl->pidx_hw[l]], *gb = w->grad[mdl->pidx_hb[l]];
        if (l + 1 < mdl->n_head)
            for (uint32_t r = 0; r < no; r++)
                if (!(out[r] > 0)) g[r] = 0;
        memset(gin, 0, ni * sizeof *gin);
        for (uint32_t r = 0; r < no; r++) {
            float gr = g[r];
            if (gr == 0) continue;
            gb[r] += gr;
            const float *wr = W + (size_t)r * ni;
            float *gwr = gW + (size_t)r * ni;
            for (uint32_t k = 0; k < ni; k++) {
                gwr[k] += gr * in[k];
                gin[k] += gr * wr[k];
            }
        }
        float *t = g;
        g = gin;
        gin = t;
    }
    /* z = [u ; e ; u * e] */
    for (uint32_t k = 0; k < d; k++) {
        du[k] += g[k] + g[2 * d + k] * e[k];
        de[k] = g[d + k] + g[2 * d + k] * u[k];
    }
}

/* an item: uniform (cdf NULL) or by the cumulative weights cdf[0..n) */
static uint32_t draw_item(mt_rng *r, const double *cdf, uint32_t n)
{
    if (!cdf) return mt_rng_below(r, n);
    double x = mt_rng_uniform(r) * cdf[n - 1];
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void push_grad(mt_work *w, uint32_t user, uint32_t item, float g)
{
    if (w->pg_n == w->pg_cap) {
        w->pg_cap = w->pg_cap ? 2 * w->pg_cap : 1024;
        w->pg_item = mt_xrealloc(w->pg_item, w->pg_cap * sizeof *w->pg_item);
        w->pg_user = mt_xrealloc(w->pg_user, w->pg_cap * sizeof *w->pg_user);
        w->pg_val = mt_xrealloc(w->pg_val, w->pg_cap * sizeof *w->pg_val);
    }
    w->pg_item[w->pg_n] = item;
    w->pg_user[w->pg_n] = user;
    w->pg_val[w->pg_n] = g;
    w->pg_n++;
}

/* log(1 + exp(-x)) and its derivative -sigmoid(-x), stable both ways */
static double softplus_neg(double x, double *dx)
{
    if (x >= 0) {
        double t = exp(-x);
        *dx = -t / (1 + t);
        return log1p(t);
    }
    double t = exp(x);
    *dx = -1 / (1 + t);
    return -x + log1p(t);
}

void mt_rank_pairs(const mt_model *mdl, mt_work *w, const mt_csr *hist, const uint32_t *users, uint32_t b,
                   float grad_scale)
{
    const mt_rank_opts *ro = w->rank;
    uint32_t d = mdl->d, n = mdl->n;
    size_t alen = mt_head_act_len(mdl);
    float *act_i = w->hbuf, *act_j = act_i + alen, *e_i = act_j + alen, *e_j = e_i + d, *de = e_j + d;
    const float *H = w->act[mdl->n_dense];
    memset(w->dh_head, 0, (size_t)b * d * sizeof(float));
    enum { MAX_PAIRS = 4096 };
    uint32_t pi[MAX_PAIRS], pj[MAX_PAIRS];
    size_t pos = 0;   /* the user's first entry in the dropout mask */
    for (uint32_t u = 0; u < b; u++) {
        uint64_t s = hist->off[users[u]], e = hist->off[users[u] + 1], cnt = e - s;
        const uint8_t *keep = w->keep_active ? w->keep + pos : NULL;
        pos += (size_t)cnt;
        if (!cnt) continue;
        const uint32_t *row = hist->idx + s;
        const float *grade = hist->val ? hist->val + s : NULL;
        /* the preferred items come from those dropout removed from the
         * input (as held-out items are absent from a history), when any */
        uint32_t cand[MAX_PAIRS], nc = 0;
        for (uint64_t k = 0; keep && k < cnt && nc < MAX_PAIRS; k++)
            if (!keep[k]) cand[nc++] = (uint32_t)k;
        if (!nc)
            for (uint64_t k = 0; k < cnt && nc < MAX_PAIRS; k++) cand[nc++] = (uint32_t)k;
        uint32_t np = 0;
        /* graded pairs: two training items of different grades */
        for (uint32_t t = 0; grade && nc > 1 && t < ro->pairs && np < MAX_PAIRS; t++) {
            uint32_t a = cand[mt_rng_below(&w->rng, nc)], c = cand[mt_rng_below(&w->rng, nc)];
            if (grade[a] == grade[c]) continue;
            pi[np] = grade[a] > grade[c] ? row[a] : row[c];
            pj[np] = grade[a] > grade[c] ? row[c] : row[a];
            np++;
        }
        /* observed against sampled unobserved */
        const double *cdf = NULL;
        if (ro->sampling == MT_NEG_MODEL && ro->negatives && cnt < n) {
            if (!w->cdf) w->cdf = mt_xmalloc((size_t)n * sizeof *w->cdf);
            const float *su = w->S + (size_t)u * n;
            float mx = su[0];
            for (uint32_t i = 1; i < n; i++) mx = su[i] > mx ? su[i] : mx;
            double acc = 0;
            for (uint32_t i = 0; i < n; i++) w->cdf[i] = acc += exp((double)su[i] - mx);
            cdf = w->cdf;
        }
        for (uint32_t t = 0; cnt < n && t < ro->negatives && np < MAX_PAIRS; t++) {
            uint32_t a = cand[mt_rng_below(&w->rng, nc)], j = draw_item(&w->rng, cdf, n);
            for (int tries = 0; tries < 8 && mt_contains_sorted(row, (uint32_t)cnt, j); tries++) j = draw_item(&w->rng, cdf, n);
            if (mt_contains_sorted(row, (uint32_t)cnt, j)) continue;
            pi[np] = row[a];
            pj[np] = j;
            np++;
        }
        if (!np) continue;
        const float *hu = H + (size_t)u * d;
        const float *su = w->S + (size_t)u * n;
        float *dhu = w->dh_head + (size_t)u * d;
        double c = (double)ro->weight * grad_scale / np, sum = 0;
        for (uint32_t p = 0; p < np; p++) {
            mt_table_row(mdl, &mdl->out, pi[p], e_i);
            mt_table_row(mdl, &mdl->out, pj[p], e_j);
            double si = (double)su[pi[p]] + mt_head_score(mdl, hu, e_i, act_i);
            double sj = (double)su[pj[p]] + mt_head_score(mdl, hu, e_j, act_j);
            double dx;
            sum += softplus_neg(si - sj, &dx);
            float g = (float)(c * dx);   /* dL/ds_i; dL/ds_j = -g */
            push_grad(w, u, pi[p], g);
            push_grad(w, u, pj[p], -g);
            mt_head_back(mdl, w, hu, e_i, act_i, g, dhu, de);
            mt_table_back_row(mdl, w, &mdl->out, pi[p], 1.0f, de);
            mt_head_back(mdl, w, hu, e_j, act_j, -g, dhu, de);
            mt_table_back_row(mdl, w, &mdl->out, pj[p], 1.0f, de);
        }
        w->loss += ro->weight * sum / np;
    }
}

/* Every item's head score for b users: the first layer's pre-activation of
 * item i is W_u u + (W_e + W_x diag(u)) e_i + b (W = [W_u W_e W_x]), so one
 * n x d by d x width product per user; the remaining layers as products. */
void mt_rank_add_head(const mt_model *mdl, mt_work *w, uint32_t b)
{
    uint32_t d = mdl->d, n = mdl->n;
    uint32_t widest = 1;
    for (uint32_t l = 1; l < mdl->n_head; l++) widest = mdl->head_dim[l] > widest ? mdl->head_dim[l] : widest;
    if (!w->Eh) {
        w->Eh = mt_xmalloc((size_t)n * d * sizeof(float));
        w->HS = mt_xmalloc((size_t)n * 2 * widest * sizeof(float));
    }
    for (uint32_t i = 0; i < n; i++) mt_table_row(mdl, &mdl->out, i, w->Eh + (size_t)i * d);
    const float *H = w->act[mdl->n_dense];
    uint32_t w0 = mdl->head_dim[1], in0 = mdl->head_dim[0];
    const float *W0 = mdl->params[mdl->pidx_hw[0]].v, *b0 = mdl->params[mdl->pidx_hb[0]].v;
    float *M = mt_xmalloc((size_t)w0 * d * sizeof(float)), *c = mt_xmalloc((size_t)w0 * sizeof(float));
    for (uint32_t u = 0; u < b; u++) {
        const float *hu = H + (size_t)u * d;
        for (uint32_t r = 0; r < w0; r++) {
            const float *wr = W0 + (size_t)r * in0;
            float a = b0[r];
            for (uint32_t k = 0; k < d; k++) {
                a += wr[k] * hu[k];
                M[(size_t)r * d + k] = wr[d + k] + wr[2 * d + k] * hu[k];
            }
            c[r] = a;
        }
        float *A = w->HS, *B = w->HS + (size_t)n * widest;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)w0, (int)d, 1.0f, w->Eh, (int)d, M, (int)d,
                    0.0f, A, (int)w0);
        uint32_t width = w0;
        for (uint32_t l = 0; l < mdl->n_head; l++) {
            int last = l + 1 == mdl->n_head;
            const float *bias = l == 0 ? c : mdl->params[mdl->pidx_hb[l]].v;
            if (l > 0) {
                uint32_t no = mdl->head_dim[l + 1];
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)no, (int)width, 1.0f, A,
                            (int)width, mdl->params[mdl->pidx_hw[l]].v, (int)width, 0.0f, B, (int)no);
                float *t = A;
                A = B;
                B = t;
                width = no;
            }
            for (uint32_t i = 0; i < n; i++) {
                float *a = A + (size_t)i * width;
                for (uint32_t r = 0; r < width; r++) {
                    float v = a[r] + bias[r];
                    a[r] = !last && v < 0 ? 0.0f : v;
                }
            }
        }
        float *su = w->S + (size_t)u * n;
        for (uint32_t i = 0; i < n; i++) su[i] += A[i];
    }
    free(M);
    free(c);
}
