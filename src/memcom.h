/*
 * memcom.h - the public C API of memcom.
 *
 * memcom serves recommendation models whose item embedding tables are
 * compressed (MEmCom, Pansare et al., MLSys 2022, and the baselines hash and
 * quotient-remainder).  This header is the whole public surface of the core:
 * opaque handles, explicit error codes (as zstd does), a validated model file
 * reader, a writer, and exact top-k ranking.
 *
 * Conventions
 *  - Every function that can fail returns an int: MEMCOM_OK (0) or a positive
 *    memcom_error code.  memcom_error_name(code) gives a stable identifier
 *    ("truncated", "section_crc", ...) and memcom_error_message(code) a
 *    sentence.  Functions that open files also fill an optional detail buffer
 *    naming exactly what was wrong ("section 4 (rows, output): CRC32 mismatch").
 *  - No global mutable state.  A handle may be used from one thread at a time
 *    (it owns scratch buffers); distinct handles are independent.
 *  - Item indices are uint32 in [0, n).  Items are numbered by descending
 *    popularity by the trainer, so the default bucket i mod m gives the m most
 *    popular items a row each.
 *  - All multi-byte values in files are little-endian (docs/FORMAT.md).
 */
#ifndef MEMCOM_H
#define MEMCOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMCOM_VERSION_MAJOR 0
#define MEMCOM_VERSION_MINOR 1
#define MEMCOM_VERSION_PATCH 0
#define MEMCOM_FORMAT_MAJOR 1   /* readers refuse files with another major */
#define MEMCOM_FORMAT_MINOR 2   /* readers accept any minor <= their own   */

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */
typedef enum memcom_error {
    MEMCOM_OK = 0,
    /* usage and resources */
    MEMCOM_E_NOMEM = 1,           /* allocation failed                         */
    MEMCOM_E_ARG = 2,             /* invalid argument (NULL, bad option)       */
    MEMCOM_E_IO = 3,              /* read/write/rename failed                  */
    MEMCOM_E_INDEX = 4,           /* item index >= n                           */
    MEMCOM_E_UNKNOWN_ID = 5,      /* item id string not in the model           */
    MEMCOM_E_DIM = 6,             /* vector length != table dimension          */
    MEMCOM_E_K = 7,               /* k == 0 or otherwise impossible            */
    MEMCOM_E_NO_TABLE = 8,        /* model has no such table (e.g. no input)   */
    MEMCOM_E_NO_IDS = 9,          /* model stores no id strings                */
    MEMCOM_E_TOO_LARGE = 10,      /* exceeds a size limit (maxBytes, 4 GiB)    */
    MEMCOM_E_NONFINITE_INPUT = 11,/* NaN or infinity in a caller's vector      */
    /* file format: container */
    MEMCOM_E_TRUNCATED = 20,      /* file shorter than its header says         */
    MEMCOM_E_MAGIC = 21,          /* not a memcom file                         */
    MEMCOM_E_VERSION = 22,        /* unsupported format major/minor            */
    MEMCOM_E_HEADER_SIZE = 23,    /* header_size field wrong                   */
    MEMCOM_E_HEADER_CRC = 24,     /* header CRC32 mismatch                     */
    MEMCOM_E_FILE_SIZE = 25,      /* file_size field != actual size            */
    MEMCOM_E_FLAGS = 26,          /* unknown flag bits / nonzero reserved      */
    MEMCOM_E_DIRECTORY = 27,      /* section directory out of file/overlaps header, bad count */
    MEMCOM_E_DIRECTORY_CRC = 28,  /* section directory CRC32 mismatch          */
    MEMCOM_E_SECTION_TYPE = 29,   /* unknown section type or index             */
    MEMCOM_E_SECTION_DUP = 30,    /* the same section twice                    */
    MEMCOM_E_SECTION_MISSING = 31,/* a required section is absent              */
    MEMCOM_E_SECTION_UNEXPECTED = 32, /* section not used by this model kind   */
    MEMCOM_E_SECTION_BOUNDS = 33, /* section extends past end of file          */
    MEMCOM_E_SECTION_ALIGN = 34,  /* section offset not 64-byte aligned        */
    MEMCOM_E_SECTION_OVERLAP = 35,/* two sections overlap                      */
    MEMCOM_E_SECTION_SIZE = 36,   /* size differs from what the header implies */
    MEMCOM_E_SECTION_CRC = 37,    /* section CRC32 mismatch                    */
    MEMCOM_E_SECTION_DTYPE = 38,  /* dtype not allowed for this section        */
    /* file format: model description */
    MEMCOM_E_TABLE_KIND = 40,     /* unknown table kind                        */
    MEMCOM_E_TABLE_DTYPE = 41,    /* unknown/unsupported storage type          */
    MEMCOM_E_BUCKET_MODE = 42,    /* unknown bucket mode or not valid for kind */
    MEMCOM_E_SIZES = 43,          /* n, m or d zero, absurd or inconsistent    */
    MEMCOM_E_BUCKET_RANGE = 44,   /* explicit bucket index >= m                */
    MEMCOM_E_LAYERS = 45,         /* layer dimensions do not chain             */
    MEMCOM_E_NONFINITE = 46,      /* NaN or infinity stored in a table/layer   */
    MEMCOM_E_IDS = 47,            /* id offsets not monotonic / out of range; compact id runs or ranks malformed */
    MEMCOM_E_IDS_UTF8 = 48,       /* an id is not valid UTF-8 (or empty)       */
    MEMCOM_E_IDS_DUP = 49,        /* two items share an id                     */
    MEMCOM_E_IDS_ORDER = 50,      /* sorted-id index is not a sorted permutation */
    MEMCOM_E_METADATA = 51,       /* metadata is not valid UTF-8 JSON object   */
    MEMCOM_E_ROW_SCALE = 52,      /* int8 row scale negative or non-finite     */
    MEMCOM_E_MAX_CODE = 53
} memcom_error;

