/* test_prerank.c - the integer pre-ranking of int8 tables (src/engine/prerank.c).
 * 1. The error bound: for adversarial tables and queries, every item's
 *    approximate score is within delta of its exact score (the scores are
 *    computed by the kernels themselves, as the scan computes them).
 * 2. Black box: top-k of int8 tables (full, hash, memcom; random,
 *    near-tied and tied scores, exclusions, every k) equals the brute-force
 *    top-k of the exact scores from memcom_score_vector, bit for bit. */
#include "fixture.h"
#include "../../src/model.h"
#include "../../src/kernels/kernels.h"

/* ---- 1. the bound ---- */

typedef struct {
    int8_t *q;
    float *scale, *w, *bias;
    uint32_t n, m, d;
    uint32_t dtype;           /* I8: rows q * scale; F32 / F16: rows f (an int8 copy is pre-ranked on) */
    float *f;
    uint16_t *h;
} b_case;

static int g_accepted;

static void bound_check(const b_case *c, const float *v, double *worst_ratio)
{
    mcc_table t;
    memset(&t, 0, sizeof t);
    t.desc.kind = MEMCOM_KIND_MEMCOM;
    t.desc.n = c->n;
    t.desc.m = c->m;
    t.desc.d = c->d;
    t.desc.row_dtype = c->dtype;
    t.desc.scalar_dtype = MEMCOM_DTYPE_F32;
    t.desc.bucket_mode = MEMCOM_BUCKET_MOD;
    t.rows_a = c->m;
    t.a = c->dtype == MEMCOM_DTYPE_I8 ? (const void *)c->q : c->dtype == MEMCOM_DTYPE_F32 ? (const void *)c->f : (const void *)c->h;
    t.a_scale = c->dtype == MEMCOM_DTYPE_I8 ? c->scale : NULL;
    t.w = c->w;
    mcc_prerank p;
    memset(&p, 0, sizeof p);
    p.index = MC_INDEX_ALWAYS; /* small shared tables: the int8 copy whatever it costs */
    CHECK_CODE(mcc_prerank_init(&p, &t, c->bias, MEMCOM_DTYPE_F32, c->n, -1.0, -1.0), MEMCOM_OK);
    CHECK(p.state == 1);
    if (!mcc_prerank_query(&p, v, c->d, 1)) { /* refused (zero, huge or tiny query): the exact path ranks */
        mcc_prerank_free(&p);
        return;
    }
    g_accepted++;
    float *te = malloc(sizeof(float) * c->m), *ta = malloc(sizeof(float) * c->m);
    float *se = malloc(sizeof(float) * c->n), *sa = malloc(sizeof(float) * c->n), *tt = malloc(sizeof(float) * c->n);
    uint32_t *hits = malloc(sizeof(uint32_t) * c->n);
    if (c->dtype == MEMCOM_DTYPE_I8) mk_rows_dot_i8(c->q, c->scale, c->m, c->d, v, te);
    else if (c->dtype == MEMCOM_DTYPE_F32) mk_rows_dot_f32(c->f, c->m, c->d, v, te);
    else mk_rows_dot_f16(c->h, c->m, c->d, v, te);
    mk_rows_dot_i8_q16(p.q8, p.q8_scale, c->m, c->d, p.vq, p.sv, ta);
    for (uint32_t i = 0; i < c->n; i++) tt[i] = te[i % c->m];
    mk_scan(c->w, tt, c->bias, c->n, INFINITY, se, hits);
    for (uint32_t i = 0; i < c->n; i++) tt[i] = ta[i % c->m];
    mk_scan(c->w, tt, c->bias, c->n, INFINITY, sa, hits);
    int ok = 1;
    for (uint32_t i = 0; i < c->n; i++) {
        double err = fabs((double)se[i] - (double)sa[i]);
        if (!(err <= p.delta)) {
            ok = 0;
            fprintf(stderr, "  item %u: exact %.9g approx %.9g err %.3g > delta %.3g\n", i, se[i], sa[i], err, p.delta);
            break;
        }
        if (err / p.delta > *worst_ratio) *worst_ratio = err / p.delta;
    }
    CHECK(ok);
    free(te); free(ta); free(se); free(sa); free(tt); free(hits);
    mcc_prerank_free(&p);
}

