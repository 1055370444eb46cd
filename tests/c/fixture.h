/* fixture.h - building exact test tables/models and brute-force references. */
#ifndef MEMCOM_FIXTURE_H
#define MEMCOM_FIXTURE_H

#include "test.h"

typedef struct f_table {
    memcom_table_data data;
    float *a, *b, *w;
    uint32_t *buckets;
    float *E;                 /* reference embeddings n x d */
} f_table;

typedef struct f_model {
    memcom_model_data data;
    f_table in, out;
    float *bias;
    memcom_layer_data layers[4];
    float *lw[4], *lb[4];
    memcom_layer_data head[4];  /* a ranker's head (data.n_head_layers of them) */
    float *hw[4], *hb[4];
    char **ids;
    void *bytes;
    size_t size;
    memcom_model *m;
} f_model;

/* exact (dyadic) table data for a description; seed picks the values */
void f_table_make(f_table *t, memcom_table_desc desc, uint64_t seed);
void f_table_free(f_table *t);
uint32_t f_ref_bucket(const memcom_table_desc *d, const uint32_t *explicit_b, uint32_t i);

/* a table file (output table + bias) written to memory and opened (NULL on
 * failure, counted as a failed check); free *bytes after closing */
memcom_model *f_open_output(const memcom_table_data *out, const float *bias, uint32_t bias_dtype, void **bytes);

/* a ranker's head for output dimension d: n_head layers 3d -> widths[0] ->
 * ... -> 1 (widths[n_head - 1] must be 1), relu between, the last linear;
 * weights and biases k/64 with |k| <= 16 (seed picks them) */
void f_head_make(f_model *fm, uint32_t d, const uint32_t *widths, uint32_t n_head, uint64_t seed);

/* serialise + open; returns the code */
int f_model_build(f_model *fm);
void f_model_free(f_model *fm);

/* reference: scores[i] = E[i] . v (+ bias) in double, rounded to float */
void f_ref_scores(const f_table *t, const float *bias, const float *v, float *scores);
/* brute force top-k over eligible items (exclude/candidates), ties by index */
size_t f_ref_topk(const float *scores, uint32_t n, size_t k, const uint32_t *excl, size_t n_excl,
                  const uint32_t *cand, size_t n_cand, uint32_t *out_idx, float *out_score);

/* the file's bytes streamed in as the JavaScript loader streams them: a
 * 64-byte aligned buffer filled chunk by chunk (the rest holds garbage until
 * its chunk arrives), memcom_crc_blocks_update after every chunk, then
 * memcom_open_ex with the blocks (borrowed bytes; closed at once).  chunk 0:
 * random chunk sizes from seed.  Returns the code, the detail in detail. */
int f_open_streamed(const void *bytes, size_t size, uint64_t max_bytes, size_t chunk, uint64_t seed, char *detail,
                    size_t cap);
/* 0 if the file gives the same code and detail streamed in chunks of 1, 100,
 * 4096 bytes and random sizes as opened whole (code whole_rc, detail
 * whole_detail); otherwise prints the first difference and returns 1 */
int f_stream_differs(const void *bytes, size_t size, uint64_t max_bytes, int whole_rc, const char *whole_detail);

memcom_table_desc f_desc(uint32_t kind, uint32_t n, uint32_t m, uint32_t d, uint32_t row, uint32_t scalar,
                         uint32_t bucket, uint32_t bucket_dtype, uint64_t seed);

#endif
