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
 * with a message in an mc_err (naming file and line where there is one).
 */
#ifndef MEMCOM_TRAIN_H
#define MEMCOM_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../memcom.h"

/* ------------------------------------------------------------------ */
/* Errors and small utilities (util.c)                                  */
/* ------------------------------------------------------------------ */
typedef struct mc_err {
    char msg[1024];
} mc_err;

int mc_fail(mc_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;                                  /* sets the message, returns -1 */

double mc_now(void);                   /* monotonic seconds            */
void *mc_xcalloc(size_t n, size_t size); /* aborts with a message on OOM */
void *mc_xmalloc(size_t size);
void *mc_xrealloc(void *p, size_t size);
char *mc_xstrdup(const char *s, size_t len);
void mc_format_duration(double seconds, char *out, size_t cap);
float mc_round_f16(float x);             /* nearest binary16 value   */

/* Seeded pseudo-random numbers (xoshiro256**), one state per thread. */
typedef struct mc_rng {
    uint64_t s[4];
} mc_rng;
void mc_rng_seed(mc_rng *r, uint64_t seed);
uint64_t mc_rng_next(mc_rng *r);
double mc_rng_uniform(mc_rng *r);        /* [0, 1)                 */
float mc_rng_normal(mc_rng *r);          /* standard normal        */
uint32_t mc_rng_below(mc_rng *r, uint32_t n);
void mc_shuffle_u32(mc_rng *r, uint32_t *a, size_t n);

/* String -> index map (open addressing; keys are copied). */
typedef struct mc_strmap {
    char **keys;
    uint32_t *vals;
    size_t cap, count;
} mc_strmap;
void mc_strmap_init(mc_strmap *m);
void mc_strmap_free(mc_strmap *m);
/* Returns the index of key; inserts it with value `count` if new. */
uint32_t mc_strmap_intern(mc_strmap *m, const char *key, size_t len, int *is_new);
int mc_strmap_get(const mc_strmap *m, const char *key, size_t len, uint32_t *val);

/* ------------------------------------------------------------------ */
/* Data (data_*.c)                                                      */
/* ------------------------------------------------------------------ */
/* Per-user item lists in compressed-row form. */
typedef struct mc_csr {
    uint32_t n_rows;
    uint64_t nnz;
    uint64_t *off;   /* n_rows + 1 */
    uint32_t *idx;   /* nnz        */
} mc_csr;

typedef struct mc_dataset {
    char name[256];
    uint32_t n_users, n_items;
    char **item_ids;     /* n_items strings, by (popularity) index      */
    uint32_t *item_count;/* training interactions per item              */
    mc_csr train, valid, test; /* n_users rows each (empty rows allowed) */
} mc_dataset;

typedef enum mc_input_format {
    MC_FMT_SPLIT = 0,    /* train.txt/valid.txt/test.txt: user item item ... */
    MC_FMT_CSV = 1,      /* user,item[,rating[,timestamp]]                  */
    MC_FMT_SEQ = 2       /* one user per line: user item item ... (split)    */
} mc_input_format;

typedef struct mc_data_opts {
    int format;               /* mc_input_format                           */
    const char *train_path, *valid_path, *test_path; /* MC_FMT_SPLIT      */
    const char *path;         /* MC_FMT_CSV / MC_FMT_SEQ                   */
    char delimiter;           /* CSV: ',' '\t' ... ; 0 = guess from header */
    int header;               /* CSV: first line is a header               */
    int has_threshold;
    double threshold;         /* CSV: keep rating >= threshold             */
    double valid_frac, test_frac; /* per-user split (default .1 / .2)      */
    uint64_t seed;
    const char *name;         /* data set name for metadata (NULL: derive) */
} mc_data_opts;

void mc_data_opts_default(mc_data_opts *o);
int mc_dataset_load(mc_dataset *ds, const mc_data_opts *o, mc_err *err);
void mc_dataset_free(mc_dataset *ds);

/* Internal to the readers: raw (user, item) pairs before renumbering. */
typedef struct mc_pairs {
    uint32_t *user, *item;   /* indices into the user / item string maps */
    uint8_t *part;           /* 0 train, 1 valid, 2 test                  */
    size_t count, cap;
} mc_pairs;
void mc_pairs_push(mc_pairs *p, uint32_t user, uint32_t item, uint8_t part);
void mc_pairs_free(mc_pairs *p);
int mc_read_split_file(const char *path, uint8_t part, mc_strmap *users,
                       mc_strmap *items, mc_pairs *out, mc_err *err);
int mc_read_csv_file(const mc_data_opts *o, mc_strmap *users, mc_strmap *items,
                     mc_pairs *out, mc_err *err);
/* Seeded per-user split of pairs (all part 0 on entry); keeps order of
 * first appearance per user and removes duplicate (user, item) pairs. */
void mc_split_per_user(mc_pairs *p, uint32_t n_users, double valid_frac,
                       double test_frac, uint64_t seed);
/* Renumber items by descending training count and build the CSRs. */
void mc_dataset_build(mc_dataset *ds, mc_pairs *p, mc_strmap *users, mc_strmap *items);
void mc_csr_free(mc_csr *c);
/* Reads one line (any length) from f; strips \r\n.  Returns length or -1. */
long mc_getline(FILE *f, char **buf, size_t *cap);

/* ------------------------------------------------------------------ */
/* Table kinds as the trainer sees them (table.c)                       */
/* ------------------------------------------------------------------ */
typedef enum mc_tkind {
    MC_T_FULL = 0,
    MC_T_HASH,              /* U[i mod m]                                   */
    MC_T_QR,                /* Q[i / m] * R[i mod m]                        */
    MC_T_MEMCOM,            /* paper: w[i] U[i mod m] over popularity ids    */
    MC_T_MEMCOM_POP,        /* the p most popular items own rows, rest mod   */
    MC_T_MEMCOM_LEARNED,    /* k-means buckets from a warm-up run (explicit) */
    MC_T_MEMCOM_LEARNED_POP,/* learned buckets + popular items own rows      */
    MC_T_COUNT
} mc_tkind;

const char *mc_tkind_name(int kind);
int mc_tkind_parse(const char *s, int *kind);  /* "memcom" -> default variant */
int mc_tkind_core(int kind);                   /* memcom_kind of the file    */
int mc_tkind_explicit(int kind);               /* stores bucket indices      */
int mc_tkind_learned(int kind);                /* needs a warm-up            */
int mc_tkind_is_memcom(int kind);
#define MC_T_MEMCOM_DEFAULT MC_T_MEMCOM_LEARNED_POP

/* Table sizes: rows for a byte budget and stored bytes. */
typedef struct mc_tsize {
    uint32_t m;          /* rows of U (hash/memcom) or of R (qr); n for full */
    uint32_t pop;        /* popular items with rows of their own           */
    int scalar_dtype;    /* memcom: MEMCOM_DTYPE_F32 or F16                 */
} mc_tsize;
uint64_t mc_table_bytes(int kind, uint32_t n, uint32_t d, const mc_tsize *s, int row_dtype);
/* Choose m for compression ratio R (bytes of the f32 full table / R). */
int mc_table_size_for_ratio(int kind, uint32_t n, uint32_t d, double ratio,
                            int scalar_dtype, mc_tsize *out, mc_err *err);
int mc_table_size_for_rows(int kind, uint32_t n, uint32_t d, uint32_t m,
                           int scalar_dtype, mc_tsize *out, mc_err *err);

/* A trainable parameter block: value, gradient (per worker), Adam moments. */
typedef struct mc_param {
    float *v, *m1, *m2;
    size_t len;
    int decay;            /* apply weight decay                    */
    float center;         /* weight decay pulls towards this value  */
    float decay_rate;     /* > 0: own decay rate instead of the optimiser's */
    const char *name;
} mc_param;

typedef struct mc_table {
    int kind;             /* mc_tkind                               */
    uint32_t n, m, d;
    uint32_t rows_a;      /* rows of A (full n, hash/memcom m, qr ceil(n/m)) */
    uint32_t pop;
    int scalar_dtype;
    uint32_t *bucket;     /* n; hash/memcom (also for mod)            */
    int pidx_a, pidx_b, pidx_w;   /* indices into the model's params, -1 none */
} mc_table;

/* ------------------------------------------------------------------ */
/* The model (model.c, dae.c)                                           */
/* ------------------------------------------------------------------ */
#define MC_MAX_PARAMS 32
#define MC_MAX_LAYERS 8

typedef struct mc_model_opts {
    int in_kind, out_kind;          /* mc_tkind of each table                 */
    mc_tsize in_size, out_size;
    uint32_t d;
    uint32_t n_dense;               /* dense d x d tanh layers after the first */
    float init_std;
    float scalar_decay;             /* decay of memcom scalars towards 1 (0: none) */
} mc_model_opts;

typedef struct mc_model {
    uint32_t n, d;
    mc_table in, out;
    uint32_t n_dense;
    int pidx_b0;                    /* bias of the first (identity) layer     */
    int pidx_w[MC_MAX_LAYERS], pidx_b[MC_MAX_LAYERS];
    int pidx_bias;                  /* output bias                            */
    mc_param params[MC_MAX_PARAMS];
    int n_params;
} mc_model;

int mc_model_init(mc_model *mdl, uint32_t n, const mc_model_opts *o,
                  const uint32_t *in_buckets, const uint32_t *out_buckets,
                  uint64_t seed, mc_err *err);
void mc_model_free(mc_model *mdl);
size_t mc_model_param_count(const mc_model *mdl);
void mc_model_copy_values(mc_model *dst, const mc_model *src); /* same shapes */

/* Reconstruct item i's embedding (d floats). */
void mc_table_row(const mc_model *mdl, const mc_table *t, uint32_t i, float *out);
/* Fill buckets for a kind: mod / pop+mod (explicit learned: caller). */
void mc_buckets_default(int kind, uint32_t n, uint32_t m, uint32_t pop, uint32_t *bucket);

/* Per-worker scratch and gradients for a shard of users. */
typedef struct mc_work {
    float *grad[MC_MAX_PARAMS];     /* same lengths as params                */
    float *x, *act[MC_MAX_LAYERS + 1]; /* B x d each: x and layer outputs    */
    float *dh, *dx;                  /* B x d                                */
    float *S;                        /* B x n logits / probabilities         */
    float *T;                        /* B x m (factorised output)            */
    float *dT;                       /* B x m                                */
    float *E;                        /* n x d: materialised output (qr)       */
    float *dE;                       /* n x d                                */
    float *in_scale;                 /* B: 1/sqrt|H| * dropout scale          */
    uint8_t *keep;                   /* per nnz of the shard: dropout mask   */
    size_t keep_cap;
    int keep_active;                 /* last forward used dropout         */
    uint32_t cap_b;
    mc_rng rng;
    double loss;
} mc_work;

void mc_work_init(mc_work *w, const mc_model *mdl, uint32_t cap_b, uint64_t seed);
void mc_work_free(mc_work *w, const mc_model *mdl);
void mc_work_zero_grad(mc_work *w, const mc_model *mdl);

/* Forward (and backward if train) for users[0..b): histories from `hist`.
 * Targets are the same histories (autoencoder).  dropout in [0, 1). */
void mc_dae_forward(const mc_model *mdl, mc_work *w, const mc_csr *hist,
                    const uint32_t *users, uint32_t b, float dropout, int train);
/* Loss and gradients (after mc_dae_forward with train=1); adds to w->loss
 * and to w->grad (scaled by grad_scale, e.g. 1/batch). */
void mc_dae_backward(const mc_model *mdl, mc_work *w, const mc_csr *hist,
                     const uint32_t *users, uint32_t b, float grad_scale);
/* Scores only (no bias masking) for users: S = logits, B x n. */
void mc_dae_scores(const mc_model *mdl, mc_work *w, const mc_csr *hist,
                   const uint32_t *users, uint32_t b);

/* Adam (decoupled weight decay). */
typedef struct mc_adam {
    float lr, beta1, beta2, eps, weight_decay;
    uint64_t step;
} mc_adam;
/* Update slice `part` of `n_parts` of every parameter from the sum of the
 * workers' gradients (a->step already incremented).  Thread-safe across parts. */
void mc_adam_update(const mc_adam *a, mc_model *mdl, mc_work *works, int n_works, int part,
                    int n_parts);

/* ------------------------------------------------------------------ */
/* Metrics (metrics.c) and evaluation (evaluate.c)                      */
/* ------------------------------------------------------------------ */
#define MC_N_KS 3
extern const uint32_t mc_eval_ks[MC_N_KS];   /* 10, 20, 40 */

typedef struct mc_metrics {
    double recall[MC_N_KS], ndcg[MC_N_KS];
    uint32_t users;
} mc_metrics;
/* out += part (sums over users); then out /= out->users (per-user means) */
void mc_metrics_add(mc_metrics *out, const mc_metrics *part);
void mc_metrics_average(mc_metrics *out);

/* One user: ranked[0..n_ranked) top items, truth sorted ascending. */
void mc_user_metrics(const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth,
                     uint32_t n_truth, uint32_t k, double *recall, double *ndcg);
/* Top-k of scores, skipping excluded (sorted ascending), ties: lower index. */
uint32_t mc_topk_scores(const float *scores, uint32_t n, const uint32_t *excl,
                        uint32_t n_excl, uint32_t k, uint32_t *out);

int mc_evaluate(const mc_model *mdl, const mc_dataset *ds, const mc_csr *truth,
                int n_threads, mc_metrics *out);

/* ------------------------------------------------------------------ */
/* Bucket learning (kmeans.c)                                            */
/* ------------------------------------------------------------------ */
/* Spherical k-means (sign-free: |cos|) of n vectors (n x d) into m
 * clusters; the first `pop` items get clusters of their own.  Writes
 * bucket[n] and centroid rows (m x d) and per-item scale w[n] such that
 * vec_i ~ w_i * centroid[bucket_i]. */
void mc_kmeans_buckets(const float *vecs, uint32_t n, uint32_t d, uint32_t m,
                       uint32_t pop, int iters, int n_threads, uint64_t seed,
                       uint32_t *bucket, float *centroids, float *w);

/* ------------------------------------------------------------------ */
/* Training (trainer.c) and export (export.c)                           */
/* ------------------------------------------------------------------ */
typedef struct mc_train_opts {
    int in_kind, out_kind;   /* in_kind MC_T_COUNT+? : -1 means same as out */
    double ratio;            /* 0: use rows                                 */
    double in_ratio;         /* 0: same as ratio                            */
    uint32_t rows, in_rows;
    double pop_frac;         /* share of m given to popular items (pop kinds) */
    int scalar_dtype;        /* 0 = per kind default                        */
    uint32_t d, n_dense;
    uint32_t epochs, batch, patience;
    uint32_t warmup_epochs;  /* learned kinds                               */
    float tune_lr;           /* learned kinds after the warm-up (0: lr)     */
    float scalar_decay;      /* memcom per-item scalars decay towards 1     */
    const char *init_from;   /* warm start from this model file, no warm-up */
    float lr, dropout, weight_decay;
    uint64_t seed;
    int threads;
    int quiet;
    /* called after every epoch that improves validation NDCG@20 */
    int (*on_improve)(const mc_model *mdl, uint32_t epoch, const mc_metrics *valid, void *ctx);
    void *ctx;
    FILE *log;               /* progress lines (NULL: stderr)                */
    const char *state_out;   /* write the training state here after every epoch */
    const char *resume;      /* continue from this training state (state.c)  */
} mc_train_opts;

void mc_train_opts_default(mc_train_opts *o);

typedef struct mc_train_result {
    mc_metrics valid, test;
    uint32_t best_epoch, epochs_run;
    double seconds, sec_per_epoch;   /* total (incl. warm-up), mean train-only epoch */
    double warmup_seconds;
    mc_model_opts mopts;             /* the model actually built                    */
} mc_train_result;

int mc_train(mc_model *mdl, const mc_dataset *ds, const mc_train_opts *o,
             mc_train_result *res, mc_err *err);

/* Training state of the main run after an epoch (state.c): enough to resume
 * it bit for bit.  Written with pointers into the live run; read into
 * owned copies (mc_state_free). */
#define MC_STATE_MAX_WORKS 16
typedef struct mc_fit_state {
    char *options;                 /* mc_state_options of the run           */
    uint32_t epoch, best_epoch, since, tuned; /* tuned: lr after a warm start */
    double best_metric, train_time;
    uint64_t adam_step;
    mc_rng rng, work_rng[MC_STATE_MAX_WORKS];
    int n_works;
    uint32_t nu, *users;           /* the shuffled user order               */
    uint32_t n_items, *in_bucket, *out_bucket; /* NULL: table has none     */
    int n_params;
    size_t len[MC_MAX_PARAMS];
    float *v[MC_MAX_PARAMS], *m1[MC_MAX_PARAMS], *m2[MC_MAX_PARAMS], *best[MC_MAX_PARAMS];
    int loaded;
} mc_fit_state;
/* "--name=value" lines of every option that changes the result, and a data hash */
char *mc_state_options(const mc_train_opts *o, const mc_dataset *ds);
int mc_state_check_options(const mc_fit_state *s, const char *now, const char *path, mc_err *err);
int mc_state_check_model(const mc_fit_state *s, const mc_model *mdl, const char *path, mc_err *err);
int mc_state_write(const char *path, const mc_fit_state *s, mc_err *err);
int mc_state_read(const char *path, mc_fit_state *s, mc_err *err);
void mc_state_free(mc_fit_state *s);

typedef struct mc_export_opts {
    int row_dtype;          /* MEMCOM_DTYPE_F32/F16/I8 */
    const char *metadata_json;
} mc_export_opts;
int mc_export_model(const mc_model *mdl, const mc_dataset *ds, const char *path,
                    const mc_export_opts *eo, mc_err *err);

/* Warm start (init_from.c): a full/full model shaped like `shape` whose
 * tables, biases and dense layers come from the model file at path. */
int mc_load_warm(const char *path, const mc_dataset *ds, const mc_model_opts *shape, mc_model *warm,
                 mc_err *err);

/* Text buffer with JSON string escaping (util.c). */
typedef struct mc_buf {
    char *p;
    size_t len, cap;
} mc_buf;
void mc_buf_printf(mc_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void mc_buf_json_string(mc_buf *b, const char *s);
void mc_buf_free(mc_buf *b);

/* Evaluation of a model file through the public API (file_eval.c): items of
 * the data set are matched to the model by id string; held-out items the
 * model does not know count as misses.  handles: n_threads handles of the
 * same file (one per thread). */
int mc_evaluate_file(memcom_model **handles, int n_threads, const mc_dataset *ds, const mc_csr *truth,
                     mc_metrics *out, uint32_t *unknown_items, mc_err *err);

#endif