static void test_bound_dtype(uint32_t dtype)
{
    t_rng r = {42 + dtype};
    double worst = 0.0;
    g_accepted = 0;
    const uint32_t dims[] = {1, 3, 8, 13, 64, 100, 256, 512};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        uint32_t d = dims[di], m = 40, n = 200;
        b_case c = {malloc((size_t)m * d), malloc(sizeof(float) * m), malloc(sizeof(float) * n), malloc(sizeof(float) * n), n, m, d,
                    dtype, malloc(sizeof(float) * m * d), malloc(sizeof(uint16_t) * m * d)};
        float *v = malloc(sizeof(float) * d);
        for (int trial = 0; trial < 40; trial++) {
            int style = trial % 8;
            for (uint32_t rr = 0; rr < m; rr++) {
                c.scale[rr] = (float)(t_uniform(&r) + 1.5) * (style == 3 ? 1e-20f : style == 4 ? 1e20f : 0.01f);
                for (uint32_t j = 0; j < d; j++) {
                    int x = (int)t_below(&r, 255) - 127;
                    if (style == 1) x = 127;                     /* every product the same sign */
                    if (style == 2) x = (j & 1) ? 127 : -127;
                    c.q[(size_t)rr * d + j] = (int8_t)x;
                }
            }
            if (style == 5) c.scale[0] = 0.0f;
            /* f32 / f16 rows: the same values, off the int8 grid by a random fraction of a step */
            for (size_t j = 0; j < (size_t)m * d; j++) {
                float x = c.scale[j / d] * ((float)c.q[j] + (style == 1 ? 0.0f : 0.49f * (float)t_uniform(&r)));
                c.h[j] = mcc_f32_to_f16(x);
                c.f[j] = dtype == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(c.h[j]) : x;
            }
            if (dtype == MEMCOM_DTYPE_F16 && style == 4) continue; /* 1e20 scales overflow f16 */
            for (uint32_t i = 0; i < n; i++) {
                c.w[i] = (float)t_uniform(&r) * (style == 6 ? 1000.0f : 2.0f);
                c.bias[i] = (float)t_uniform(&r) * (style == 7 ? 1e6f : 0.1f);
            }
            for (uint32_t j = 0; j < d; j++) {
                double x = t_uniform(&r);
                switch (style) {
                case 1: v[j] = (float)fabs(x) + 0.5f; break;                       /* aligned with the rows */
                case 2: v[j] = (j & 1) ? (float)(fabs(x) + 0.1) : -(float)(fabs(x) + 0.1); break;
                case 3: v[j] = (float)(x * 1e-25); break;                           /* tiny */
                case 4: v[j] = (float)(x * 1e10); break;
                case 5: v[j] = j == 0 ? 1e6f : (float)(x * 1e-6); break;            /* one dominant component */
                case 6: v[j] = (float)((int)t_below(&r, 65535) - 32767) / 32767.0f + 0.5f / 32767.0f; break; /* .5 rounding */
                default: v[j] = (float)x; break;
                }
            }
            bound_check(&c, v, &worst);
        }
        /* zero rows with huge scales and a huge query: scale * sv overflows
         * while every sum is 0 (inf * 0: found by the loader fuzzer) */
        if (dtype == MEMCOM_DTYPE_I8) {
            memset(c.q, 0, (size_t)m * d);
            for (uint32_t rr = 0; rr < m; rr++) c.scale[rr] = 1e30f;
            for (uint32_t j = 0; j < d; j++) v[j] = j & 1 ? -2e15f : 1e15f;
            bound_check(&c, v, &worst);
        }
        /* subnormal and zero queries */
        for (uint32_t j = 0; j < d; j++) v[j] = j % 3 ? 1e-40f : -3e-39f;
        bound_check(&c, v, &worst);
        memset(v, 0, sizeof(float) * d);
        bound_check(&c, v, &worst);
        free(v);
        free(c.q); free(c.scale); free(c.w); free(c.bias); free(c.f); free(c.h);
    }
    CHECK(worst < 1.0);
    CHECK(g_accepted >= 8 * 40 * 6 / 8); /* styles 0, 1, 2, 5, 6, 7 are ordinary queries */
    fprintf(stderr, "  prerank (%s rows): %d queries, largest observed error / bound = %.3g\n",
            dtype == MEMCOM_DTYPE_I8 ? "i8" : dtype == MEMCOM_DTYPE_F32 ? "f32" : "f16", g_accepted, worst);
}

