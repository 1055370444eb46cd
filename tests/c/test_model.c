/* test_model.c - the recommender: user vector through layers, recommend,
 * similar (cosine), ids and metadata, and a memcom model against the same
 * model reconstructed as a full table (identical top-k). */
#include "fixture.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __linux__
#include <sys/resource.h>
#endif

static double ref_act(uint32_t a, double x) { return a == 1 ? tanh(x) : a == 2 ? (x > 0 ? x : 0) : x; }

static void make_layers(f_model *fm, const uint32_t *dims, const uint32_t *acts, const int *has_w, uint32_t nl, t_rng *r)
{
    for (uint32_t l = 0; l < nl; l++) {
        memcom_layer_data *L = &fm->layers[l];
        L->in_dim = dims[l];
        L->out_dim = dims[l + 1];
        L->activation = acts[l];
        if (has_w[l]) {
            fm->lw[l] = malloc(sizeof(float) * L->in_dim * L->out_dim);
            for (uint32_t k = 0; k < L->in_dim * L->out_dim; k++) fm->lw[l][k] = t_uniform(r) * 0.5f;
            L->weight = fm->lw[l];
        }
        fm->lb[l] = malloc(sizeof(float) * L->out_dim);
        for (uint32_t k = 0; k < L->out_dim; k++) fm->lb[l][k] = t_uniform(r) * 0.1f;
        L->bias = fm->lb[l];
    }
    fm->data.n_layers = nl;
}

/* reference user vector in double */
static void ref_user(const f_model *fm, const uint32_t *h, size_t nh, double *out)
{
    uint32_t d = fm->in.data.desc.d;
    double x[64] = {0}, y[64];
    uint8_t seen[4096] = {0};
    size_t cnt = 0;
    for (size_t k = 0; k < nh; k++) {
        if (seen[h[k]]) continue;
        seen[h[k]] = 1;
        cnt++;
        for (uint32_t j = 0; j < d; j++) x[j] += fm->in.E[(size_t)h[k] * d + j];
    }
    if (cnt) for (uint32_t j = 0; j < d; j++) x[j] /= sqrt((double)cnt);
    for (uint32_t l = 0; l < fm->data.n_layers; l++) {
        const memcom_layer_data *L = &fm->layers[l];
        for (uint32_t o = 0; o < L->out_dim; o++) {
            double s = 0;
            if (L->weight) for (uint32_t i = 0; i < L->in_dim; i++) s += (double)L->weight[o * L->in_dim + i] * x[i];
            else s = x[o];
            if (L->bias) s += L->bias[o];
            y[o] = ref_act(L->activation, s);
        }
        d = L->out_dim;
        memcpy(x, y, sizeof(double) * d);
    }
    memcpy(out, x, sizeof(double) * d);
}