const char *memcom_error_name(int code);     /* "section_crc"; "unknown" if out of range */
const char *memcom_error_message(int code);  /* one sentence                              */
const char *memcom_version_string(void);     /* "0.1.0"                                   */

/* ------------------------------------------------------------------------ */
/* Kinds and storage types (values are those stored in files)                */
/* ------------------------------------------------------------------------ */
typedef enum memcom_kind {
    MEMCOM_KIND_NONE = 0,   /* table absent (e.g. no input table)            */
    MEMCOM_KIND_FULL = 1,   /* n x d                                         */
    MEMCOM_KIND_HASH = 2,   /* U[bucket(i)], U is m x d                      */
    MEMCOM_KIND_QR = 3,     /* Q[i / m] * R[i mod m] (element-wise); Q is ceil(n/m) x d, R is m x d */
    MEMCOM_KIND_MEMCOM = 4  /* w[i] * U[bucket(i)], U is m x d, w has n scalars */
} memcom_kind;

typedef enum memcom_dtype {
    MEMCOM_DTYPE_NONE = 0,
    MEMCOM_DTYPE_F32 = 1,
    MEMCOM_DTYPE_F16 = 2,   /* IEEE binary16                                 */
    MEMCOM_DTYPE_I8 = 3,    /* int8 with one f32 scale per row: x = scale[r] * q */
    MEMCOM_DTYPE_U16 = 4,   /* bucket indices only                            */
    MEMCOM_DTYPE_U32 = 5    /* bucket indices, id offsets, sorted-id index   */
} memcom_dtype;

typedef enum memcom_bucket_mode {
    MEMCOM_BUCKET_NONE = 0,     /* full and qr                                */
    MEMCOM_BUCKET_MOD = 1,      /* i mod m                                    */
    MEMCOM_BUCKET_HASH = 2,     /* memcom_hash_bucket(i, seed, m)             */
    MEMCOM_BUCKET_EXPLICIT = 3  /* stored per item (u16 or u32), e.g. learned  */
} memcom_bucket_mode;

typedef enum memcom_activation {
    MEMCOM_ACT_NONE = 0,
    MEMCOM_ACT_TANH = 1,
    MEMCOM_ACT_RELU = 2
} memcom_activation;