static void test_bound(void)
{
    test_bound_dtype(MEMCOM_DTYPE_I8);
    test_bound_dtype(MEMCOM_DTYPE_F32);
    test_bound_dtype(MEMCOM_DTYPE_F16);
}

/* ---- 2. black box ---- */

static void check_topk(memcom_model *m, uint32_t n, uint32_t d, const float *v, size_t k, const uint32_t *excl,
                       size_t n_excl, int use_bias, const char *what)
{
    float *scores = malloc(sizeof(float) * n);
    uint32_t *ri = malloc(sizeof(uint32_t) * (k < n ? k : n) + 4), *gi = malloc(sizeof(uint32_t) * (k < n ? k : n) + 4);
    float *rs = malloc(sizeof(float) * (k < n ? k : n) + 4), *gs = malloc(sizeof(float) * (k < n ? k : n) + 4);
    CHECK_CODE(memcom_score_vector(m, v, d, scores), MEMCOM_OK); /* the exact scan (with the bias, if any) */
    size_t want = f_ref_topk(scores, n, k, excl, n_excl, NULL, 0, ri, rs);
    memcom_topk_opts o = {k, excl, n_excl, NULL, 0, use_bias, 0};
    size_t got = 0;
    CHECK_CODE(memcom_topk_vector(m, v, d, &o, gi, gs, &got), MEMCOM_OK);
    int same = got == want;
    for (size_t q = 0; same && q < got; q++) same = gi[q] == ri[q] && memcmp(&gs[q], &rs[q], 4) == 0;
    CHECK_MSG(same, "%s: k=%zu got %zu want %zu; first %u/%.9g vs %u/%.9g", what, k, got, want, got ? gi[0] : 0,
              got ? gs[0] : 0, want ? ri[0] : 0, want ? rs[0] : 0);
    free(scores); free(ri); free(gi); free(rs); free(gs);
}

