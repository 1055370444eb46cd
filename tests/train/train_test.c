/* train_test.c - unit tests of the trainer (src/train): finite-difference
 * gradient checks of every layer and table kind, metrics against hand-computed
 * cases, data readers (line-numbered errors, popularity renumbering, split),
 * and a small generated data set on which training must beat popularity.
 * Needs no external data.  Prints "N passed, N failed"; exit 1 on failure. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/train/train.h"

static int passed, failed;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (cond) {                                        \
            passed++;                                      \
        } else {                                           \
            failed++;                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
        }                                                  \
    } while (0)

/* ---------------------------------------------------------------- */
/* gradient checks                                                    */
/* ---------------------------------------------------------------- */
static mt_csr tiny_hist(uint32_t n_users, uint32_t n, uint64_t seed)
{
    mt_csr c;
    memset(&c, 0, sizeof c);
    c.n_rows = n_users;
    c.off = calloc(n_users + 1, sizeof *c.off);
    c.idx = calloc((size_t)n_users * n, sizeof *c.idx);
    mt_rng r;
    mt_rng_seed(&r, seed);
    uint64_t w = 0;
    for (uint32_t u = 0; u < n_users; u++) {
        c.off[u] = w;
        for (uint32_t i = 0; i < n; i++)
            if (mt_rng_uniform(&r) < 0.3) c.idx[w++] = i;
        if (w == c.off[u]) c.idx[w++] = u % n;
    }
    c.off[n_users] = w;
    c.nnz = w;
    return c;
}

/* the gradient checks with short-history inputs (mt_work.short_h) when set */
static uint32_t grad_short_h;
/* and with the logit-adjusted softmax (mt_work.logit_adj) when > 0 */
static float grad_logit_tau;

static double loss_of(const mt_model *mdl, mt_work *w, const mt_csr *h, const uint32_t *users, uint32_t b)
{
    mt_work_zero_grad(w, mdl);
    mt_rng_seed(&w->rng, 77);   /* a ranker's pairs: the same draws every time */
    mt_dae_forward(mdl, w, h, users, b, 0.0f, 1);
    mt_dae_backward(mdl, w, h, users, b, 1.0f);
    return w->loss;
}

/* rank: a ranker with head_layers hidden layers (width 5) trained with
 * that pairwise loss; graded: the history carries grades (graded pairs) */
static void grad_check_ex(int in_kind, int out_kind, uint32_t n_dense, const mt_rank_opts *rank,
                          uint32_t head_layers, int graded)
{
    const uint32_t n = 13, d = 4, nu = 5;
    mt_model_opts o;
    memset(&o, 0, sizeof o);
    o.in_kind = in_kind;
    o.out_kind = out_kind;
    o.d = d;
    o.n_dense = n_dense;
    o.init_std = 0.5f;
    o.ranker = rank != NULL;
    o.head_layers = head_layers;
    o.head_width = 5;
    mt_err err;
    int ok = mt_table_size_for_rows(in_kind, n, d, 5, 0, 0, &o.in_size, &err) == 0 &&
             mt_table_size_for_rows(out_kind, n, d, 4, 0, 0, &o.out_size, &err) == 0;
    o.in_size.pop = o.out_size.pop = 2;
    uint32_t eb_in[13], eb_out[13];
    for (uint32_t i = 0; i < n; i++) {
        eb_in[i] = (i * 7 + 3) % 5;
        eb_out[i] = (i * 5 + 1) % 4;
    }
    mt_model mdl;
    ok = ok && mt_model_init(&mdl, n, &o, mt_tkind_learned(in_kind) ? eb_in : NULL,
                             mt_tkind_learned(out_kind) ? eb_out : NULL, 42, &err) == 0;
    if (!ok) {
        CHECK(0, "init %s/%s: %s", mt_tkind_name(in_kind), mt_tkind_name(out_kind), err.msg);
        return;
    }
    /* non-trivial values everywhere */
    mt_rng r;
    mt_rng_seed(&r, 9);
    for (int k = 0; k < mdl.n_params; k++)
        for (size_t i = 0; i < mdl.params[k].len; i++) mdl.params[k].v[i] += 0.3f * mt_rng_normal(&r);
    mt_csr h = tiny_hist(nu, n, 5);
    if (graded) {
        h.val = malloc(h.nnz * sizeof *h.val);
        for (uint64_t k = 0; k < h.nnz; k++) h.val[k] = (float)(1 + (k * 7) % 4);
    }
    uint32_t users[5] = {0, 1, 2, 3, 4};
    mt_work w;
    mt_work_init(&w, &mdl, nu, 1);
    w.rank = rank;
    w.short_h = grad_short_h;
    w.short_share = 0.6f;
    w.logit_adj = mt_logit_adjust(&h, n, grad_logit_tau);
    CHECK((w.logit_adj != NULL) == (grad_logit_tau > 0), "mt_logit_adjust(tau %g)", (double)grad_logit_tau);
    loss_of(&mdl, &w, &h, users, nu);
    float *grad[MT_MAX_PARAMS];
    for (int k = 0; k < mdl.n_params; k++) {
        grad[k] = malloc(mdl.params[k].len * sizeof(float));
        memcpy(grad[k], w.grad[k], mdl.params[k].len * sizeof(float));
    }
    int bad = 0, kinks = 0, coords = 0;
    double worst = 0;
    const char *worst_name = "";
    for (int k = 0; k < mdl.n_params; k++) {
        mt_param *p = &mdl.params[k];
        for (size_t i = 0; i < p->len; i++) {
            float v0 = p->v[i];
            /* a ranker's relu head has kinks: steps small enough not to cross them */
            float eps = (rank && head_layers ? 3e-3f : 1e-2f) * (fabsf(v0) > 1 ? fabsf(v0) : 1);
            p->v[i] = v0 + eps;
            double lp = loss_of(&mdl, &w, &h, users, nu);
            p->v[i] = v0 - eps;
            double lm = loss_of(&mdl, &w, &h, users, nu);
            p->v[i] = v0;
            if (rank && head_layers) {
                /* a relu kink between v0 - eps and v0 + eps: the one-sided
                 * slopes differ; no derivative to compare there */
                double l0 = loss_of(&mdl, &w, &h, users, nu), sp = (lp - l0) / eps, sm = (l0 - lm) / eps;
                if (fabs(sp - sm) > 0.05 * (fabs(sp) + fabs(sm)) + 1e-3) {
                    kinks++;
                    continue;
                }
            }
            coords++;
            double num = (lp - lm) / (2.0 * eps), ana = grad[k][i];
            double err_rel = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-2);
            if (err_rel > worst) {
                worst = err_rel;
                worst_name = p->name;
            }
            if (err_rel > 2e-2) bad++;
        }
    }
    CHECK(bad == 0 && kinks * 20 <= coords, "gradient check in=%s out=%s layers=%u%s%s%s: %d mismatches (worst %.3g in %s), %d of %d "
          "coordinates at a kink", mt_tkind_name(in_kind), mt_tkind_name(out_kind), n_dense,
          rank ? (graded ? " ranker graded" : " ranker") : "", grad_short_h ? " short histories" : "",
          grad_logit_tau > 0 ? " logit-adjusted" : "", bad, worst, worst_name, kinks, coords + kinks);
    for (int k = 0; k < mdl.n_params; k++) free(grad[k]);
    mt_work_free(&w, &mdl);
    mt_model_free(&mdl);
    mt_csr_free(&h);
}

/* a ranker's scores of every item (the batched path of evaluation) against
 * a plain double-precision reference of s_i = e_i . u + bias_i + g(u, e_i) */
static double ref_head(const mt_model *mdl, const float *u, const float *e)
{
    double x[3 * 64 + 64], y[64];
    uint32_t d = mdl->d, in = 3 * d;
    for (uint32_t k = 0; k < d; k++) {
        x[k] = u[k];
        x[d + k] = e[k];
        x[2 * d + k] = (double)u[k] * e[k];
    }
    for (uint32_t l = 0; l < mdl->n_head; l++) {
        uint32_t out = mdl->head_dim[l + 1];
        const float *W = mdl->params[mdl->pidx_hw[l]].v, *b = mdl->params[mdl->pidx_hb[l]].v;
        for (uint32_t r = 0; r < out; r++) {
            double a = b[r];
            for (uint32_t k = 0; k < in; k++) a += (double)W[r * in + k] * x[k];
            y[r] = l + 1 < mdl->n_head && a < 0 ? 0 : a;
        }
        for (uint32_t r = 0; r < out; r++) x[r] = y[r];
        in = out;
    }
    return x[0];
}