/* The seeded integer hash used by MEMCOM_BUCKET_HASH (splitmix64 finaliser of
 * i + seed, reduced mod m).  Exposed so trainers and the JS reference agree. */
uint32_t memcom_hash_bucket(uint32_t i, uint64_t seed, uint32_t m);

/* ------------------------------------------------------------------------ */
/* Describing a model (used by the writer, and reported by the reader)        */
/* ------------------------------------------------------------------------ */
typedef struct memcom_table_desc {
    uint32_t kind;          /* memcom_kind                                    */
    uint32_t n;             /* items                                          */
    uint32_t m;             /* rows of the shared table (full: n; qr: R rows)  */
    uint32_t d;             /* dimension                                      */
    uint32_t row_dtype;     /* F32, F16 or I8                                 */
    uint32_t scalar_dtype;  /* memcom: F32 or F16 for w; otherwise NONE       */
    uint32_t bucket_mode;   /* hash/memcom: MOD, HASH or EXPLICIT; else NONE  */
    uint32_t bucket_dtype;  /* EXPLICIT: U16 or U32; otherwise NONE           */
    uint64_t hash_seed;     /* BUCKET_HASH only                               */
} memcom_table_desc;

/* Table data as the writer takes it (always f32; the writer quantises to the
 * desc's storage types) and as the trainer produces it. */
typedef struct memcom_table_data {
    memcom_table_desc desc;
    const float *rows_a;      /* full: n x d; hash/memcom: m x d; qr: Q, ceil(n/m) x d */
    const float *rows_b;      /* qr: R, m x d; else NULL                           */
    const float *scalars;     /* memcom: n; else NULL                              */
    const uint32_t *buckets;  /* EXPLICIT: n values < m; else NULL                 */
} memcom_table_data;

typedef struct memcom_layer_data {
    uint32_t in_dim, out_dim;
    uint32_t activation;      /* memcom_activation                               */
    const float *weight;      /* out_dim x in_dim row-major, or NULL = identity (in_dim == out_dim) */
    const float *bias;        /* out_dim, or NULL = zeros                         */
} memcom_layer_data;

/* A whole model: user vector u = layers(sum_{i in H} E_in[i] / sqrt(|H|)),
 * score_i = E_out[i] . u + bias[i].  A "table file" has only an output table
 * (input.kind == NONE, n_layers == 0).
 *
 * A ranker (n_head_layers > 0; format 1.2, which readers older than 1.2
 * refuse with MEMCOM_E_VERSION) adds a pairwise-trained head MLP g:
 *   s_i = E_out[i] . u + bias[i] + g([u ; E_out[i] ; u * E_out[i]])
 * (* element-wise).  head_layers[0].in_dim = 3 * output.d, each layer's
 * in_dim the previous out_dim, the last layer out_dim = 1 with activation
 * NONE.  E_out[i] . u + bias[i] (the score of a model without a head) is the
 * ranker's factorised retrieval scorer (memcom_recommend_two_stage). */
typedef struct memcom_model_data {
    memcom_table_data input;         /* kind NONE for a table file            */
    memcom_table_data output;        /* required                              */
    uint32_t n_layers;
    const memcom_layer_data *layers;
    const float *output_bias;        /* n, or NULL (no bias section)          */
    uint32_t bias_dtype;             /* F32 or F16 when output_bias != NULL   */
    const char *const *ids;          /* n NUL-terminated UTF-8 strings, or NULL */
    const char *metadata_json;       /* NUL-terminated JSON object, or NULL   */
    const uint32_t *id_lengths;      /* n byte lengths of the ids (which may then hold NUL bytes; each still ends in a NUL), or NULL */
    uint32_t id_encoding;            /* memcom_id_encoding: how ids are stored  */
    uint32_t n_head_layers;          /* 0, or a ranker's head MLP (above); needs an input table */
    const memcom_layer_data *head_layers;
} memcom_model_data;

/* How the writer stores ids.  COMPACT stores ids that are all canonical
 * decimal numbers ("0", or 1-9 then digits; at most 19 digits) as runs of
 * consecutive numbers plus each item's rank, bit-packed (format 1.1, which
 * readers older than 1.1 refuse with MEMCOM_E_VERSION); any other ids are
 * stored as strings (format 1.0) either way. */
