/*
 * internal.h - structures shared by the reader, the table kinds and the model
 * (not part of the public API).  All pointers are views into validated file
 * bytes.
 */
#ifndef MEMCOM_INTERNAL_H
#define MEMCOM_INTERNAL_H

#include "memcom.h"
#include "base/base.h"

#define MC_MAX_LAYERS 16u
#define MC_MAX_DIM 4096u
#define MC_BLOCK 1024u     /* items scored per block in a scan */
#define MC_PRERANK_MAX_K 4096u /* larger k: int8 rows ranked in one exact pass */
#define MC_BOUNDS_MAX_SHARE 32u /* rank by bucket when at most n / this many items are left to score */
#define MC_BOUNDS_MISSES 4u     /* after this many rankings in a row the bounds could not prune, */
#define MC_BOUNDS_RETRY 16u     /* try them again only every this many rankings */

/* section types (FORMAT.md) */
enum {
    MC_SEC_ROWS_A = 1, MC_SEC_ROWS_B = 2, MC_SEC_SCALES_A = 3, MC_SEC_SCALES_B = 4,
    MC_SEC_ITEM_SCALARS = 5, MC_SEC_BUCKETS = 6, MC_SEC_LAYERS = 7, MC_SEC_LAYER_WEIGHT = 8,
    MC_SEC_LAYER_BIAS = 9, MC_SEC_OUTPUT_BIAS = 10, MC_SEC_ID_OFFSETS = 11, MC_SEC_ID_BYTES = 12,
    MC_SEC_ID_SORTED = 13, MC_SEC_METADATA = 14, MC_SEC_MAX = 14
};
#define MC_HEADER_SIZE 256u
#define MC_DIR_ENTRY 32u
#define MC_MAX_SECTIONS 1024u
#define MC_MAX_METADATA (16u << 20)
#define MC_LAYER_HAS_WEIGHT 1u
#define MC_LAYER_HAS_BIAS 2u

extern const uint8_t mcc_magic[8];
const char *mcc_section_name(uint32_t type);
size_t mcc_dtype_size(uint32_t dtype);

typedef struct mcc_table {
    memcom_table_desc desc;   /* kind NONE when absent */
    uint32_t rows_a;          /* rows of A: n, m or ceil(n/m) */
    const void *a, *b;        /* row tables (dtype desc.row_dtype) */
    const float *a_scale, *b_scale;
    const void *w;            /* per-item scalars (scalar_dtype) */
    const void *buckets;      /* explicit bucket indices (bucket_dtype) */
    uint64_t bytes;           /* stored bytes of every section of the table */
} mcc_table;

typedef struct mcc_layer {
    uint32_t in, out, flags, act;
    const float *w, *b;       /* NULL when absent */
} mcc_layer;

typedef struct mcc_view {
    uint32_t format_major, format_minor, n;
    mcc_table input, output;
    uint32_t n_layers;
    mcc_layer layers[MC_MAX_LAYERS];
    uint32_t bias_dtype;
    const void *bias;
    const uint32_t *id_off, *id_sorted;
    const uint8_t *id_bytes;
    const uint8_t *meta;
    size_t meta_len;
    uint64_t file_bytes, bias_bytes, layer_bytes, id_bytes_total, meta_bytes;
} mcc_view;

/* reader.c: validate everything, then fill the views.  data must be 4-byte
 * aligned (64 recommended). */
int mcc_read(const uint8_t *data, size_t size, uint64_t max_bytes, const memcom_crc_blocks *blocks, mcc_view *out,
            char *detail, size_t cap);

/* crc_blocks.c: CRC32 of data[off, off + size), from the blocks' CRCs where
 * they cover it (blocks may be NULL) */
#define MC_CRC_BLOCK 65536u
size_t mcc_crc_blocks_size(const memcom_crc_blocks *blocks); /* the file size it was made for */
uint32_t mcc_crc_range(const memcom_crc_blocks *blocks, const uint8_t *data, uint64_t off, uint64_t size);

