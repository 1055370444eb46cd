/* test_tables.c - every kind x row dtype x scalar dtype x bucket mode x bias:
 * lookups, scores and top-k (exclusion, candidates, k clipping, ties) equal an
 * independent reconstruction and brute-force sort, exactly. */
#include "fixture.h"
#include "../../src/table.h"

static int same_f(float a, float b) { return memcmp(&a, &b, 4) == 0 || (a == b); }

/* top-k of the library vs brute force for one query */
static int check_topk(f_model *fm, const float *v, const float *ref_scores, size_t k, const uint32_t *excl, size_t ne,
                      const uint32_t *cand, size_t nc, int use_bias)
{
    uint32_t n = fm->out.data.desc.n;
    uint32_t *gi = malloc(sizeof(uint32_t) * (k + 1)), *ri = malloc(sizeof(uint32_t) * (k + 1));
    float *gs = malloc(sizeof(float) * (k + 1)), *rs = malloc(sizeof(float) * (k + 1));
    memcom_topk_opts o = {k, excl, ne, cand, nc, use_bias, 0};
    size_t gn = 0;
    int rc = memcom_topk_vector(fm->m, v, fm->out.data.desc.d, &o, gi, gs, &gn);
    size_t rn = f_ref_topk(ref_scores, n, k, excl, ne, cand, nc, ri, rs);
    int ok = rc == 0 && gn == rn;
    for (size_t r = 0; ok && r < rn; r++)
        if (gi[r] != ri[r] || !same_f(gs[r], rs[r])) {
            fprintf(stderr, "  rank %zu: got %u (%g), want %u (%g)\n", r, gi[r], gs[r], ri[r], rs[r]);
            ok = 0;
        }
    if (!ok) fprintf(stderr, "  topk rc=%d gn=%zu rn=%zu k=%zu\n", rc, gn, rn, k);
    free(gi); free(ri); free(gs); free(rs);
    return ok;
}

static void run_case(memcom_table_desc desc, uint32_t bias_dtype, uint64_t seed)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, desc, seed);
    uint32_t n = desc.n, d = desc.d;
    t_rng r = {seed ^ 0x55};
    if (bias_dtype) {
        fm.bias = malloc(sizeof(float) * n);
        for (uint32_t i = 0; i < n; i++) fm.bias[i] = t_dyadic(&r);
        fm.data.bias_dtype = bias_dtype;
    }
    int rc = f_model_build(&fm);
    CHECK_MSG(rc == 0, "build kind %u row %u scalar %u bucket %u/%u bias %u", desc.kind, desc.row_dtype,
              desc.scalar_dtype, desc.bucket_mode, desc.bucket_dtype, bias_dtype);
    if (rc) { f_model_free(&fm); return; }

    memcom_info info;
    CHECK(memcom_get_info(fm.m, &info) == 0);
    CHECK(info.n_items == n && info.output.kind == desc.kind && info.output.m == desc.m && info.input.kind == 0 &&
          info.bias_dtype == bias_dtype && info.full_f32_bytes == (uint64_t)n * d * 4 && info.file_bytes == fm.size);

    float *e = malloc(sizeof(float) * d), *v = malloc(sizeof(float) * d);
    float *scores = malloc(sizeof(float) * n), *ref = malloc(sizeof(float) * n), *ref_nb = malloc(sizeof(float) * n);
    int look_ok = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (memcom_lookup(fm.m, MEMCOM_OUTPUT, i, e) != 0) look_ok = 0;
        for (uint32_t j = 0; j < d; j++) if (!same_f(e[j], fm.out.E[(size_t)i * d + j])) look_ok = 0;
    }
    CHECK_MSG(look_ok, "lookup kind %u row %u bucket %u", desc.kind, desc.row_dtype, desc.bucket_mode);
    CHECK_CODE(memcom_lookup(fm.m, MEMCOM_OUTPUT, n, e), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_lookup(fm.m, MEMCOM_INPUT, 0, e), MEMCOM_E_NO_TABLE);

    for (int q = 0; q < 2; q++) {
        for (uint32_t j = 0; j < d; j++) v[j] = t_dyadic(&r);
        f_ref_scores(&fm.out, fm.bias, v, ref);
        f_ref_scores(&fm.out, NULL, v, ref_nb);
        CHECK(memcom_score_vector(fm.m, v, d, scores) == 0);
        int sc_ok = 1;
        for (uint32_t i = 0; i < n; i++) if (!same_f(scores[i], ref[i])) sc_ok = 0;
        CHECK_MSG(sc_ok, "scores kind %u row %u scalar %u bucket %u bias %u", desc.kind, desc.row_dtype, desc.scalar_dtype,
                  desc.bucket_mode, bias_dtype);

        uint32_t excl[40], cand[60];
        for (int k = 0; k < 40; k++) excl[k] = t_below(&r, n);
        for (int k = 0; k < 60; k++) cand[k] = t_below(&r, n);
        size_t ks[] = {1, 3, 10, n - 1, n, n + 7};
        for (size_t kk = 0; kk < sizeof ks / sizeof ks[0]; kk++) {
            size_t k = ks[kk] ? ks[kk] : 1;
            CHECK(check_topk(&fm, v, ref, k, NULL, 0, NULL, 0, 1));
            CHECK(check_topk(&fm, v, ref_nb, k, NULL, 0, NULL, 0, 0));
            CHECK(check_topk(&fm, v, ref, k, excl, 40, NULL, 0, 1));
            CHECK(check_topk(&fm, v, ref, k, excl, 40, cand, 60, 1));
            CHECK(check_topk(&fm, v, ref_nb, k, NULL, 0, cand, 60, 0));
        }
    }
    free(e); free(v); free(scores); free(ref); free(ref_nb);
    f_model_free(&fm);
}