typedef enum memcom_id_encoding {
    MEMCOM_IDS_STRINGS = 0,   /* offsets, bytes and sorted index (format 1.0) */
    MEMCOM_IDS_COMPACT = 1    /* numeric ids compactly when possible (1.1)    */
} memcom_id_encoding;

/* Serialise to a malloc'd buffer (free with memcom_free). */
int memcom_write_memory(const memcom_model_data *model, void **out, size_t *out_size,
                        char *detail, size_t detail_cap);
/* Write atomically: to "<path>.tmp-<pid>", fsync, rename over path. */
int memcom_write_file(const memcom_model_data *model, const char *path,
                      char *detail, size_t detail_cap);

/* ------------------------------------------------------------------------ */
/* Reading and serving a model                                               */
/* ------------------------------------------------------------------------ */
typedef struct memcom_model memcom_model;

#define MEMCOM_OPEN_COPY      1u   /* copy the bytes (else borrowed: keep alive, 64-byte aligned) */
#define MEMCOM_OPEN_OWN       2u   /* take ownership of a buffer from memcom_malloc */

/* Validate everything (header, directory, sizes, offsets, overlaps, CRCs,
 * dtypes, buckets, finiteness, ids) and then create views into the bytes.
 * max_bytes: refuse files larger than this (0 = no limit beyond 4 GiB).
 * With MEMCOM_OPEN_OWN the buffer belongs to memcom whether the call succeeds
 * or fails (as mc_open_ex in src/wasm/ABI.md).  A borrowed buffer that is not 64-byte
 * aligned is copied. */
int memcom_open(memcom_model **out, const void *data, size_t size, unsigned flags,
                uint64_t max_bytes, char *detail, size_t detail_cap);
int memcom_open_file(memcom_model **out, const char *path, uint64_t max_bytes,
                     char *detail, size_t detail_cap);

/* Checksumming and checking a file while it arrives, so that opening it does
 * not read it all again after its last byte (streamed loading).  Create with
 * the file's size; each time more of the file is in its buffer, call update
 * with the buffer's start (the same buffer every time) and how many bytes are
 * there so far (never decreasing; the bytes already there must not change).
 * The CRC32s of the complete 64 KiB blocks are taken as they arrive; once the
 * header and the directory are in and valid, each section's CRC (derived
 * from the blocks exactly: CRC32 composes) and its content checks run as
 * soon as its bytes are in.  memcom_open_ex on that buffer takes their
 * results instead of computing them again (it does what is still missing
 * itself), and reports the same error, with the same detail, as memcom_open
 * of the same bytes.  blocks may be NULL (= memcom_open).  The caller frees
 * blocks after opening. */
typedef struct memcom_crc_blocks memcom_crc_blocks;
int memcom_crc_blocks_new(memcom_crc_blocks **out, size_t file_size);
void memcom_crc_blocks_update(memcom_crc_blocks *blocks, const void *data, size_t have);
void memcom_crc_blocks_free(memcom_crc_blocks *blocks);
int memcom_open_ex(memcom_model **out, const void *data, size_t size, unsigned flags, uint64_t max_bytes,
                   memcom_crc_blocks *blocks, char *detail, size_t detail_cap);
void memcom_close(memcom_model *model);

void *memcom_malloc(size_t size);  /* 64-byte aligned; for MEMCOM_OPEN_OWN  */
void memcom_free(void *p);

/* Fixed-layout summary (also read by the JavaScript wrapper, so the field
 * order and sizes are part of the ABI: all uint32 then all uint64). */
