/* test_ranker.c - a ranker's scores (format 1.2 head) against a hand-computed
 * model and a double-precision reference for every table kind and storage
 * type; its rankings (all items, candidates, two-stage, rerank) against brute
 * force over those scores; its errors. */
#include "fixture.h"

/* ---- a model worked out by hand ---- */
static void test_hand(void)
{
    /* items 0..2: e = [1,0], [0,1], [.5,.5] (input = output table), bias 0, .75, 0;
     * history {0}: u = [1, 0].  Head: h = relu(W1 [u; e; u*e] + b1), g = W2 h + b2 with
     * W1 rows [0,0, 1,0, 0,1] and [0,0, 0,-1, 2,0], b1 = [0, .5], W2 = [2, .5], b2 = .125.
     *   item 0: f = 1,   h = [1, 2.5], g = 3.375, s = 4.375
     *   item 1: f = .75, h = [0, 0],   g = .125,  s = .875
     *   item 2: f = .5,  h = [.5, 1],  g = 1.625, s = 2.125 */
    static float rows[6] = {1, 0, 0, 1, .5f, .5f}, bias[3] = {0, .75f, 0};
    static float w1[12] = {0, 0, 1, 0, 0, 1, 0, 0, 0, -1, 2, 0}, b1[2] = {0, .5f}, w2[2] = {2, .5f}, b2[1] = {.125f};
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    memcom_table_data t = {f_desc(MEMCOM_KIND_FULL, 3, 3, 2, MEMCOM_DTYPE_F32, 0, 0, 0, 0), rows, NULL, NULL, NULL};
    md.input = t;
    md.output = t;
    md.output_bias = bias;
    md.bias_dtype = MEMCOM_DTYPE_F32;
    memcom_layer_data head[2] = {{6, 2, MEMCOM_ACT_RELU, w1, b1}, {2, 1, MEMCOM_ACT_NONE, w2, b2}};
    md.n_head_layers = 2;
    md.head_layers = head;
    void *bytes = NULL;
    size_t size = 0;
    char detail[256];
    memcom_model *m = NULL;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_OK);
    CHECK_CODE(memcom_open(&m, bytes, size, 0, 0, detail, sizeof detail), MEMCOM_OK);
    if (!m) { memcom_free(bytes); return; }
    uint32_t hist[1] = {0}, items[3] = {2, 0, 1}, oi[3];
    float sc[3], os[3];
    size_t no = 0;
    CHECK_CODE(memcom_rank_scores(m, hist, 1, items, 3, sc), MEMCOM_OK);
    CHECK(sc[0] == 2.125f && sc[1] == 4.375f && sc[2] == 0.875f);
    memcom_topk_opts o = {3, NULL, 0, NULL, 0, 1, 0};
    CHECK_CODE(memcom_recommend(m, hist, 1, &o, oi, os, &no), MEMCOM_OK);
    CHECK(no == 3 && oi[0] == 0 && oi[1] == 2 && oi[2] == 1 && os[0] == 4.375f && os[1] == 2.125f && os[2] == 0.875f);
    o.exclude = hist;
    o.n_exclude = 1;
    o.k = 1;
    CHECK_CODE(memcom_recommend(m, hist, 1, &o, oi, os, &no), MEMCOM_OK);
    CHECK(no == 1 && oi[0] == 2 && os[0] == 2.125f);
    /* two-stage: the factorised top 1 of {1, 2} is item 1 (f .75 > .5): re-ranked alone */
    CHECK_CODE(memcom_recommend_two_stage(m, hist, 1, &o, 1, oi, os, &no), MEMCOM_OK);
    CHECK(no == 1 && oi[0] == 1 && os[0] == 0.875f);
    CHECK_CODE(memcom_recommend_two_stage(m, hist, 1, &o, 2, oi, os, &no), MEMCOM_OK);
    CHECK(no == 1 && oi[0] == 2 && os[0] == 2.125f);
    /* the popularity control: p = 1 ranks as memcom_recommend (by s_i) */
    CHECK_CODE(memcom_recommend_popularity(m, hist, 1, 1.0f, &o, oi, os, &no), MEMCOM_OK);
    CHECK(no == 1 && oi[0] == 2 && os[0] == 2.125f);
    CHECK_CODE(memcom_recommend_popularity(m, hist, 1, 2.0f, &o, oi, os, &no), MEMCOM_E_ARG);
    /* rerank: nothing excluded, duplicates once */
    uint32_t cand[4] = {1, 2, 1, 0};
    CHECK_CODE(memcom_rerank(m, hist, 1, cand, 3, 5, oi, os, &no), MEMCOM_OK);
    CHECK(no == 2 && oi[0] == 2 && oi[1] == 1 && os[1] == 0.875f);
    CHECK_CODE(memcom_rerank(m, hist, 1, cand, 4, 1, oi, os, &no), MEMCOM_OK);
    CHECK(no == 1 && oi[0] == 0 && os[0] == 4.375f);
    /* the factorised scorer is the model without its head */
    float f[3];
    CHECK_CODE(memcom_score_vector(m, (const float[]){1, 0}, 2, f), MEMCOM_OK);
    CHECK(f[0] == 1.0f && f[1] == 0.75f && f[2] == 0.5f);
    /* errors */
    uint32_t bad[1] = {3};
    CHECK_CODE(memcom_rank_scores(m, hist, 1, bad, 1, sc), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_rerank(m, hist, 1, bad, 1, 1, oi, os, &no), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_rerank(m, hist, 1, NULL, 0, 1, oi, os, &no), MEMCOM_E_ARG);
    CHECK_CODE(memcom_rerank(m, hist, 1, cand, 2, 0, oi, os, &no), MEMCOM_E_K);
    CHECK_CODE(memcom_recommend_two_stage(m, hist, 1, &o, 0, oi, os, &no), MEMCOM_E_ARG);
    CHECK_CODE(memcom_recommend(m, bad, 1, &o, oi, os, &no), MEMCOM_E_INDEX);
    o.candidates = bad;
    o.n_candidates = 1;
    CHECK_CODE(memcom_recommend(m, hist, 1, &o, oi, os, &no), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_recommend_two_stage(m, hist, 1, &o, 2, oi, os, &no), MEMCOM_E_INDEX);
    o.candidates = NULL;
    o.n_candidates = 0;
    o.k = 0;
    CHECK_CODE(memcom_recommend(m, hist, 1, &o, oi, os, &no), MEMCOM_E_K);
    CHECK_CODE(memcom_recommend_two_stage(m, hist, 1, &o, 2, oi, os, &no), MEMCOM_E_K);
    memcom_close(m);
    memcom_free(bytes);
}

