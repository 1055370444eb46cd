/*
 * bench/native/bench.c - time memcom's top-k natively, on the same model
 * file, query vector and history as the wasm and JS rows of the benchmark.
 *
 *   bench MODEL.memcom VECTOR.f32 HISTORY.u32 K BUDGET_MS
 *
 * VECTOR.f32: d little-endian floats; HISTORY.u32: the items to exclude.
 * Prints one JSON object: kernel, median/p10/p90 milliseconds per query,
 * the number of samples, and the top-k indices (for the answer check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memcom.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)len;
    return buf;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s MODEL VECTOR.f32 HISTORY.u32 K BUDGET_MS\n", argv[0]);
        return 2;
    }
    size_t k = (size_t)atoi(argv[4]);
    double budget = atof(argv[5]);
    char detail[256] = "";
    memcom_model *model = NULL;
    int rc = memcom_open_file(&model, argv[1], 0, detail, sizeof detail);
    if (rc != MEMCOM_OK) {
        fprintf(stderr, "open %s: %s (%s)\n", argv[1], memcom_error_name(rc), detail);
        return 1;
    }
    size_t vec_bytes = 0, hist_bytes = 0;
    float *vec = read_all(argv[2], &vec_bytes);
    uint32_t *hist = read_all(argv[3], &hist_bytes);
    if (!vec || !hist) {
        fprintf(stderr, "cannot read the vector or the history\n");
        return 1;
    }
    memcom_topk_opts opts = {0};
    opts.k = k;
    opts.exclude = hist;
    opts.n_exclude = hist_bytes / 4;
    opts.use_bias = 1;
    uint32_t *idx = malloc(k * sizeof *idx);
    float *score = malloc(k * sizeof *score);
    size_t n_out = 0;
    size_t dim = vec_bytes / 4;

    /* warm-up: at least 3 queries and 1/4 of the budget */
    double t0 = now_ms();
    for (int i = 0; i < 3 || (i < 50 && now_ms() - t0 < budget / 4); i++) {
        rc = memcom_topk_vector(model, vec, dim, &opts, idx, score, &n_out);
        if (rc != MEMCOM_OK) {
            fprintf(stderr, "topk: %s\n", memcom_error_name(rc));
            return 1;
        }
    }
    size_t cap = 100000, count = 0;
    double *samples = malloc(cap * sizeof *samples);
    double start = now_ms();
    while (count < cap && (count < 7 || now_ms() - start < budget)) {
        double a = now_ms();
        memcom_topk_vector(model, vec, dim, &opts, idx, score, &n_out);
        samples[count++] = now_ms() - a;
    }
    qsort(samples, count, sizeof *samples, cmp_double);
    printf("{\"kernel\":\"%s\",\"median\":%.6f,\"p10\":%.6f,\"p90\":%.6f,\"samples\":%zu,\"top\":[",
           memcom_kernel_name(), samples[count / 2], samples[count / 10], samples[count * 9 / 10], count);
    for (size_t i = 0; i < n_out; i++) printf("%s%u", i ? "," : "", idx[i]);
    printf("]}\n");
    memcom_close(model);
    free(samples);
    free(idx);
    free(score);
    free(vec);
    free(hist);
    return 0;
}