typedef struct memcom_info {
    uint32_t format_major, format_minor;
    uint32_t n_items;
    uint32_t n_layers;
    uint32_t has_ids;
    uint32_t bias_dtype;              /* NONE if no output bias            */
    uint32_t user_dim;                /* = output.d                        */
    uint32_t n_head_layers;           /* > 0: a ranker (memcom_model_data)  */
    memcom_table_desc input;          /* kind NONE if absent               */
    memcom_table_desc output;
    uint64_t file_bytes;
    uint64_t input_bytes;             /* stored bytes of the input table (rows, scales, scalars, buckets) */
    uint64_t output_bytes;
    uint64_t bias_bytes;
    uint64_t layer_bytes;
    uint64_t id_bytes;                /* stored id sections: offsets + strings + sorted index, or runs + ranks */
    uint64_t metadata_bytes;
    uint64_t full_f32_bytes;          /* n*d*4 per present table           */
    uint64_t working_bytes;           /* most memory ranking allocates besides the file (compact ids decoded at open, marks, hash
                                         buckets, norms, int8 copy, bucket bounds, scratch; per the
                                         current memcom_set_int8_index / _bucket_bounds); not the
                                         caller's output buffers.  O(n + rows * d), not O(file) */
    uint64_t full_file_bytes;         /* the same model with full f32 item tables and an f32 output bias,
                                         everything else as stored: file_bytes - input_bytes - output_bytes
                                         - bias_bytes + full_f32_bytes + (n_items * 4 with a bias);
                                         full_file_bytes / file_bytes is the whole-file compression ratio
                                         (docs/FORMAT.md, "Compression ratio") */
    uint64_t head_bytes;              /* a ranker's head: HEAD_LAYERS, HEAD_WEIGHT, HEAD_BIAS sections */
} memcom_info;

int memcom_get_info(const memcom_model *model, memcom_info *out);
/* Metadata JSON (not NUL-terminated; may be empty). */
const char *memcom_metadata(const memcom_model *model, size_t *len);

/* Id strings.  find: exact byte match (binary search over the sorted index). */
int memcom_find_id(const memcom_model *model, const char *id, size_t len, uint32_t *index);
int memcom_get_id(const memcom_model *model, uint32_t index, const char **id, size_t *len);

/* Which table of a model. */
typedef enum memcom_which { MEMCOM_INPUT = 0, MEMCOM_OUTPUT = 1 } memcom_which;

/* The reconstructed embedding of item `index` (out has d floats). */
int memcom_lookup(const memcom_model *model, memcom_which which, uint32_t index, float *out);

/* The user vector (out has output.d floats) for a history of item indices.
 * Duplicates in the history count once; an empty history is allowed. */
int memcom_user_vector(memcom_model *model, const uint32_t *history, size_t n_history, float *out);

/* scores[i] = E_out[i] . vec + bias[i] for every item (scores has n floats). */
int memcom_score_vector(memcom_model *model, const float *vec, size_t dim, float *scores);

typedef struct memcom_topk_opts {
    size_t k;                        /* >= 1; clipped to the number of eligible items */
    const uint32_t *exclude;         /* items never returned (may be NULL)    */
    size_t n_exclude;
    const uint32_t *candidates;      /* rank only these (NULL = all items)    */
    size_t n_candidates;
    int use_bias;                    /* add the output bias (1 for recommend) */
    int cosine;                      /* rank by cosine to vec (ignores bias)  */
} memcom_topk_opts;

/* Exact top-k of E_out . vec (+ bias).  Ties: lower index first.  Results
 * sorted by descending score.  *n_out = number written (<= k).
 * out_index and out_score must hold min(k, n_items) entries.  Indices in
 * exclude or candidates that are >= n_items give MEMCOM_E_INDEX; duplicate
 * candidates count once.  A score that overflows to NaN ranks as -infinity
 * (reported as -infinity), below every real score. */
int memcom_topk_vector(memcom_model *model, const float *vec, size_t dim,
                       const memcom_topk_opts *opts,
                       uint32_t *out_index, float *out_score, size_t *n_out);

/* Recommend: user vector from the history, then top-k with the output bias.
 * Excludes exactly opts->exclude (pass the history there to exclude it, as
 * the JavaScript wrapper does by default); opts->use_bias/cosine are ignored. */
int memcom_recommend(memcom_model *model, const uint32_t *history, size_t n_history,
                     const memcom_topk_opts *opts,
                     uint32_t *out_index, float *out_score, size_t *n_out);