static void test_recommender(void)
{
    t_rng r = {9};
    uint32_t n = 500;
    uint32_t dims[] = {16, 24, 24, 8};
    uint32_t acts[] = {MEMCOM_ACT_TANH, MEMCOM_ACT_RELU, MEMCOM_ACT_NONE};
    int has_w[] = {1, 0, 1};
    for (int variant = 0; variant < 3; variant++) {
        f_model fm;
        memset(&fm, 0, sizeof fm);
        f_table_make(&fm.in, f_desc(MEMCOM_KIND_MEMCOM, n, 40, 16, variant == 2 ? MEMCOM_DTYPE_I8 : MEMCOM_DTYPE_F32,
                                    MEMCOM_DTYPE_F16, MEMCOM_BUCKET_HASH, 0, 77), 11 + variant);
        f_table_make(&fm.out, f_desc(variant == 1 ? MEMCOM_KIND_QR : MEMCOM_KIND_MEMCOM, n, variant == 1 ? 23 : 50, 8,
                                     MEMCOM_DTYPE_F16, variant == 1 ? 0 : MEMCOM_DTYPE_F32,
                                     variant == 1 ? 0 : MEMCOM_BUCKET_MOD, 0, 0), 21 + variant);
        make_layers(&fm, dims, acts, has_w, 3, &r);
        fm.bias = malloc(sizeof(float) * n);
        for (uint32_t i = 0; i < n; i++) fm.bias[i] = t_dyadic(&r);
        fm.data.bias_dtype = MEMCOM_DTYPE_F32;
        fm.ids = malloc(sizeof(char *) * n);
        for (uint32_t i = 0; i < n; i++) {
            fm.ids[i] = malloc(24);
            snprintf(fm.ids[i], 24, "%s%u", i % 3 ? "film-" : "é-", (i * 7919u) % 100003u);
        }
        fm.data.metadata_json = "{\"dataset\": \"test\", \"metrics\": {\"valid\": {\"ndcg@20\": 0.5}}, \"list\": [1, 2.5e-3, true, null]}";
        CHECK(f_model_build(&fm) == 0);
        if (!fm.m) { f_model_free(&fm); continue; }

        memcom_info info;
        CHECK(memcom_get_info(fm.m, &info) == 0 && info.n_layers == 3 && info.has_ids && info.user_dim == 8 &&
              info.input.kind == MEMCOM_KIND_MEMCOM && info.layer_bytes > 0 && info.id_bytes > 0 && info.metadata_bytes > 0 &&
              info.full_f32_bytes == (uint64_t)n * (16 + 8) * 4);
        size_t ml;
        const char *meta = memcom_metadata(fm.m, &ml);
        CHECK(ml == strlen(fm.data.metadata_json) && !memcmp(meta, fm.data.metadata_json, ml));

        /* ids both ways */
        int ids_ok = 1;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t got;
            const char *s;
            size_t len;
            if (memcom_find_id(fm.m, fm.ids[i], strlen(fm.ids[i]), &got) || got != i) ids_ok = 0;
            if (memcom_get_id(fm.m, i, &s, &len) || len != strlen(fm.ids[i]) || memcmp(s, fm.ids[i], len)) ids_ok = 0;
        }
        CHECK(ids_ok);
        uint32_t gi;
        CHECK_CODE(memcom_find_id(fm.m, "film-", 5, &gi), MEMCOM_E_UNKNOWN_ID);
        CHECK_CODE(memcom_find_id(fm.m, "", 0, &gi), MEMCOM_E_UNKNOWN_ID);
        CHECK_CODE(memcom_find_id(fm.m, "zzzz", 4, &gi), MEMCOM_E_UNKNOWN_ID);

        /* user vector vs reference, duplicates counted once */
        uint32_t hist[12];
        for (int k = 0; k < 10; k++) hist[k] = t_below(&r, n);
        hist[10] = hist[2];
        hist[11] = hist[5];
        float u[8];
        double ru[8];
        CHECK(memcom_user_vector(fm.m, hist, 12, u) == 0);
        ref_user(&fm, hist, 12, ru);
        int uv_ok = 1;
        for (int j = 0; j < 8; j++) if (fabs(u[j] - ru[j]) > 1e-5 * (1 + fabs(ru[j]))) uv_ok = 0;
        CHECK_MSG(uv_ok, "user vector variant %d", variant);
        CHECK(memcom_user_vector(fm.m, NULL, 0, u) == 0);
        ref_user(&fm, NULL, 0, ru);
        uv_ok = 1;
        for (int j = 0; j < 8; j++) if (fabs(u[j] - ru[j]) > 1e-6) uv_ok = 0;
        CHECK(uv_ok);
        uint32_t bad_h = n;
        CHECK_CODE(memcom_user_vector(fm.m, &bad_h, 1, u), MEMCOM_E_INDEX);

        /* recommend == topk(user vector, with bias), excluding exactly opts.exclude */
        CHECK(memcom_user_vector(fm.m, hist, 12, u) == 0);
        uint32_t a_i[20], b_i[20];
        float a_s[20], b_s[20];
        size_t an, bn;
        memcom_topk_opts o = {20, hist, 12, NULL, 0, 1, 0};
        CHECK(memcom_recommend(fm.m, hist, 12, &o, a_i, a_s, &an) == 0);
        CHECK(memcom_topk_vector(fm.m, u, 8, &o, b_i, b_s, &bn) == 0);
        CHECK(an == 20 && bn == 20 && !memcmp(a_i, b_i, sizeof a_i) && !memcmp(a_s, b_s, sizeof a_s));
        int none_hist = 1;
        for (int k = 0; k < 20; k++) for (int h = 0; h < 12; h++) if (a_i[k] == hist[h]) none_hist = 0;
        CHECK(none_hist);
        float *scores = malloc(sizeof(float) * n);
        uint32_t ri[20];
        float rs[20];
        CHECK(memcom_score_vector(fm.m, u, 8, scores) == 0);
        size_t rn = f_ref_topk(scores, n, 20, hist, 12, NULL, 0, ri, rs);
        CHECK(rn == 20 && !memcmp(ri, a_i, sizeof ri) && !memcmp(rs, a_s, sizeof rs));

        /* similar: cosine over reconstructed output embeddings, the item excluded */
        uint32_t q = 17, sd = fm.out.data.desc.d;
        double *cos = malloc(sizeof(double) * n), qn = 0;
        for (uint32_t j = 0; j < sd; j++) qn += (double)fm.out.E[q * sd + j] * fm.out.E[q * sd + j];
        for (uint32_t i = 0; i < n; i++) {
            double dot = 0, en = 0;
            for (uint32_t j = 0; j < sd; j++) {
                dot += (double)fm.out.E[i * sd + j] * fm.out.E[q * sd + j];
                en += (double)fm.out.E[i * sd + j] * fm.out.E[i * sd + j];
            }
            cos[i] = en > 0 && qn > 0 ? dot / sqrt(en * qn) : 0;
        }
        memcom_topk_opts so = {10, NULL, 0, NULL, 0, 0, 0};
        CHECK(memcom_similar(fm.m, q, &so, a_i, a_s, &an) == 0 && an == 10);
        /* reference ranking in double; compare scores rank by rank (robust to near-ties) */
        float *cf = malloc(sizeof(float) * n);
        for (uint32_t i = 0; i < n; i++) cf[i] = (float)cos[i];
        rn = f_ref_topk(cf, n, 10, &q, 1, NULL, 0, ri, rs);
        int sim_ok = rn == 10;
        for (int k = 0; k < 10 && sim_ok; k++) {
            if (a_i[k] == q) sim_ok = 0;
            if (fabs(a_s[k] - rs[k]) > 1e-5 || fabs(a_s[k] - cos[a_i[k]]) > 1e-5) sim_ok = 0;
        }
        CHECK_MSG(sim_ok, "similar variant %d", variant);
        CHECK_CODE(memcom_similar(fm.m, n, &so, a_i, a_s, &an), MEMCOM_E_INDEX);
        /* cosine top-k with candidates equals the full-scan cosine restricted to them */
        uint32_t cand[30];
        for (int k = 0; k < 30; k++) cand[k] = t_below(&r, n);
        memcom_topk_opts co = {5, NULL, 0, cand, 30, 0, 1}, co_all = {n, NULL, 0, NULL, 0, 0, 1};
        float qv[8];
        memcom_lookup(fm.m, MEMCOM_OUTPUT, q, qv);
        uint32_t *all_i = malloc(sizeof(uint32_t) * n);
        float *all_s = malloc(sizeof(float) * n), *by = malloc(sizeof(float) * n);
        size_t alln;
        CHECK(memcom_topk_vector(fm.m, qv, 8, &co, a_i, a_s, &an) == 0);
        CHECK(memcom_topk_vector(fm.m, qv, 8, &co_all, all_i, all_s, &alln) == 0 && alln == n);
        for (size_t k = 0; k < alln; k++) by[all_i[k]] = all_s[k];
        rn = f_ref_topk(by, n, 5, NULL, 0, cand, 30, ri, rs);
        CHECK(an == rn && !memcmp(a_i, ri, rn * 4) && !memcmp(a_s, rs, rn * 4));
        free(all_i); free(all_s); free(by);
        free(cos); free(cf); free(scores);
        f_model_free(&fm);
    }
}