/* table.c */
uint64_t mcc_table_rows_a(const memcom_table_desc *d);
uint32_t mcc_table_bucket(const mcc_table *t, uint32_t i);
/* the bucket of item i, from the materialised hash buckets when there are some */
static inline uint32_t mcc_bucket_of(const mcc_table *t, const uint32_t *hash_b, uint32_t i)
{
    return hash_b ? hash_b[i] : mcc_table_bucket(t, i);
}
void mcc_table_lookup(const mcc_table *t, uint32_t i, float *out, float *tmp);

typedef struct mcc_scorer {
    const mcc_table *t;
    const float *v;           /* the query vector (d floats) */
    float *tvals;             /* hash/memcom: U[j] . v for j < m */
    float *p;                 /* qr: Q[cur_q] (.) v, d floats */
    uint32_t cur_q;           /* qr: quotient held in p, UINT32_MAX none */
    const uint32_t *hash_b;   /* hash buckets materialised (n) or NULL */
    float *tt_buf, *w_buf;    /* MC_BLOCK floats each */
    float *tmp;               /* d floats */
    const struct mcc_prerank *pre; /* set: scored approximately on pre->q8 (prerank.c), else exactly */
} mcc_scorer;

/* full-scan preparation (hash/memcom: computes tvals) */
void mcc_scorer_prepare(mcc_scorer *s);
/* items [i0, i0+len), len <= MC_BLOCK: *w (may be NULL) and *tt such that the
 * raw score of item i0+j is (w ? w[j] : 1) * tt[j]. */
void mcc_scorer_block(mcc_scorer *s, uint32_t i0, uint32_t len, const float **w, const float **tt);
/* raw score of one item without preparation (same value as the block path) */
float mcc_scorer_one(mcc_scorer *s, uint32_t i);
/* 1 / |E_i| (0 for a zero embedding) for every item; tmp has 2*d floats,
 * rowbuf m floats (hash/memcom) */
void mcc_table_inv_norms(const mcc_table *t, const uint32_t *hash_b, float *inv, float *tmp, float *rowbuf);

/* prerank.c: integer pre-ranking of int8 row tables with a proven bound
 * |exact score - approximate score| <= delta, for exact top-k in two stages */
typedef struct mcc_prerank {
    int state;                /* 0 not examined, 1 usable, -1 not for this table */
    int no_index;             /* f32/f16 rows: do not build the int8 copy (memcom_set_int8_index) */
    const int8_t *q8;         /* the int8 rows pre-ranked on: the table's own, or own_q8 */
    const float *q8_scale;
    int8_t *own_q8;           /* f32/f16 rows: an int8 copy (rows x d) and its scales */
    float *own_scale;
    double rmax;              /* max |stored element - scale * q| (0 for int8 tables) */
    double amax, wmax, bmax;  /* max_r scale_r*sum|q_r|, max|w_i| (1 without), max|b_i| */
    double smin, smax;        /* smallest nonzero and largest row scale of q8 (smin inf: none) */
    int16_t *vq;              /* the quantised query (d) */
    float sv;                 /* v ~ sv * vq */
    double delta;             /* per query */
    uint32_t *cand_idx;       /* candidates: items whose approximate score may reach the top k */
    float *cand_score;
    size_t n_cand, cand_cap;
    uint64_t n_ranked, n_fallback; /* queries pre-ranked; of those, ranked again exactly */
} mcc_prerank;
/* examine the table once (state 1 for kinds full/hash/memcom; f32/f16 rows
 * get an int8 copy unless no_index) */