static void test_head_scores(void)
{
    const uint32_t n = 13, d = 4, nu = 5;
    uint32_t hl[2] = {0, 2};
    for (int c = 0; c < 2; c++) {
        mt_model_opts o;
        memset(&o, 0, sizeof o);
        o.in_kind = MT_T_MEMCOM;
        o.out_kind = c ? MT_T_QR : MT_T_MEMCOM_POP;
        o.d = d;
        o.init_std = 0.5f;
        o.ranker = 1;
        o.head_layers = hl[c];
        o.head_width = 6;
        mt_err err;
        mt_model mdl;
        int ok = mt_table_size_for_rows(o.in_kind, n, d, 5, 0, 0, &o.in_size, &err) == 0 &&
                 mt_table_size_for_rows(o.out_kind, n, d, 4, 0, 0, &o.out_size, &err) == 0;
        o.out_size.pop = 2;
        ok = ok && mt_model_init(&mdl, n, &o, NULL, NULL, 3, &err) == 0;
        CHECK(ok, "ranker init: %s", err.msg);
        if (!ok) return;
        mt_rng r;
        mt_rng_seed(&r, 4);
        for (int k = 0; k < mdl.n_params; k++)
            for (size_t i = 0; i < mdl.params[k].len; i++) mdl.params[k].v[i] += 0.4f * mt_rng_normal(&r);
        mt_csr h = tiny_hist(nu, n, 8);
        uint32_t users[5] = {0, 1, 2, 3, 4};
        mt_work w;
        mt_work_init(&w, &mdl, nu, 1);
        mt_dae_scores(&mdl, &w, &h, users, nu);
        double worst = 0;
        float e[4], act[64];
        int agree = 1;
        for (uint32_t u = 0; u < nu; u++) {
            const float *hu = w.act[mdl.n_dense] + u * d;
            for (uint32_t i = 0; i < n; i++) {
                mt_table_row(&mdl, &mdl.out, i, e);
                double ref = mdl.params[mdl.pidx_bias].v[i] + ref_head(&mdl, hu, e);
                for (uint32_t k = 0; k < d; k++) ref += (double)e[k] * hu[k];
                double dif = fabs(w.S[u * n + i] - ref) / (1 + fabs(ref));
                worst = dif > worst ? dif : worst;
                /* the per-pair path of training scores the same head */
                agree &= fabs(mt_head_score(&mdl, hu, e, act) - ref_head(&mdl, hu, e)) < 1e-4;
            }
        }
        CHECK(worst < 1e-5, "ranker scores (%u hidden layers) against the double reference: worst %.3g", hl[c],
              worst);
        CHECK(agree, "mt_head_score agrees with the double reference (%u hidden layers)", hl[c]);
        mt_work_free(&w, &mdl);
        mt_model_free(&mdl);
        mt_csr_free(&h);
    }
}

static void grad_check(int in_kind, int out_kind, uint32_t n_dense)
{
    grad_check_ex(in_kind, out_kind, n_dense, NULL, 0, 0);
}

/* ---------------------------------------------------------------- */
/* short-history inputs (--short-histories)                           */
/* ---------------------------------------------------------------- */
/* mt_short_sample: h in 1..min(H, len - 1), exactly h positions marked,
 * every h and every position drawn about equally often, the same draws
 * for the same seed */
/* a Mult-DAE with full n x d tables (init_std 0.5); 0 on success, else a failed check */
static int full_dae(mt_model *mdl, uint32_t n, uint32_t d, uint64_t seed, const char *what)
{
    mt_model_opts o;
    memset(&o, 0, sizeof o);
    o.in_kind = o.out_kind = MT_T_FULL;
    o.d = d;
    o.init_std = 0.5f;
    mt_err err;
    int ok = mt_table_size_for_rows(MT_T_FULL, n, d, n, 0, 0, &o.in_size, &err) == 0 &&
             mt_table_size_for_rows(MT_T_FULL, n, d, n, 0, 0, &o.out_size, &err) == 0 &&
             mt_model_init(mdl, n, &o, NULL, NULL, seed, &err) == 0;
    if (!ok) CHECK(0, "%s: init: %s", what, err.msg);
    return ok ? 0 : -1;
}

/* the logit-adjusted softmax (--logit-adjust): the prior against hand-computed
 * values, then the loss and the output bias's gradient against a plain double
 * reference on the model's own scores, which the adjustment leaves unchanged */
static void test_logit_adjust(void)
{
    /* 4 items, counts 3, 1, 0, 0 of 4 interactions: pi = (c + 1) / 8 */
    uint32_t idx[4] = {0, 1, 0, 0};
    uint64_t off[3] = {0, 2, 4};
    mt_csr c;
    memset(&c, 0, sizeof c);
    c.n_rows = 2;
    c.nnz = 4;
    c.off = off;
    c.idx = idx;
    float *a = mt_logit_adjust(&c, 4, 2.0f);
    const double want[4] = {2 * log(0.5), 2 * log(0.25), 2 * log(0.125), 2 * log(0.125)};
    int bad = !a;
    for (int i = 0; a && i < 4; i++) bad += fabs(a[i] - want[i]) > 1e-6;
    CHECK(!bad, "mt_logit_adjust: tau * log((count + 1) / (nnz + n)) for counts 3, 1, 0, 0");
    free(a);
    CHECK(mt_logit_adjust(&c, 4, 0.0f) == NULL && mt_logit_adjust(&c, 4, -1.0f) == NULL &&
              mt_logit_adjust(&c, 4, NAN) == NULL, "mt_logit_adjust: no prior for tau 0, negative or NaN");

    const uint32_t n = 13, d = 4, nu = 5;
    mt_model mdl;
    if (full_dae(&mdl, n, d, 5, "logit adjust")) return;
    mt_rng r;
    mt_rng_seed(&r, 4);
    float *bias = mdl.params[mdl.pidx_bias].v;
    for (uint32_t i = 0; i < n; i++) bias[i] = 0.5f * mt_rng_normal(&r);
    mt_csr h = tiny_hist(nu, n, 6);
    uint32_t users[5] = {0, 1, 2, 3, 4};
    mt_work w;
    mt_work_init(&w, &mdl, nu, 1);
    const float tau = 1.5f;
    w.logit_adj = mt_logit_adjust(&h, n, tau);
    double count[13] = {0};
    for (uint64_t k = 0; k < h.nnz; k++) count[h.idx[k]]++;
    mt_dae_scores(&mdl, &w, &h, users, nu);
    double *s0 = malloc((size_t)nu * n * sizeof *s0);
    for (size_t k = 0; k < (size_t)nu * n; k++) s0[k] = w.S[k];
    const float grad_scale = 0.25f;
    mt_work_zero_grad(&w, &mdl);
    mt_dae_forward(&mdl, &w, &h, users, nu, 0.0f, 1);
    int same_scores = 1;
    for (size_t k = 0; k < (size_t)nu * n; k++) same_scores &= fabs(w.S[k] - s0[k]) <= 1e-6 * (1 + fabs(s0[k]));
    mt_dae_backward(&mdl, &w, &h, users, nu, grad_scale);
    double loss = 0, plain = 0, gb[13] = {0};
    for (uint32_t u = 0; u < nu; u++) {
        const double *s = s0 + (size_t)u * n;
        double z[13], mx = -INFINITY, sum = 0, sum_plain = 0, mx_plain = -INFINITY;
        for (uint32_t i = 0; i < n; i++) {
            z[i] = s[i] + tau * log((count[i] + 1) / (double)(h.nnz + n));
            mx = z[i] > mx ? z[i] : mx;
            mx_plain = s[i] > mx_plain ? s[i] : mx_plain;
        }
        for (uint32_t i = 0; i < n; i++) {
            sum += exp(z[i] - mx);
            sum_plain += exp(s[i] - mx_plain);
        }
        double nt = (double)(h.off[u + 1] - h.off[u]);
        loss += nt * (mx + log(sum));
        plain += nt * (mx_plain + log(sum_plain));
        for (uint32_t i = 0; i < n; i++) gb[i] += grad_scale * nt * exp(z[i] - mx) / sum;
        for (uint64_t k = h.off[u]; k < h.off[u + 1]; k++) {
            loss -= z[h.idx[k]];
            plain -= s[h.idx[k]];
            gb[h.idx[k]] -= grad_scale;
        }
    }
    double worst = 0;
    for (uint32_t i = 0; i < n; i++) {
        double e = fabs(w.grad[mdl.pidx_bias][i] - gb[i]);
        worst = e > worst ? e : worst;
    }
    CHECK(same_scores, "logit adjust: the forward pass's logits are the model's scores");
    CHECK(fabs(w.loss - loss) <= 1e-4 * fabs(loss) && fabs(loss - plain) > 0.05 * fabs(plain),
          "logit adjust: loss %.6f, reference %.6f (plain softmax %.6f)", w.loss, loss, plain);
    CHECK(worst < 1e-5, "logit adjust: output bias gradient off the reference by %.3g", worst);
    free(s0);
    mt_work_free(&w, &mdl);
    mt_model_free(&mdl);
    mt_csr_free(&h);
}

static void test_short_sample(void)
{
    enum { DRAWS = 20000 };
    const uint32_t lens[] = {1, 2, 3, 7, 40}, hs[] = {1, 3, 5, 100};
    uint8_t keep[40], again[40];
    for (size_t a = 0; a < sizeof lens / sizeof *lens; a++)
        for (size_t b = 0; b < sizeof hs / sizeof *hs; b++) {
            uint32_t len = lens[a], H = hs[b], top = len < 2 ? 0 : (H < len - 1 ? H : len - 1);
            mt_rng r, r2;
            mt_rng_seed(&r, 5 + a * 10 + b);
            mt_rng_seed(&r2, 5 + a * 10 + b);
            uint32_t seen_h[101] = {0}, pos_count[40] = {0};
            int bad_size = 0, bad_count = 0, differs = 0;
            double sum_h = 0;
            for (int t = 0; t < DRAWS; t++) {
                uint32_t h = mt_short_sample(&r, len, H, keep);
                uint32_t h2 = mt_short_sample(&r2, len, H, again);
                differs += h != h2 || memcmp(keep, again, len) != 0;
                uint32_t marked = 0;
                for (uint32_t k = 0; k < len; k++) {
                    marked += keep[k] == 1;
                    pos_count[k] += keep[k] == 1;
                }
                if (top == 0) {
                    bad_size += h != 0;
                    bad_count += marked != len;   /* not sampled: all kept */
                    continue;
                }
                bad_size += h < 1 || h > top;
                bad_count += marked != h;
                if (h <= 100) seen_h[h]++;
                sum_h += h;
            }
            CHECK(!bad_size && !bad_count && !differs, "short sample len %u H %u: %d sizes out of range, %d masks "
                  "with another count, %d draws differ for the same seed", len, H, bad_size, bad_count, differs);
            if (top == 0) continue;
            /* counts more than 5 standard deviations from their expectation */
            int uneven = 0;
            double per_h = (double)DRAWS / top;    /* each h alike */
            for (uint32_t h = 1; h <= top; h++) uneven += fabs(seen_h[h] - per_h) > 5 * sqrt(per_h);
            double per_pos = sum_h / len;          /* each position alike */
            for (uint32_t k = 0; k < len; k++) uneven += fabs(pos_count[k] - per_pos) > 5 * sqrt(per_pos);
            CHECK(!uneven, "short sample len %u H %u: %d sizes or positions far from uniform", len, H, uneven);
        }
    mt_rng r, r2;
    mt_rng_seed(&r, 1);
    mt_rng_seed(&r2, 2);
    int same = 1;
    for (int t = 0; t < 20 && same; t++) {
        uint32_t h = mt_short_sample(&r, 40, 10, keep), h2 = mt_short_sample(&r2, 40, 10, again);
        same = h == h2 && memcmp(keep, again, 40) == 0;
    }
    CHECK(!same, "short sample: another seed gives other draws");
}