static void test_topk_random(uint32_t row_dtype)
{
    t_rng r = {7 + row_dtype};
    const uint32_t kinds[] = {MEMCOM_KIND_FULL, MEMCOM_KIND_HASH, MEMCOM_KIND_MEMCOM};
    for (int ki = 0; ki < 3; ki++) {
        for (int variant = 0; variant < 6; variant++) {
            uint32_t n = variant < 3 ? 3000 : 700, d = (const uint32_t[]){5, 16, 64, 9, 24, 130}[variant];
            uint32_t m = kinds[ki] == MEMCOM_KIND_FULL ? n : 50u + (uint32_t)variant * 37u;
            memcom_table_data t;
            memset(&t, 0, sizeof t);
            t.desc.kind = kinds[ki];
            t.desc.n = n;
            t.desc.m = m;
            t.desc.d = d;
            t.desc.row_dtype = row_dtype;
            t.desc.bucket_mode = kinds[ki] == MEMCOM_KIND_FULL ? 0 : (variant & 1) ? MEMCOM_BUCKET_HASH : MEMCOM_BUCKET_MOD;
            t.desc.hash_seed = t.desc.bucket_mode == MEMCOM_BUCKET_HASH ? 99 : 0;
            t.desc.scalar_dtype = kinds[ki] == MEMCOM_KIND_MEMCOM ? ((variant & 2) ? MEMCOM_DTYPE_F16 : MEMCOM_DTYPE_F32) : 0;
            float *rows = malloc(sizeof(float) * m * d), *w = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
            for (size_t j = 0; j < (size_t)m * d; j++) rows[j] = (float)t_uniform(&r) * 0.3f;
            for (uint32_t i = 0; i < n; i++) {
                w[i] = (float)t_uniform(&r) * 2.0f;
                bias[i] = (float)t_uniform(&r) * 0.05f;
            }
            t.rows_a = rows;
            t.scalars = kinds[ki] == MEMCOM_KIND_MEMCOM ? w : NULL;
            void *bytes = NULL;
            uint32_t bias_dtype = variant % 3 == 0 ? 0 : variant % 3 == 1 ? MEMCOM_DTYPE_F32 : MEMCOM_DTYPE_F16;
            memcom_model *mm = f_open_output(&t, bias_dtype ? bias : NULL, bias_dtype, &bytes);
            if (mm) mcc_model_set_index(mm, MC_INDEX_ALWAYS); /* pre-ranked even where the copy would not pay */
            float *v = malloc(sizeof(float) * d);
            uint32_t excl[20];
            for (int q = 0; q < 8 && mm; q++) {
                for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r) * (q == 5 ? 1e-30f : q == 6 ? 1e25f : 1.0f);
                if (q == 7) v[0] = 1e4f;
                for (int e = 0; e < 20; e++) excl[e] = t_below(&r, n);
                const size_t ks[] = {1, 10, 100, 1500, n, n + 5};
                for (size_t kk = 0; kk < 6; kk++)
                    check_topk(mm, n, d, v, ks[kk], q & 1 ? excl : NULL, q & 1 ? 20 : 0, bias_dtype != 0, "random");
            }
            /* pre-ranked (all but the tiny and huge queries; or ranked exactly
             * once pre-ranking stopped paying: backoff.h), never ranked twice */
            const mcc_prerank *pr = mcc_model_prerank(mm);
            CHECK_MSG(pr->n_ranked + pr->n_backoff >= 6 * 6 && pr->n_ranked >= MC_BACKOFF_MISSES && pr->n_fallback == 0,
                      "kind %u variant %d: %llu ranked, %llu again", kinds[ki], variant, (unsigned long long)pr->n_ranked,
                      (unsigned long long)pr->n_fallback);
            CHECK((pr->own_q8 != NULL) == (row_dtype != MEMCOM_DTYPE_I8)); /* a copy only for f32/f16 rows */
            /* the error bound's max |w| and max |b| (taken from the bucket
             * bounds where they have them): those of the stored values */
            double wref = kinds[ki] == MEMCOM_KIND_MEMCOM ? 0.0 : 1.0, bref = 0.0;
            for (uint32_t i = 0; i < n; i++) {
                float wi = t.desc.scalar_dtype == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(mcc_f32_to_f16(w[i])) : w[i];
                float bi = bias_dtype == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(mcc_f32_to_f16(bias[i])) : bias[i];
                if (kinds[ki] == MEMCOM_KIND_MEMCOM && fabs(wi) > wref) wref = fabs(wi);
                if (bias_dtype && fabs(bi) > bref) bref = fabs(bi);
            }
            CHECK_MSG(pr->wmax == wref && pr->bmax == bref, "kind %u variant %d: max |w| %g (plain %g), max |b| %g (plain %g)",
                      kinds[ki], variant, pr->wmax, wref, pr->bmax, bref);
            /* without the int8 copy: ranked exactly, the same answers; then
             * the default (variant 2 has enough shared rows for a copy) */
            if (row_dtype != MEMCOM_DTYPE_I8 && mm && variant == 2) {
                CHECK_CODE(memcom_set_int8_index(mm, 0), MEMCOM_OK);
                CHECK(pr->own_q8 == NULL);
                check_topk(mm, n, d, v, 10, excl, 20, bias_dtype != 0, "no index");
                CHECK(pr->n_ranked == 0 && pr->own_q8 == NULL && pr->state == -1);
                CHECK_CODE(memcom_set_int8_index(mm, 1), MEMCOM_OK);
                check_topk(mm, n, d, v, 10, excl, 20, bias_dtype != 0, "index again");
                CHECK(pr->n_ranked == 1 && pr->own_q8 != NULL);
            }
            memcom_close(mm);
            memcom_free(bytes);
            free(rows); free(w); free(bias); free(v);
        }
    }
}

/* an int8 memcom table (mod buckets, f32 scalars); rows and scalars are set by the caller */
static memcom_table_data memcom_i8_table(uint32_t n, uint32_t m, uint32_t d)
{
    memcom_table_data t;
    memset(&t, 0, sizeof t);
    t.desc = f_desc(MEMCOM_KIND_MEMCOM, n, m, d, MEMCOM_DTYPE_I8, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, 0, 0);
    return t;
}