/* the same memcom table as memcom and as a full table: identical top-k */
static void test_memcom_vs_full(void)
{
    const uint32_t rows[] = {MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F16};
    for (int ri = 0; ri < 2; ri++) {
        f_model mc, fu;
        memset(&mc, 0, sizeof mc);
        memset(&fu, 0, sizeof fu);
        uint32_t n = 2000, d = 16;
        f_table_make(&mc.out, f_desc(MEMCOM_KIND_MEMCOM, n, 125, d, rows[ri], MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, 0, 0), 5);
        fu.out.data.desc = f_desc(MEMCOM_KIND_FULL, n, n, d, rows[ri], 0, 0, 0, 0);
        fu.out.a = malloc(sizeof(float) * n * d);
        memcpy(fu.out.a, mc.out.E, sizeof(float) * n * d); /* w*U rows are k/256: exact in f32 and f16 */
        fu.out.data.rows_a = fu.out.a;
        CHECK(f_model_build(&mc) == 0 && f_model_build(&fu) == 0);
        if (!mc.m || !fu.m) { f_model_free(&mc); f_model_free(&fu); continue; }
        t_rng r = {77};
        int same = 1;
        for (int q = 0; q < 20; q++) {
            float v[16];
            for (uint32_t j = 0; j < d; j++) v[j] = t_dyadic(&r);
            uint32_t ai[50], bi[50];
            float as[50], bs[50];
            size_t an = 0, bn = 0;
            memcom_topk_opts o = {q % 2 ? 10 : 50, NULL, 0, NULL, 0, 0, 0};
            if (memcom_topk_vector(mc.m, v, d, &o, ai, as, &an) || memcom_topk_vector(fu.m, v, d, &o, bi, bs, &bn)) same = 0;
            if (an != bn || memcmp(ai, bi, an * 4) || memcmp(as, bs, an * 4)) same = 0;
        }
        CHECK(same);
        /* cosine over two scan blocks: the same ranking values up to rounding */
        int close = 1;
        for (uint32_t q = 0; q < 2000; q += 397) {
            uint32_t ai[10], bi[10];
            float as[10], bs[10];
            size_t an = 0, bn = 0;
            memcom_topk_opts o = {10, NULL, 0, NULL, 0, 0, 0};
            if (memcom_similar(mc.m, q, &o, ai, as, &an) || memcom_similar(fu.m, q, &o, bi, bs, &bn) || an != 10 || bn != 10) close = 0;
            for (int k = 0; k < 10 && close; k++)
                if (fabsf(as[k] - bs[k]) > 1e-5f || ai[k] == q) close = 0;
        }
        CHECK(close);
        f_model_free(&mc);
        f_model_free(&fu);
    }
}