/* ---- the reference: doubles throughout ---- */
static double ref_layer(const memcom_layer_data *L, const double *x, double *y)
{
    for (uint32_t o = 0; o < L->out_dim; o++) {
        double s = 0;
        if (L->weight)
            for (uint32_t j = 0; j < L->in_dim; j++) s += (double)L->weight[(size_t)o * L->in_dim + j] * x[j];
        else
            s = x[o];
        if (L->bias) s += L->bias[o];
        y[o] = L->activation == MEMCOM_ACT_RELU ? (s > 0 ? s : 0) : L->activation == MEMCOM_ACT_TANH ? tanh(s) : s;
    }
    return y[0];
}

/* s_i for every item: u from the input table's reference rows (no layers) */
static void ref_scores(const f_model *fm, const uint32_t *hist, size_t nh, double *out)
{
    uint32_t n = fm->out.data.desc.n, d = fm->out.data.desc.d;
    double u[64] = {0}, x[3 * 64 + 64], y[3 * 64 + 64];
    for (size_t k = 0; k < nh; k++)
        for (uint32_t j = 0; j < d; j++) u[j] += fm->in.E[(size_t)hist[k] * d + j];
    for (uint32_t j = 0; j < d; j++) u[j] /= sqrt((double)nh);
    for (uint32_t i = 0; i < n; i++) {
        const float *e = fm->out.E + (size_t)i * d;
        double f = fm->bias ? fm->bias[i] : 0;
        for (uint32_t j = 0; j < d; j++) {
            f += e[j] * u[j];
            x[j] = u[j];
            x[d + j] = e[j];
            x[2 * d + j] = u[j] * e[j];
        }
        double *a = x, *b = y;
        for (uint32_t l = 0; l < fm->data.n_head_layers; l++) {
            ref_layer(&fm->head[l], a, b);
            double *t = a; a = b; b = t;
        }
        out[i] = f + a[0];
    }
}

static int near(double a, double b) { return fabs(a - b) <= 1e-4 * (1 + fabs(b)); }