/* every item in one shared row: scores differ only through w (and the bias),
 * so they can be as close as one ulp, or equal */
static void test_topk_ties(void)
{
    t_rng r = {11};
    const uint32_t ns[] = {600, 2500, 9000};
    for (int ni = 0; ni < 3; ni++) {
        for (int style = 0; style < 4; style++) {
            uint32_t n = ns[ni], d = 16;
            memcom_table_data t = memcom_i8_table(n, 1, d);
            float rows[16], *w = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
            for (uint32_t j = 0; j < d; j++) rows[j] = (float)t_uniform(&r);
            for (uint32_t i = 0; i < n; i++) {
                float base = 1.0f;
                switch (style) {
                case 0: w[i] = base; break;                                               /* all equal */
                case 1: w[i] = nextafterf(base, (i & 1) ? 2.0f : 0.0f); break;            /* ulps apart */
                case 2: { float x = base; for (uint32_t s = 0; s < i % 37; s++) x = nextafterf(x, 2.0f); w[i] = x; } break;
                default: w[i] = (float)t_uniform(&r); break;
                }
                bias[i] = style == 3 ? 0.0f : (i % 5 == 0 ? 0x1p-30f : 0.0f);
            }
            t.rows_a = rows;
            t.scalars = w;
            void *bytes = NULL;
            memcom_model *mm = f_open_output(&t, bias, MEMCOM_DTYPE_F32, &bytes);
            float v[16];
            uint32_t excl[3] = {0, 5, n - 1};
            for (int q = 0; q < 3 && mm; q++) {
                for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
                const size_t ks[] = {1, 10, 64, 300};
                for (size_t kk = 0; kk < 4; kk++) check_topk(mm, n, d, v, ks[kk], q ? excl : NULL, q ? 3 : 0, 1, "ties");
            }
            /* near-equal scores: many candidates; past the list's capacity
             * (2 * 1024 + 8k) the query is ranked again exactly */
            const mcc_prerank *pr = mcc_model_prerank(mm);
            CHECK(pr->n_ranked + pr->n_backoff == 12);
            if (style < 3 && n == 9000) CHECK(pr->n_fallback > 0);
            if (style == 3) CHECK(pr->n_fallback == 0 && pr->n_ranked == 12);
            /* falling back every time: after MC_BACKOFF_MISSES of them, the
             * other rankings are exact from the start (none was the 16th) */
            if (pr->n_fallback == pr->n_ranked && pr->n_ranked > 0) CHECK(pr->n_ranked == MC_BACKOFF_MISSES && pr->n_backoff == 8);
            memcom_close(mm);
            memcom_free(bytes);
            free(w); free(bias);
        }
    }
}

/* all-zero rows (every scale 0) and queries near the bottom of the subnormal
 * range: found by the loader fuzzer (the quantisation step underflowed to 0) */
static void test_tiny(void)
{
    const uint32_t n = 50, d = 8;
    memcom_table_data t = memcom_i8_table(n, 5, d);
    float rows[5 * 8] = {0}, w[50], bias[50];
    for (uint32_t i = 0; i < n; i++) {
        w[i] = (float)i / 7.0f;
        bias[i] = (float)(i % 9) * 0.25f;
    }
    t.rows_a = rows;
    t.scalars = w;
    for (int zero = 1; zero >= 0; zero--) {
        if (!zero) rows[3] = 1e-30f; /* one tiny row: its scale * sv underflows */
        void *bytes = NULL;
        memcom_model *mm = f_open_output(&t, bias, MEMCOM_DTYPE_F32, &bytes);
        const float tiny[] = {0x1p-149f, 3 * 0x1p-149f, 0x1p-140f, 1e-40f, 1e-30f, 1.0f};
        for (size_t q = 0; q < sizeof tiny / sizeof tiny[0] && mm; q++) {
            float v[8];
            for (uint32_t j = 0; j < d; j++) v[j] = j % 3 == 2 ? 0.0f : (j & 1) ? -tiny[q] : tiny[q];
            check_topk(mm, n, d, v, 10, NULL, 0, 1, "tiny");
        }
        memcom_close(mm);
        memcom_free(bytes);
    }
}