/* Bytes of the C heap in use (glibc's mallinfo2: small blocks and mmapped
 * ones), or 0 where it does not count (sanitizers replace malloc). */
static size_t heap_used(void)
{
#ifdef __GLIBC__
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#else
    return 0; /* no portable count: test_working_bytes skips its measurements */
#endif
}

/* ... and for rankers: every way of ranking (all items, candidates, two-stage,
 * rerank, scores) stays within working_bytes (two-stage with R = 100: the
 * engine's own first stage is what the cases above measure) */
static void test_ranker_working_bytes(void)
{
    if (!heap_used()) return;
    const uint32_t kinds[3][3] = {{MEMCOM_KIND_FULL, 0, 0}, {MEMCOM_KIND_MEMCOM, 300, MEMCOM_BUCKET_HASH}, {MEMCOM_KIND_HASH, 500, MEMCOM_BUCKET_MOD}};
    for (int c = 0; c < 3; c++) {
        uint32_t n = 3000, d = 16, widths[2] = {24, 1};
        f_model fm;
        memset(&fm, 0, sizeof fm);
        f_table_make(&fm.in, f_desc(MEMCOM_KIND_HASH, n, 50, d, MEMCOM_DTYPE_F16, 0, MEMCOM_BUCKET_MOD, 0, 0), 3);
        f_table_make(&fm.out, f_desc(kinds[c][0], n, kinds[c][1] ? kinds[c][1] : n, d, MEMCOM_DTYPE_F32,
                                     kinds[c][0] == MEMCOM_KIND_MEMCOM ? MEMCOM_DTYPE_F32 : 0, kinds[c][2], 0, kinds[c][2] == MEMCOM_BUCKET_HASH ? 5 : 0), 4);
        f_head_make(&fm, d, widths, 2, 5);
        size_t h0 = heap_used();
        CHECK(f_model_build(&fm) == 0);
        if (!fm.m) { f_model_free(&fm); continue; }
        memcom_info info;
        CHECK(memcom_get_info(fm.m, &info) == 0);
        size_t file = (size_t)info.file_bytes;
        uint32_t *oi = malloc(sizeof(uint32_t) * n), *cand = malloc(sizeof(uint32_t) * 2 * n), hist[3] = {1, 2, 3};
        float *os = malloc(sizeof(float) * n);
        for (uint32_t i = 0; i < 2 * n; i++) cand[i] = (i * 7) % n;
        size_t on = 0;
        memcom_topk_opts o = {10, hist, 3, NULL, 0, 1, 0};
        CHECK(memcom_recommend(fm.m, hist, 3, &o, oi, os, &on) == 0);
        CHECK(memcom_recommend_two_stage(fm.m, hist, 3, &o, 100, oi, os, &on) == 0);
        o.k = n;
        o.candidates = cand;
        o.n_candidates = 2 * n;
        CHECK(memcom_recommend(fm.m, hist, 3, &o, oi, os, &on) == 0);
        CHECK(memcom_rerank(fm.m, hist, 3, cand, 2 * n, n, oi, os, &on) == 0);
        CHECK(memcom_rank_scores(fm.m, hist, 3, cand, n, os) == 0);
        size_t used = heap_used() - h0 - file;
        CHECK_MSG(used <= info.working_bytes, "ranker %d: ranking allocated %zu bytes, working_bytes says %llu", c, used,
                  (unsigned long long)info.working_bytes);
        CHECK_MSG(info.working_bytes <= 4 * used + 64 * 1024, "ranker %d: working_bytes %llu for %zu used", c,
                  (unsigned long long)info.working_bytes, used);
        free(oi);
        free(cand);
        free(os);
        f_model_free(&fm);
    }
}