/* in training with short histories (share 1): each user with at least two
 * items gets as input the sum of the input rows of h of its own items times
 * 1/sqrt(h), and the loss is the softmax cross-entropy of its other items;
 * a user with one item keeps the dropout input.  Against a plain reference
 * over the mask and the logits. */
static void test_short_inputs(void)
{
    const uint32_t n = 30, d = 4, nu = 6;
    mt_model mdl;
    if (full_dae(&mdl, n, d, 3, "short inputs")) return;
    mt_csr h = tiny_hist(nu, n, 8);
    /* user 5: a single item (never short) */
    h.off[nu] = h.off[nu - 1] + 1;
    h.idx[h.off[nu - 1]] = 17;
    h.nnz = h.off[nu];
    uint32_t users[6] = {0, 1, 2, 3, 4, 5};
    mt_work w;
    mt_work_init(&w, &mdl, nu, 1);
    w.short_h = 4;
    w.short_share = 1.0f;
    const float dropout = 0.5f;
    mt_rng_seed(&w.rng, 123);
    mt_dae_forward(&mdl, &w, &h, users, nu, dropout, 1);
    float *S = malloc((size_t)nu * n * sizeof *S), *x = malloc((size_t)nu * d * sizeof *x);
    uint8_t *keep = malloc(h.nnz);
    uint32_t short_n[6];
    memcpy(S, w.S, (size_t)nu * n * sizeof *S);
    memcpy(x, w.x, (size_t)nu * d * sizeof *x);
    memcpy(keep, w.keep, h.nnz);
    memcpy(short_n, w.short_n, sizeof short_n);
    const float *E = mdl.params[mdl.in.pidx_a].v;
    int bad_x = 0, bad_h = 0;
    double ref_loss = 0;
    for (uint32_t u = 0; u < nu; u++) {
        uint64_t s = h.off[u], e = h.off[u + 1];
        uint32_t len = (uint32_t)(e - s), marked = 0;
        for (uint64_t k = s; k < e; k++) marked += keep[k];
        if (len >= 2)
            bad_h += short_n[u] < 1 || short_n[u] > (len - 1 < 4 ? len - 1 : 4) || marked != short_n[u];
        else
            bad_h += short_n[u] != 0;
        double c = len >= 2 ? 1.0 / sqrt((double)short_n[u]) : 1.0 / sqrt((double)len) / (1.0 - dropout);
        for (uint32_t j = 0; j < d; j++) {
            double ref = 0;
            for (uint64_t k = s; k < e; k++)
                if (keep[k]) ref += c * E[(size_t)h.idx[k] * d + j];
            bad_x += fabs(ref - x[(size_t)u * d + j]) > 1e-5 * (1 + fabs(ref));
        }
        /* loss: targets the items not in the input (all of them for user 5) */
        const float *su = S + (size_t)u * n;
        double mx = su[0], z = 0;
        for (uint32_t i = 1; i < n; i++) mx = su[i] > mx ? su[i] : mx;
        for (uint32_t i = 0; i < n; i++) z += exp(su[i] - mx);
        for (uint64_t k = s; k < e; k++)
            if (len < 2 || !keep[k]) ref_loss += mx + log(z) - su[h.idx[k]];
    }
    CHECK(!bad_h && !bad_x, "short inputs: %d users with a wrong input size, %d input values differ from "
          "the sum of the kept items' rows", bad_h, bad_x);
    mt_work_zero_grad(&w, &mdl);
    mt_rng_seed(&w.rng, 123);
    mt_dae_forward(&mdl, &w, &h, users, nu, dropout, 1);
    CHECK(memcmp(w.keep, keep, h.nnz) == 0, "short inputs: the same seed gives the same inputs");
    mt_dae_backward(&mdl, &w, &h, users, nu, 1.0f);
    CHECK(fabs(w.loss - ref_loss) < 1e-4 * (1 + fabs(ref_loss)), "short inputs: loss %.6f, reference over the "
          "other items %.6f", w.loss, ref_loss);
    /* not in training: the whole history, no mask */
    mt_dae_forward(&mdl, &w, &h, users, nu, dropout, 0);
    int whole = !w.keep_active;
    for (uint32_t u = 0; u < nu; u++) whole = whole && w.short_n[u] == 0;
    CHECK(whole, "short inputs: scoring uses the whole history");
    free(S);
    free(x);
    free(keep);
    mt_work_free(&w, &mdl);
    mt_model_free(&mdl);
    mt_csr_free(&h);
}

/* ---------------------------------------------------------------- */
/* metrics                                                            */
/* ---------------------------------------------------------------- */
static void test_metrics(void)
{
    double r, g;
    uint32_t ranked[4] = {3, 1, 4, 0};
    uint32_t truth[2] = {1, 5};
    mt_user_metrics(ranked, 4, truth, 2, 2, &r, &g);
    /* hit at rank 2: DCG = 1/log2(3); IDCG = 1 + 1/log2(3) */
    double dcg = 1.0 / log2(3.0);
    CHECK(fabs(r - 0.5) < 1e-12, "recall@2 = %g, want 0.5", r);
    CHECK(fabs(g - dcg / (1 + dcg)) < 1e-12, "ndcg@2 = %g, want %g", g, dcg / (1 + dcg));
    /* K larger than the truth: IDCG over min(K, |truth|) */
    uint32_t truth1[1] = {4};
    mt_user_metrics(ranked, 4, truth1, 1, 10, &r, &g);
    CHECK(fabs(r - 1.0) < 1e-12 && fabs(g - 1.0 / log2(4.0)) < 1e-12, "ndcg@10 one hit at rank 3 = %g", g);
    uint32_t truth3[3] = {0, 3, 4};
    mt_user_metrics(ranked, 4, truth3, 3, 1, &r, &g);
    CHECK(fabs(r - 1.0 / 3) < 1e-12 && fabs(g - 1.0) < 1e-12, "k=1 perfect: recall %g ndcg %g", r, g);
    uint32_t truth_none[1] = {9};
    mt_user_metrics(ranked, 4, truth_none, 1, 4, &r, &g);
    CHECK(r == 0 && g == 0, "no hits gives zeros");
    /* all truth hit in order -> 1 */
    uint32_t truth2[2] = {1, 3};
    mt_user_metrics(ranked, 4, truth2, 2, 20, &r, &g);
    CHECK(fabs(g - 1.0) < 1e-12 && fabs(r - 1.0) < 1e-12, "perfect ranking ndcg %g", g);
    /* top-k with exclusion and ties (lower index first) */
    float s[6] = {0.5f, 0.9f, 0.9f, 0.1f, 0.7f, NAN};
    uint32_t excl[1] = {1}, top[6];
    uint32_t got = mt_topk_scores(s, 6, excl, 1, 3, top);
    CHECK(got == 3 && top[0] == 2 && top[1] == 4 && top[2] == 0, "topk %u: %u %u %u", got, top[0], top[1], top[2]);
    got = mt_topk_scores(s, 6, NULL, 0, 10, top);
    CHECK(got == 6 && top[0] == 1 && top[1] == 2 && top[5] == 5, "topk all, NaN last");
}

/* ---------------------------------------------------------------- */
/* sizing                                                             */
/* ---------------------------------------------------------------- */
static const char *write_tmp(const char *name, const char *text);

/* graded NDCG against hand-computed values; grades kept through the CSV
 * reader, the split and the popularity renumbering */