/* hand-made exact ties: a hash table with one row gives every item the same
 * score (plus bias); order must be by index */
static void test_ties(void)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_HASH, 600, 1, 4, MEMCOM_DTYPE_F32, 0, MEMCOM_BUCKET_MOD, 0, 0), 3);
    fm.bias = calloc(600, sizeof(float));
    fm.bias[500] = 0.5f;  /* one clear winner beyond the first block */
    fm.bias[7] = -0.5f;   /* one clear loser */
    fm.data.bias_dtype = MEMCOM_DTYPE_F32;
    CHECK(f_model_build(&fm) == 0);
    float v[4] = {0.25f, 0.5f, -0.125f, 1.0f};
    uint32_t idx[600];
    float sc[600];
    size_t got;
    memcom_topk_opts o = {5, NULL, 0, NULL, 0, 1, 0};
    CHECK(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got) == 0);
    CHECK(got == 5 && idx[0] == 500 && idx[1] == 0 && idx[2] == 1 && idx[3] == 2 && idx[4] == 3);
    CHECK(sc[1] == sc[2] && sc[0] > sc[1]);
    uint32_t ex[] = {0, 2, 500, 2};
    o.exclude = ex;
    o.n_exclude = 4;
    CHECK(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got) == 0);
    CHECK(got == 5 && idx[0] == 1 && idx[1] == 3 && idx[2] == 4 && idx[3] == 5 && idx[4] == 6);
    o.k = 600;
    o.n_exclude = 0;
    CHECK(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got) == 0);
    CHECK(got == 600 && idx[0] == 500 && idx[599] == 7 && idx[598] == 599 && idx[1] == 0);
    /* candidates in any order, with duplicates; all excluded -> 0 results */
    uint32_t cand[] = {9, 3, 3, 500, 8};
    o.k = 10; o.candidates = cand; o.n_candidates = 5;
    CHECK(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got) == 0);
    CHECK(got == 4 && idx[0] == 500 && idx[1] == 3 && idx[2] == 8 && idx[3] == 9);
    o.exclude = cand; o.n_exclude = 5;
    CHECK(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got) == 0 && got == 0);
    /* errors */
    o.candidates = NULL; o.n_candidates = 0; o.exclude = NULL; o.n_exclude = 0;
    o.k = 0;
    CHECK_CODE(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got), MEMCOM_E_K);
    o.k = 3;
    CHECK_CODE(memcom_topk_vector(fm.m, v, 3, &o, idx, sc, &got), MEMCOM_E_DIM);
    float bad[4] = {0, NAN, 0, 0};
    CHECK_CODE(memcom_topk_vector(fm.m, bad, 4, &o, idx, sc, &got), MEMCOM_E_NONFINITE_INPUT);
    CHECK_CODE(memcom_score_vector(fm.m, bad, 4, sc), MEMCOM_E_NONFINITE_INPUT);
    uint32_t oob = 600;
    o.exclude = &oob; o.n_exclude = 1;
    CHECK_CODE(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got), MEMCOM_E_INDEX);
    o.exclude = NULL; o.n_exclude = 0; o.candidates = &oob; o.n_candidates = 1;
    CHECK_CODE(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_topk_vector(fm.m, v, 4, NULL, idx, sc, &got), MEMCOM_E_ARG);
    /* state is clean after errors: same answer as before */
    o.candidates = NULL; o.n_candidates = 0; o.k = 5;
    CHECK(memcom_topk_vector(fm.m, v, 4, &o, idx, sc, &got) == 0 && got == 5 && idx[0] == 500 && idx[1] == 0);
    f_model_free(&fm);
}