/* memcom_info.working_bytes bounds what opening and then every ranking
 * function allocate (all lazy structures built: marks, hash buckets, norms,
 * pre-ranking and its int8 copy, bucket bounds with item lists), for each
 * table kind, row type, bucket mode, with and without bias, int8 index and
 * bucket bounds; and opening allocates nothing per item (O(file)), and
 * after memcom_prepare (within working_bytes) top-k allocates nothing. */
static void test_working_bytes(void)
{
    size_t p0 = heap_used();
    char *volatile probe = malloc(1 << 20); /* volatile: the pair is not optimised away */
    size_t p1 = heap_used();
    free(probe);
    if (p1 - p0 < (1 << 20)) return; /* this malloc is not counted (ASan): nothing to measure */
    struct { uint32_t kind, n, m, d, row, scalar, bucket, bdtype; int bias; } C[] = {
        {MEMCOM_KIND_FULL, 3000, 3000, 16, MEMCOM_DTYPE_F32, 0, 0, 0, 1},
        {MEMCOM_KIND_FULL, 3000, 3000, 16, MEMCOM_DTYPE_F16, 0, 0, 0, 0},
        {MEMCOM_KIND_FULL, 3000, 3000, 16, MEMCOM_DTYPE_I8, 0, 0, 0, 1},
        {MEMCOM_KIND_HASH, 5000, 100, 16, MEMCOM_DTYPE_F32, 0, MEMCOM_BUCKET_MOD, 0, 0},
        {MEMCOM_KIND_HASH, 5000, 100, 16, MEMCOM_DTYPE_F16, 0, MEMCOM_BUCKET_HASH, 0, 1},
        {MEMCOM_KIND_MEMCOM, 5000, 100, 16, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U16, 1},
        {MEMCOM_KIND_MEMCOM, 5000, 100, 16, MEMCOM_DTYPE_I8, MEMCOM_DTYPE_F16, MEMCOM_BUCKET_HASH, 0, 1},
        {MEMCOM_KIND_MEMCOM, 5000, 100, 600, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, 0, 0},
        {MEMCOM_KIND_QR, 5000, 80, 16, MEMCOM_DTYPE_F32, 0, 0, 0, 1},
    };
    for (size_t c = 0; c < sizeof C / sizeof C[0]; c++) {
        for (int off = 0; off < 2; off++) {
            f_model fm;
            memset(&fm, 0, sizeof fm);
            uint32_t n = C[c].n, d = C[c].d;
            f_table_make(&fm.out, f_desc(C[c].kind, n, C[c].m, d, C[c].row, C[c].scalar, C[c].bucket, C[c].bdtype, C[c].bucket == MEMCOM_BUCKET_HASH ? 0x5eed : 0), 40 + c);
            if (C[c].bias) {
                fm.bias = malloc(sizeof(float) * n);
                for (uint32_t i = 0; i < n; i++) fm.bias[i] = (float)(i % 9) / 16.0f;
                fm.data.output_bias = fm.bias;
                fm.data.bias_dtype = MEMCOM_DTYPE_F32;
            }
            size_t k_all = n, nex = 40;
            uint32_t *oi = malloc(sizeof(uint32_t) * k_all), ex[40], cand[40];
            float *os = malloc(sizeof(float) * k_all), *scores = malloc(sizeof(float) * n), *v = malloc(sizeof(float) * d);
            for (uint32_t j = 0; j < d; j++) v[j] = (float)((int)(j % 7) - 3) / 4.0f;
            for (size_t q = 0; q < nex; q++) ex[q] = cand[q] = (uint32_t)(q * 37 % n);
            size_t h0 = heap_used();
            CHECK(f_model_build(&fm) == 0);
            if (!fm.m) goto next;
            size_t h_open = heap_used();
            if (off) {
                memcom_set_int8_index(fm.m, 0);
                memcom_set_bucket_bounds(fm.m, 0);
            }
            memcom_info info;
            CHECK(memcom_get_info(fm.m, &info) == 0);
            /* opening allocates O(d + m) scratch besides the file (written
             * into memory by f_model_build), nothing per item */
            size_t file = (size_t)info.file_bytes;
            CHECK_MSG(h_open - h0 - file < 64 * 1024 + 8 * ((size_t)C[c].m + d), "case %zu: open took %zu bytes", c, h_open - h0 - file);
            size_t on = 0;
            /* memcom_prepare builds what whole-catalogue top-k needs: the
             * first one (k <= 128, with or without exclusions) then allocates
             * nothing, and gives what it gives on a model not prepared */
            CHECK_CODE(memcom_prepare(fm.m), MEMCOM_OK);
            size_t h_prep = heap_used();
            CHECK_MSG(h_prep - h0 - file <= info.working_bytes, "case %zu off %d: prepare allocated %zu bytes", c, off, h_prep - h0 - file);
            CHECK_CODE(memcom_prepare(fm.m), MEMCOM_OK); /* once */
            CHECK(heap_used() == h_prep);
            /* memcom_prepare_bytes, from the header alone, bounds what
             * prepare allocated, within working_bytes */
            uint64_t pb = 0;
            CHECK_CODE(memcom_prepare_bytes(fm.bytes, 256, fm.size, !off, !off, &pb), MEMCOM_OK);
            CHECK_MSG(h_prep - h_open <= pb, "case %zu off %d: prepare allocated %zu bytes, prepare_bytes says %llu", c, off,
                      h_prep - h_open, (unsigned long long)pb);
            CHECK_MSG(pb <= info.working_bytes, "case %zu off %d: prepare_bytes %llu", c, off, (unsigned long long)pb);
            /* a table that stores nothing per item (n not bounded by the
             * file): prepare leaves everything to the first ranking */
            int per_item = C[c].bias || C[c].kind == MEMCOM_KIND_FULL || C[c].kind == MEMCOM_KIND_MEMCOM ||
                           C[c].bucket == MEMCOM_BUCKET_EXPLICIT;
            if (!per_item) CHECK_MSG(h_prep == h_open, "case %zu: prepare allocated %zu bytes", c, h_prep - h_open);
            if (!per_item) CHECK(pb == 0);
            if (per_item) {
                memcom_topk_opts o1 = {10, ex, nex, NULL, 0, 1, 0};
                CHECK(memcom_topk_vector(fm.m, v, d, &o1, oi, os, &on) == 0);
                o1.k = 128;
                o1.n_exclude = 0;
                CHECK(memcom_topk_vector(fm.m, v, d, &o1, oi, os, &on) == 0);
                CHECK_MSG(heap_used() == h_prep, "case %zu off %d: the first top-k after memcom_prepare allocated %zu bytes", c, off,
                          heap_used() - h_prep);
            }
            size_t ks[] = {10, 100, 5000, k_all};
            for (size_t q = 0; q < 4; q++) {
                memcom_topk_opts o = {ks[q], q == 1 ? ex : NULL, q == 1 ? nex : 0, NULL, 0, 1, 0};
                CHECK(memcom_topk_vector(fm.m, v, d, &o, oi, os, &on) == 0);
                o.cosine = q == 0;
                CHECK(memcom_topk_vector(fm.m, v, d, &o, oi, os, &on) == 0);
            }
            memcom_topk_opts oc = {10, ex, 3, cand, nex, 1, 0};
            CHECK(memcom_topk_vector(fm.m, v, d, &oc, oi, os, &on) == 0);
            memcom_topk_opts os5 = {5, NULL, 0, NULL, 0, 0, 0};
            CHECK(memcom_similar(fm.m, 7, &os5, oi, os, &on) == 0);
            CHECK(memcom_score_vector(fm.m, v, d, scores) == 0);
            size_t used = heap_used() - h0 - file;
            CHECK_MSG(used <= info.working_bytes, "case %zu off %d: ranking allocated %zu bytes, working_bytes says %llu", c, off,
                      used, (unsigned long long)info.working_bytes);
            /* and it is an estimate, not a blanket: within 4x of what was used here */
            CHECK_MSG(info.working_bytes <= 4 * used + 64 * 1024, "case %zu off %d: working_bytes %llu for %zu used", c, off,
                      (unsigned long long)info.working_bytes, used);
        next:
            free(oi); free(os); free(scores); free(v);
            f_model_free(&fm);
        }
    }
}