static void test_graded(void)
{
    uint32_t truth[3] = {2, 5, 7};
    float grade[3] = {3, 1, 0};   /* gains log2(1 + g): 2, 1, 0 */
    uint32_t ranked[3] = {5, 9, 2};
    double g = mt_graded_ndcg(ranked, 3, truth, grade, 3, grade, 3, 3);
    double want = (1.0 + 2.0 / log2(4.0)) / (2.0 + 1.0 / log2(3.0));
    CHECK(fabs(g - want) < 1e-12, "graded ndcg@3 = %.6f, want %.6f", g, want);
    g = mt_graded_ndcg(ranked, 3, truth, grade, 3, grade, 3, 1);
    CHECK(fabs(g - 0.5) < 1e-12, "graded ndcg@1 = %.6f, want 0.5", g);
    float ideal[4] = {3, 1, 0, 7};   /* an item the ranking cannot hit: gain 3 */
    g = mt_graded_ndcg(ranked, 3, truth, grade, 3, ideal, 4, 3);
    want = (1.0 + 2.0 / log2(4.0)) / (3.0 + 2.0 / log2(3.0) + 1.0 / log2(4.0));
    CHECK(fabs(g - want) < 1e-12, "graded ndcg@3 with an unknown item = %.6f, want %.6f", g, want);
    uint32_t best[2] = {2, 5};
    CHECK(fabs(mt_graded_ndcg(best, 2, truth, grade, 3, grade, 3, 10) - 1.0) < 1e-12, "ideal order gives 1");
    float zero[1] = {0};
    uint32_t one[1] = {4};
    CHECK(mt_graded_ndcg(one, 1, one, zero, 1, zero, 1, 10) == 0, "all gains 0 gives 0");
    mt_metrics m;
    memset(&m, 0, sizeof m);
    mt_metrics_add_user_graded(&m, ranked, 3, truth, grade, 3);
    mt_metrics_add_user_graded(&m, best, 2, truth, grade, 3);
    mt_metrics_average(&m);
    CHECK(m.graded && fabs(m.gndcg[0] - 0.5 * ((1.0 + 2.0 / log2(4.0)) / (2.0 + 1.0 / log2(3.0)) + 1.0)) < 1e-12,
          "mean graded ndcg@10 %.6f", m.gndcg[0]);

    /* grades through the reader: user,item,plays */
    mt_dataset ds;
    mt_err err;
    mt_data_opts o;
    mt_data_opts_default(&o);
    o.format = MT_FMT_CSV;
    o.valid_frac = o.test_frac = 0;
    o.path = write_tmp("graded.tsv", "userID\tartistID\tweight\n1\t10\t500\n1\t20\t7\n2\t20\t30\n2\t30\t2\n"
                                     "3\t20\t1\n");
    int rc = mt_dataset_load(&ds, &o, &err);
    CHECK(rc == 0, "graded load: %s", rc ? err.msg : "");
    if (rc) return;
    CHECK(ds.graded && ds.train.val, "grades kept");
    int right = 1;
    for (uint32_t u = 0; ds.train.val && u < ds.n_users; u++)
        for (uint64_t k = ds.train.off[u]; k < ds.train.off[u + 1]; k++) {
            const char *uid = ds.user_ids[u], *iid = ds.item_ids[ds.train.idx[k]];
            float want_g = !strcmp(uid, "1") ? (!strcmp(iid, "10") ? 500 : 7)
                                             : !strcmp(uid, "2") ? (!strcmp(iid, "20") ? 30 : 2) : 1;
            right &= ds.train.val[k] == want_g;
        }
    CHECK(right && strcmp(ds.item_ids[0], "20") == 0, "each interaction keeps its grade after renumbering");
    mt_dataset_free(&ds);
    o.path = write_tmp("ungraded.csv", "1,10\n1,20\n2,20\n");
    rc = mt_dataset_load(&ds, &o, &err);
    CHECK(rc == 0 && !ds.graded && !ds.train.val, "a log without grades is not graded");
    if (!rc) mt_dataset_free(&ds);
}

static void test_sizing(void)
{
    mt_tsize s;
    mt_err err;
    uint32_t n = 10000, d = 64;
    const int F32 = MEMCOM_DTYPE_F32, F16 = MEMCOM_DTYPE_F16, I8 = MEMCOM_DTYPE_I8;
    /* f32 rows (--dtype f32): 16x of 10000 x 64 x 4 bytes = 160000 bytes */
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM, n, d, 16, 0, F32, &s, &err) == 0 && s.m == n * (64 / 16 - 1) / 64 &&
              s.row_dtype == F32,
          "memcom m at 16x = %u, want %u", s.m, n * 3 / 64);
    CHECK(mt_table_size_for_ratio(MT_T_HASH, n, d, 16, 0, F32, &s, &err) == 0 && s.m == n / 16, "hash m = %u", s.m);
    CHECK(mt_table_size_for_ratio(MT_T_QR, n, d, 16, 0, F32, &s, &err) == 0 &&
              mt_table_bytes(MT_T_QR, n, d, &s, MEMCOM_DTYPE_F32) <= (uint64_t)n * d * 4 / 16,
          "qr within budget");
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM_LEARNED, n, d, 16, 0, F32, &s, &err) == 0 &&
              mt_table_bytes(MT_T_MEMCOM_LEARNED, n, d, &s, MEMCOM_DTYPE_F32) <= (uint64_t)n * d * 4 / 16 &&
              s.scalar_dtype == MEMCOM_DTYPE_F16,
          "learned within budget (buckets counted)");
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM, n, d, 70, 0, F32, &s, &err) != 0 && strstr(err.msg, "too high"),
          "memcom at 70x with d=64 refused: %s", err.msg);
    /* the rows in the bytes they are stored in, by hand: an int8 row is d
     * bytes + an f32 scale (68), an f16 row 128; plain memcom adds an f32
     * scalar per item (40000 bytes), the learned kinds an f16 scalar and a
     * u16 bucket index (40000 bytes) */
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM, n, d, 16, 0, I8, &s, &err) == 0 && s.m == 120000 / 68,
          "memcom int8 rows at 16x: m = %u, want %u", s.m, 120000 / 68);
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM_LEARNED_POP, n, d, 16, 0, I8, &s, &err) == 0 && s.m == 120000 / 68,
          "learned-pop int8 rows at 16x: m = %u, want %u", s.m, 120000 / 68);
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM_LEARNED_POP, n, d, 16, 0, F16, &s, &err) == 0 && s.m == 120000 / 128 &&
              s.row_dtype == F16,
          "learned-pop f16 rows at 16x: m = %u, want %u", s.m, 120000 / 128);
    CHECK(mt_table_size_for_ratio(MT_T_HASH, n, d, 16, 0, I8, &s, &err) == 0 && s.m == 160000 / 68,
          "hash int8 rows at 16x: m = %u, want %u", s.m, 160000 / 68);
    CHECK(mt_table_size_for_ratio(MT_T_QR, n, d, 16, 0, I8, &s, &err) == 0 &&
              mt_table_bytes(MT_T_QR, n, d, &s, I8) <= 160000 && s.m > n / 16,
          "qr int8 rows within budget, more rows than f32: m = %u", s.m);
    /* 40x: 64000 bytes, 40000 of them per item */
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM_LEARNED_POP, n, d, 40, 0, I8, &s, &err) == 0 && s.m == 24000 / 68,
          "learned-pop int8 rows at 40x: m = %u, want %u", s.m, 24000 / 68);
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM_LEARNED_POP, n, d, 40, 0, F32, &s, &err) == 0 && s.m == 24000 / 256,
          "learned-pop f32 rows at 40x: m = %u, want %u", s.m, 24000 / 256);
    /* the default storage: int8 for a compressed table sized by a ratio, f32
     * for explicit rows and for full tables; a given type is kept */
    CHECK(mt_table_size_for_ratio(MT_T_MEMCOM_LEARNED_POP, n, d, 16, 0, 0, &s, &err) == 0 && s.row_dtype == I8 &&
              s.m == 120000 / 68,
          "default at 16x: int8 rows, m = %u", s.m);
    CHECK(mt_table_size_for_ratio(MT_T_FULL, n, d, 16, 0, 0, &s, &err) == 0 && s.row_dtype == F32 && s.m == n,
          "a full table stays f32");
    CHECK(mt_table_size_for_rows(MT_T_MEMCOM_LEARNED_POP, n, d, 300, 0, 0, &s, &err) == 0 && s.row_dtype == F32 &&
              s.m == 300,
          "explicit rows: f32 by default");
    CHECK(mt_table_size_for_rows(MT_T_HASH, n, d, 300, 0, I8, &s, &err) == 0 && s.row_dtype == I8, "rows, int8 given");
    uint32_t b[10];
    mt_buckets_default(MT_T_MEMCOM_POP, 10, 4, 2, b);
    CHECK(b[0] == 0 && b[1] == 1 && b[2] == 2 && b[3] == 3 && b[4] == 2 && b[9] == 3, "pop buckets");
}

/* ---------------------------------------------------------------- */
/* data readers                                                       */
/* ---------------------------------------------------------------- */
static char tmpdir[256];

static const char *write_tmp(const char *name, const char *text)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
    return p;
}

static int load_csv(const char *text, int header, double thr, mt_dataset *ds, mt_err *err)
{
    mt_data_opts o;
    mt_data_opts_default(&o);
    o.format = MT_FMT_CSV;
    o.path = write_tmp("log.csv", text);
    o.header = header;
    if (thr > -1e9) {
        o.has_threshold = 1;
        o.threshold = thr;
    }
    return mt_dataset_load(ds, &o, err);
}