/* overflowing scores (inf - inf = NaN) are never ranked above real ones */
static void test_nan_scores(void)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_FULL, 5, 5, 2, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 1);
    float rows[10] = {3e38f, -3e38f, 1, 1, 2, 2, 3e38f, 3e38f, -1, -1};
    memcpy(fm.out.a, rows, sizeof rows);
    CHECK(f_model_build(&fm) == 0);
    float v[2] = {1e38f, 1e38f};
    uint32_t idx[5];
    float sc[5];
    size_t got;
    memcom_topk_opts o = {5, NULL, 0, NULL, 0, 0, 0};
    CHECK(memcom_topk_vector(fm.m, v, 2, &o, idx, sc, &got) == 0);
    /* item 0: inf + -inf = NaN -> ranked last (as -inf); items 2, 3 = +inf first */
    CHECK(got == 5 && idx[0] == 2 && idx[1] == 3 && idx[2] == 1 && idx[3] == 4 && idx[4] == 0);
    CHECK(sc[0] == INFINITY && !(sc[4] > -INFINITY));
    f_model_free(&fm);
}

/* mcc_table_touch: the sum of the first byte of every 64-byte line of each
 * item's row, its last byte, and (memcom) its scalar, by a plain reading;
 * d = 13 f32 (52 bytes, one line) and 40 f32 (160 bytes, three lines); qr: 0 */
static void test_touch(void)
{
    t_rng r = {31};
    for (int kind = 0; kind < 4; kind++) {
        for (uint32_t d = 13; d <= 40; d += 27) {
            uint32_t n = 50, m = kind == 0 ? n : 7;
            uint8_t *rows = malloc(sizeof(float) * m * d);
            float *w = malloc(sizeof(float) * n);
            uint32_t items[6] = {0, 49, 7, 7, 13, 22};
            for (size_t j = 0; j < sizeof(float) * m * d; j++) rows[j] = (uint8_t)t_below(&r, 256);
            for (uint32_t i = 0; i < n; i++) w[i] = t_dyadic(&r);
            mcc_table t;
            memset(&t, 0, sizeof t);
            t.desc.kind = kind == 0 ? MEMCOM_KIND_FULL : kind == 1 ? MEMCOM_KIND_HASH : kind == 2 ? MEMCOM_KIND_MEMCOM : MEMCOM_KIND_QR;
            t.desc.n = n;
            t.desc.m = m;
            t.desc.d = d;
            t.desc.row_dtype = MEMCOM_DTYPE_F32;
            t.desc.scalar_dtype = MEMCOM_DTYPE_F32;
            t.desc.bucket_mode = MEMCOM_BUCKET_MOD;
            t.a = rows;
            t.w = kind == 2 ? w : NULL;
            float want = 0.0f;
            size_t bytes = 4 * (size_t)d;
            for (int q = 0; q < 6 && kind < 3; q++) {
                uint32_t i = items[q], row = kind == 0 ? i : i % m;
                for (size_t o = 0; o < bytes; o += 64) want += rows[row * bytes + o];
                want += rows[row * bytes + bytes - 1];
                if (kind == 2) want += w[i];
            }
            float got = mcc_table_touch(&t, NULL, items, 6);
            CHECK_MSG(got == want, "kind %d d %u: touched %g, want %g", kind, d, got, want);
            free(rows);
            free(w);
        }
    }
}

