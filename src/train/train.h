/*
 * train.h - the internal interface of the memcom trainer (src/train).
 *
 * The trainer reads interaction data (split files, CSV/TSV logs, sequence
 * files), renumbers items by descending training popularity, trains a
 * Mult-DAE whose input and output item tables are any of the kinds of the
 * core (full, hash, qr, memcom and its variants), evaluates with the
 * LightGCN++ protocol and exports a .memcom file through memcom_write_file.
 *
 * Conventions: functions that can fail return 0 on success and -1 on error,
 * with a code (mt_errc) and a message in an mt_err (naming file and line
 * where there is one).  The library prints nothing but the per-epoch progress
 * lines (mt_train_opts.log); src/cli parses arguments and prints.
 */
#ifndef MEMCOM_TRAIN_H
#define MEMCOM_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../memcom.h"

/* ------------------------------------------------------------------ */
/* Errors and small utilities (util.c)                                  */
/* ------------------------------------------------------------------ */
/* What went wrong, for callers that act on it (the message says it to a person). */
typedef enum mt_errc {
    MT_OK = 0,
    MT_E_OPTION,      /* an option value or combination the trainer cannot use      */
    MT_E_DATA,        /* a data file cannot be read or is malformed; no usable data   */
    MT_E_NO_VALID,    /* the data leaves no validation interactions (see mt_run)      */
    MT_E_INIT_FROM,   /* the --init-from model cannot be used                         */
    MT_E_MODEL,       /* a model file to evaluate does not open or cannot be matched   */
    MT_E_STATE,       /* the training state to resume from is missing, corrupt or foreign */
    MT_E_DIVERGED,    /* the loss or a parameter became non-finite                     */
    MT_E_EVAL,        /* evaluating the written model failed                           */
    MT_E_OUTPUT,      /* an output path is refused before training (see mt_check_outputs) */
    MT_E_WRITE,       /* writing an output failed                                      */
    MT_E_SPLIT,       /* `memcom eval`: the data or split differs from the model's     */
    MT_E_INTERRUPTED  /* a signal stopped training before there was a model to keep    */
} mt_errc;

typedef struct mt_err {
    int code;          /* mt_errc */
    char msg[1024];
} mt_err;

