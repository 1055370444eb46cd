/*
 * engine.h - the ranking engine: scores the items of one table against a
 * query vector (table.h) and keeps the exact top k, with integer pre-ranking
 * (prerank.h) and per-bucket score bounds (bounds.h) as accelerators that
 * never change an answer.  rank.c is the driver, scan.c the passes over the
 * catalogue.  The model handle (model.c) owns one engine for its output table.
 */
#ifndef MEMCOM_ENGINE_H
#define MEMCOM_ENGINE_H

#include "bounds.h"
#include "prerank.h"
#include "topk.h"

typedef struct mcc_engine {
    /* what is ranked: the items of t, with an optional per-item bias */
    const mcc_table *t;
    uint32_t n;               /* items: t->desc.n */
    const void *bias;         /* NULL or n values of bias_dtype (f32 / f16) */
    uint32_t bias_dtype;
    float bias_scale;         /* this query's weight of the bias, in [0, 1]: 1 except within a top-k */
    /* scratch, allocated by mcc_engine_init */
    float *tvals;             /* m (hash/memcom) */
    float *p, *tmp, *qvec;    /* d, 2 d, d */
    float *tt_buf, *w_buf, *bias_buf, *out_buf; /* MC_BLOCK each */
    uint32_t *hits;           /* MC_BLOCK */
    /* computed on first use */
    uint32_t *bitmap;         /* n bits: exclusion / seen marks, all zero between calls */
    uint32_t *hash_b;         /* buckets for BUCKET_HASH (n) */
    float *inv_norm;          /* 1/|E[i]| (n) */
    mcc_prerank pre;          /* int8 (or int8-indexed) rows: integer pre-ranking */
    mcc_bounds bounds;        /* hash/memcom tables: per-bucket score bounds */
} mcc_engine;

/* e all zero (as calloc or mcc_engine_free leave it); t (n items) and bias
 * stay valid while e is used.  On failure e holds what it could allocate:
 * mcc_engine_free releases it */
int mcc_engine_init(mcc_engine *e, const mcc_table *t, const void *bias, uint32_t bias_dtype);
void mcc_engine_free(mcc_engine *e);
/* the n-bit marks (allocated zeroed on first use), NULL without memory */
uint32_t *mcc_engine_bitmap(mcc_engine *e);
/* The most memory e allocates (at init and on first use: marks, hash buckets,
 * norms, pre-ranking and its int8 copy, bucket bounds) with the current
 * int8-index and bucket-bound settings, besides the table; an upper bound
 * following the allocations of rank.c, prerank.c, bounds.c and scan.c
 * (tests/c/test_model.c checks it against what ranking really allocates). */
uint64_t mcc_engine_working_bytes(const mcc_engine *e);
/* memcom_prepare: builds now what the first whole-catalogue top-k would
 * (marks, hash buckets, bucket bounds, the int8 copy and room for k <=
 * MC_PREPARE_K), so that it costs what later ones do; only when the table
 * stores something per item (else a tiny file declaring a huge n would cost
 * O(n) before any ranking asked for it).  What cosine ranking needs (norms)
 * stays built on first use. */
#define MC_PREPARE_K 128u
int mcc_engine_prepare(mcc_engine *e);
/* What mcc_engine_prepare allocates at most, with the current settings (part
 * of mcc_engine_working_bytes); e needs only t, n, bias and the settings */
uint64_t mcc_engine_prepare_bytes(const mcc_engine *e);
/* memcom_set_int8_index (index: MC_INDEX_AUTO or _OFF; tests: _ALWAYS) /
 * memcom_set_bucket_bounds: the state is examined again on the next top-k */
void mcc_engine_set_int8_index(mcc_engine *e, int index);
void mcc_engine_set_bucket_bounds(mcc_engine *e, int enable);
/* scores[i] = E[i] . vec (+ bias[i]) for every item (memcom_score_vector) */
int mcc_engine_score(mcc_engine *e, const float *vec, size_t dim, float *scores);
/* 1 when every x[j] (j < n) is finite */
int mcc_all_finite(const float *x, size_t n);
/* MEMCOM_E_ARG for n > 0 and a NULL list, MEMCOM_E_INDEX for an entry >= limit */
int mcc_check_list(const uint32_t *list, size_t n, uint32_t limit);
/* out[j] = E[items[j]] . vec + bias[items[j]] (the values the top-k ranks
 * by; items < n, checked by the caller) */
int mcc_engine_score_items(mcc_engine *e, const float *vec, size_t dim, const uint32_t *items, size_t n_items, float *out);
/* exact top-k of E . vec (+ bias_w * bias; bias_w in [0, 1], 0 = no bias), or of the cosine; extra:
 * one more excluded item (UINT32_MAX: none).  As memcom_topk_vector. */
int mcc_engine_topk(mcc_engine *e, const float *vec, size_t dim, const memcom_topk_opts *o, float bias_w, int cosine,
                    uint32_t extra, uint32_t *out_index, float *out_score, size_t *n_out);

#endif