/* one model: scores against the reference, rankings against brute force */
static void check_ranker(f_model *fm, const char *what)
{
    uint32_t n = fm->out.data.desc.n, d = fm->out.data.desc.d;
    memcom_model *m = fm->m;
    uint32_t *all = malloc(sizeof(uint32_t) * n), *oi = malloc(sizeof(uint32_t) * n), *ri = malloc(sizeof(uint32_t) * n);
    float *s = malloc(sizeof(float) * n), *f = malloc(sizeof(float) * n), *os = malloc(sizeof(float) * n),
          *rs = malloc(sizeof(float) * n), *u = malloc(sizeof(float) * d), *two = malloc(sizeof(float) * n);
    double *ref = malloc(sizeof(double) * n);
    for (uint32_t i = 0; i < n; i++) all[i] = i;
    t_rng r = {n * 31 + d};
    for (int q = 0; q < 6; q++) {
        uint32_t hist[4];
        size_t nh = q % 2 ? 4 : 1;
        for (size_t k = 0; k < nh; k++) hist[k] = (uint32_t)(q * 7 + k * 5) % n; /* distinct: n >= 20 */
        CHECK_CODE(memcom_rank_scores(m, hist, nh, all, n, s), MEMCOM_OK);
        ref_scores(fm, hist, nh, ref);
        int bad = 0;
        for (uint32_t i = 0; i < n; i++) bad += !near(s[i], ref[i]);
        CHECK_MSG(bad == 0, "%s: %d scores differ from the reference (item 0: %.9g vs %.9g)", what, bad, s[0], ref[0]);
        /* all items, history excluded */
        size_t k = 1 + t_below(&r, 12), no = 0, nr;
        memcom_topk_opts o = {k, hist, nh, NULL, 0, 1, 0};
        CHECK_CODE(memcom_recommend(m, hist, nh, &o, oi, os, &no), MEMCOM_OK);
        nr = f_ref_topk(s, n, k, hist, nh, NULL, 0, ri, rs);
        CHECK_MSG(no == nr && memcmp(oi, ri, nr * 4) == 0 && memcmp(os, rs, nr * 4) == 0, "%s: top-%zu of all items", what, k);
        /* candidates (with duplicates and excluded ones) */
        uint32_t cand[24];
        size_t nc = 3 + t_below(&r, 20);
        for (size_t c = 0; c < nc; c++) cand[c] = t_below(&r, n);
        o.candidates = cand;
        o.n_candidates = nc;
        CHECK_CODE(memcom_recommend(m, hist, nh, &o, oi, os, &no), MEMCOM_OK);
        nr = f_ref_topk(s, n, k, hist, nh, cand, nc, ri, rs);
        CHECK_MSG(no == nr && memcmp(oi, ri, nr * 4) == 0 && memcmp(os, rs, nr * 4) == 0, "%s: top-%zu of candidates", what, k);
        /* the popularity control: by s_i(u) - l s_i(u0), u0 the empty history's (scores of memcom_rank_scores) */
        {
            float p = q % 3 == 0 ? 0.0f : 0.4f, l = 1.0f - p;
            CHECK_CODE(memcom_rank_scores(m, NULL, 0, all, n, two), MEMCOM_OK);
            for (uint32_t i = 0; i < n; i++) two[i] = s[i] - l * two[i];
            for (int with_cand = 0; with_cand < 2; with_cand++) {
                o.candidates = with_cand ? cand : NULL;
                o.n_candidates = with_cand ? nc : 0;
                CHECK_CODE(memcom_recommend_popularity(m, hist, nh, p, &o, oi, os, &no), MEMCOM_OK);
                nr = f_ref_topk(two, n, k, hist, nh, with_cand ? cand : NULL, with_cand ? nc : 0, ri, rs);
                CHECK_MSG(no == nr && memcmp(oi, ri, nr * 4) == 0 && memcmp(os, rs, nr * 4) == 0,
                          "%s: popularity %.1f, top-%zu (candidates: %d)", what, p, k, with_cand);
            }
        }
        CHECK_CODE(memcom_rerank(m, hist, nh, cand, nc, k, oi, os, &no), MEMCOM_OK);
        nr = f_ref_topk(s, n, k, NULL, 0, cand, nc, ri, rs);
        CHECK_MSG(no == nr && memcmp(oi, ri, nr * 4) == 0 && memcmp(os, rs, nr * 4) == 0, "%s: rerank", what);
        /* two-stage: the factorised top R (brute force over memcom_score_vector), re-ranked by s */
        o.candidates = NULL;
        o.n_candidates = 0;
        size_t R = 1 + t_below(&r, n / 2);
        CHECK_CODE(memcom_user_vector(m, hist, nh, u), MEMCOM_OK);
        CHECK_CODE(memcom_score_vector(m, u, d, f), MEMCOM_OK);
        size_t nf = f_ref_topk(f, n, R > k ? R : k, hist, nh, NULL, 0, ri, rs);
        for (uint32_t i = 0; i < n; i++) two[i] = -INFINITY;
        for (size_t j = 0; j < nf; j++) two[ri[j]] = s[ri[j]];
        nr = f_ref_topk(two, n, k, NULL, 0, ri, nf, ri, rs);
        CHECK_CODE(memcom_recommend_two_stage(m, hist, nh, &o, R, oi, os, &no), MEMCOM_OK);
        CHECK_MSG(no == nr && memcmp(oi, ri, nr * 4) == 0 && memcmp(os, rs, nr * 4) == 0, "%s: two-stage R = %zu, k = %zu", what, R, k);
    }
    free(all); free(oi); free(ri); free(s); free(f); free(os); free(rs); free(u); free(two); free(ref);
}