int mt_fail(mt_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;                                  /* sets code and message, returns -1 */

double mt_now(void);                   /* monotonic seconds            */
double mt_ratio(uint64_t full, uint64_t stored); /* full / stored, 0 when stored is 0 */
void *mt_xcalloc(size_t n, size_t size); /* aborts with a message on OOM */
void *mt_xmalloc(size_t size);
void *mt_xrealloc(void *p, size_t size);
char *mt_xstrdup(const char *s, size_t len);
void mt_format_duration(double seconds, char *out, size_t cap);
float mt_round_f16(float x);             /* nearest binary16 value   */

/* Seeded pseudo-random numbers (xoshiro256**), one state per thread. */
typedef struct mt_rng {
    uint64_t s[4];
} mt_rng;
void mt_rng_seed(mt_rng *r, uint64_t seed);
uint64_t mt_rng_next(mt_rng *r);
double mt_rng_uniform(mt_rng *r);        /* [0, 1)                 */
float mt_rng_normal(mt_rng *r);          /* standard normal        */
uint32_t mt_rng_below(mt_rng *r, uint32_t n);
void mt_shuffle_u32(mt_rng *r, uint32_t *a, size_t n);

/* String -> index map (open addressing; keys are copied). */
typedef struct mt_strmap {
    char **keys;
    uint32_t *vals;
    size_t cap, count;
} mt_strmap;
void mt_strmap_init(mt_strmap *m);
void mt_strmap_free(mt_strmap *m);
/* Returns the index of key; inserts it with value `count` if new. */
uint32_t mt_strmap_intern(mt_strmap *m, const char *key, size_t len, int *is_new);

/* ------------------------------------------------------------------ */
/* Data (data_*.c)                                                      */
/* ------------------------------------------------------------------ */
/* Per-user item lists in compressed-row form. */
typedef struct mt_csr {
    uint32_t n_rows;
    uint64_t nnz;
    uint64_t *off;   /* n_rows + 1 */
    uint32_t *idx;   /* nnz        */
    float *val;      /* nnz grades (graded data), or NULL */
} mt_csr;

typedef struct mt_dataset {
    char name[256];
    uint32_t n_users, n_items;
    char **item_ids;     /* n_items strings, by (popularity) index      */
    char **user_ids;     /* n_users strings, in order of first appearance */
    uint32_t *item_count;/* training interactions per item              */
    mt_csr train, valid, test; /* n_users rows each (empty rows allowed) */
    int graded;          /* the CSRs carry each interaction's grade (val)   */
    /* provenance, recorded in the model and checked by `memcom eval`:
     * data_hash: an order-free hash of the distinct (user id, item id) pairs;
     * split_hash: the same over (user id, item id, part), so it changes with
     * the split.  Both over id strings (FNV-1a 64, mixed, summed). */
    int format;                   /* mt_input_format it was read as       */
    char file[256];               /* the (training) data file's base name  */
    uint64_t file_bytes;          /* its size                              */
    uint64_t pairs;               /* distinct (user, item) pairs           */
    uint64_t duplicates;          /* repeated (user, item) lines dropped before the split */
    uint64_t data_hash, split_hash;
    char note[640];               /* what the reader decided (a header line skipped,
                                     the delimiter detected); "" if nothing */
} mt_dataset;

typedef enum mt_input_format {
    MT_FMT_SPLIT = 0,    /* train.txt/valid.txt/test.txt: user item item ... */
    MT_FMT_CSV = 1,      /* user,item[,rating[,timestamp]]                  */
    MT_FMT_SEQ = 2       /* one user per line: user item item ... (split)    */
} mt_input_format;

typedef struct mt_data_opts {
    int format;               /* mt_input_format                           */
    const char *train_path, *valid_path, *test_path; /* MT_FMT_SPLIT      */
    const char *path;         /* MT_FMT_CSV / MT_FMT_SEQ                   */
    char delimiter;           /* CSV: ',' '\t' ' ' ... ; 0 = detect        */
    int header;               /* CSV: 1 the first line is a header, -1 it is
                                 not, 0 detect (mt_read_csv_file)           */
    const char *columns;      /* CSV: "user=0,item=1,grade=2,time=3" or header
                                 names (mt_columns_parse); NULL: that order   */
    int has_threshold;
    double threshold;         /* CSV: keep rating >= threshold             */
    double valid_frac, test_frac; /* per-user split (default .1 / .2)      */
    uint64_t seed;
    const char *name;         /* data set name for metadata (NULL: derive) */
} mt_data_opts;

void mt_data_opts_default(mt_data_opts *o);
int mt_dataset_load(mt_dataset *ds, const mt_data_opts *o, mt_err *err);
void mt_dataset_free(mt_dataset *ds);

/* Internal to the readers: raw (user, item) pairs before renumbering. */
typedef struct mt_pairs {
    uint32_t *user, *item;   /* indices into the user / item string maps */
    uint8_t *part;           /* 0 train, 1 valid, 2 test                  */
    float *grade;            /* the grade column (graded is set), else 1  */
    int graded;
    size_t count, cap;
} mt_pairs;
void mt_pairs_push(mt_pairs *p, uint32_t user, uint32_t item, uint8_t part);
void mt_pairs_push_graded(mt_pairs *p, uint32_t user, uint32_t item, uint8_t part, float grade);
void mt_pairs_free(mt_pairs *p);
int mt_read_split_file(const char *path, uint8_t part, mt_strmap *users,
                       mt_strmap *items, mt_pairs *out, mt_err *err);
/* CSV columns: which field holds the user, item, grade (rating) and time. */
#define MT_N_COLS 4
#define MT_COL_USER 0
#define MT_COL_ITEM 1
#define MT_COL_GRADE 2
#define MT_COL_TIME 3
#define MT_MAX_FIELDS 256
typedef struct mt_columns {
    int idx[MT_N_COLS];            /* field index, -1 none / not yet resolved */
    const char *name[MT_N_COLS];   /* or a header name (not NUL-terminated)    */
    size_t name_len[MT_N_COLS];
    int given, by_name;
} mt_columns;
/* Parses --columns (NULL: user,item[,grade[,time]] by position). */
int mt_columns_parse(const char *spec, mt_columns *c, mt_err *err);
/* "comma" "tab" "space" "semicolon" "pipe" or one printable character. */
/* The two-character separator "::" of the MovieLens 1M and 10M .dat files,
 * held in the one-character delimiter fields (a control character no log uses
 * as its delimiter). */
#define MT_DELIM_DOUBLE_COLON '\x1f'
int mt_delimiter_parse(const char *s, char *out);
const char *mt_delimiter_name(char d);   /* NULL for other characters */
/* What the CSV reader decided. */
typedef struct mt_csv_info {
    char delimiter;
    int delimiter_detected, header_detected;
    unsigned long header_line;     /* 0: none skipped */
    char header_text[128];
} mt_csv_info;
/* Reads a log: the delimiter (when not given) is the first of tab, comma,
 * semicolon, pipe, space that splits the first lines into the same number
 * (>= 2) of fields; a first line is a header (skipped, reported in info)
 * when --header says so, when --columns names columns, or (unless
 * --no-header) when its grade or time field is not a number where the next
 * line's is, or its user and item fields are both not numbers where the
 * next line's are. */
int mt_read_csv_file(const mt_data_opts *o, mt_strmap *users, mt_strmap *items,
                     mt_pairs *out, mt_csv_info *info, mt_err *err);
/* Removes repeated (user, item) pairs, keeping the first occurrence (order
 * kept); returns how many were removed. */
size_t mt_pairs_dedup(mt_pairs *p, uint32_t n_users, uint32_t n_items);
/* Seeded per-user split of pairs (all part 0 on entry, no duplicates): each
 * user's items, in order of appearance, are shuffled and cut (at least one
 * stays in train). */
void mt_split_per_user(mt_pairs *p, uint32_t n_users, double valid_frac,
                       double test_frac, uint64_t seed);
/* Renumber items by descending training count and build the CSRs. */
void mt_dataset_build(mt_dataset *ds, mt_pairs *p, mt_strmap *users, mt_strmap *items);
void mt_csr_free(mt_csr *c);
/* Reads one line (any length) from f; strips \r\n.  Returns length or -1. */
long mt_getline(FILE *f, char **buf, size_t *cap);

/* ------------------------------------------------------------------ */
/* Table kinds as the trainer sees them (table.c)                       */
/* ------------------------------------------------------------------ */
typedef enum mt_tkind {
    MT_T_FULL = 0,
    MT_T_HASH,              /* U[i mod m]                                   */
    MT_T_QR,                /* Q[i / m] * R[i mod m]                        */
    MT_T_MEMCOM,            /* paper: w[i] U[i mod m] over popularity ids    */
    MT_T_MEMCOM_POP,        /* the p most popular items own rows, rest mod   */
    MT_T_MEMCOM_LEARNED,    /* k-means buckets from a warm-up run (explicit) */
    MT_T_MEMCOM_LEARNED_POP,/* learned buckets + popular items own rows      */
    MT_T_COUNT
} mt_tkind;

const char *mt_tkind_name(int kind);
int mt_tkind_parse(const char *s, int *kind);  /* "memcom" -> default variant */
int mt_tkind_core(int kind);                   /* memcom_kind of the file    */
int mt_tkind_explicit(int kind);               /* stores bucket indices      */
int mt_tkind_learned(int kind);                /* needs a warm-up            */
int mt_tkind_is_memcom(int kind);
#define MT_T_MEMCOM_DEFAULT MT_T_MEMCOM_LEARNED_POP

/* Table sizes: rows for a byte budget and stored bytes. */
typedef struct mt_tsize {
    uint32_t m;          /* rows of U (hash/memcom) or of R (qr); n for full */
    uint32_t pop;        /* popular items with rows of their own           */
    int scalar_dtype;    /* memcom: MEMCOM_DTYPE_F32 or F16                 */
    int row_dtype;       /* the rows' storage in the file: F32, F16 or I8   */
} mt_tsize;
uint64_t mt_table_bytes(int kind, uint32_t n, uint32_t d, const mt_tsize *s, int row_dtype);
/* The rows' storage of a table: row_dtype when given (nonzero), else int8
 * for a compressed kind sized by a ratio (by_ratio), f32 otherwise. */
int mt_table_row_dtype(int kind, int by_ratio, int row_dtype);
/* Choose m for compression ratio R: the most rows whose stored bytes (rows in
 * their storage type, int8 row scales, per-item scalars, bucket indices) fit
 * the bytes of the f32 full table / R.  row_dtype: 0 = mt_table_row_dtype's default. */
int mt_table_size_for_ratio(int kind, uint32_t n, uint32_t d, double ratio,
                            int scalar_dtype, int row_dtype, mt_tsize *out, mt_err *err);
int mt_table_size_for_rows(int kind, uint32_t n, uint32_t d, uint32_t m,
                           int scalar_dtype, int row_dtype, mt_tsize *out, mt_err *err);

/* The size of a table of `kind` for a ratio (or `rows`, when nonzero), with
 * the popular items' rows of the pop kinds (pop_frac of m) (trainer.c). */
int mt_size_table(int kind, uint32_t n, uint32_t d, double ratio, uint32_t rows, double pop_frac, int scalar_dtype,
                  int row_dtype, mt_tsize *s, mt_err *err);

/* A trainable parameter block: value, gradient (per worker), Adam moments. */
typedef struct mt_param {
    float *v, *m1, *m2;
    size_t len;
    int decay;            /* apply weight decay                    */
    float center;         /* weight decay pulls towards this value  */
    float decay_rate;     /* > 0: own decay rate instead of the optimiser's */
    float lr_scale;       /* > 0: the optimiser's learning rate times this  */
    const char *name;
} mt_param;

typedef struct mt_table {
    int kind;             /* mt_tkind                               */
    uint32_t n, m, d;
    uint32_t rows_a;      /* rows of A (full n, hash/memcom m, qr ceil(n/m)) */
    uint32_t pop;
    int scalar_dtype;
    int row_dtype;        /* the rows' storage in the file (mt_tsize)  */
    uint32_t *bucket;     /* n; hash/memcom (also for mod)            */
    int pidx_a, pidx_b, pidx_w;   /* indices into the model's params, -1 none */
} mt_table;

/* ------------------------------------------------------------------ */
/* The model (model.c, dae.c)                                           */
/* ------------------------------------------------------------------ */
#define MT_MAX_PARAMS 32
#define MT_MAX_LAYERS 8
#define MT_MAX_HEAD 4     /* linear layers of the ranker head (hidden + output) */

typedef struct mt_model_opts {
    int in_kind, out_kind;          /* mt_tkind of each table                 */
    mt_tsize in_size, out_size;
    uint32_t d;
    uint32_t n_dense;               /* dense d x d tanh layers after the first */
    float init_std;
    float scalar_decay;             /* decay of memcom scalars towards 1 (0: none) */
    int ranker;                     /* add the RankNet head (ranknet.c)         */
    uint32_t head_layers;           /* its hidden relu layers (0..MT_MAX_HEAD-1) */
    uint32_t head_width;            /* their width                              */
    float head_lr;                  /* the head's learning-rate scale (0: 1)    */
} mt_model_opts;

typedef struct mt_model {
    uint32_t n, d;
    mt_table in, out;
    uint32_t n_dense;
    int pidx_b0;                    /* bias of the first (identity) layer     */
    int pidx_w[MT_MAX_LAYERS], pidx_b[MT_MAX_LAYERS];
    int pidx_bias;                  /* output bias                            */
    /* the ranker head g (n_head 0: not a ranker): layer l maps head_dim[l]
     * to head_dim[l + 1] inputs, relu but the last (head_dim[n_head] = 1);
     * head_dim[0] = 3d: [u ; E_out[i] ; u * E_out[i]] */
    uint32_t n_head;
    uint32_t head_dim[MT_MAX_HEAD + 1];
    int pidx_hw[MT_MAX_HEAD], pidx_hb[MT_MAX_HEAD];
    mt_param params[MT_MAX_PARAMS];
    int n_params;
} mt_model;

int mt_model_init(mt_model *mdl, uint32_t n, const mt_model_opts *o,
                  const uint32_t *in_buckets, const uint32_t *out_buckets,
                  uint64_t seed, mt_err *err);
void mt_model_free(mt_model *mdl);

/* Reconstruct item i's embedding (d floats). */
void mt_table_row(const mt_model *mdl, const mt_table *t, uint32_t i, float *out);
/* Fill buckets for a kind: mod / pop+mod (explicit learned: caller). */
void mt_buckets_default(int kind, uint32_t n, uint32_t m, uint32_t pop, uint32_t *bucket);

/* The RankNet loss of a ranker (ranknet.c): per user, `pairs` draws of two
 * training items with different grades (the higher preferred) and
 * `negatives` draws of a training item against a sampled item the user has
 * not interacted with; loss weight * mean over the user's pairs of
 * log(1 + exp(-(s_i - s_j))), plus softmax_weight times the Mult-DAE
 * softmax loss on the factorised part E_out[i] . u + bias[i]. */
typedef enum mt_neg_sampling {
    MT_NEG_UNIFORM = 0,   /* every item alike                                   */
    MT_NEG_MODEL = 1      /* in proportion to exp(factorised score): the items the
                             model itself ranks high, the top of the list        */
} mt_neg_sampling;
const char *mt_neg_sampling_name(int sampling);            /* "uniform" "model" */
int mt_neg_sampling_parse(const char *s, int *sampling);   /* 0, or -1 unknown  */
typedef struct mt_rank_opts {
    uint32_t pairs, negatives;
    float weight, softmax_weight;
    int sampling;         /* mt_neg_sampling of the unobserved items */
    float head_lr;        /* the head's learning rate: the optimiser's times this */
} mt_rank_opts;

/* Per-worker scratch and gradients for a shard of users. */
typedef struct mt_work {
    float *grad[MT_MAX_PARAMS];     /* same lengths as params                */
    float *x, *act[MT_MAX_LAYERS + 1]; /* B x d each: x and layer outputs    */
    float *dh, *dx;                  /* B x d                                */
    float *S;                        /* B x n logits / probabilities         */
    float *T;                        /* B x m (factorised output)            */
    float *dT;                       /* B x m                                */
    float *E;                        /* n x d: materialised output (qr)       */
    float *dE;                       /* n x d                                */
    float *in_scale;                 /* B: 1/sqrt|H| * dropout scale          */
    uint8_t *keep;                   /* per nnz of the shard: input mask (dropout,
                                        short histories); 0: not in the input */
    size_t keep_cap;
    int keep_active;                 /* last forward used the mask         */
    /* short histories (mt_train_opts.short_h): set by the trainer */
    uint32_t short_h;                /* 0: off                              */
    float short_share;
    uint32_t *short_n;               /* B: the user's input size, 0: not short */
    uint32_t *tgt;                   /* a short user's targets              */
    size_t tgt_cap;
    /* n: added to the logits of the softmax loss only (mt_logit_adjust,
     * owned and freed by the work); NULL: the plain softmax */
    float *logit_adj;
    mt_rng rng;
    double loss;
    /* ranker (n_head > 0) */
    const mt_rank_opts *rank;        /* the pairwise loss; NULL: softmax only */
    float *dh_head;                  /* B x d: the head's gradient on u       */
    float *hbuf;                     /* head activations of a pair, and grads */
    uint32_t *pg_item, *pg_user;     /* sparse score gradients of the pairs   */
    float *pg_val;
    size_t pg_n, pg_cap;
    float *Eh, *HS;                  /* scoring: n x d output rows, n x width */
    double *cdf;                     /* n: MT_NEG_MODEL's sampling distribution */
} mt_work;

void mt_work_init(mt_work *w, const mt_model *mdl, uint32_t cap_b, uint64_t seed);
void mt_work_free(mt_work *w, const mt_model *mdl);
void mt_work_zero_grad(mt_work *w, const mt_model *mdl);

/* Forward (and backward if train) for users[0..b): histories from `hist`.
 * Targets are the same histories (autoencoder).  dropout in [0, 1).  With
 * w->short_h set, in training each user with at least 2 items is, with
 * probability w->short_share, given a short history (mt_short_sample) as
 * input, scaled 1/sqrt(h) as in serving, without dropout; the targets are
 * then the user's other items.  With w->logit_adj set, the softmax loss of
 * mt_dae_backward reads the logits plus logit_adj (mt_logit_adjust). */
void mt_dae_forward(const mt_model *mdl, mt_work *w, const mt_csr *hist,
                    const uint32_t *users, uint32_t b, float dropout, int train);
/* Loss and gradients (after mt_dae_forward with train=1); adds to w->loss
 * and to w->grad (scaled by grad_scale, e.g. 1/batch). */
void mt_dae_backward(const mt_model *mdl, mt_work *w, const mt_csr *hist,
                     const uint32_t *users, uint32_t b, float grad_scale);
/* Scores only (no bias masking) for users: S = logits, B x n. */
void mt_dae_scores(const mt_model *mdl, mt_work *w, const mt_csr *hist,
                   const uint32_t *users, uint32_t b);

/* A short history of a user with len training items (short_input.c): h
 * uniform in 1..min(max_h, len - 1), then exactly h of the len positions
 * marked in keep (1: input, 0: target), every subset of h alike.  Returns h;
 * 0 (all kept) when len < 2 or max_h is 0. */
uint32_t mt_short_sample(mt_rng *r, uint32_t len, uint32_t max_h, uint8_t *keep);

/* The logit adjustment of the softmax loss (logit_adjust.c, --logit-adjust):
 * n floats tau * log(pi_i), pi_i = (c_i + 1) / (nnz + n) with c_i item i's
 * count in train (add-one smoothed).  NULL when tau is not > 0 (the plain
 * softmax); else malloc'd, the caller frees it. */
float *mt_logit_adjust(const mt_csr *train, uint32_t n, float tau);

/* Gradient of table t for item i's row given coef * g (d floats). */
void mt_table_back_row(const mt_model *mdl, mt_work *w, const mt_table *t, uint32_t i, float coef, const float *g);

/* The ranker head (ranknet.c).  mt_head_score: g(u, e) for one user vector
 * and item embedding, keeping the activations in act (mt_head_act_len floats)
 * for mt_head_back, which adds the head's parameter gradients times dout and
 * returns dg/du and dg/de (d floats each; du added to, de overwritten). */
size_t mt_head_act_len(const mt_model *mdl);
float mt_head_score(const mt_model *mdl, const float *u, const float *e, float *act);
void mt_head_back(const mt_model *mdl, mt_work *w, const float *u, const float *e, const float *act, float dout,
                  float *du, float *de);
/* Adds the pairwise loss of users[0..b) (after mt_dae_forward, before the
 * softmax overwrites the logits): its loss to w->loss, the head's and the
 * output rows' gradients, the gradient on u to w->dh_head, and the score
 * gradients to the pg_* list (added to the logits' gradients by
 * mt_dae_backward). */
void mt_rank_pairs(const mt_model *mdl, mt_work *w, const mt_csr *hist, const uint32_t *users, uint32_t b,
                   float grad_scale);
/* Adds g(u, E_out[i]) for every item to the b rows of w->S. */
void mt_rank_add_head(const mt_model *mdl, mt_work *w, uint32_t b);

/* Adam (decoupled weight decay). */
typedef struct mt_adam {
    float lr, beta1, beta2, eps, weight_decay;
    uint64_t step;
} mt_adam;
/* Update slice `part` of `n_parts` of every parameter from the sum of the
 * workers' gradients (a->step already incremented).  Thread-safe across parts. */
void mt_adam_update(const mt_adam *a, mt_model *mdl, mt_work *works, int n_works, int part,
                    int n_parts);

/* ------------------------------------------------------------------ */
/* Metrics (metrics.c) and evaluation (evaluate.c)                      */
/* ------------------------------------------------------------------ */
#define MT_N_KS 3
extern const uint32_t mt_eval_ks[MT_N_KS];   /* 10, 20, 40 */

typedef struct mt_metrics {
    double recall[MT_N_KS], ndcg[MT_N_KS];
    double gndcg[MT_N_KS];   /* graded NDCG (held-out grades known: graded set) */
    uint32_t users;
    int graded;
} mt_metrics;
/* out += part (sums over users); then out /= out->users (per-user means) */
void mt_metrics_add(mt_metrics *out, const mt_metrics *part);
void mt_metrics_average(mt_metrics *out);

/* One user: ranked[0..n_ranked) top items, truth sorted ascending. */
void mt_user_metrics(const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth,
                     uint32_t n_truth, uint32_t k, double *recall, double *ndcg);
/* The gain of a held-out item in graded NDCG: log2(1 + grade) for a grade
 * above 0 (a play count, a rating), else 0. */
double mt_gain(float grade);
/* Graded NDCG@k of one user: DCG = sum over the top k of gain / log2(rank + 2)
 * (rank from 0) over the held-out items truth (ascending) with grades;
 * the ideal DCG from the k largest gains of ideal[0..n_ideal) (the grades of
 * every held-out item, those the ranking cannot hit included); 0 when it is 0. */
double mt_graded_ndcg(const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth, const float *grade,
                      uint32_t n_truth, const float *ideal, uint32_t n_ideal, uint32_t k);
/* sum += one user's Recall and NDCG at every K of mt_eval_ks; users++ */
void mt_metrics_add_user(mt_metrics *sum, const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth,
                         uint32_t n_truth);
/* and, with the held-out grades (NULL: none), graded NDCG (sum->graded set) */
void mt_metrics_add_user_graded(mt_metrics *sum, const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth,
                                const float *grade, uint32_t n_truth);
/* x is in the ascending list sorted[0..n) (binary search) */
int mt_contains_sorted(const uint32_t *sorted, uint32_t n, uint32_t x);
/* Top-k of scores, skipping excluded (sorted ascending), ties: lower index. */
uint32_t mt_topk_scores(const float *scores, uint32_t n, const uint32_t *excl,
                        uint32_t n_excl, uint32_t k, uint32_t *out);

int mt_evaluate(const mt_model *mdl, const mt_dataset *ds, const mt_csr *truth,
                int n_threads, mt_metrics *out);

/* ------------------------------------------------------------------ */
/* Bucket learning (kmeans.c)                                            */
/* ------------------------------------------------------------------ */
/* Spherical k-means (sign-free: |cos|) of n vectors (n x d) into m
 * clusters; the first `pop` items get clusters of their own.  Writes
 * bucket[n] and centroid rows (m x d) and per-item scale w[n] such that
 * vec_i ~ w_i * centroid[bucket_i]. */
void mt_kmeans_buckets(const float *vecs, uint32_t n, uint32_t d, uint32_t m,
                       uint32_t pop, int iters, int n_threads, uint64_t seed,
                       uint32_t *bucket, float *centroids, float *w);

/* ------------------------------------------------------------------ */
/* Compressing a trained model file (compress.c)                         */
/* ------------------------------------------------------------------ */
/* Each item table of the model at in_path becomes a memcom table of the
 * default variant (memcom-learned-pop) sized for `ratio`, by k-means of its
 * item vectors (the first items, the most popular, own pop_frac of the rows);
 * the rest of the model is copied; written atomically to out_path. */
typedef struct mt_compress_opts {
    double ratio;
    double pop_frac;        /* 0.5 as the trainer's default                  */
    int row_dtype;          /* 0: the source table's storage type            */
    int iters;              /* k-means iterations (the trainer uses 15)       */
    int threads;
    uint64_t seed;
    int quiet;              /* no progress on stderr                         */
    int string_ids;         /* 1: ids as strings (format 1.0); else compactly  */
} mt_compress_opts;
typedef struct mt_compress_table {
    int present;
    uint32_t n, d, m, pop;
    double seconds;         /* k-means                                       */
    double rel_error;       /* ||V - E||_F / ||V||_F of the written table     */
} mt_compress_table;
typedef struct mt_compress_result {
    mt_compress_table table[2];  /* input, output                            */
    uint64_t file_bytes;
    double ratio;           /* full f32 bytes / stored table bytes            */
} mt_compress_result;
int mt_compress(const char *in_path, const char *out_path, const mt_compress_opts *o, mt_compress_result *res,
                mt_err *err);

/* ------------------------------------------------------------------ */
/* Training (trainer.c) and export (export.c)                           */
/* ------------------------------------------------------------------ */
typedef struct mt_train_opts {
    int in_kind, out_kind;   /* in_kind MT_T_COUNT+? : -1 means same as out */
    double ratio;            /* 0: use rows                                 */
    double in_ratio;         /* 0: same as ratio                            */
    uint32_t rows, in_rows;
    double pop_frac;         /* share of m given to popular items (pop kinds) */
    int scalar_dtype;        /* 0 = per kind default                        */
    int row_dtype;           /* the tables' storage in the file (--dtype); 0 =
                                per table, mt_table_row_dtype: int8 for a
                                compressed table sized by a ratio, else f32  */
    uint32_t d, n_dense;
    uint32_t epochs, batch, patience;
    uint32_t warmup_epochs;  /* learned kinds                               */
    float tune_lr;           /* learned kinds after the warm-up (0: lr)     */
    float scalar_decay;      /* memcom per-item scalars decay towards 1     */
    const char *init_from;   /* warm start from this model file, no warm-up */
    float lr, dropout, weight_decay;
    uint32_t short_h;        /* short histories of 1..short_h items (0: off)  */
    float short_share;       /* the share of users given one in each step     */
    float logit_adjust;      /* TAU of the logit-adjusted softmax (0: off)    */
    float bias_prior;        /* a fresh model's output bias starts at TAU *
                                log(pi_i) (mt_logit_adjust; 0: at 0)         */
    uint64_t seed;
    int threads;
    int quiet;
    int ranker;              /* --model ranknet: the head and the pairwise loss */
    uint32_t head_layers, head_width;
    mt_rank_opts rank;
    /* called after every epoch that improves validation NDCG@20; a non-zero
     * return (with err set) ends training with that error */
    int (*on_improve)(const mt_model *mdl, uint32_t epoch, const mt_metrics *valid, void *ctx, mt_err *err);
    void *ctx;
    FILE *log;               /* progress lines (NULL: stderr)                */
    const char *state_out;   /* write the training state here after every epoch */
    const char *resume;      /* continue from this training state (state.c)  */
    /* non-NULL and set non-zero (e.g. by a signal handler): training ends
     * after the current epoch of the main run, keeping its best epoch (res->
     * interrupted); its state is then written to state_out (written after every
     * epoch anyway) or, without one, to interrupt_state.  During a warm-up
     * the run fails with MT_E_INTERRUPTED (nothing to keep yet). */
    volatile sig_atomic_t *stop;
    const char *interrupt_state;
} mt_train_opts;

void mt_train_opts_default(mt_train_opts *o);

/* The epoch at which a run is expected to end (the time-left estimate of the
 * progress lines), seen after `epoch` with best epoch b, the best epoch
 * before it b_prev (0: none) and `since` epochs without improvement: the next
 * improvement is expected g = b - b_prev epochs after b, then `patience`
 * more: b + g + P while since < g, else b + P; at least epoch, at most cap;
 * cap when patience is 0 (no early stopping). */
uint32_t mt_expected_end(uint32_t epoch, uint32_t b, uint32_t b_prev, uint32_t since, uint32_t patience,
                         uint32_t cap);

typedef struct mt_train_result {
    mt_metrics valid, test;
    uint32_t best_epoch, epochs_run;
    double seconds, sec_per_epoch;   /* total (incl. warm-up), mean train-only epoch */
    double warmup_seconds;
    mt_model_opts mopts;             /* the model actually built                    */
    int interrupted;                 /* o->stop ended the main run after epochs_run  */
    const char *state_written;       /* the state file of the last epoch (NULL: none) */
} mt_train_result;

int mt_train(mt_model *mdl, const mt_dataset *ds, const mt_train_opts *o,
             mt_train_result *res, mt_err *err);

/* Training state of the main run after an epoch (state.c): enough to resume
 * it bit for bit.  Written with pointers into the live run; read into
 * owned copies (mt_state_free). */
#define MT_STATE_MAX_WORKS 16
typedef struct mt_fit_state {
    char *options;                 /* mt_state_options of the run           */
    uint32_t epoch, best_epoch, since, tuned; /* tuned: lr after a warm start */
    double best_metric, train_time;
    uint64_t adam_step;
    mt_rng rng, work_rng[MT_STATE_MAX_WORKS];
    int n_works;
    uint32_t nu, *users;           /* the shuffled user order               */
    uint32_t n_items, *in_bucket, *out_bucket; /* NULL: table has none     */
    int n_params;
    size_t len[MT_MAX_PARAMS];
    float *v[MT_MAX_PARAMS], *m1[MT_MAX_PARAMS], *m2[MT_MAX_PARAMS], *best[MT_MAX_PARAMS];
    int loaded;
} mt_fit_state;
/* "--name=value" lines of every option that changes the result, and a data hash */
char *mt_state_options(const mt_train_opts *o, const mt_dataset *ds);
int mt_state_check_options(const mt_fit_state *s, const char *now, const char *path, mt_err *err);
int mt_state_check_model(const mt_fit_state *s, const mt_model *mdl, const char *path, mt_err *err);
int mt_state_write(const char *path, const mt_fit_state *s, mt_err *err);
int mt_state_read(const char *path, mt_fit_state *s, mt_err *err);
void mt_state_free(mt_fit_state *s);

typedef struct mt_export_opts {
    int row_dtype;          /* MEMCOM_DTYPE_F32/F16/I8; 0: each table's own (mt_table.row_dtype) */
    const char *metadata_json;
    int bias_dtype;         /* the output bias: MEMCOM_DTYPE_F32 or F16 (0: f32) */
    int string_ids;         /* 1: ids as strings (format 1.0); 0: compact when numeric */
} mt_export_opts;
int mt_export_model(const mt_model *mdl, const mt_dataset *ds, const char *path,
                    const mt_export_opts *eo, mt_err *err);

/* Serialise the model to a memcom_malloc'd buffer (free with memcom_free). */
int mt_export_bytes(const mt_model *mdl, const mt_dataset *ds, const mt_export_opts *eo, void **out,
                    size_t *size, mt_err *err);

/* ------------------------------------------------------------------ */
/* Writing outputs (outfile.c)                                          */
/* ------------------------------------------------------------------ */
/* An output being written atomically: "<path>.tmp-<pid>", then fflush,
 * fsync, rename over path, fsync of the directory. */
typedef struct mt_outfile {
    FILE *f;
    const char *path;
    char *tmp;
    int ok, err_no;
} mt_outfile;
int mt_outfile_open(mt_outfile *o, const char *path, mt_err *err);
void mt_outfile_write(mt_outfile *o, const void *p, size_t n);   /* errors are kept for commit */
int mt_outfile_commit(mt_outfile *o, mt_err *err);                /* renames, or removes the temp file */
int mt_write_atomic(const char *path, const void *data, size_t size, mt_err *err);

/* A path the run reads or writes, named for messages ("-o", "the data file").
 * allow_out: 1 + the index of the output this path may be (an input updated
 * in place, or two outputs meant to be the same file); 0 none. */
typedef struct mt_path {
    const char *path;
    const char *what;
    int allow_out;
} mt_path;
/* Before training: refuses (MT_E_OUTPUT) an output that exists and is not a
 * regular file (device, FIFO, directory, ...), one that is an input (same
 * st_dev and st_ino) or another output, and one whose directory does not
 * take a temp file.  NULL paths are skipped. */
int mt_check_outputs(const mt_path *outs, int n_outs, const mt_path *ins, int n_ins, mt_err *err);

/* Warm start (init_from.c): a full/full model shaped like `shape` whose
 * tables, biases and dense layers come from the model file at path. */
int mt_load_warm(const char *path, const mt_dataset *ds, const mt_model_opts *shape, mt_model *warm,
                 mt_err *err);

/* Text buffer with JSON string escaping (util.c). */
typedef struct mt_buf {
    char *p;
    size_t len, cap;
} mt_buf;
void mt_buf_printf(mt_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void mt_buf_json_string(mt_buf *b, const char *s);
void mt_buf_free(mt_buf *b);

/* The last component of a path: what a model's metadata records of a file
 * (the data, a warm start), so that no directory of the trainer's machine
 * travels with the model. */
static inline const char *mt_base_name(const char *path)
{
    const char *b = path;
    for (const char *c = path; *c; c++)
        if (*c == '/' || *c == '\\') b = c + 1;
    return b;
}

/* Evaluation of a model file through the public API (file_eval.c): items of
 * the data set are matched to the model by id string; held-out items the
 * model does not know count as misses.  handles: n_threads handles of the
 * same file (one per thread). */
/* popularity: memcom_recommend_popularity's p (1: memcom_recommend) */
int mt_evaluate_file(memcom_model **handles, int n_threads, const mt_dataset *ds, const mt_csr *truth, float popularity,
                     mt_metrics *out, uint32_t *unknown_items, uint32_t *top10, mt_err *err);
/* top10 (n_users x 10, or NULL): each evaluated user's top 10 model indices,
 * UINT32_MAX past the end of a shorter list */

/* `memcom eval`: open the model file (one handle per thread), load the data,
 * evaluate on the chosen splits (file_eval.c). */
typedef struct mt_eval_opts {
    const char *model_path;
    mt_data_opts data;
    int threads;
    int on[2];                /* evaluate on valid, on test */
    int allow_split_mismatch; /* evaluate although the split differs (warning) */
    float popularity;         /* memcom_recommend_popularity's p; < 0: the model's default
                                 (mt_model_popularity), else 1 */
    const char *top_path;     /* per user: history and top 10 (model indices), TSV; NULL none */
} mt_eval_opts;
typedef struct mt_eval_result {
    memcom_info info;         /* of the model file                          */
    char dataset[256];        /* data set name, users and items             */
    uint32_t n_users, n_items;
    uint32_t unknown_items;   /* data set items the model does not know     */
    float popularity;         /* the popularity control ranked with          */
    mt_metrics m[2];          /* valid, test (where asked for)              */
    char note[640];           /* how the data file was read (mt_dataset.note) */
    char warning[1024];       /* the split differs (allow_split_mismatch), or
                                 the model records no provenance; "" if none */
} mt_eval_result;
/* Compares the provenance recorded in a model's metadata JSON with the data
 * and split options of an evaluation.  Returns 0 if they agree (or the
 * metadata records none: *unchecked set), else 1 with what differs, one
 * item after another, in diff. */
int mt_split_compare(const char *meta, size_t meta_len, const mt_dataset *ds, const mt_data_opts *o, char *diff,
                     size_t cap, int *unchecked);
int mt_eval_run(const mt_eval_opts *eo, mt_eval_result *r, mt_err *err);
/* the popularity an evaluation ranks with: eo->popularity, or the model's default, or 1 */
float mt_eval_popularity(const mt_eval_opts *eo, const memcom_model *model);
/* The first half of mt_eval_run: the model opened (one handle per thread),
 * the data loaded and the split checked (r filled but for the metrics).
 * Close with mt_eval_close (done already when it fails). */
typedef struct mt_eval_session {
    memcom_model *h[16];
    int threads;
    mt_dataset ds;
    int have_ds;
} mt_eval_session;
int mt_eval_open(const mt_eval_opts *eo, mt_eval_session *s, mt_eval_result *r, mt_err *err);
void mt_eval_close(mt_eval_session *s);
/* The held-out part to evaluate on (0 valid, 1 test); NULL (MT_E_DATA) if empty. */
const mt_csr *mt_eval_truth(const mt_dataset *ds, int part, mt_err *err);

/* ------------------------------------------------------------------ */
/* Short-history evaluation (short_eval.c, baselines.c, list_stats.c)   */
/* ------------------------------------------------------------------ */
/* For each evaluated user, h items sampled (seeded) from the user's training
 * items are the input; every item but those h is ranked (the user's other
 * training items and validation items included, as for a new user who gave
 * only those h); the held-out part (test or valid) is the target. */
#define MT_SH_MAX_H 8          /* history lengths in one run               */
#define MT_SH_LIST 10          /* the personalisation figures use top-10s  */
#define MT_SH_POPULAR 50       /* "popular": the 50 most popular training items */
#define MT_EASE_MAX_ITEMS 20000 /* EASE (an n x n inverse) only up to this n */
#define MT_SH_MAX_PAIRS 20000000ull /* Jaccard over all pairs of users up to this many
                                       (6,325 users), else over this many random pairs */

typedef enum mt_sh_method {
    MT_SH_MODEL = 0,     /* the model file, through the public API       */
    MT_SH_POPULARITY,    /* training interaction counts                  */
    MT_SH_ITEM_KNN,      /* co-occurrence cosine, the user left out      */
    MT_SH_EASE,          /* closed-form EASE over the training matrix    */
    MT_SH_N_METHODS
} mt_sh_method;
const char *mt_sh_method_name(int method);   /* "model" "popularity" "item-knn" "ease" */
int mt_sh_method_parse(const char *s, size_t len);   /* -1: unknown */

/* Personalisation figures of per-user top lists (lists: n_lists x k item
 * indices, len[u] of them valid), items numbered by descending training
 * popularity (index < n_popular: among the most popular):
 * popular_share: share of all list slots holding a popular item;
 * jaccard: mean |A n B| / |A u B| over all pairs of lists (pairs with an
 *          empty union count as 0), or, when there are more than max_pairs
 *          pairs (max_pairs > 0), over max_pairs uniform random pairs of two
 *          different lists (seeded; sampled set);
 * coverage: distinct items in all lists / n_items. */
typedef struct mt_list_stats {
    double popular_share, jaccard, coverage;
    uint32_t distinct;
    uint64_t pairs, slots;
    int sampled;
} mt_list_stats;
void mt_list_stats_compute(const uint32_t *lists, const uint8_t *len, uint32_t n_lists, uint32_t k,
                           uint32_t n_items, uint32_t n_popular, uint64_t max_pairs, uint64_t seed,
                           mt_list_stats *out);

/* Item-kNN: score_j = sum over i in H of C_ij / sqrt(c_i c_j), with C the
 * training co-occurrence counts and c_i the training counts; with the user's
 * training items U given, the user is left out (C_ij - [i,j in U],
 * c_i - [i in U]); a zero denominator scores 0.  Rows of C are computed when
 * first needed and kept. */
typedef struct mt_knn {
    const mt_csr *train;
    uint32_t n_items;
    uint64_t *item_off;        /* item -> users (n_items + 1)          */
    uint32_t *item_users;
    uint32_t *count;           /* c_i                                  */
    uint32_t **row;            /* n_items rows of C, NULL until needed */
    uint8_t *in_user;          /* scratch: U marked                    */
} mt_knn;
void mt_knn_init(mt_knn *k, const mt_csr *train, uint32_t n_items);
void mt_knn_free(mt_knn *k);
/* user_items (U, any order) may be NULL: nobody left out. */
void mt_knn_scores(mt_knn *k, const uint32_t *hist, uint32_t n_hist, const uint32_t *user_items,
                   uint32_t n_user_items, float *scores);

/* EASE (Steck 2019): B = I - P diagMat(1 / diag P), P = (X^T X + lambda I)^-1,
 * diag B = 0, over the training matrix X (users x items); score_j = sum over
 * i in H of B_ij.  n x n floats. */
typedef struct mt_ease {
    uint32_t n;
    float *B;
} mt_ease;
int mt_ease_fit(mt_ease *e, const mt_csr *train, uint32_t n_items, double lambda, mt_err *err);
void mt_ease_free(mt_ease *e);
void mt_ease_scores(const mt_ease *e, const uint32_t *hist, uint32_t n_hist, float *scores);

typedef struct mt_short_opts {
    uint32_t h[MT_SH_MAX_H];  /* history lengths, ascending, distinct      */
    int n_h;
    uint64_t seed;            /* the sampled histories and users           */
    uint32_t max_users;       /* a seeded sample of this many users; 0 all */
    double bias_weight;       /* the model's output bias times this (1: as trained) */
    float popularity;         /* memcom_recommend_popularity's p, in [0, 1] (1: as trained) */
    unsigned methods;         /* 1 << mt_sh_method of the baselines to add  */
    double ease_lambda;
    const char *lists_path;   /* every user's history, top-20 and targets (TSV); NULL none */
    FILE *log;                /* progress lines; NULL none                 */
} mt_short_opts;
void mt_short_opts_default(mt_short_opts *o);

typedef struct mt_short_row {
    int method;               /* mt_sh_method */
    uint32_t h;
    mt_metrics m;             /* NDCG and Recall at 10, 20, 40 */
    mt_list_stats st;         /* of the top-10 lists */
} mt_short_row;
typedef struct mt_short_result {
    uint32_t users;           /* evaluated                                  */
    uint32_t with_targets;    /* users with held-out items                   */
    uint32_t too_short;       /* of those, fewer training items than the largest h */
    int n_rows;
    mt_short_row rows[MT_SH_MAX_H * MT_SH_N_METHODS];   /* by h, then method */
    char note[256];           /* a baseline left out, and why; "" none       */
} mt_short_result;
/* model: a handle of the model file; truth: the held-out part. */
int mt_short_eval(memcom_model *model, const mt_dataset *ds, const mt_csr *truth, const mt_short_opts *o,
                  mt_short_result *r, mt_err *err);

/* ------------------------------------------------------------------ */
/* The serving default of the popularity control (popularity.c)         */
/* ------------------------------------------------------------------ */
/* The rule: on the held-out (validation) items, with the short histories
 * of mt_short_eval at h = 3 and 5, every p of the grid 0, 0.05, ..., 1 is
 * measured; among the p whose Jaccard is at most MT_POP_MAX_JACCARD at
 * h = 3 and at h = 5, the one with the highest mean NDCG@10 (h = 3, 5);
 * when there is none, the p with the lowest Jaccard among those within
 * MT_POP_NDCG_SLACK of the best NDCG@10.  Ties: the higher p. */
#define MT_POP_GRID 21
#define MT_POP_MAX_JACCARD 0.10
#define MT_POP_NDCG_SLACK 0.02
typedef struct mt_pop_point {
    float p;
    double ndcg10[2], popular_share[2], jaccard[2], coverage[2]; /* h = 3, h = 5 */
} mt_pop_point;
typedef struct mt_pop_choice {
    mt_pop_point curve[MT_POP_GRID];
    int chosen;               /* index into curve */
    int by_jaccard;           /* 1: chosen among Jaccard <= MT_POP_MAX_JACCARD; 0: the fallback */
    int given;                /* 1: set by the user (curve[0].p only; nothing measured) */
    uint32_t users;
    mt_metrics test;          /* full-history test metrics at the chosen p (the trainer fills them) */
    int have_test;
} mt_pop_choice;
/* log: progress lines (NULL none).  MT_E_DATA when no user has held-out
 * items and at least 5 training items (nothing to choose on). */
int mt_choose_popularity(memcom_model *model, const mt_dataset *ds, const mt_csr *truth, FILE *log,
                         mt_pop_choice *out, mt_err *err);
/* The default a model's metadata records (written by mt_buf_json_serving):
 * 1 with *p set, 0 when it records none. */
int mt_model_popularity(const memcom_model *model, float *p);
/* ,"serving":{...} for the metadata JSON */
void mt_buf_json_serving(mt_buf *b, const mt_pop_choice *c);

/* ------------------------------------------------------------------ */
/* A whole run, as `memcom train` does it (run.c)                       */
/* ------------------------------------------------------------------ */
typedef struct mt_run_opts {
    mt_data_opts data;        /* where the data came from (metadata, input paths) */
    mt_train_opts train;      /* on_improve, ctx, state_out and resume are set by mt_run */
    const char *out;          /* the model file                                   */
    int bias_dtype;           /* its output bias: MEMCOM_DTYPE_F32 or F16          */
    int string_ids;           /* 1: ids as strings (format 1.0, for older readers) */
    const char *checkpoint;   /* f32 model after every improving epoch, and
                                 CHECKPOINT.state after every epoch (NULL: none)   */
    const char *resume;       /* continue from RESUME.state; checkpoint defaults to it */
    const char *json;         /* the summary to this file; "-": only in result.summary */
    float popularity;         /* the popularity default to record; < 0: choose it on the
                                 validation items (mt_choose_popularity) */
    volatile sig_atomic_t *stop; /* see mt_train_opts.stop; the best model is then
                                 written to out as at a normal end, and the state to
                                 CHECKPOINT.state or (no checkpoint) OUT.state  */
} mt_run_opts;

typedef struct mt_run_result {
    mt_train_result train;    /* f32 metrics of the trained model                */
    mt_metrics file_test;     /* test metrics of the stored tables (dtype != f32) */
    int have_file_test;
    mt_pop_choice serving;    /* the popularity default chosen on the validation items */
    int have_serving;
    int no_valid;             /* trained without validation data (--patience 0)   */
    uint64_t file_bytes, input_bytes, output_bytes, full_f32_bytes;
    uint64_t full_file_bytes; /* the same file with full f32 tables and bias (memcom_info.full_file_bytes) */
    char *summary;            /* the JSON summary, one line                       */
    int interrupted;          /* ro->stop ended training; the best model was written */
    char state_path[4096];    /* the state written at the last epoch ("" none)    */
    char resume_from[4096];   /* interrupted: give --resume this to continue      */
} mt_run_result;

void mt_run_opts_default(mt_run_opts *ro);
/* Every output can be written and replaces nothing it must not (mt_check_outputs
 * over -o, the checkpoint, its state and the --json file against the data
 * files, the --init-from model and the state resumed from).  Before loading. */
int mt_run_check(const mt_run_opts *ro, mt_err *err);
/* 0: the data has validation interactions; 1: it has none and --patience 0
 * asks for all epochs (the last is kept); -1 (MT_E_NO_VALID): it has none, with
 * what to do in the message. */
int mt_run_check_data(const mt_run_opts *ro, const mt_dataset *ds, mt_err *err);
/* Checks (as above), trains, evaluates the model as stored (in memory), writes
 * ro->out once (atomically) and then the --json summary.  Free with
 * mt_run_result_free (also after a failure). */
int mt_run(const mt_run_opts *ro, const mt_dataset *ds, mt_run_result *res, mt_err *err);
void mt_run_result_free(mt_run_result *res);
void mt_buf_json_metrics(mt_buf *b, const mt_metrics *m);
/* The data provenance object of the metadata ("data"): format, file, size,
 * distinct pairs, duplicates, data_hash and split_hash (run.c). */
void mt_buf_json_provenance(mt_buf *b, const mt_dataset *ds);

#endif
