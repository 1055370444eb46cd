/* test_popularity.c - memcom_recommend_popularity: items ranked by
 * (u - l u0) . E_out[i] + (1 - l) * bias[i], l = (1 - p) min(1, 5 / |H|)
 * (memcom.h).  Against a brute
 * force: the shifted vector computed here, scored by a twin table without the
 * bias (memcom_score_vector: each dot as the engine computes it), plus
 * fl(p * bias[i]) added here, then a plain top-k; bit for bit, with the
 * bucket bounds and the pre-ranking on and off, for full, hash and memcom
 * output tables (f32, f16, i8 rows; f32 and f16 bias; negative biases, so a
 * scaled bias maximum must be the maximum of the scaled biases).  p = 1 is
 * memcom_recommend; p outside [0, 1] or NaN is refused. */
#include "fixture.h"
#include "../../src/base/base.h"

static void check_case(f_model *fm, memcom_model *twin, uint32_t n, const uint32_t *hist, size_t nh, float p,
                       size_t k, const char *what)
{
    uint32_t d = fm->out.data.desc.d;
    float u[64], u0[64], v[64];
    CHECK_CODE(memcom_user_vector(fm->m, hist, nh, u), MEMCOM_OK);
    CHECK_CODE(memcom_user_vector(fm->m, NULL, 0, u0), MEMCOM_OK);
    size_t distinct = 0;
    for (size_t a = 0; a < nh; a++) {
        int seen = 0;
        for (size_t b = 0; b < a; b++) seen |= hist[b] == hist[a];
        distinct += !seen;
    }
    float lam = 1.0f - p;
    if (distinct > MEMCOM_POPULARITY_HISTORY) lam = lam * (float)MEMCOM_POPULARITY_HISTORY / (float)distinct;
    for (uint32_t j = 0; j < d; j++) v[j] = u[j] - lam * u0[j];
    float *scores = malloc(sizeof(float) * n);
    CHECK_CODE(memcom_score_vector(twin, v, d, scores), MEMCOM_OK);
    for (uint32_t i = 0; i < n; i++) {
        float b = fm->data.bias_dtype == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(mcc_f32_to_f16(fm->bias[i])) : fm->bias[i];
        scores[i] = scores[i] + (1.0f - lam) * b;
    }
    uint32_t ri[64], gi[64];
    float rs[64], gs[64];
    size_t want = f_ref_topk(scores, n, k, hist, nh, NULL, 0, ri, rs);
    for (int bounds = 1; bounds >= 0; bounds--)
        for (int index = 1; index >= 0; index--) {
            CHECK_CODE(memcom_set_bucket_bounds(fm->m, bounds), MEMCOM_OK);
            CHECK_CODE(memcom_set_int8_index(fm->m, index), MEMCOM_OK);
            memcom_topk_opts o = {k, hist, nh, NULL, 0, 0, 0};
            size_t got = 0;
            CHECK_CODE(memcom_recommend_popularity(fm->m, hist, nh, p, &o, gi, gs, &got), MEMCOM_OK);
            int same = got == want;
            for (size_t q = 0; same && q < got; q++) same = gi[q] == ri[q] && memcmp(&gs[q], &rs[q], 4) == 0;
            CHECK_MSG(same, "%s p=%g bounds %d index %d k=%zu: got %zu want %zu; first %u/%.9g vs %u/%.9g", what,
                      (double)p, bounds, index, k, got, want, got ? gi[0] : 0, got ? gs[0] : 0, want ? ri[0] : 0,
                      want ? rs[0] : 0);
        }
    CHECK_CODE(memcom_set_bucket_bounds(fm->m, 1), MEMCOM_OK);
    CHECK_CODE(memcom_set_int8_index(fm->m, 1), MEMCOM_OK);
    free(scores);
}