/* memcom_prepare_bytes reads the header only: TRUNCATED before all of it is
 * there, the header's own errors (as opening reports them), and the same
 * figure from the first 256 bytes as from the whole file */
static void test_prepare_bytes_header(void)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_MEMCOM, 4000, 100, 16, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_EXPLICIT,
                                 MEMCOM_DTYPE_U16, 0), 77);
    CHECK(f_model_build(&fm) == 0);
    if (!fm.m) { f_model_free(&fm); return; }
    uint64_t a = 1, b = 1, c = 1;
    CHECK_CODE(memcom_prepare_bytes(fm.bytes, 255, fm.size, 1, 1, &a), MEMCOM_E_TRUNCATED);
    CHECK(a == 0);
    CHECK_CODE(memcom_prepare_bytes(fm.bytes, 256, fm.size, 1, 1, &a), MEMCOM_OK);
    CHECK_CODE(memcom_prepare_bytes(fm.bytes, fm.size, fm.size, 1, 1, &b), MEMCOM_OK);
    CHECK(a == b && a > 0);
    CHECK_CODE(memcom_prepare_bytes(fm.bytes, 256, fm.size, 0, 0, &c), MEMCOM_OK);
    CHECK(c < a); /* without the int8 copy and the bounds: the marks */
    /* the header's errors: the file's size it declares, and its CRC */
    CHECK_CODE(memcom_prepare_bytes(fm.bytes, 256, fm.size + 64, 1, 1, &a), MEMCOM_E_FILE_SIZE);
    CHECK_CODE(memcom_prepare_bytes(NULL, 256, fm.size, 1, 1, &a), MEMCOM_E_ARG);
    CHECK_CODE(memcom_prepare_bytes(fm.bytes, 256, fm.size, 1, 1, NULL), MEMCOM_E_ARG);
    uint8_t *copy = malloc(256);
    memcpy(copy, fm.bytes, 256);
    copy[100] ^= 1;
    CHECK_CODE(memcom_prepare_bytes(copy, 256, fm.size, 1, 1, &a), MEMCOM_E_HEADER_CRC);
    CHECK(a == 0);
    free(copy);
    f_model_free(&fm);
}