static void test_data(void)
{
    mt_dataset ds;
    mt_err err;
    /* popularity renumbering, ids kept, threshold, quoted fields */
    int rc = load_csv("userId,movieId,rating,timestamp\n1,10,5,1\n1,20,2,2\n2,20,4,3\n3,20,4.5,4\n2,\"3,0\",5,5\n", 1, 3.5,
                      &ds, &err);
    CHECK(rc == 0, "csv load: %s", rc ? err.msg : "");
    if (rc == 0) {
        CHECK(ds.n_items == 3 && ds.n_users == 3, "csv counts %u items %u users", ds.n_items, ds.n_users);
        uint64_t all = ds.train.nnz + ds.valid.nnz + ds.test.nnz;
        CHECK(all == 4, "kept 4 interactions >= 3.5, got %llu", (unsigned long long)all);
        CHECK(strcmp(ds.item_ids[0], "20") == 0 || ds.item_count[0] >= ds.item_count[1], "most popular first");
        int has_quoted = 0;
        for (uint32_t i = 0; i < ds.n_items; i++) has_quoted |= strcmp(ds.item_ids[i], "3,0") == 0;
        CHECK(has_quoted, "quoted id with comma kept");
        mt_dataset_free(&ds);
    }
    /* errors name the file and line */
    rc = load_csv("u,i,r\n1,2,5\n1,2,abc\n", 1, 3, &ds, &err);
    CHECK(rc != 0 && strstr(err.msg, "log.csv:3:") && strstr(err.msg, "rating"), "bad rating: %s", err.msg);
    rc = load_csv("1,2\n3\n", 0, -1e10, &ds, &err);
    CHECK(rc != 0 && strstr(err.msg, "log.csv:2:"), "missing field: %s", err.msg);
    rc = load_csv("1,2\n1,\"x\n", 0, -1e10, &ds, &err);
    CHECK(rc != 0 && strstr(err.msg, "log.csv:2:") && strstr(err.msg, "quote"), "unterminated quote: %s", err.msg);
    rc = load_csv("1,2\n1,\xff\xfe\n", 0, -1e10, &ds, &err);
    CHECK(rc != 0 && strstr(err.msg, "log.csv:2:") && strstr(err.msg, "UTF-8"), "bad utf-8: %s", err.msg);
    rc = load_csv("1,2,3,4,5\n", 0, -1e10, &ds, &err);
    CHECK(rc != 0 && strstr(err.msg, "log.csv:1:") && strstr(err.msg, "too many"), "too many fields: %s", err.msg);
    rc = load_csv("a,b\n", 1, -1e10, &ds, &err);
    CHECK(rc != 0 && strstr(err.msg, "no interactions"), "empty: %s", err.msg);
    rc = load_csv("1,2,5\n", 0, 3, &ds, &err);
    CHECK(rc == 0, "no header fine");
    if (rc == 0) mt_dataset_free(&ds);
    /* a header line without --header is detected and skipped, with a note */
    rc = load_csv("user,item,rating\n1,2,5\n", 0, 3, &ds, &err);
    CHECK(rc == 0 && ds.n_users == 1 && ds.n_items == 1 && strstr(ds.note, "looks like a header"), "header detected: %s",
          rc ? err.msg : ds.note);
    if (rc == 0) mt_dataset_free(&ds);
    rc = load_csv("userId,movieId\n1,2\n1,3\n", 0, -1e10, &ds, &err);   /* names above ids */
    CHECK(rc == 0 && ds.n_users == 1 && ds.n_items == 2 && strstr(ds.note, "header"), "header by names: %s",
          rc ? err.msg : ds.note);
    if (rc == 0) mt_dataset_free(&ds);
    rc = load_csv("alice,apple\nbob,pear\n", 0, -1e10, &ds, &err);   /* names everywhere: data */
    CHECK(rc == 0 && ds.n_users == 2 && ds.note[0] == 0, "no header among names: %s", rc ? err.msg : ds.note);
    if (rc == 0) mt_dataset_free(&ds);
    rc = load_csv("user,item,rating\n1,2,5\n", -1, -1e10, &ds, &err);   /* --no-header: line 1 is data */
    CHECK(rc == 0 && ds.n_users == 2 && ds.n_items == 2, "--no-header: %s", rc ? err.msg : "");
    if (rc == 0) mt_dataset_free(&ds);
    /* split files: binary junk is refused with a line number */
    mt_data_opts o;
    mt_data_opts_default(&o);
    o.format = MT_FMT_SPLIT;
    o.train_path = write_tmp("train.txt", "0 1 2 3\n1 2 3\n");
    o.valid_path = write_tmp("valid.txt", "0 4\n1 \xc3\x28\n");
    o.test_path = NULL;
    rc = mt_dataset_load(&ds, &o, &err);
    CHECK(rc != 0 && strstr(err.msg, "valid.txt:2:"), "split file bad utf-8: %s", err.msg);
    o.valid_path = write_tmp("valid.txt", "0 4\n1 1\n");
    o.test_path = "/nonexistent/test.txt";
    rc = mt_dataset_load(&ds, &o, &err);
    CHECK(rc != 0 && strstr(err.msg, "/nonexistent/test.txt") && strstr(err.msg, "cannot open"), "missing file: %s",
          err.msg);
    o.test_path = write_tmp("test.txt", "0 3\n");
    rc = mt_dataset_load(&ds, &o, &err);
    CHECK(rc == 0, "split load: %s", rc ? err.msg : "");
    if (rc == 0) {
        /* user 0's test item "3" is in its train list -> removed; "4" only in valid */
        CHECK(ds.n_items == 4 && ds.valid.nnz == 2 && ds.test.nnz == 0, "disjoint splits: items %u valid %llu test %llu",
              ds.n_items, (unsigned long long)ds.valid.nnz, (unsigned long long)ds.test.nnz);
        CHECK(strcmp(ds.item_ids[0], "2") == 0 && strcmp(ds.item_ids[3], "4") == 0, "popularity order %s..%s",
              ds.item_ids[0], ds.item_ids[3]);
        mt_dataset_free(&ds);
    }
    /* seeded per-user split: deterministic, 70/10/20 */
    mt_pairs p = {0};
    for (uint32_t k = 0; k < 100; k++) mt_pairs_push(&p, 0, k, 0);
    mt_split_per_user(&p, 1, 0.1, 0.2, 3);
    int cnt[3] = {0, 0, 0};
    for (size_t k = 0; k < p.count; k++) cnt[p.part[k]]++;
    CHECK(cnt[0] == 70 && cnt[1] == 10 && cnt[2] == 20, "split %d/%d/%d", cnt[0], cnt[1], cnt[2]);
    uint8_t first[100];
    memcpy(first, p.part, 100);
    mt_split_per_user(&p, 1, 0.1, 0.2, 3);
    CHECK(memcmp(first, p.part, 100) == 0, "split is deterministic for a seed");
    mt_pairs_free(&p);
}

/* ---------------------------------------------------------------- */
/* training on generated data beats popularity                        */
/* ---------------------------------------------------------------- */
static void gen_dataset(mt_dataset *ds, uint32_t n_users, uint32_t n_items, uint64_t seed)
{
    /* users belong to one of 8 taste groups; each group likes a block of
     * items; item popularity is skewed within blocks */
    mt_rng r;
    mt_rng_seed(&r, seed);
    mt_strmap users, items;
    mt_strmap_init(&users);
    mt_strmap_init(&items);
    mt_pairs p = {0};
    char buf[32];
    for (uint32_t i = 0; i < n_items; i++) {
        int len = snprintf(buf, sizeof buf, "item%u", i);
        mt_strmap_intern(&items, buf, (size_t)len, NULL);
    }
    uint32_t groups = 8, block = n_items / groups;
    for (uint32_t u = 0; u < n_users; u++) {
        int len = snprintf(buf, sizeof buf, "u%u", u);
        uint32_t uid = mt_strmap_intern(&users, buf, (size_t)len, NULL);
        uint32_t g = mt_rng_below(&r, groups), cnt = 10 + mt_rng_below(&r, 20);
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t it;
            if (mt_rng_uniform(&r) < 0.85) {
                double x = mt_rng_uniform(&r);
                it = g * block + (uint32_t)(x * x * block);
            } else {
                it = mt_rng_below(&r, n_items);
            }
            mt_pairs_push(&p, uid, it, 0);
        }
    }
    mt_split_per_user(&p, n_users, 0.1, 0.2, seed);
    memset(ds, 0, sizeof *ds);
    snprintf(ds->name, sizeof ds->name, "generated");
    mt_dataset_build(ds, &p, &users, &items);
    mt_pairs_free(&p);
    mt_strmap_free(&users);
    mt_strmap_free(&items);
}

static double popularity_ndcg20(const mt_dataset *ds)
{
    /* items are numbered by popularity: rank 0, 1, 2, ... minus train items */
    double sum = 0;
    uint32_t users = 0, top[40];
    float *score = malloc(ds->n_items * sizeof *score);
    for (uint32_t i = 0; i < ds->n_items; i++) score[i] = (float)ds->item_count[i];
    for (uint32_t u = 0; u < ds->n_users; u++) {
        uint64_t ts = ds->test.off[u], te = ds->test.off[u + 1];
        if (te == ts) continue;
        uint32_t got = mt_topk_scores(score, ds->n_items, ds->train.idx + ds->train.off[u],
                                      (uint32_t)(ds->train.off[u + 1] - ds->train.off[u]), 20, top);
        double r, g;
        mt_user_metrics(top, got, ds->test.idx + ts, (uint32_t)(te - ts), 20, &r, &g);
        sum += g;
        users++;
    }
    free(score);
    return users ? sum / users : 0;
}

/* trains a small model of out_kind (ranker: the pairwise ranker) and checks
 * that it clearly beats popularity */
static void train_beats_popularity(const mt_dataset *ds, double pop, int kind, int ranker, uint32_t short_h)
{
    mt_train_opts o;
    mt_train_opts_default(&o);
    o.d = 16;
    o.epochs = 40;
    o.patience = 8;
    o.batch = 100;
    o.lr = 0.01f;
    o.weight_decay = 0.1f;
    o.warmup_epochs = 5;
    o.out_kind = kind;
    o.ratio = kind == MT_T_FULL ? 0 : 4;
    o.quiet = 1;
    o.ranker = ranker;
    o.head_layers = 1;   /* the relu path of the head */
    o.head_width = 16;
    o.short_h = short_h;
    mt_model mdl;
    mt_train_result res;
    mt_err err;
    const char *what = ranker ? "ranker" : short_h ? "short" : "dae";
    int rc = mt_train(&mdl, ds, &o, &res, &err);
    CHECK(rc == 0, "train %s %s: %s", what, mt_tkind_name(kind), rc ? err.msg : "");
    if (rc) return;
    CHECK(mdl.n_head == (ranker ? 2u : 0u) && res.test.ndcg[1] > 1.5 * pop,
          "%s %s: test NDCG@20 %.4f should clearly beat popularity %.4f", what, mt_tkind_name(kind), res.test.ndcg[1],
          pop);
    printf("  generated data: %-6s %-20s NDCG@20 %.4f (popularity %.4f)\n", what, mt_tkind_name(kind),
           res.test.ndcg[1], pop);
    mt_model_free(&mdl);
}