/* Popularity control.  With popularity p in [0, 1], items are ranked by
 *   (u - l u0) . E_out[i] + (1 - l) * bias[i],
 *   l = (1 - p) * min(1, MEMCOM_POPULARITY_HISTORY / |H|)
 * where u is the history's user vector, |H| its number of distinct items,
 * and u0 the user vector of the empty history (what the model recommends to
 * anyone).  p = 1 is memcom_recommend (as trained); lower p leaves out more
 * of what every user gets, so the picks weigh more: in full for histories of
 * up to MEMCOM_POPULARITY_HISTORY items (where that generic part dominates
 * the user vector), less and less for longer ones.  Exact like
 * memcom_recommend (each score is fl(fl(E_out[i] . v) + fl((1 - l) *
 * bias[i])), v the shifted vector, computed in float as written above).
 * Mathematically that is s_i(u) - l s_i(u0), s_i the factorised score
 * E_out[i] . u + bias[i]; a ranker (memcom_info.n_head_layers > 0) ranks by
 * s_i(u) - l s_i(u0) with its own s_i (head included), each score
 * fl(s_i(u) - fl(l * s_i(u0))), s_i(u0) computed once per model (n floats).  MEMCOM_E_ARG when p is NaN or outside [0, 1].  The model's
 * metadata may record the default chosen on validation data
 * ("serving": {"popularity": p}; docs/QUALITY.md states the rule). */
#define MEMCOM_POPULARITY_HISTORY 5
int memcom_recommend_popularity(memcom_model *model, const uint32_t *history, size_t n_history, float popularity,
                                const memcom_topk_opts *opts,
                                uint32_t *out_index, float *out_score, size_t *n_out);
/* Rankers (memcom_info.n_head_layers > 0).  memcom_recommend ranks by s_i
 * (memcom_model_data) over every item or opts->candidates, exactly; same
 * ties, exclusions and errors as for other models.
 * memcom_recommend_two_stage: the top R = max(rerank_depth, k) eligible items
 * by the factorised score E_out[i] . u + bias[i] (the exact engine of
 * memcom_recommend on a model without a head), then the top k of those by
 * s_i: exact for that pipeline.  rerank_depth >= 1 (else MEMCOM_E_ARG).
 * memcom_rerank: the top k of `candidates` by s_i for this history (nothing
 * excluded; duplicates count once); k >= 1, clipped to the distinct
 * candidates.  memcom_rank_scores: scores[j] = s_{items[j]} in the order
 * given.  All give MEMCOM_E_INDEX for an item >= n_items, and on a model
 * without a head score by E_out[i] . u + bias[i] (what s_i is without g). */
int memcom_recommend_two_stage(memcom_model *model, const uint32_t *history, size_t n_history, const memcom_topk_opts *opts,
                               size_t rerank_depth, uint32_t *out_index, float *out_score, size_t *n_out);
int memcom_rerank(memcom_model *model, const uint32_t *history, size_t n_history, const uint32_t *candidates,
                  size_t n_candidates, size_t k, uint32_t *out_index, float *out_score, size_t *n_out);
int memcom_rank_scores(memcom_model *model, const uint32_t *history, size_t n_history, const uint32_t *items,
                       size_t n_items, float *scores);

/* Items most similar to item `index` by cosine over the reconstructed output
 * embeddings (the item itself excluded). */
int memcom_similar(memcom_model *model, uint32_t index, const memcom_topk_opts *opts,
                   uint32_t *out_index, float *out_score, size_t *n_out);

/* Ranking f32/f16 tables (full, hash, memcom kinds): an int8 copy of the
 * output rows (n x d bytes for a full table, m x d for a shared one, plus 4
 * bytes per row; built by memcom_prepare or the first whole-catalogue top-k) pre-ranks every
 * item with integer arithmetic and a proven error bound, then the candidates
 * are scored exactly: results are identical either way, the copy only saves
 * time (about 3x on a full table, whose scan is bound by memory bandwidth).
 * On by default; enable = 0 frees the copy.  int8 tables need no copy.
 * Shared tables with rows x d < 1.5 n get none either: with so few row
 * values per item the copy costs more time than it saves.
 * Builds whose integer kernel is not faster (WebAssembly without SIMD) rank
 * in one exact pass and build no copy. */
