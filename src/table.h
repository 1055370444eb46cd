/*
 * table.h - the item table kinds (full, hash, qr, memcom) over validated views
 * (format/view.h): bucket mapping, lookup, norms and scoring.  Scores come out
 * in blocks for the ranking engine (engine/) above.
 */
#ifndef MEMCOM_TABLE_H
#define MEMCOM_TABLE_H

#include "format/view.h"

#define MC_BLOCK 1024u     /* items scored per block in a scan */

uint32_t mcc_table_bucket(const mcc_table *t, uint32_t i);
/* the bucket of item i, from the materialised hash buckets when there are some */
static inline uint32_t mcc_bucket_of(const mcc_table *t, const uint32_t *hash_b, uint32_t i)
{
    return hash_b ? hash_b[i] : mcc_table_bucket(t, i);
}
/* items [i0, i0 + len) of a per-item f32/f16 array (scalars, output bias;
 * finite, as validated): x itself when f32, else decoded into buf (len
 * floats); NULL for any other dtype */
const float *mcc_f32_run(const void *x, uint32_t dtype, size_t i0, size_t len, float *buf);
/* row r (< rows of A) of the A table, decoded to f32 into out (d floats):
 * for hash and memcom the shared row of bucket r */
void mcc_table_row(const mcc_table *t, uint32_t r, float *out);
/* Reads every cache line of the rows (and memcom scalars) that items[0 ..
 * n) use, and returns a sum of what it read, for the caller to keep: a
 * prefetch, for a loop about to visit items scattered over a large table
 * (independent loads, so the processor overlaps their cache misses, where the
 * loop that computes would wait for them one at a time).  Full, hash and
 * memcom tables; 0 for the others. */
float mcc_table_touch(const mcc_table *t, const uint32_t *hash_b, const uint32_t *items, size_t n);
/* the embedding of item i into out (d floats); tmp has d floats */
void mcc_table_lookup(const mcc_table *t, uint32_t i, float *out, float *tmp);

/* A query quantised for approximate scoring on int8 rows (the pre-ranking of
 * engine/prerank.h fills it): row r . v ~ q8_scale[r] * sv * (q8 row r . vq) */
typedef struct mcc_qquery {
    const int8_t *q8;         /* int8 rows (rows of A x d) */
    const float *q8_scale;
    const int16_t *vq;        /* the quantised query (d) */
    float sv;                 /* v ~ sv * vq */
} mcc_qquery;

typedef struct mcc_scorer {
    const mcc_table *t;
    const float *v;           /* the query vector (d floats) */
    float *tvals;             /* hash/memcom: U[j] . v for j < m */
    float *p;                 /* qr: Q[cur_q] (.) v, d floats */
    uint32_t cur_q;           /* qr: quotient held in p, UINT32_MAX none */
    const uint32_t *hash_b;   /* hash buckets materialised (n) or NULL */
    float *tt_buf, *w_buf;    /* MC_BLOCK floats each */
    float *tmp;               /* d floats */
    const mcc_qquery *q;      /* set: blocks scored approximately on q (full, hash, memcom), else exactly */
} mcc_scorer;

/* full-scan preparation (hash/memcom: computes tvals) */
void mcc_scorer_prepare(mcc_scorer *s);
/* items [i0, i0+len), len <= MC_BLOCK: *w (may be NULL) and *tt such that the
 * raw score of item i0+j is (w ? w[j] : 1) * tt[j]. */
void mcc_scorer_block(mcc_scorer *s, uint32_t i0, uint32_t len, const float **w, const float **tt);
/* raw score of one item without preparation (same value as the block path) */
float mcc_scorer_one(mcc_scorer *s, uint32_t i);
/* row r of the table's rows (A: full rows, or the shared rows of hash/memcom)
 * . v, exactly as the block path computes it (for hash/memcom: tvals[r] of
 * the exact mcc_scorer_prepare) */
float mcc_scorer_row(const mcc_scorer *s, uint32_t r);
/* 1 / |E_i| (0 for a zero embedding) for every item; tmp has 2*d floats,
 * rowbuf m floats (hash/memcom) */
void mcc_table_inv_norms(const mcc_table *t, const uint32_t *hash_b, float *inv, float *tmp, float *rowbuf);

#endif
