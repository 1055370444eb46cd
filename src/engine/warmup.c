/*
 * warmup.c - memcom_warm_up: runs the ranking engine on small built-in tables
 * (memcom kind, f32 and int8 rows, learned and i mod m buckets, with buckets
 * bounded whole and split by the sign of w (bounds.c): each path a table
 * takes, an output bias, exclusions), so that a runtime that compiles
 * code in tiers (WebAssembly engines: a quick baseline first, optimised code
 * once a function has run enough) has the ranking code optimised before the
 * first real ranking.  Measured in Node (V8): without it the first ranking of
 * a 1M-item 16x table after a fresh start takes 5-13 ms against about 1 ms
 * warm, with it (run when the runtime starts, before the file arrives) about
 * 1.5 ms (bench/first-ranking.js).  The answers are not used; natively it only
 * costs its time.
 */
#include "engine.h"

#define W_N 16384u /* items: 16 blocks of MC_BLOCK per pass */
#define W_M 1024u  /* shared rows: 16 items each, as a 16x table */
#define W_D 64u
#define W_K 10u
#define W_PASSES 12u /* rankings per table */

static uint32_t w_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 32);
}

/* a uniform float in [-1, 1) */
static float w_unit(uint64_t *s) { return (float)w_next(s) * 0x1p-31f - 1.0f; }

typedef struct w_data {
    float *rows, *scale, *w, *wpos, *bias, *v, *out_score; /* wpos: |w|, buckets of one sign (not split) */
    int8_t *q8;
    uint16_t *buckets;
    uint32_t *out_index, exclude[8];
} w_data;

static void w_free(w_data *x)
{
    memcom_free(x->rows);
    memcom_free(x->scale);
    memcom_free(x->w);
    memcom_free(x->wpos);
    memcom_free(x->bias);
    memcom_free(x->v);
    memcom_free(x->out_score);
    memcom_free(x->q8);
    memcom_free(x->buckets);
    memcom_free(x->out_index);
}

static int w_alloc(w_data *x)
{
    memset(x, 0, sizeof *x);
    x->rows = (float *)memcom_malloc(sizeof(float) * W_M * W_D);
    x->scale = (float *)memcom_malloc(sizeof(float) * W_M);
    x->w = (float *)memcom_malloc(sizeof(float) * W_N);
    x->wpos = (float *)memcom_malloc(sizeof(float) * W_N);
    x->bias = (float *)memcom_malloc(sizeof(float) * W_N);
    x->v = (float *)memcom_malloc(sizeof(float) * W_D);
    x->out_score = (float *)memcom_malloc(sizeof(float) * W_K);
    x->q8 = (int8_t *)memcom_malloc(W_M * W_D);
    x->buckets = (uint16_t *)memcom_malloc(sizeof(uint16_t) * W_N);
    x->out_index = (uint32_t *)memcom_malloc(sizeof(uint32_t) * W_K);
    if (!x->rows || !x->scale || !x->w || !x->wpos || !x->bias || !x->v || !x->out_score || !x->q8 || !x->buckets || !x->out_index) {
        w_free(x);
        return MEMCOM_E_NOMEM;
    }
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (uint32_t r = 0; r < W_M; r++) {
        x->scale[r] = 1.0f / 127.0f;
        for (uint32_t j = 0; j < W_D; j++) {
            int q = (int)(w_next(&s) % 255u) - 127;
            x->q8[r * W_D + j] = (int8_t)q;
            x->rows[r * W_D + j] = (float)q / 127.0f + 0.001f * w_unit(&s); /* off the int8 grid */
        }
    }
    for (uint32_t i = 0; i < W_N; i++) {
        uint32_t b = w_next(&s) % W_M;
        x->buckets[i] = (uint16_t)b;
        /* the first half of the buckets mix signs of w (bounded per sign) */
        float w = 0.5f + 0.5f * (w_unit(&s) + 1.0f);
        x->w[i] = b < W_M / 2 && (i & 1) ? -w : w;
        x->wpos[i] = w;
        x->bias[i] = 0.1f * w_unit(&s);
    }
    for (uint32_t e = 0; e < 8; e++) x->exclude[e] = w_next(&s) % W_N;
    return MEMCOM_OK;
}

/* W_PASSES rankings of one table, each with another query; mixed: half the
 * buckets mix signs of w (the bounds split them), else w > 0 */
static int w_rank(w_data *x, uint32_t row_dtype, uint32_t bucket_mode, int mixed)
{
    mcc_table t;
    memset(&t, 0, sizeof t);
    memcom_table_desc *td = &t.desc;
    td->kind = MEMCOM_KIND_MEMCOM;
    td->n = W_N;
    td->m = W_M;
    td->d = W_D;
    td->row_dtype = row_dtype;
    td->scalar_dtype = MEMCOM_DTYPE_F32;
    td->bucket_mode = bucket_mode;
    td->bucket_dtype = bucket_mode == MEMCOM_BUCKET_EXPLICIT ? MEMCOM_DTYPE_U16 : MEMCOM_DTYPE_NONE;
    t.rows_a = W_M;
    t.a = row_dtype == MEMCOM_DTYPE_I8 ? (const void *)x->q8 : (const void *)x->rows;
    t.a_scale = row_dtype == MEMCOM_DTYPE_I8 ? x->scale : NULL;
    t.w = mixed ? x->w : x->wpos;
    t.buckets = bucket_mode == MEMCOM_BUCKET_EXPLICIT ? x->buckets : NULL;
    mcc_engine e;
    memset(&e, 0, sizeof e);
    int rc = mcc_engine_init(&e, &t, x->bias, MEMCOM_DTYPE_F32);
    if (!rc) rc = mcc_engine_prepare(&e);
    uint64_t s = 0x2545f4914f6cdd1dull + row_dtype + bucket_mode;
    memcom_topk_opts o = {W_K, x->exclude, 8, NULL, 0, 1, 0};
    for (uint32_t p = 0; p < W_PASSES && !rc; p++) {
        for (uint32_t j = 0; j < W_D; j++) x->v[j] = w_unit(&s);
        /* f32 rows: the second half as if pre-ranking had stopped paying,
         * which ranks on bounds from the int8 copy (rank.c) */
        if (row_dtype == MEMCOM_DTYPE_F32 && p >= W_PASSES / 2) {
            e.pre.backoff.misses = MC_BACKOFF_MISSES;
            e.pre.backoff.skipped = 0;
        }
        size_t got = 0;
        rc = mcc_engine_topk(&e, x->v, W_D, &o, 1, 0, UINT32_MAX, x->out_index, x->out_score, &got);
    }
    mcc_engine_free(&e);
    return rc;
}

int memcom_warm_up(void)
{
    w_data x;
    int rc = w_alloc(&x);
    if (rc) return rc;
    /* each row dtype with each bucket mode, and each mode split and not */
    const uint32_t dtypes[] = {MEMCOM_DTYPE_F32, MEMCOM_DTYPE_I8};
    const uint32_t modes[] = {MEMCOM_BUCKET_EXPLICIT, MEMCOM_BUCKET_MOD};
    for (size_t a = 0; a < 2 && !rc; a++)
        for (size_t b = 0; b < 2 && !rc; b++) rc = w_rank(&x, dtypes[a], modes[b], a == b);
    w_free(&x);
    return rc;
}