int memcom_set_int8_index(memcom_model *model, int enable);

/* Ranking hash and memcom tables (n >= 2 m): per-bucket bounds on the scores
 * (the max and min per-item scalar and the max bias over each bucket's items,
 * and this query's bound: 16 bytes per bucket, plus 4 bytes per item and per
 * bucket for buckets other than i mod m; memcom buckets that often mix signs
 * of the scalar are bounded per sign, with twice as many parts and lists; built by memcom_prepare or the
 * first whole-catalogue top-k) let top-k score only the buckets that can still reach it.  The
 * bounds hold exactly (rounding to nearest is monotone), so results are
 * identical either way.  When the bounds prune too little for a query it
 * scans every item as without them.  On by default; enable = 0 frees them. */
int memcom_set_bucket_bounds(memcom_model *model, int enable);

/* Builds now what the first whole-catalogue ranking would otherwise build
 * (the n-bit marks, hash buckets, the int8 copy and the bucket bounds, with
 * the current settings above; at most memcom_info.working_bytes), so that the
 * first ranking (k <= 128) costs what later ones do.  O(n + rows * d) time,
 * once; optional: without it the first ranking builds them.  Call it after
 * the settings and after checking working_bytes against a budget (opening
 * allocates nothing per item).  Builds nothing for an output table that
 * stores nothing per item (hash or qr buckets i mod m or hashed, and no
 * output bias: n is not bounded by the file's size).  MEMCOM_E_NOMEM when
 * memory runs out. */
int memcom_prepare(memcom_model *model);

/* What memcom_prepare will allocate at most for a model file, from its
 * header alone: the first `have` bytes of the file (of file_size bytes) at
 * data, with memcom_set_int8_index(enable = int8_index) and
 * memcom_set_bucket_bounds(enable = bucket_bounds).  0 for a table it builds
 * nothing for.  For a loader that streams a file in: the memory can be
 * allocated, written and freed while the rest arrives, so that the
 * allocator's fresh memory (growing WebAssembly memory, first writes to its
 * pages) is not paid after the last byte.  MEMCOM_E_TRUNCATED while have <
 * 256 (the header), or the header's error as memcom_open reports it; opening
 * checks the whole file regardless. */
int memcom_prepare_bytes(const void *data, size_t have, size_t file_size, int int8_index, int bucket_bounds,
                         uint64_t *out);

/* Runs the ranking code on small built-in tables (about 0.6 MB of memory,
 * freed before it returns; about 1.5 ms natively, 20-50 ms in a WebAssembly
 * engine that still runs it unoptimised), so that runtimes that compile
 * code in tiers (WebAssembly engines optimise a function once it has run
 * enough) have it optimised before the first real ranking: the JavaScript
 * package calls it when it starts its WebAssembly instance.  Natively it only
 * costs its time.  MEMCOM_OK, or MEMCOM_E_NOMEM. */
int memcom_warm_up(void);

/* Which kernels this build uses: "wasm_simd128", "scalar", "sse2", ... */
const char *memcom_kernel_name(void);


/* ------------------------------------------------------------------------ */
/* Names, layer shapes and struct layouts, for bindings (JavaScript, Python) */
/* ------------------------------------------------------------------------ */
/* The one table of the names of the enums above (src/base/names.c). */
typedef enum memcom_name_set {
    MEMCOM_NAMES_KIND = 0,        /* memcom_kind: "none", "full", "hash", "qr", "memcom" */
    MEMCOM_NAMES_DTYPE = 1,       /* memcom_dtype: "none", "f32", "f16", "i8", "u16", "u32" */
    MEMCOM_NAMES_BUCKET_MODE = 2, /* memcom_bucket_mode: "none", "mod", "hash", "explicit" */
    MEMCOM_NAMES_ACTIVATION = 3,  /* memcom_activation: "none", "tanh", "relu" */
    MEMCOM_NAMES_ID_ENCODING = 4  /* memcom_id_encoding: "strings", "compact" */
} memcom_name_set;
/* The name of `value` in `set`; NULL past the set's last value or for an unknown set. */
const char *memcom_enum_name(int set, uint32_t value);