/* ---- 3. which tables get an int8 copy ---- */

static mcc_table plan_table(uint32_t kind, uint32_t n, uint32_t m, uint32_t d, uint32_t row_dtype)
{
    mcc_table t;
    memset(&t, 0, sizeof t);
    t.desc = f_desc(kind, n, m, d, row_dtype, kind == MEMCOM_KIND_MEMCOM ? MEMCOM_DTYPE_F32 : 0,
                    kind == MEMCOM_KIND_FULL || kind == MEMCOM_KIND_QR ? 0 : MEMCOM_BUCKET_MOD, 0, 0);
    t.rows_a = kind == MEMCOM_KIND_FULL ? n : kind == MEMCOM_KIND_QR ? (n + m - 1) / m : m;
    return t;
}

static void test_copy_rule(void)
{
    /* the threshold: rows x d >= 1.5 n */
    CHECK(mcc_prerank_copy_pays(3, 1, 2) && !mcc_prerank_copy_pays(2, 1, 2));
    CHECK(mcc_prerank_copy_pays(25000, 64, 1000000) && mcc_prerank_copy_pays(23438, 64, 1000000));
    CHECK(!mcc_prerank_copy_pays(23437, 64, 1000000) && !mcc_prerank_copy_pays(9375, 64, 1000000));
    CHECK(mcc_prerank_copy_pays(1000000, 2, 1000000) && !mcc_prerank_copy_pays(1000000, 1, 1000000));
    CHECK(mcc_prerank_copy_pays(UINT32_MAX, MK_Q16_MAX_D, UINT32_MAX)); /* no overflow in 64 bits */

    int fast = mk_fast_int_dot();
    const int none = MC_PRERANK_NONE, own = fast ? MC_PRERANK_OWN : none, copy = fast ? MC_PRERANK_COPY : none;
    struct { uint32_t kind, n, m, d, row; int index, want; } C[] = {
        {MEMCOM_KIND_MEMCOM, 6000, 30, 16, MEMCOM_DTYPE_F32, MC_INDEX_AUTO, none},     /* 480 < 9000 */
        {MEMCOM_KIND_MEMCOM, 6000, 30, 16, MEMCOM_DTYPE_F32, MC_INDEX_ALWAYS, copy},
        {MEMCOM_KIND_MEMCOM, 6000, 30, 16, MEMCOM_DTYPE_I8, MC_INDEX_AUTO, own},       /* its own rows: no copy to pay for */
        {MEMCOM_KIND_MEMCOM, 6000, 30, 16, MEMCOM_DTYPE_I8, MC_INDEX_OFF, own},
        {MEMCOM_KIND_MEMCOM, 6000, 563, 16, MEMCOM_DTYPE_F16, MC_INDEX_AUTO, copy},    /* 9008 >= 9000 */
        {MEMCOM_KIND_MEMCOM, 6000, 562, 16, MEMCOM_DTYPE_F16, MC_INDEX_AUTO, none},    /* 8992 */
        {MEMCOM_KIND_MEMCOM, 6000, 563, 16, MEMCOM_DTYPE_F32, MC_INDEX_OFF, none},
        {MEMCOM_KIND_HASH, 6000, 563, 16, MEMCOM_DTYPE_F32, MC_INDEX_AUTO, copy},
        {MEMCOM_KIND_HASH, 6000, 300, 16, MEMCOM_DTYPE_F32, MC_INDEX_AUTO, none},
        {MEMCOM_KIND_FULL, 6000, 6000, 2, MEMCOM_DTYPE_F32, MC_INDEX_AUTO, copy},
        {MEMCOM_KIND_FULL, 6000, 6000, 1, MEMCOM_DTYPE_F32, MC_INDEX_AUTO, none},
        {MEMCOM_KIND_FULL, 6000, 6000, 1, MEMCOM_DTYPE_F32, MC_INDEX_ALWAYS, copy},
        {MEMCOM_KIND_MEMCOM, 6000, 3000, MK_Q16_MAX_D + 1, MEMCOM_DTYPE_F32, MC_INDEX_ALWAYS, none},
        {MEMCOM_KIND_QR, 6000, 40, 16, MEMCOM_DTYPE_F32, MC_INDEX_ALWAYS, none},
    };
    for (size_t c = 0; c < sizeof C / sizeof C[0]; c++) {
        mcc_table t = plan_table(C[c].kind, C[c].n, C[c].m, C[c].d, C[c].row);
        CHECK_MSG(mcc_prerank_plan(&t, C[c].index) == C[c].want, "case %zu: plan %d, want %d", c, mcc_prerank_plan(&t, C[c].index), C[c].want);
    }

    /* black box: a shared table with few rows (a 40x model's shape) ranks
     * without a copy, exactly; memcom_info.working_bytes leaves the copy out;
     * forced, the copy is built and pre-ranks to the same answers */
    t_rng r = {5};
    const uint32_t n = 6000, m = 30, d = 16;
    memcom_table_data t;
    memset(&t, 0, sizeof t);
    t.desc = f_desc(MEMCOM_KIND_MEMCOM, n, m, d, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, 0, 0);
    float *rows = malloc(sizeof(float) * m * d), *w = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n), v[16];
    for (size_t j = 0; j < (size_t)m * d; j++) rows[j] = (float)t_uniform(&r) * 0.3f;
    for (uint32_t i = 0; i < n; i++) {
        w[i] = (float)t_uniform(&r) * 2.0f;
        bias[i] = (float)t_uniform(&r) * 0.05f;
    }
    t.rows_a = rows;
    t.scalars = w;
    void *bytes = NULL;
    memcom_model *mm = f_open_output(&t, bias, MEMCOM_DTYPE_F32, &bytes);
    if (mm) {
        const mcc_prerank *pr = mcc_model_prerank(mm);
        memcom_info auto_info, always_info;
        CHECK_CODE(memcom_get_info(mm, &auto_info), MEMCOM_OK);
        uint32_t excl[3] = {1, 77, 4000};
        for (int q = 0; q < 6; q++) {
            for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
            check_topk(mm, n, d, v, q ? 10 : 100, q & 1 ? excl : NULL, q & 1 ? 3 : 0, 1, "no copy");
        }
        CHECK(pr->own_q8 == NULL && pr->state == -1 && pr->n_ranked == 0);
        mcc_model_set_index(mm, MC_INDEX_ALWAYS);
        CHECK_CODE(memcom_get_info(mm, &always_info), MEMCOM_OK);
        if (fast) CHECK(always_info.working_bytes - auto_info.working_bytes ==
                        2 * d + 8 * (2 * MC_BLOCK + 8 * MC_PRERANK_MAX_K) + (uint64_t)m * (d + 4) + 8 * d);
        for (int q = 0; q < 6; q++) {
            for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
            check_topk(mm, n, d, v, 10, q & 1 ? excl : NULL, q & 1 ? 3 : 0, 1, "copy forced");
        }
        if (fast) CHECK(pr->own_q8 != NULL && pr->n_ranked + pr->n_backoff == 6);
    }
    memcom_close(mm);
    memcom_free(bytes);
    free(rows); free(w); free(bias);
}