static void test_against_brute_force(void)
{
    t_rng r = {31};
    const uint32_t n = 3000, din = 12, dout = 16;
    struct { uint32_t kind, m, row, scalar, bucket, bias_dtype; } cases[] = {
        {MEMCOM_KIND_FULL, n, MEMCOM_DTYPE_F32, 0, 0, MEMCOM_DTYPE_F32},
        {MEMCOM_KIND_FULL, n, MEMCOM_DTYPE_F16, 0, 0, MEMCOM_DTYPE_F16},
        {MEMCOM_KIND_FULL, n, MEMCOM_DTYPE_I8, 0, 0, MEMCOM_DTYPE_F32},
        {MEMCOM_KIND_HASH, 150, MEMCOM_DTYPE_F32, 0, MEMCOM_BUCKET_MOD, MEMCOM_DTYPE_F32},
        {MEMCOM_KIND_MEMCOM, 150, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, MEMCOM_DTYPE_F16},
        {MEMCOM_KIND_MEMCOM, 200, MEMCOM_DTYPE_F16, MEMCOM_DTYPE_F16, MEMCOM_BUCKET_HASH, MEMCOM_DTYPE_F32},
    };
    const float ps[] = {0.0f, 0.05f, 0.3f, 0.55f, 0.999f, 1.0f};
    int ran = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        f_model fm;
        memset(&fm, 0, sizeof fm);
        f_table_make(&fm.in, f_desc(MEMCOM_KIND_FULL, n, n, din, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 100 + c);
        f_table_make(&fm.out, f_desc(cases[c].kind, n, cases[c].m, dout, cases[c].row, cases[c].scalar, cases[c].bucket,
                                     0, cases[c].bucket == MEMCOM_BUCKET_HASH ? 0x9e3779b97f4a7c15ull : 0), 200 + c);
        /* one tanh layer with a bias: the empty history's vector u0 is not 0 */
        fm.lw[0] = malloc(sizeof(float) * din * dout);
        fm.lb[0] = malloc(sizeof(float) * dout);
        for (uint32_t q = 0; q < din * dout; q++) fm.lw[0][q] = t_uniform(&r) * 0.5f;
        for (uint32_t q = 0; q < dout; q++) fm.lb[0][q] = t_uniform(&r);
        fm.layers[0] = (memcom_layer_data){din, dout, MEMCOM_ACT_TANH, fm.lw[0], fm.lb[0]};
        fm.data.n_layers = 1;
        fm.bias = malloc(sizeof(float) * n);
        /* popular items (low index) get large biases, most are negative */
        for (uint32_t i = 0; i < n; i++) fm.bias[i] = (float)(2.0 * (1.0 - (double)i / n) - 1.5 + 0.3 * t_uniform(&r));
        fm.data.bias_dtype = cases[c].bias_dtype;
        CHECK(f_model_build(&fm) == 0);
        void *tb = NULL;
        memcom_model *twin = f_open_output(&fm.out.data, NULL, 0, &tb);
        if (fm.m && twin) {
            /* 1 to 5 items: the shift in full; 8 and 20 (some repeated): scaled by 5 / |H| */
            for (int q = 0; q < 6; q++) {
                uint32_t hist[20];
                size_t nh = q < 4 ? (size_t)q + 1 : q == 4 ? 8 : 20;
                for (size_t h = 0; h < nh; h++) hist[h] = t_below(&r, n);
                for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
                    check_case(&fm, twin, n, hist, nh, ps[pi], q == 3 ? 60 : 10, "popularity");
                    ran++;
                }
            }
            /* p = 1 is memcom_recommend */
            uint32_t hist[3] = {1, 20, 300}, ai[10], bi[10];
            float as[10], bs[10];
            size_t an = 0, bn = 0;
            memcom_topk_opts o = {10, hist, 3, NULL, 0, 0, 0};
            CHECK_CODE(memcom_recommend(fm.m, hist, 3, &o, ai, as, &an), MEMCOM_OK);
            CHECK_CODE(memcom_recommend_popularity(fm.m, hist, 3, 1.0f, &o, bi, bs, &bn), MEMCOM_OK);
            CHECK(an == 10 && bn == 10 && !memcmp(ai, bi, sizeof ai) && !memcmp(as, bs, sizeof as));
            /* bad values */
            const float bad[] = {-0.01f, 1.01f, NAN, INFINITY, -INFINITY};
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
                CHECK_CODE(memcom_recommend_popularity(fm.m, hist, 3, bad[b], &o, bi, bs, &bn), MEMCOM_E_ARG);
            CHECK_CODE(memcom_recommend_popularity(NULL, hist, 3, 0.5f, &o, bi, bs, &bn), MEMCOM_E_ARG);
            uint32_t far = n;
            CHECK_CODE(memcom_recommend_popularity(fm.m, &far, 1, 0.5f, &o, bi, bs, &bn), MEMCOM_E_INDEX);
            /* after a ranking at p < 1, scores are the stored ones again */
            float zero[16] = {0};
            float *all = malloc(sizeof(float) * n);
            CHECK_CODE(memcom_score_vector(fm.m, zero, dout, all), MEMCOM_OK);
            int stored = 1;
            for (uint32_t i = 0; i < n; i++) {
                float bi16 = mcc_f16_to_f32(mcc_f32_to_f16(fm.bias[i]));
                if (all[i] != (fm.data.bias_dtype == MEMCOM_DTYPE_F16 ? bi16 : fm.bias[i])) stored = 0;
            }
            CHECK(stored);
            free(all);
        }
        if (twin) memcom_close(twin);
        memcom_free(tb);
        f_model_free(&fm);
    }
    CHECK(ran == 6 * 6 * 6);
}