void test_tables(void)
{
    test_touch();
    const uint32_t rows[] = {MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F16, MEMCOM_DTYPE_I8};
    const uint32_t biases[] = {0, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F16};
    uint64_t seed = 100;
    for (int ri = 0; ri < 3; ri++) {
        for (int bi = 0; bi < 3; bi++) {
            uint32_t row = rows[ri], bias = biases[bi];
            run_case(f_desc(MEMCOM_KIND_FULL, 300, 300, 13, row, 0, 0, 0, 0), bias, seed++);
            run_case(f_desc(MEMCOM_KIND_QR, 300, 17, 16, row, 0, 0, 0, 0), bias, seed++);
            run_case(f_desc(MEMCOM_KIND_QR, 300, 300, 5, row, 0, 0, 0, 0), bias, seed++);
            for (int kind = MEMCOM_KIND_HASH; kind <= MEMCOM_KIND_MEMCOM; kind += 2) {
                for (int sc = 0; sc < (kind == MEMCOM_KIND_MEMCOM ? 2 : 1); sc++) {
                    uint32_t scalar = kind == MEMCOM_KIND_MEMCOM ? (sc ? MEMCOM_DTYPE_F16 : MEMCOM_DTYPE_F32) : 0;
                    run_case(f_desc(kind, 300, 37, 16, row, scalar, MEMCOM_BUCKET_MOD, 0, 0), bias, seed++);
                    run_case(f_desc(kind, 300, 300, 8, row, scalar, MEMCOM_BUCKET_MOD, 0, 0), bias, seed++);
                    run_case(f_desc(kind, 300, 29, 9, row, scalar, MEMCOM_BUCKET_HASH, 0, 0xDEADBEEFull), bias, seed++);
                    run_case(f_desc(kind, 300, 31, 16, row, scalar, MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U16, 0), bias, seed++);
                    run_case(f_desc(kind, 300, 23, 3, row, scalar, MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U32, 0), bias, seed++);
                }
            }
        }
    }
    run_case(f_desc(MEMCOM_KIND_MEMCOM, 1, 1, 1, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, 0, 0), 0, 7);
    /* several scan blocks (1024 items each), every kind and bucket mode */
    uint32_t big = 2600;
    run_case(f_desc(MEMCOM_KIND_FULL, big, big, 9, MEMCOM_DTYPE_F16, 0, 0, 0, 0), MEMCOM_DTYPE_F16, seed++);
    run_case(f_desc(MEMCOM_KIND_QR, big, 51, 8, MEMCOM_DTYPE_I8, 0, 0, 0, 0), MEMCOM_DTYPE_F32, seed++);
    run_case(f_desc(MEMCOM_KIND_QR, big, 1500, 8, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 0, seed++);
    for (int kind = MEMCOM_KIND_HASH; kind <= MEMCOM_KIND_MEMCOM; kind += 2) {
        uint32_t scalar = kind == MEMCOM_KIND_MEMCOM ? MEMCOM_DTYPE_F16 : 0;
        run_case(f_desc(kind, big, 333, 16, MEMCOM_DTYPE_F32, scalar, MEMCOM_BUCKET_MOD, 0, 0), MEMCOM_DTYPE_F16, seed++);
        run_case(f_desc(kind, big, 1100, 8, MEMCOM_DTYPE_I8, scalar, MEMCOM_BUCKET_MOD, 0, 0), MEMCOM_DTYPE_F32, seed++);
        run_case(f_desc(kind, big, 97, 8, MEMCOM_DTYPE_F16, scalar, MEMCOM_BUCKET_HASH, 0, 12345), MEMCOM_DTYPE_F32, seed++);
        run_case(f_desc(kind, big, 300, 8, MEMCOM_DTYPE_F32, scalar, MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U16, 0), 0, seed++);
        run_case(f_desc(kind, big, 70000 > big ? big : 70000, 4, MEMCOM_DTYPE_I8, scalar, MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U32, 0),
                 MEMCOM_DTYPE_F16, seed++);
    }
    test_ties();
    test_nan_scores();
}