/* f32/f16 rows with an int8 copy where pre-ranking is not used (it stopped
 * paying: backoff.h): ranked by bucket on bounds from the copy widened by its
 * error bound, each scored bucket's value exact (rank.c, scan.c).  The same
 * answers as the exact scan, bit for bit, for buckets of one sign of w and of
 * both (the bounds split by sign), u16, i mod m and hash buckets (hash
 * tables too), with and without a bias; near-equal bucket values (rows that differ by less than the copy's
 * rounding) put the widening itself to the test. */
static void test_widened(void)
{
    t_rng r = {21};
    for (int variant = 0; variant < 11; variant++) {
        /* 8-10: hash tables (no scalars) with near-equal rows, 10 with a bias */
        int hash = variant >= 8;
        uint32_t n = 4000, m = variant & 4 ? 97 : 200, d = variant & 2 ? 24 : 64;
        int mixed = !hash && (variant & 1), explicit_b = !hash && !(variant & 4), near = variant >= 6;
        uint32_t row_dtype = variant == 3 ? MEMCOM_DTYPE_F16 : MEMCOM_DTYPE_F32;
        memcom_table_data t;
        memset(&t, 0, sizeof t);
        t.desc = f_desc(hash ? MEMCOM_KIND_HASH : MEMCOM_KIND_MEMCOM, n, m, d, row_dtype, hash ? 0 : MEMCOM_DTYPE_F32,
                        hash ? MEMCOM_BUCKET_HASH : explicit_b ? MEMCOM_BUCKET_EXPLICIT : MEMCOM_BUCKET_MOD,
                        explicit_b ? MEMCOM_DTYPE_U16 : 0, hash ? 77 + (uint64_t)variant : 0);
        float *rows = malloc(sizeof(float) * m * d), *w = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
        uint32_t *bk = malloc(sizeof(uint32_t) * n); /* stored as u16 */
        for (size_t j = 0; j < (size_t)m * d; j++) rows[j] = (float)t_uniform(&r) * 0.3f;
        if (near) /* each odd row a copy of the row before, nudged by far less than an int8 step */
            for (uint32_t b = 1; b < m; b += 2)
                for (uint32_t j = 0; j < d; j++) rows[b * d + j] = rows[(b - 1) * d + j] * (1.0f + 1e-4f * (float)t_uniform(&r));
        for (uint32_t i = 0; i < n; i++) {
            bk[i] = t_below(&r, m);
            w[i] = 0.5f + (float)t_uniform(&r) * 0.4f;
            if (mixed && (i & 1)) w[i] = -w[i];
            bias[i] = variant & 2 ? (float)t_uniform(&r) * 0.05f : 0.0f;
        }
        t.rows_a = rows;
        t.scalars = hash ? NULL : w;
        t.buckets = explicit_b ? bk : NULL;
        void *bytes = NULL;
        memcom_model *mm = f_open_output(&t, variant & 2 ? bias : NULL, variant & 2 ? MEMCOM_DTYPE_F32 : 0, &bytes);
        if (!mm) {
            free(rows); free(w); free(bias); free(bk);
            continue;
        }
        mcc_model_set_index(mm, MC_INDEX_ALWAYS);
        mcc_prerank *pr = (mcc_prerank *)mcc_model_prerank(mm);
        float *v = malloc(sizeof(float) * d);
        uint32_t excl[20];
        int queries = 0;
        for (int q = 0; q < 10; q++) {
            for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
            for (int e = 0; e < 20; e++) excl[e] = t_below(&r, n);
            const size_t ks[] = {1, 10, 50, 400};
            for (size_t kk = 0; kk < 4; kk++) {
                pr->backoff.misses = MC_BACKOFF_MISSES; /* pre-ranking "stopped paying" */
                pr->backoff.skipped = 0;
                check_topk(mm, n, d, v, ks[kk], q & 1 ? excl : NULL, q & 1 ? 20 : 0, (variant & 2) != 0, "widened");
                queries++;
            }
        }
        if (mk_fast_int_dot()) {
            const mcc_bounds *g = mcc_model_bounds(mm);
            CHECK_MSG(pr->own_q8 != NULL && pr->n_ranked == 0 && pr->n_backoff == (uint64_t)queries,
                      "variant %d: %llu pre-ranked, %llu not", variant, (unsigned long long)pr->n_ranked,
                      (unsigned long long)pr->n_backoff);
            /* most by bucket on the widened bounds (the rest scanned: the bounds pruned too little) */
            CHECK_MSG(pr->n_widened >= (uint64_t)queries / 2 && pr->n_widened == g->n_ranked - g->n_linear,
                      "variant %d: %llu of %d by widened bounds (%llu by bucket)", variant, (unsigned long long)pr->n_widened,
                      queries, (unsigned long long)(g->n_ranked - g->n_linear));
            CHECK(g->split == mixed);
        }
        memcom_close(mm);
        memcom_free(bytes);
        free(rows); free(w); free(bias); free(bk); free(v);
    }
}

void test_prerank(void)
{
    test_copy_rule();
    test_tiny();
    test_bound();
    test_topk_random(MEMCOM_DTYPE_I8);
    test_topk_random(MEMCOM_DTYPE_F32);
    test_topk_random(MEMCOM_DTYPE_F16);
    test_topk_ties();
    test_widened();
    CHECK_CODE(memcom_set_int8_index(NULL, 1), MEMCOM_E_ARG);
}