/* Minor page faults of this process so far (Linux), or -1 */
static long page_faults(void)
{
#ifdef __linux__
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) == 0) return u.ru_minflt;
#endif
    return -1;
}

/* After memcom_prepare, the first top-k writes no memory that was never
 * written before (each such page costs a page fault, in WebAssembly too):
 * the scratch rankings write (the m bucket values, the bounds, seeds and
 * candidates) is touched when allocated.  A table whose scratch is larger
 * than malloc's mmap threshold (m = 65536: 256 KiB per array), so that it
 * comes fresh from the system; f32 rows (with their int8 copy) and int8
 * rows, i mod m and explicit buckets, with signs of w mixed (parts). */
static void test_first_ranking_faults(void)
{
    if (page_faults() < 0) return;
    const uint32_t rows[2] = {MEMCOM_DTYPE_F32, MEMCOM_DTYPE_I8}, modes[2] = {MEMCOM_BUCKET_MOD, MEMCOM_BUCKET_EXPLICIT};
    for (int c = 0; c < 4; c++) {
        uint32_t n = 1u << 18, m = 1u << 16, d = 8, mode = modes[c & 1];
        f_model fm;
        memset(&fm, 0, sizeof fm);
        f_table_make(&fm.out, f_desc(MEMCOM_KIND_MEMCOM, n, m, d, rows[c >> 1], MEMCOM_DTYPE_F32, mode,
                                     mode == MEMCOM_BUCKET_EXPLICIT ? MEMCOM_DTYPE_U32 : 0, 0), 90 + c);
        fm.bias = malloc(sizeof(float) * n);
        for (uint32_t i = 0; i < n; i++) fm.bias[i] = (float)(i % 13) / 64.0f;
        fm.data.output_bias = fm.bias;
        fm.data.bias_dtype = MEMCOM_DTYPE_F32;
        CHECK(f_model_build(&fm) == 0);
        if (!fm.m) { f_model_free(&fm); continue; }
        float v[8] = {0.5f, -0.25f, 1.0f, 0.125f, -0.75f, 0.375f, 0.0625f, -1.0f};
        uint32_t oi[10], ex[3] = {1, 5, 9};
        float os[10];
        size_t on = 0;
        memcom_topk_opts o = {10, ex, 3, NULL, 0, 1, 0};
        CHECK_CODE(memcom_prepare(fm.m), MEMCOM_OK);
        long f0 = page_faults();
        CHECK_CODE(memcom_topk_vector(fm.m, v, d, &o, oi, os, &on), MEMCOM_OK);
        long faults = page_faults() - f0;
        /* untouched, the bucket values and bounds alone are 128 pages */
        CHECK_MSG(faults <= 8, "case %d: the first top-k after memcom_prepare took %ld page faults", c, faults);
        CHECK(on == 10);
        f_model_free(&fm);
    }
}