static void test_training(void)
{
    mt_dataset ds;
    gen_dataset(&ds, 1500, 400, 11);
    double pop = popularity_ndcg20(&ds);
    int kinds[3] = {MT_T_FULL, MT_T_MEMCOM, MT_T_MEMCOM_LEARNED_POP};
    for (int k = 0; k < 3; k++) train_beats_popularity(&ds, pop, kinds[k], 0, 0);
    /* the pairwise ranker (full and memcom tables) */
    train_beats_popularity(&ds, pop, MT_T_FULL, 1, 0);
    train_beats_popularity(&ds, pop, MT_T_MEMCOM_LEARNED_POP, 1, 0);
    /* short-history inputs (the learned kind: also in its warm-up) */
    train_beats_popularity(&ds, pop, MT_T_FULL, 0, 5);
    train_beats_popularity(&ds, pop, MT_T_MEMCOM_LEARNED_POP, 0, 5);
    mt_dataset_free(&ds);
}

/* k-means keeps popular items exact and approximates the others */
static void test_kmeans(void)
{
    const uint32_t n = 200, d = 8, m = 20, pop = 5;
    float *v = malloc(n * d * sizeof *v), *c = malloc(m * d * sizeof *c), w[200];
    uint32_t b[200];
    mt_rng r;
    mt_rng_seed(&r, 4);
    /* 15 true directions, arbitrary scales and signs */
    float dirs[15][8];
    for (int j = 0; j < 15; j++)
        for (uint32_t k = 0; k < d; k++) dirs[j][k] = mt_rng_normal(&r);
    for (uint32_t i = 0; i < n; i++) {
        float s = (float)(mt_rng_uniform(&r) * 4 - 2);
        for (uint32_t k = 0; k < d; k++) v[i * d + k] = s * dirs[i % 15][k] + 0.01f * mt_rng_normal(&r);
    }
    mt_kmeans_buckets(v, n, d, m, pop, 20, 1, 1, b, c, w);
    double err = 0, norm = 0;
    int range_ok = 1;
    for (uint32_t i = 0; i < n; i++) {
        range_ok &= b[i] < m && (i >= pop || b[i] == i);
        for (uint32_t k = 0; k < d; k++) {
            double e = v[i * d + k] - w[i] * c[b[i] * d + k];
            err += e * e;
            norm += (double)v[i * d + k] * v[i * d + k];
        }
    }
    CHECK(range_ok, "k-means buckets in range, popular items own rows");
    CHECK(err / norm < 0.05, "k-means reconstruction error %.4f", err / norm);
    free(v);
    free(c);
}

/* ---------------------------------------------------------------- */
/* runs: error codes, outputs, validation data, byte order mark        */
/* ---------------------------------------------------------------- */
static void test_run_checks(void)
{
    mt_dataset ds;
    mt_err err;
    /* a BOM is not part of the first (user) id: one user, not two */
    int rc = load_csv("\xEF\xBB\xBFu1,a\nu1,b\nu2,a\n", 0, -1e10, &ds, &err);
    CHECK(rc == 0, "bom load: %s", rc ? err.msg : "");
    if (rc == 0) {
        CHECK(ds.n_users == 2, "BOM stripped: %u users, expected 2", ds.n_users);
        mt_dataset_free(&ds);
    }
    /* data errors carry their code */
    rc = load_csv("1,2\n3\n", 0, -1e10, &ds, &err);
    CHECK(rc != 0 && err.code == MT_E_DATA, "data error code %d", err.code);

    /* every user has one item: no validation data, refused unless --patience 0 */
    mt_run_opts ro;
    mt_run_opts_default(&ro);
    /* the popularity prior's TAU: finite and >= 0, else refused before anything is read */
    const float bad_tau[3] = {-0.5f, NAN, INFINITY};
    for (int k = 0; k < 6; k++) {
        mt_run_opts bo = ro;
        *(k < 3 ? &bo.train.logit_adjust : &bo.train.bias_prior) = bad_tau[k % 3];
        rc = mt_run_check(&bo, &err);
        CHECK(rc != 0 && err.code == MT_E_OPTION && strstr(err.msg, k < 3 ? "logit adjustment" : "bias prior"),
              "TAU %g refused (%s): %s", (double)bad_tau[k % 3], k < 3 ? "logit adjustment" : "bias prior",
              rc ? err.msg : "accepted");
    }
    ro.data.format = MT_FMT_CSV;
    ro.data.path = write_tmp("single.csv", "u1,a\nu2,b\nu3,a\nu4,c\n");
    rc = mt_dataset_load(&ds, &ro.data, &err);
    CHECK(rc == 0 && ds.valid.nnz == 0, "single-item users load");
    if (rc == 0) {
        rc = mt_run_check_data(&ro, &ds, &err);
        CHECK(rc < 0 && err.code == MT_E_NO_VALID && strstr(err.msg, "--patience 0"), "no validation: %d %s", rc,
              err.msg);
        ro.train.patience = 0;
        CHECK(mt_run_check_data(&ro, &ds, &err) == 1, "no validation with --patience 0 is the explicit fallback");
        /* and then trains all epochs, keeping the last */
        mt_model mdl;
        mt_train_result res;
        ro.train.epochs = 3;
        ro.train.d = 4;
        ro.train.quiet = 1;
        rc = mt_train(&mdl, &ds, &ro.train, &res, &err);
        CHECK(rc == 0 && res.best_epoch == 3 && res.epochs_run == 3, "no validation: best epoch %u of %u (rc %d)",
              res.best_epoch, res.epochs_run, rc);
        if (rc == 0) mt_model_free(&mdl);
        mt_dataset_free(&ds);
    }

    /* outputs: not regular files, inputs, missing directories are refused */
    char data[600], dir[600], missing[600], out[600];
    snprintf(data, sizeof data, "%s", write_tmp("in.csv", "1,2\n"));
    snprintf(dir, sizeof dir, "%s/adir", tmpdir);
    snprintf(missing, sizeof missing, "%s/nodir/x.memcom", tmpdir);
    snprintf(out, sizeof out, "%s/new.memcom", tmpdir);
    mkdir(dir, 0777);
    mt_path ins[1] = {{data, "data file", 0}};
    mt_path o1[1] = {{dir, "-o", 0}};
    CHECK(mt_check_outputs(o1, 1, ins, 1, &err) < 0 && err.code == MT_E_OUTPUT && strstr(err.msg, "a directory"),
          "directory output: %s", err.msg);
    mt_path o2[1] = {{data, "-o", 0}};
    CHECK(mt_check_outputs(o2, 1, ins, 1, &err) < 0 && err.code == MT_E_OUTPUT && strstr(err.msg, "is the data file"),
          "output is input: %s", err.msg);
    mt_path o3[1] = {{missing, "-o", 0}};
    CHECK(mt_check_outputs(o3, 1, ins, 1, &err) < 0 && err.code == MT_E_OUTPUT && strstr(err.msg, "cannot be written"),
          "missing directory: %s", err.msg);
    mt_path o4[2] = {{out, "-o", 0}, {out, "--checkpoint", 1}};
    CHECK(mt_check_outputs(o4, 2, ins, 1, &err) == 0, "a new file, and -o F --checkpoint F: %s", err.msg);
    mt_path o5[2] = {{out, "-o", 0}, {out, "--json", 0}};
    CHECK(mt_check_outputs(o5, 2, ins, 1, &err) < 0 && err.code == MT_E_OUTPUT, "two outputs one path");
    mt_path o6[1] = {{data, "the state", 0}};
    mt_path ins6[1] = {{data, "state resumed from", 1}};
    CHECK(mt_check_outputs(o6, 1, ins6, 1, &err) == 0, "an input updated in place when allowed: %s", err.msg);
    struct stat st;
    CHECK(stat(out, &st) != 0, "the check leaves no file behind");
    /* the atomic writer */
    CHECK(mt_write_atomic(out, "abc", 3, &err) == 0 && stat(out, &st) == 0 && st.st_size == 3, "write_atomic");
    CHECK(mt_write_atomic(missing, "abc", 3, &err) < 0 && err.code == MT_E_WRITE, "write_atomic failure code");
}


