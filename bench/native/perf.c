/*
 * bench/native/perf.c - quick native timings of the calls `npm run bench`
 * does not time natively: writing a large memcom/memcom model, opening it
 * (read + validate, and validate alone from memory), scoring every item,
 * top-10, recommend and similar items.  Not part of the test run or of
 * docs/BENCHMARKS.md; a tool for looking at one change.
 *
 *   bash build.sh native
 *   cc -O2 -std=c11 -Isrc bench/native/perf.c build/libmemcom.a -lm -o build/perf
 *   build/perf OUT.memcom [n] [d] [ratio] [row dtype 1|2|3] [ids 0|1]
 *
 * The top-10 is checked against the top 10 of memcom_score_vector's scores
 * (a plain scan with no pre-ranking or bucket bounds) before it is timed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memcom.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t st = 88172645463325252ull;
static float frand(void)
{
    st ^= st << 13; st ^= st >> 7; st ^= st << 17;
    return (float)((st >> 11) * (1.0 / 9007199254740992.0) * 2 - 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.memcom [n] [d] [ratio] [row dtype 1|2|3] [ids 0|1]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 1000000, d = argc > 3 ? (uint32_t)atoi(argv[3]) : 64;
    uint32_t ratio = argc > 4 ? (uint32_t)atoi(argv[4]) : 16, row = argc > 5 ? (uint32_t)atoi(argv[5]) : 1;
    int with_ids = argc > 6 ? atoi(argv[6]) : 1;
    if (n < 1 || d < 1 || d > 4096 || ratio < 1 || ratio >= d || row < 1 || row > 3) {
        fprintf(stderr, "need n >= 1, 1 <= d <= 4096, 1 <= ratio < d, row dtype 1 (f32), 2 (f16) or 3 (i8)\n");
        return 2;
    }
    /* memcom at ratio R: m d + n scalars = n d / R (docs/METHOD.md) */
    uint32_t m = (uint32_t)((double)n * ((double)d / ratio - 1) / d);
    if (m < 1) m = 1;
    printf("n=%u d=%u ratio=%u m=%u row_dtype=%u\n", n, d, ratio, m, row);
    float *U = malloc(sizeof(float) * m * d), *U2 = malloc(sizeof(float) * m * d), *w = malloc(sizeof(float) * n),
          *w2 = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n), *W = malloc(sizeof(float) * d * d);
    for (size_t i = 0; i < (size_t)m * d; i++) { U[i] = frand(); U2[i] = frand(); }
    for (uint32_t i = 0; i < n; i++) { w[i] = frand(); w2[i] = frand(); bias[i] = frand() * 0.1f; }
    for (uint32_t i = 0; i < d * d; i++) W[i] = frand() * 0.2f;
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    memcom_table_desc desc = {MEMCOM_KIND_MEMCOM, n, m, d, row, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD, 0, 0};
    md.input.desc = desc;
    md.input.rows_a = U;
    md.input.scalars = w;
    md.output.desc = desc;
    md.output.rows_a = U2;
    md.output.scalars = w2;
    memcom_layer_data L = {d, d, MEMCOM_ACT_TANH, W, NULL};
    md.layers = &L;
    md.n_layers = 1;
    md.output_bias = bias;
    md.bias_dtype = MEMCOM_DTYPE_F32;
    char **ids = NULL;
    if (with_ids) {
        ids = malloc(sizeof(char *) * n);
        for (uint32_t i = 0; i < n; i++) {
            ids[i] = malloc(16);
            snprintf(ids[i], 16, "item%u", (i * 2654435761u) % 100000000u);
        }
        md.ids = (const char *const *)ids;
    }
    md.metadata_json = "{\"dataset\":\"synthetic\"}";
    char detail[256];
    double t0 = now();
    int rc = memcom_write_file(&md, path, detail, sizeof detail);
    if (rc) { printf("write: %s %s\n", memcom_error_name(rc), detail); return 1; }
    printf("write: %.1f ms\n", (now() - t0) * 1e3);

    memcom_model *model;
    t0 = now();
    rc = memcom_open_file(&model, path, 0, detail, sizeof detail);
    if (rc) { printf("open: %s %s\n", memcom_error_name(rc), detail); return 1; }
    printf("open_file (read+validate): %.1f ms\n", (now() - t0) * 1e3);
    memcom_info info;
    memcom_get_info(model, &info);
    printf("file %.1f MB\n", info.file_bytes / 1e6);
    memcom_close(model);
    /* validation only, from memory */
    FILE *f = fopen(path, "rb");
    void *buf = memcom_malloc(info.file_bytes);
    if (fread(buf, 1, info.file_bytes, f) != info.file_bytes) return 1;
    fclose(f);
    double best = 1e9;
    for (int it = 0; it < 5; it++) {
        t0 = now();
        rc = memcom_open(&model, buf, info.file_bytes, 0, 0, detail, sizeof detail);
        double t = now() - t0;
        if (rc) { printf("open: %s %s\n", memcom_error_name(rc), detail); return 1; }
        if (t < best) best = t;
        memcom_close(model);
    }
    printf("open from memory (validate): %.1f ms (%.2f GB/s)\n", best * 1e3, info.file_bytes / best / 1e9);
    rc = memcom_open(&model, buf, info.file_bytes, 0, 0, detail, sizeof detail);
    if (rc) { printf("open: %s %s\n", memcom_error_name(rc), detail); return 1; }

    float *v = malloc(sizeof(float) * d), *scores = malloc(sizeof(float) * n);
    uint32_t idx[10];
    float sc[10];
    size_t got;
    memcom_topk_opts o = {10, NULL, 0, NULL, 0, 1, 0};
    /* answer check: top-10 of the plain scan (score all, bias included) */
    for (uint32_t j = 0; j < d; j++) v[j] = frand();
    rc = memcom_score_vector(model, v, d, scores);
    if (!rc) rc = memcom_topk_vector(model, v, d, &o, idx, sc, &got);
    if (rc) { printf("score/top-k: %s\n", memcom_error_name(rc)); return 1; }
    {
        uint32_t ref[10];
        size_t nref = n < 10 ? n : 10;
        for (size_t q = 0; q < nref; q++) { /* selection: descending score, ties lower index */
            uint32_t bi = UINT32_MAX;
            for (uint32_t i = 0; i < n; i++) {
                int taken = 0;
                for (size_t p = 0; p < q; p++) taken |= ref[p] == i;
                if (!taken && (bi == UINT32_MAX || scores[i] > scores[bi])) bi = i;
            }
            ref[q] = bi;
        }
        int ok = got == nref;
        for (size_t q = 0; ok && q < nref; q++) ok = idx[q] == ref[q] && sc[q] == scores[ref[q]];
        printf("top-10 check against the plain scan: %s\n", ok ? "ok" : "MISMATCH");
        if (!ok) return 1;
    }
    int reps = 30;
    best = 1e9;
    for (int it = 0; it < reps; it++) {
        for (uint32_t j = 0; j < d; j++) v[j] = frand();
        t0 = now();
        memcom_topk_vector(model, v, d, &o, idx, sc, &got);
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("top-10 (memcom, bias): best %.3f ms = %.0f M items/s\n", best * 1e3, n / best / 1e6);
    best = 1e9;
    for (int it = 0; it < 10; it++) {
        t0 = now();
        memcom_score_vector(model, v, d, scores);
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("score all: best %.3f ms\n", best * 1e3);
    uint32_t hist[20];
    for (int k = 0; k < 20; k++) hist[k] = (uint32_t)(k * 7919) % n;
    o.exclude = hist;
    o.n_exclude = 20;
    best = 1e9;
    for (int it = 0; it < 10; it++) {
        t0 = now();
        memcom_recommend(model, hist, 20, &o, idx, sc, &got);
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("recommend (20 history): best %.3f ms\n", best * 1e3);
    t0 = now();
    memcom_similar(model, 5, &o, idx, sc, &got);
    printf("similar first call (norms): %.3f ms\n", (now() - t0) * 1e3);
    best = 1e9;
    for (int it = 0; it < 10; it++) {
        t0 = now();
        memcom_similar(model, (uint32_t)it * 101, &o, idx, sc, &got);
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("similar: best %.3f ms\n", best * 1e3);
    memcom_close(model);
    memcom_free(buf);
    return 0;
}