int mcc_prerank_init(mcc_prerank *p, const mcc_table *t, const void *bias, uint32_t bias_dtype, uint32_t n);
/* 1 when this query can be pre-ranked: quantises v, computes delta */
int mcc_prerank_query(mcc_prerank *p, const float *v, size_t d, int use_bias);
/* a float f <= theta - 2 delta: an approximate score below f cannot make the top k */
float mcc_prerank_floor(const mcc_prerank *p, float theta);
int mcc_prerank_reserve(mcc_prerank *p, size_t k);
/* append a candidate; 0 when the list is full even after dropping those below floor */
int mcc_prerank_add(mcc_prerank *p, uint32_t i, float s, float floor);
/* drop candidates below floor; returns how many remain */
size_t mcc_prerank_keep(mcc_prerank *p, float floor);
void mcc_prerank_free(mcc_prerank *p);
/* model.c: the model's pre-ranking state (for tests) */
const mcc_prerank *mcc_model_prerank(const memcom_model *m);

/* bounds.c: per-bucket score bounds for hash/memcom output tables, so top-k
 * skips the buckets none of whose items can reach it */
typedef struct mcc_bounds {
    int state;                /* 0 not examined, 1 usable, -1 not for this table */
    int off;                  /* memcom_set_bucket_bounds(model, 0) */
    float *wmax, *wmin;       /* per bucket over its items' w (memcom), m each */
    float *bmax;              /* per bucket max output bias (NULL without bias) */
    uint32_t *start, *items;  /* buckets other than i mod m: bucket r holds items[start[r] .. start[r+1]) */
    double wabs, babs;        /* max |w_i| (1 for hash tables), max |b_i| */
    float *ub;                /* m: this query's bounds */
    uint32_t *seed_idx;       /* the buckets scored first */
    float *seed_score;
    size_t seed_cap;
    uint32_t misses;          /* rankings in a row where the bounds pruned too little */
    uint32_t skipped;         /* rankings since then that did not try them */
    uint64_t n_ranked, n_linear, n_scored; /* rankings that tried the bounds; of those, scanned item by item;
                                             * items scored in the others (those that finished by bucket) */
} mcc_bounds;
/* how many items bucket r holds (n items in nb buckets) */
static inline size_t mcc_bounds_size(const mcc_bounds *g, uint32_t r, uint32_t n, uint32_t nb)
{
    return g->start ? g->start[r + 1] - g->start[r] : r < n ? (size_t)(n - 1 - r) / nb + 1 : 0;
}
/* examine the table once: state 1 for hash/memcom tables of n >= 2 m items */
int mcc_bounds_init(mcc_bounds *g, const mcc_table *t, const uint32_t *hash_b, const void *bias, uint32_t bias_dtype,
                    uint32_t n);
/* 1 when this ranking should try the bounds: after MC_BOUNDS_MISSES rankings
 * in a row where they pruned too little, only every MC_BOUNDS_RETRY-th does */
int mcc_bounds_try(mcc_bounds *g);
/* record whether a ranking that tried them could use them */
void mcc_bounds_outcome(mcc_bounds *g, int pruned);
/* 1 when this query's bounds are exact (no overflow); tmax = max |T_r| */
int mcc_bounds_usable(const mcc_bounds *g, float tmax, int use_bias);
void mcc_bounds_free(mcc_bounds *g);
/* model.c: the model's bounds state (for tests) */
const mcc_bounds *mcc_model_bounds(const memcom_model *m);

/* topk.c: bounded min-heap in caller-provided arrays */
typedef struct mcc_topk {
    uint32_t *idx;
    float *score;
    size_t n, k;
} mcc_topk;
void mcc_topk_init(mcc_topk *h, uint32_t *idx, float *score, size_t k);
void mcc_topk_offer(mcc_topk *h, uint32_t i, float s);
static inline int mcc_topk_full(const mcc_topk *h) { return h->n == h->k; }
static inline float mcc_topk_threshold(const mcc_topk *h) { return h->score[0]; } /* when full */
/* grow a pair of index / score arrays (memcom_malloc'd, *cap entries) to at
 * least want entries; the contents are not kept */
int mcc_pairs_reserve(uint32_t **idx, float **score, size_t *cap, size_t want);
/* sorts in place: descending score, ties by ascending index; returns n */
size_t mcc_topk_finish(mcc_topk *h);

#endif