/* ---------------------------------------------------------------- */
/* issue 18: input as it comes, repeated pairs, provenance, estimate  */
/* ---------------------------------------------------------------- */
static void test_input_and_provenance(void)
{
    mt_dataset ds, ds2;
    mt_err err;
    /* repeated pairs dropped (first occurrence kept, in order) before the
     * split: u0 has items 0..9 twice, u1 items 0..4 once */
    mt_pairs p = {0};
    for (uint32_t r = 0; r < 2; r++)
        for (uint32_t k = 0; k < 10; k++) mt_pairs_push(&p, 0, k, 0);
    for (uint32_t k = 0; k < 5; k++) mt_pairs_push(&p, 1, k, 0);
    size_t dropped = mt_pairs_dedup(&p, 2, 10);
    int order_ok = p.count == 15;
    for (uint32_t k = 0; order_ok && k < 10; k++) order_ok = p.user[k] == 0 && p.item[k] == k;
    CHECK(dropped == 10 && order_ok, "dedup: dropped %zu, %zu left", dropped, p.count);
    mt_split_per_user(&p, 2, 0.1, 0.2, 1);
    int cnt[2][3] = {{0}};
    for (size_t k = 0; k < p.count; k++) cnt[p.user[k]][p.part[k]]++;
    /* 10 items: test round(2.0) = 2, valid round(1.0) = 1; 5 items: test round(1.0) = 1, valid (size_t)(0.5 + 0.5) = 1 */
    CHECK(cnt[0][0] == 7 && cnt[0][1] == 1 && cnt[0][2] == 2 && cnt[1][0] == 3 && cnt[1][1] == 1 && cnt[1][2] == 1,
          "split after dedup %d/%d/%d and %d/%d/%d", cnt[0][0], cnt[0][1], cnt[0][2], cnt[1][0], cnt[1][1], cnt[1][2]);
    mt_pairs_free(&p);

    /* delimiters detected: runs of spaces, tab, semicolon */
    static const char *const logs[3] = {"1 10 5\n1   11 4\n 2 10 3 \n", "1\t10\t5\n1\t11\t4\n2\t10\t3\n",
                                        "1;10;5\n1;11;4\n2;10;3\n"};
    static const char *const names[3] = {"space", "", ""};
    for (int k = 0; k < 3; k++) {
        int rc = load_csv(logs[k], 0, 4, &ds, &err);
        CHECK(rc == 0 && ds.n_users == 1 && ds.n_items == 2 && (!names[k][0] || strstr(ds.note, names[k])),
              "delimiter %d: %s", k, rc ? err.msg : ds.note);
        if (rc == 0) mt_dataset_free(&ds);
    }
    /* --columns */
    mt_columns c;
    CHECK(mt_columns_parse("user=userId,item=2", &c, &err) == 0 && c.by_name && c.idx[MT_COL_ITEM] == 2 &&
              c.idx[MT_COL_GRADE] == -1 && c.name_len[MT_COL_USER] == 6,
          "columns by name and index");
    CHECK(mt_columns_parse("user=0", &c, &err) < 0 && strstr(err.msg, "item"), "columns without item: %s", err.msg);
    CHECK(mt_columns_parse("user=0,item=1,item=2", &c, &err) < 0 && strstr(err.msg, "twice"), "twice: %s", err.msg);
    CHECK(mt_columns_parse("who=1,item=2", &c, &err) < 0 && strstr(err.msg, "unknown role"), "role: %s", err.msg);
    CHECK(mt_columns_parse("user=0,item=99999", &c, &err) < 0 && strstr(err.msg, "out of range"), "range: %s", err.msg);
    {
        mt_data_opts o;
        mt_data_opts_default(&o);
        o.format = MT_FMT_CSV;
        o.path = write_tmp("wide.csv", "a,b,item,d,user,f\nx,y,10,z,1,w\nx,y,11,z,1,w\nx,y,10,z,2,w\n");
        o.columns = "user=user,item=2";
        int rc = mt_dataset_load(&ds, &o, &err);
        CHECK(rc == 0 && ds.n_users == 2 && ds.n_items == 2 && ds.pairs == 3, "wide CSV by name: %s",
              rc ? err.msg : "");
        if (rc == 0) mt_dataset_free(&ds);
    }

    /* provenance: the data hash covers the distinct pairs only (a repeated
     * line changes nothing), not the line order across users */
    int r1 = load_csv("a,x\na,y\nb,x\nb,z\nb,w\n", 0, -1e10, &ds, &err);
    int r2 = load_csv("b,x\nb,z\na,x\nb,w\na,y\na,x\n", 0, -1e10, &ds2, &err);
    CHECK(r1 == 0 && r2 == 0 && ds.data_hash == ds2.data_hash && ds.pairs == 5 && ds2.pairs == 5 &&
              ds2.duplicates == 1 && ds.duplicates == 0,
          "data hash order-free and duplicate-free");
    if (r2 == 0) mt_dataset_free(&ds2);
    r2 = load_csv("a,x\na,y\nb,x\nb,z\nb,v\n", 0, -1e10, &ds2, &err);
    CHECK(r2 == 0 && ds.data_hash != ds2.data_hash, "one item differs: another hash");
    if (r2 == 0) mt_dataset_free(&ds2);
    if (r1 == 0) {
        /* mt_split_compare against a record as the trainer writes it */
        mt_buf b = {0};
        mt_buf_printf(&b, "{\"dataset\":\"x\",\"options\":{\"split_seed\":1,\"split\":[70,10,20]},\"data\":");
        mt_buf_json_provenance(&b, &ds);
        mt_buf_printf(&b, "}");
        mt_data_opts o;
        mt_data_opts_default(&o);
        char diff[512];
        int unchecked = 1;
        CHECK(mt_split_compare(b.p, b.len, &ds, &o, diff, sizeof diff, &unchecked) == 0 && !unchecked,
              "same data and split: %s", diff);
        o.seed = 2;
        CHECK(mt_split_compare(b.p, b.len, &ds, &o, diff, sizeof diff, &unchecked) == 1 &&
                  strstr(diff, "--split-seed: the model's is 1, now 2"),
              "seed: %s", diff);
        o.seed = 1;
        o.valid_frac = 0.1;
        o.test_frac = 0.1;
        CHECK(mt_split_compare(b.p, b.len, &ds, &o, diff, sizeof diff, &unchecked) == 1 &&
                  strstr(diff, "--split: the model's is 70/10/20, now 80/10/10"),
              "split: %s", diff);
        mt_data_opts_default(&o);
        mt_dataset other = ds;
        other.data_hash ^= 1;
        CHECK(mt_split_compare(b.p, b.len, &other, &o, diff, sizeof diff, &unchecked) == 1 &&
                  strstr(diff, "the data differs"),
              "data: %s", diff);
        other = ds;
        other.split_hash ^= 1;
        CHECK(mt_split_compare(b.p, b.len, &other, &o, diff, sizeof diff, &unchecked) == 1 &&
                  strstr(diff, "assignment differs"),
              "assignment: %s", diff);
        CHECK(mt_split_compare("{\"dataset\":\"x\"}", 15, &ds, &o, diff, sizeof diff, &unchecked) == 0 && unchecked,
              "no record: unchecked");
        mt_buf_free(&b);
        mt_dataset_free(&ds);
    }

    /* the time-left estimator */
    CHECK(mt_expected_end(5, 5, 4, 0, 10, 100) == 16, "improving every epoch: b + 1 + P");
    CHECK(mt_expected_end(12, 10, 4, 2, 10, 100) == 26, "gap 6 not yet over: b + g + P");
    CHECK(mt_expected_end(20, 10, 4, 10, 10, 100) == 20, "gap over: b + P");
    CHECK(mt_expected_end(12, 10, 4, 2, 10, 15) == 15, "capped by --epochs");
    CHECK(mt_expected_end(3, 3, 2, 0, 0, 40) == 40, "no early stopping: all epochs");
}


/* ---------------------------------------------------------------- */
/* short-history evaluation: item-kNN, EASE, list statistics          */
/* ---------------------------------------------------------------- */
/* A CSR from rows of item lists ending in -1. */
static mt_csr csr_of(const int *rows, uint32_t n_rows)
{
    mt_csr c;
    memset(&c, 0, sizeof c);
    c.n_rows = n_rows;
    c.off = calloc(n_rows + 1, sizeof *c.off);
    c.idx = calloc(64, sizeof *c.idx);
    uint64_t w = 0;
    const int *p = rows;
    for (uint32_t u = 0; u < n_rows; u++) {
        c.off[u] = w;
        for (; *p >= 0; p++) c.idx[w++] = (uint32_t)*p;
        p++;
    }
    c.off[n_rows] = w;
    c.nnz = w;
    return c;
}

static void test_knn(void)
{
    /* 4 users over 5 items: u0 {0,1,2}, u1 {0,1}, u2 {1,3}, u3 {0,2,4}.
     * Counts c = 3,3,2,1,1; co-occurrences C01 = 2 (u0,u1), C02 = 2 (u0,u3),
     * C04 = 1 (u3), C12 = 1 (u0), C13 = 1 (u2), the rest 0. */
    static const int rows[] = {0, 1, 2, -1, 0, 1, -1, 1, 3, -1, 0, 2, 4, -1};
    mt_csr tr = csr_of(rows, 4);
    mt_knn k;
    mt_knn_init(&k, &tr, 5);
    float s[5];
    uint32_t h0[] = {0}, h01[] = {0, 1};
    /* nobody left out, history {0}: C0j / sqrt(c0 cj) */
    mt_knn_scores(&k, h0, 1, NULL, 0, s);
    CHECK(fabsf(s[1] - 2 / 3.0f) < 1e-6f && fabsf(s[2] - 2 / sqrtf(6)) < 1e-6f && s[3] == 0 &&
              fabsf(s[4] - 1 / sqrtf(3)) < 1e-6f,
          "knn {0}: %g %g %g %g", s[1], s[2], s[3], s[4]);
    /* u0 left out (U = {0,1,2}): c' = 2,2,1,1,1; C'01 = 1, C'02 = 1, C'04 = 1 */
    uint32_t u0[] = {0, 1, 2};
    mt_knn_scores(&k, h0, 1, u0, 3, s);
    CHECK(fabsf(s[1] - 0.5f) < 1e-6f && fabsf(s[2] - 1 / sqrtf(2)) < 1e-6f && s[3] == 0 &&
              fabsf(s[4] - 1 / sqrtf(2)) < 1e-6f,
          "knn {0}, u0 left out: %g %g %g %g", s[1], s[2], s[3], s[4]);
    /* history {0,1}, u0 left out: item 1 adds C'12 = 0, C'13 = 1 / sqrt(2 * 1), C'14 = 0 */
    mt_knn_scores(&k, h01, 2, u0, 3, s);
    CHECK(fabsf(s[2] - 1 / sqrtf(2)) < 1e-6f && fabsf(s[3] - 1 / sqrtf(2)) < 1e-6f &&
              fabsf(s[4] - 1 / sqrtf(2)) < 1e-6f,
          "knn {0,1}, u0 left out: %g %g %g", s[2], s[3], s[4]);
    /* u3 left out, history {4}: item 4 was only u3's, so it says nothing */
    uint32_t u3[] = {0, 2, 4}, h4[] = {4};
    mt_knn_scores(&k, h4, 1, u3, 3, s);
    CHECK(s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0, "knn {4}, its only user left out: all 0");
    /* the marks of a left-out user do not stay: nobody left out again */
    mt_knn_scores(&k, h0, 1, NULL, 0, s);
    CHECK(fabsf(s[1] - 2 / 3.0f) < 1e-6f, "knn marks cleared: %g", s[1]);
    mt_knn_free(&k);
    mt_csr_free(&tr);
}