/* memcom_warm_up ranks its built-in tables and frees all it allocated: the
 * heap does not grow over repeated calls (glibc counts the small blocks
 * it keeps for reuse as in use, so the first call may leave a few KB
 * counted; its tables alone are about 600 KB, freed) */
static void test_warm_up(void)
{
    CHECK_CODE(memcom_warm_up(), MEMCOM_OK);
    size_t h1 = heap_used();
    for (int i = 0; i < 20; i++) CHECK_CODE(memcom_warm_up(), MEMCOM_OK);
    size_t h2 = heap_used();
    CHECK_MSG(h2 <= h1 + 1024, "20 calls of memcom_warm_up: the heap grew by %zu bytes", h2 - h1);
}

void test_model(void)
{
    test_warm_up();
    test_recommender();
    test_working_bytes();
    test_ranker_working_bytes();
    test_first_ranking_faults();
    test_prepare_bytes_header();
    test_memcom_vs_full();
    /* a table file has no input table */
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_FULL, 10, 10, 4, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 1);
    CHECK(f_model_build(&fm) == 0);
    float u[4];
    uint32_t h = 1, oi[3];
    float os[3];
    size_t on;
    memcom_topk_opts o = {3, NULL, 0, NULL, 0, 1, 0};
    CHECK_CODE(memcom_user_vector(fm.m, &h, 1, u), MEMCOM_E_NO_TABLE);
    CHECK_CODE(memcom_recommend(fm.m, &h, 1, &o, oi, os, &on), MEMCOM_E_NO_TABLE);
    CHECK_CODE(memcom_find_id(fm.m, "a", 1, &h), MEMCOM_E_NO_IDS);
    const char *s;
    size_t len;
    CHECK_CODE(memcom_get_id(fm.m, 0, &s, &len), MEMCOM_E_NO_IDS);
    size_t ml = 99;
    memcom_metadata(fm.m, &ml);
    CHECK(ml == 0);
    f_model_free(&fm);
}