/* every table kind and storage type, under three head shapes */
static void test_kinds(void)
{
    const struct { uint32_t kind, m, row, scalar, bucket, bdt; uint64_t seed; } K[] = {
        {MEMCOM_KIND_FULL, 0, MEMCOM_DTYPE_F32, 0, 0, 0, 0},
        {MEMCOM_KIND_FULL, 0, MEMCOM_DTYPE_F16, 0, 0, 0, 0},
        {MEMCOM_KIND_FULL, 0, MEMCOM_DTYPE_I8, 0, 0, 0, 0},
        {MEMCOM_KIND_HASH, 7, MEMCOM_DTYPE_F32, 0, MEMCOM_BUCKET_MOD, 0, 0},
        {MEMCOM_KIND_HASH, 9, MEMCOM_DTYPE_F16, 0, MEMCOM_BUCKET_HASH, 0, 77},
        {MEMCOM_KIND_HASH, 5, MEMCOM_DTYPE_I8, 0, MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U32, 0},
        {MEMCOM_KIND_QR, 6, MEMCOM_DTYPE_F32, 0, 0, 0, 0},
        {MEMCOM_KIND_QR, 8, MEMCOM_DTYPE_F16, 0, 0, 0, 0},
        {MEMCOM_KIND_QR, 5, MEMCOM_DTYPE_I8, 0, 0, 0, 0},
        {MEMCOM_KIND_MEMCOM, 8, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, 0, 0},
        {MEMCOM_KIND_MEMCOM, 6, MEMCOM_DTYPE_F16, MEMCOM_DTYPE_F16, MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U16, 0},
        {MEMCOM_KIND_MEMCOM, 10, MEMCOM_DTYPE_I8, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_HASH, 0, 3},
    };
    const uint32_t shapes[3][3] = {{16, 1, 0}, {12, 5, 1}, {0, 1, 0}}; /* widths; 0 first: an identity first layer */
    for (size_t k = 0; k < sizeof K / sizeof K[0]; k++)
        for (int sh = 0; sh < 3; sh++) {
            uint32_t n = 40 + (uint32_t)k, d = sh == 1 ? 11 : 8;
            f_model fm;
            memset(&fm, 0, sizeof fm);
            f_table_make(&fm.in, f_desc(MEMCOM_KIND_FULL, n, n, d, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 100 + k);
            f_table_make(&fm.out, f_desc(K[k].kind, n, K[k].kind == MEMCOM_KIND_FULL ? n : K[k].m, d, K[k].row, K[k].scalar,
                                         K[k].bucket, K[k].bdt, K[k].seed), 200 + k);
            uint32_t widths[3], nl = 0;
            if (shapes[sh][0] == 0) { /* 3d -> 3d (no weight, a bias, relu) -> 1 */
                f_head_make(&fm, d, (const uint32_t[]){3 * d, 1}, 2, 300 + k);
                free(fm.hw[0]);
                fm.hw[0] = NULL;
                fm.head[0].weight = NULL;
            } else {
                for (; nl < 3 && shapes[sh][nl]; nl++) widths[nl] = shapes[sh][nl];
                f_head_make(&fm, d, widths, nl, 300 + k);
                if (sh == 1) fm.head[1].activation = MEMCOM_ACT_TANH;
            }
            if (k % 3) {
                fm.bias = malloc(sizeof(float) * n);
                t_rng r = {k};
                for (uint32_t i = 0; i < n; i++) fm.bias[i] = t_dyadic(&r);
                fm.data.bias_dtype = k % 3 == 1 ? MEMCOM_DTYPE_F32 : MEMCOM_DTYPE_F16;
            }
            char what[64];
            snprintf(what, sizeof what, "kind %u row dtype %u head %d", (unsigned)K[k].kind, (unsigned)K[k].row, sh);
            CHECK_MSG(f_model_build(&fm) == MEMCOM_OK, "%s", what);
            if (fm.m) check_ranker(&fm, what);
            f_model_free(&fm);
        }
}

void test_ranker(void)
{
    test_hand();
    test_kinds();
}