static void test_ease(void)
{
    /* EASE's B column j is the ridge regression of column j of X on the
     * other columns: ((G + lambda I) B)_ij = G_ij for every i != j, with
     * B_jj = 0 (Steck 2019, eq. 3-4).  Checked from that definition. */
    static const int rows[] = {0, 1, 2, -1, 0, 1, -1, 1, 3, -1, 0, 2, 4, -1, 2, 3, 4, -1, 1, -1, 0, 4, -1, 3, 5, -1};
    const uint32_t n = 6;
    mt_csr tr = csr_of(rows, 8);
    mt_ease e;
    mt_err err;
    const double lambda = 2;
    int rc = mt_ease_fit(&e, &tr, n, lambda, &err);
    CHECK(rc == 0, "ease fit: %s", rc ? err.msg : "");
    if (rc == 0) {
        double G[6][6] = {{0}};
        for (uint32_t u = 0; u < tr.n_rows; u++)
            for (uint64_t a = tr.off[u]; a < tr.off[u + 1]; a++)
                for (uint64_t b = tr.off[u]; b < tr.off[u + 1]; b++) G[tr.idx[a]][tr.idx[b]] += 1;
        double worst = 0;
        int diag_zero = 1;
        for (uint32_t j = 0; j < n; j++) {
            diag_zero &= e.B[j * n + j] == 0;
            for (uint32_t i = 0; i < n; i++) {
                if (i == j) continue;
                double lhs = 0;
                for (uint32_t q = 0; q < n; q++) lhs += (G[i][q] + (i == q ? lambda : 0)) * e.B[q * n + j];
                worst = fmax(worst, fabs(lhs - G[i][j]));
            }
        }
        CHECK(diag_zero && worst < 1e-4, "ease normal equations: worst %g, diag zero %d", worst, diag_zero);
        float s[6];
        uint32_t h[] = {1, 3};
        mt_ease_scores(&e, h, 2, s);
        CHECK(fabsf(s[4] - (e.B[1 * n + 4] + e.B[3 * n + 4])) < 1e-6f, "ease scores are row sums");
        mt_ease_free(&e);
    }
    CHECK(mt_ease_fit(&e, &tr, n, 0, &err) != 0 && strstr(err.msg, "lambda"), "ease lambda 0 refused: %s", err.msg);
    CHECK(mt_ease_fit(&e, &tr, MT_EASE_MAX_ITEMS + 1, 1, &err) != 0 && strstr(err.msg, "more than"),
          "ease too many items refused: %s", err.msg);
    mt_csr_free(&tr);
}

static void test_list_stats(void)
{
    /* lists of up to 3 over 10 items, the first 2 popular:
     * A = {2,0,1}, B = {4,0,3}, C = {5}.  Popular slots: A 2, B 1 -> 3 of 7.
     * Jaccard: A,B 1/5; A,C 0/4; B,C 0/4 -> mean 1/15.  Distinct 0..5: 6 of 10. */
    uint32_t lists[9] = {2, 0, 1, 4, 0, 3, 5, 99, 99};
    uint8_t len[3] = {3, 3, 1};
    mt_list_stats st;
    mt_list_stats_compute(lists, len, 3, 3, 10, 2, 0, 1, &st);
    CHECK(fabs(st.popular_share - 3.0 / 7) < 1e-12, "popular share %g", st.popular_share);
    CHECK(fabs(st.jaccard - 1.0 / 15) < 1e-12 && st.pairs == 3, "jaccard %g over %llu pairs", st.jaccard,
          (unsigned long long)st.pairs);
    CHECK(fabs(st.coverage - 0.6) < 1e-12 && st.distinct == 6 && st.slots == 7, "coverage %g", st.coverage);
    /* identical lists: Jaccard 1; the input is not reordered */
    uint32_t same[6] = {7, 3, 1, 1, 3, 7};
    uint8_t len2[2] = {3, 3};
    mt_list_stats_compute(same, len2, 2, 3, 10, 2, 0, 1, &st);
    CHECK(st.jaccard == 1 && st.popular_share == 2.0 / 6 && same[0] == 7, "identical lists: jaccard %g", st.jaccard);
    /* past max_pairs: random pairs of two different lists.  Lists 0..49 all
     * {1,2}, list 50 {3}: a pair is {x,x} (Jaccard 1) or {x,50} (0), so the
     * mean is the share of pairs without list 50, 49/51 for uniform pairs
     * (1225 of 1275), never a list paired with itself (which would be 1). */
    uint32_t many[51 * 2];
    uint8_t len3[51];
    for (int u = 0; u < 51; u++) {
        many[2 * u] = u < 50 ? 1 : 3;
        many[2 * u + 1] = 2;
        len3[u] = u < 50 ? 2 : 1;
    }
    mt_list_stats_compute(many, len3, 51, 2, 10, 2, 0, 1, &st);
    CHECK(fabs(st.jaccard - 1225.0 / 1275) < 1e-12 && st.pairs == 1275 && !st.sampled, "all pairs: %g", st.jaccard);
    /* 1000 of the 1275 pairs drawn: within 5 standard deviations (0.006) */
    mt_list_stats_compute(many, len3, 51, 2, 10, 2, 1000, 1, &st);
    CHECK(st.sampled && st.pairs == 1000 && fabs(st.jaccard - 1225.0 / 1275) < 0.03, "random pairs: %g (want %g)",
          st.jaccard, 1225.0 / 1275);
    /* three disjoint lists, 2 of the 3 pairs drawn: 0 unless a list met itself */
    uint32_t three[3] = {1, 2, 3};
    uint8_t len4[3] = {1, 1, 1};
    mt_list_stats_compute(three, len4, 3, 1, 10, 2, 2, 7, &st);
    CHECK(st.sampled && st.pairs == 2 && st.jaccard == 0, "random pairs of disjoint lists: %g", st.jaccard);
    mt_list_stats_compute(three, len4, 3, 1, 10, 2, 3, 7, &st);
    CHECK(!st.sampled && st.pairs == 3, "max_pairs = all pairs: exact");
}

int main(void)
{
    openblas_set_num_threads(1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/memcom-train-test-%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0) return 1;
    int kinds[] = {MT_T_FULL, MT_T_HASH, MT_T_QR, MT_T_MEMCOM, MT_T_MEMCOM_POP, MT_T_MEMCOM_LEARNED,
                   MT_T_MEMCOM_LEARNED_POP};
    for (int a = 0; a < 7; a++) grad_check(kinds[a], MT_T_FULL, 1);
    for (int a = 0; a < 7; a++) grad_check(MT_T_FULL, kinds[a], 0);
    grad_check(MT_T_MEMCOM, MT_T_QR, 2);
    /* the ranker: head and pairwise loss (graded and observed/unobserved
     * pairs), with and without the softmax beside it, every output kind */
    mt_rank_opts rk = {6, 4, 1.0f, 1.0f, MT_NEG_UNIFORM, 1.0f}, rk_pairs_only = {8, 6, 2.0f, 0.0f, MT_NEG_UNIFORM, 1.0f};
    for (int a = 0; a < 7; a++) grad_check_ex(MT_T_FULL, kinds[a], 0, &rk, 1, 1);
    for (int a = 0; a < 7; a++) grad_check_ex(MT_T_FULL, kinds[a], 0, &rk, 0, 1);
    for (int a = 0; a < 7; a++) grad_check_ex(MT_T_FULL, kinds[a], 0, &rk_pairs_only, 0, 0);
    grad_check_ex(MT_T_MEMCOM_LEARNED_POP, MT_T_MEMCOM_LEARNED_POP, 1, &rk_pairs_only, 2, 1);
    grad_check_ex(MT_T_HASH, MT_T_QR, 0, &rk, 0, 0);
    mt_rank_opts rk_model = {4, 8, 1.0f, 0.5f, MT_NEG_MODEL, 1.0f};
    grad_check_ex(MT_T_FULL, MT_T_MEMCOM_POP, 0, &rk_model, 1, 1);
    /* short-history inputs: their inputs and targets, every table kind */
    grad_short_h = 3;
    for (int a = 0; a < 7; a++) grad_check(kinds[a], kinds[(a + 3) % 7], a % 2);
    grad_check_ex(MT_T_FULL, MT_T_MEMCOM_LEARNED_POP, 0, &rk, 0, 1);
    /* the logit-adjusted softmax: every table kind, with short histories and the ranker */
    grad_logit_tau = 0.8f;
    for (int a = 0; a < 7; a++) grad_check(kinds[(a + 2) % 7], kinds[a], a % 2);
    grad_check_ex(MT_T_FULL, MT_T_MEMCOM, 0, &rk, 0, 1);
    grad_short_h = 0;
    grad_check(MT_T_FULL, MT_T_FULL, 0);
    grad_logit_tau = 0;
    test_logit_adjust();
    test_short_sample();
    test_short_inputs();
    test_head_scores();
    test_metrics();
    test_graded();
    test_sizing();
    test_data();
    test_kmeans();
    test_training();
    test_run_checks();
    test_input_and_provenance();
    test_knn();
    test_ease();
    test_list_stats();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) return 1;
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