/* The shape of dense layer `index` (< memcom_info.n_layers) of a model. */
typedef struct memcom_layer_info {
    uint32_t in_dim, out_dim;
    uint32_t activation;      /* memcom_activation */
    uint32_t has_weight;      /* 0: identity */
    uint32_t has_bias;        /* 0: zeros */
} memcom_layer_info;
int memcom_get_layer(const memcom_model *model, uint32_t index, memcom_layer_info *out);
/* The same for head layer `index` (< memcom_info.n_head_layers) of a ranker. */
int memcom_get_head_layer(const memcom_model *model, uint32_t index, memcom_layer_info *out);

/* A name typed by a user ("memcom", "f16", "explicit", "tanh") back to its
 * value, on the same table as memcom_enum_name (exact, case-sensitive match).
 * MEMCOM_E_ARG for an unknown set or name or a NULL argument. */
int memcom_enum_value(int set, const char *name, uint32_t *value);

/* The section directory of a model (docs/FORMAT.md), for tools that show it:
 * entry `i` (< memcom_section_count) in file order.  Read from the validated
 * file, so type, index, offset, size and dtype are those the reader checked. */
typedef struct memcom_section_info {
    uint32_t type;      /* section type (docs/FORMAT.md)                        */
    uint32_t index;     /* table sections: 0 input, 1 output; layer sections: the layer; else 0 */
    uint64_t offset;    /* byte offset in the file                              */
    uint64_t size;      /* bytes                                                */
    uint32_t dtype;     /* memcom_dtype (NONE for bytes: ids, metadata)          */
    uint32_t crc32;     /* CRC32 of the section's bytes                          */
    const char *name;   /* the type's name as docs/FORMAT.md spells it: "ROWS_A", "LAYER_WEIGHT", ... */
} memcom_section_info;
uint32_t memcom_section_count(const memcom_model *model);   /* 0 for NULL */
int memcom_get_section(const memcom_model *model, uint32_t i, memcom_section_info *out);

/* Stored values as f32 whatever their storage (f32 or f16), e.g. to start
 * training from a model.  Output bias: n_items floats (zeros when the model
 * stores none).  Dense layer `index` (< memcom_info.n_layers): its weight
 * (out_dim x in_dim, row-major; the identity when the layer stores none) and
 * bias (out_dim floats; zeros when none); either pointer may be NULL to skip
 * it.  memcom_get_layer says what is stored. */
int memcom_copy_output_bias(const memcom_model *model, float *out);
int memcom_copy_layer(const memcom_model *model, uint32_t index, float *weight, float *bias);
/* The same for head layer `index` (< memcom_info.n_head_layers). */
int memcom_copy_head_layer(const memcom_model *model, uint32_t index, float *weight, float *bias);

/* The field layout of the structs a binding decodes from memory or fills in,
 * so that it names fields and never hard-codes offsets.  Field `i` of struct
 * `which`: its name ("n_items", "input.kind", "file_bytes", "exclude", ...),
 * byte offset and size (4 or 8: uint32/int, uint64, or a pointer or size_t of
 * this build's width).  MEMCOM_E_INDEX past the last field, MEMCOM_E_ARG for
 * an unknown struct. */
typedef enum memcom_struct_id {
    MEMCOM_STRUCT_INFO = 0,         /* memcom_info                                   */
    MEMCOM_STRUCT_LAYER_INFO = 1,   /* memcom_layer_info                             */
    MEMCOM_STRUCT_SECTION_INFO = 2, /* memcom_section_info (name: a const char *)    */
    MEMCOM_STRUCT_TOPK_OPTS = 3     /* memcom_topk_opts (exclude, candidates: pointers) */
} memcom_struct_id;
int memcom_struct_field(int which, uint32_t i, const char **name, uint32_t *offset, uint32_t *size);

#ifdef __cplusplus
}
#endif
#endif /* MEMCOM_H */