/* the empty history with p = 0 ranks by E . (u0 - u0) + 0 = 0: every score
 * is 0 and the ties go to the lower index */
static void test_by_hand(void)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    const uint32_t n = 50;
    f_table_make(&fm.in, f_desc(MEMCOM_KIND_FULL, n, n, 4, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 5);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_FULL, n, n, 4, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 6);
    fm.lb[0] = malloc(sizeof(float) * 4);
    for (int j = 0; j < 4; j++) fm.lb[0][j] = 0.5f * (float)(j + 1);
    fm.layers[0] = (memcom_layer_data){4, 4, MEMCOM_ACT_TANH, NULL, fm.lb[0]};
    fm.data.n_layers = 1;
    fm.bias = malloc(sizeof(float) * n);
    for (uint32_t i = 0; i < n; i++) fm.bias[i] = (float)(n - i);
    fm.data.bias_dtype = MEMCOM_DTYPE_F32;
    CHECK(f_model_build(&fm) == 0);
    if (fm.m) {
        memcom_topk_opts o = {3, NULL, 0, NULL, 0, 0, 0};
        uint32_t idx[3];
        float sc[3];
        size_t got = 0;
        CHECK_CODE(memcom_recommend_popularity(fm.m, NULL, 0, 0.0f, &o, idx, sc, &got), MEMCOM_OK);
        CHECK(got == 3 && idx[0] == 0 && idx[1] == 1 && idx[2] == 2 && sc[0] == 0.0f && sc[2] == 0.0f);
        /* p = 0.5: E . (u0 / 2) + bias / 2 */
        float u0[4];
        CHECK_CODE(memcom_user_vector(fm.m, NULL, 0, u0), MEMCOM_OK);
        CHECK(fabsf(u0[0] - tanhf(0.5f)) < 1e-6f);
        CHECK_CODE(memcom_recommend_popularity(fm.m, NULL, 0, 0.5f, &o, idx, sc, &got), MEMCOM_OK);
        double best = -1e30;
        uint32_t bi = 0;
        for (uint32_t i = 0; i < n; i++) {
            double s = 0.5 * fm.bias[i];
            for (int j = 0; j < 4; j++) s += (double)fm.out.E[i * 4 + j] * 0.5 * u0[j];
            if (s > best) best = s, bi = i;
        }
        CHECK(got == 3 && idx[0] == bi && fabs(sc[0] - best) < 1e-5 * (1 + fabs(best)));
    }
    f_model_free(&fm);
}

void test_popularity(void)
{
    test_against_brute_force();
    test_by_hand();
}
