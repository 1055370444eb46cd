/*
 * bounds_stats.c - how much the per-bucket score bounds (src/engine/bounds.c) skip
 * on a model: top-10 for seeded queries, then the library's own counters:
 * how many rankings finished by bucket (the others scanned every item: the
 * bounds pruned too little, and after 4 such rankings in a row only every
 * 16th tries them), and how many items those scored; and the mean time
 * per ranking with the bounds on and off (native C, this build's kernels).
 *
 *   bounds_stats FILE [QUERIES]
 *
 * A model with an input table is queried through memcom_recommend with
 * histories of 10 items drawn from its 2,000 most popular (items are numbered
 * by popularity); a table file through memcom_topk_vector with vectors whose
 * components are sums of three uniforms (the benchmark's).  Both with the
 * int8 copy off, so every ranking is one pass.  Internal counters: links
 * src/model.h (bench/bounds.sh builds it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static uint64_t g_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    g_state = g_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_state >> 33);
}

/* top-10 for `queries` seeded queries; ms per query, -1 on an error */
static double run(memcom_model *m, const memcom_info *info, int queries, float *u)
{
    uint32_t n = info->n_items, d = info->output.d, idx[10];
    float sc[10];
    size_t got = 0;
    int rc = 0;
    g_state = 0x9e3779b97f4a7c15ull;
    double t0 = now_ms();
    for (int q = 0; q < queries; q++) {
        memcom_topk_opts o = {10, NULL, 0, NULL, 0, 1, 0};
        if (info->input.kind != MEMCOM_KIND_NONE) {
            uint32_t h[10];
            for (int j = 0; j < 10; j++) h[j] = rnd() % (n < 2000 ? n : 2000);
            o.exclude = h;
            o.n_exclude = 10;
            rc = memcom_recommend(m, h, 10, &o, idx, sc, &got);
        } else {
            for (uint32_t j = 0; j < d; j++) u[j] = (float)(((rnd() % 65536) + (rnd() % 65536) + (rnd() % 65536)) / 65536.0 - 1.5) * 2.0f;
            rc = memcom_topk_vector(m, u, d, &o, idx, sc, &got);
        }
        if (rc) {
            fprintf(stderr, "query %d: %s\n", q, memcom_error_name(rc));
            return -1;
        }
    }
    return (now_ms() - t0) / queries;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bounds_stats FILE [QUERIES]\n");
        return 2;
    }
    int queries = argc > 2 ? atoi(argv[2]) : 200;
    memcom_model *m = NULL;
    char detail[256];
    int rc = memcom_open_file(&m, argv[1], 0, detail, sizeof detail);
    if (rc) {
        fprintf(stderr, "%s: %s (%s)\n", argv[1], memcom_error_name(rc), detail);
        return 1;
    }
    memcom_info info;
    memcom_get_info(m, &info);
    memcom_set_int8_index(m, 0);
    uint32_t n = info.n_items;
    float *u = malloc(sizeof(float) * (info.output.d ? info.output.d : 1));
    if (!u) return 1;
    /* timed natively (native kernels), bounds off then on, the same queries */
    memcom_set_bucket_bounds(m, 0);
    double off = run(m, &info, queries, u);
    memcom_set_bucket_bounds(m, 1);
    double on = run(m, &info, queries, u);
    if (on < 0 || off < 0) return 1;
    const mcc_bounds *g = mcc_model_bounds(m);
    if (g->state != 1) {
        printf("| %s | %u | %u | bounds not used (table kind, or fewer than 2 items per bucket) | | | %.3f | %.3f |\n", argv[1], n,
               info.output.m, on, off);
    } else {
        uint64_t by_bucket = g->n_ranked - g->n_linear;
        printf("| %s | %u | %u | %llu of %d | %.0f | %.3f%% | %.3f | %.3f |\n", argv[1], n, info.output.m,
               (unsigned long long)by_bucket, queries, by_bucket ? (double)g->n_scored / (double)by_bucket : 0.0,
               by_bucket ? 100.0 * (double)g->n_scored / (double)by_bucket / n : 0.0, on, off);
    }
    free(u);
    memcom_close(m);
    return 0;
}
