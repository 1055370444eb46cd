/*
 * writer.c - serialises a model description to the .memcom format: quantises
 * f32 input to the requested storage types (f16, int8 with a symmetric
 * per-row scale max|x|/127), builds the sorted id index (or the compact numeric
 * ids of ids.c), aligns sections to 64
 * bytes, computes CRCs, and re-validates the result with the reader.  Files
 * are written atomically: "<path>.tmp-<pid>", fflush, fsync, rename.
 * (Assumes a little-endian host, as are x86, arm64 and wasm.)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ids.h"
#include "view.h"

#define MC_MAX_SEC_LIST 128 /* more than tables, 2 x 16 layers, 2 x 16 head layers, ids, metadata */

typedef struct mcc_wsec {
    uint32_t type, index, dtype;
    uint64_t size, off;
} mcc_wsec;

typedef struct mcc_wr {
    const memcom_model_data *md;
    uint32_t n;
    mcc_wsec sec[MC_MAX_SEC_LIST];
    uint32_t count;
    uint8_t *buf;
    uint32_t *id_len;    /* n id lengths, when ids */
    uint64_t id_total;
    uint8_t *id_runs, *id_ranks; /* compact ids (format 1.1), when used */
    uint64_t id_runs_size;
    size_t meta_len;
    char *detail;
    size_t cap;
} mcc_wr;

static const char *mcc_rn(int role) { return role ? "output" : "input"; }

static int mcc_w_desc(mcc_wr *w, int role, const memcom_table_data *t)
{
    const memcom_table_desc *d = &t->desc;
    const char *rn = mcc_rn(role);
    if (d->kind == MEMCOM_KIND_NONE) return MEMCOM_OK;
    if (d->kind > MEMCOM_KIND_MEMCOM)
        return mcc_fail(MEMCOM_E_TABLE_KIND, w->detail, w->cap, "%s table: unknown kind %u", rn, (unsigned)d->kind);
    if (d->n != w->n)
        return mcc_fail(MEMCOM_E_SIZES, w->detail, w->cap, "%s table: n = %u differs from the output table's %u", rn, (unsigned)d->n, (unsigned)w->n);
    if (d->d < 1 || d->d > MC_MAX_DIM)
        return mcc_fail(MEMCOM_E_SIZES, w->detail, w->cap, "%s table: d = %u not in 1..%u", rn, (unsigned)d->d, MC_MAX_DIM);
    if (d->kind == MEMCOM_KIND_FULL ? d->m != d->n : (d->m < 1 || d->m > d->n))
        return mcc_fail(MEMCOM_E_SIZES, w->detail, w->cap, "%s table: m = %u invalid for n = %u", rn, (unsigned)d->m, (unsigned)d->n);
    if (d->row_dtype < MEMCOM_DTYPE_F32 || d->row_dtype > MEMCOM_DTYPE_I8)
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, w->detail, w->cap, "%s table: row dtype %u", rn, (unsigned)d->row_dtype);
    if (d->kind == MEMCOM_KIND_MEMCOM ? (d->scalar_dtype != MEMCOM_DTYPE_F32 && d->scalar_dtype != MEMCOM_DTYPE_F16)
                                      : d->scalar_dtype != MEMCOM_DTYPE_NONE)
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, w->detail, w->cap, "%s table: scalar dtype %u", rn, (unsigned)d->scalar_dtype);
    int bucketed = mcc_kind_has_buckets(d->kind);
    if (bucketed ? (d->bucket_mode < MEMCOM_BUCKET_MOD || d->bucket_mode > MEMCOM_BUCKET_EXPLICIT)
                 : d->bucket_mode != MEMCOM_BUCKET_NONE)
        return mcc_fail(MEMCOM_E_BUCKET_MODE, w->detail, w->cap, "%s table: bucket mode %u", rn, (unsigned)d->bucket_mode);
    if (d->bucket_mode != MEMCOM_BUCKET_HASH && d->hash_seed)
        return mcc_fail(MEMCOM_E_BUCKET_MODE, w->detail, w->cap, "%s table: hash seed without hash buckets", rn);
    if (d->bucket_mode == MEMCOM_BUCKET_EXPLICIT
            ? !(d->bucket_dtype == MEMCOM_DTYPE_U32 || (d->bucket_dtype == MEMCOM_DTYPE_U16 && d->m <= 65536u))
            : d->bucket_dtype != MEMCOM_DTYPE_NONE)
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, w->detail, w->cap, "%s table: bucket dtype %u", rn, (unsigned)d->bucket_dtype);
    if (!t->rows_a || (d->kind == MEMCOM_KIND_QR && !t->rows_b) || (d->kind == MEMCOM_KIND_MEMCOM && !t->scalars) ||
        (d->bucket_mode == MEMCOM_BUCKET_EXPLICIT && !t->buckets))
        return mcc_fail(MEMCOM_E_ARG, w->detail, w->cap, "%s table: missing data array", rn);
    if (t->buckets && d->bucket_mode == MEMCOM_BUCKET_EXPLICIT)
        for (uint32_t i = 0; i < d->n; i++)
            if (t->buckets[i] >= d->m)
                return mcc_fail(MEMCOM_E_BUCKET_RANGE, w->detail, w->cap, "%s table: item %u has bucket %u >= m = %u", rn,
                               (unsigned)i, (unsigned)t->buckets[i], (unsigned)d->m);
    return MEMCOM_OK;
}

static void mcc_w_add(mcc_wr *w, uint32_t type, uint32_t index, uint32_t dtype, uint64_t size)
{
    mcc_wsec *s = &w->sec[w->count++];
    s->type = type;
    s->index = index;
    s->dtype = dtype;
    s->size = size;
}

static void mcc_w_plan_table(mcc_wr *w, uint32_t role, const memcom_table_desc *d)
{
    if (d->kind == MEMCOM_KIND_NONE) return;
    uint64_t es = mcc_dtype_size(d->row_dtype), ra = mcc_table_rows_a(d);
    mcc_w_add(w, MC_SEC_ROWS_A, role, d->row_dtype, ra * d->d * es);
    if (d->kind == MEMCOM_KIND_QR) mcc_w_add(w, MC_SEC_ROWS_B, role, d->row_dtype, (uint64_t)d->m * d->d * es);
    if (d->row_dtype == MEMCOM_DTYPE_I8) {
        mcc_w_add(w, MC_SEC_SCALES_A, role, MEMCOM_DTYPE_F32, ra * 4);
        if (d->kind == MEMCOM_KIND_QR) mcc_w_add(w, MC_SEC_SCALES_B, role, MEMCOM_DTYPE_F32, (uint64_t)d->m * 4);
    }
    if (d->kind == MEMCOM_KIND_MEMCOM) mcc_w_add(w, MC_SEC_ITEM_SCALARS, role, d->scalar_dtype, (uint64_t)d->n * mcc_dtype_size(d->scalar_dtype));
    if (d->bucket_mode == MEMCOM_BUCKET_EXPLICIT)
        mcc_w_add(w, MC_SEC_BUCKETS, role, d->bucket_dtype, (uint64_t)d->n * mcc_dtype_size(d->bucket_dtype));
}

/* f32 -> storage; count values; returns error on non-finite / f16 overflow */
static int mcc_w_values(mcc_wr *w, const char *what, const float *src, uint64_t count, uint32_t dtype, uint8_t *dst)
{
    for (uint64_t i = 0; i < count; i++)
        if (!mcc_is_finite_f32(src[i]))
            return mcc_fail(MEMCOM_E_NONFINITE_INPUT, w->detail, w->cap, "%s: value %llu is NaN or infinite", what, (unsigned long long)i);
    if (dtype == MEMCOM_DTYPE_F32) {
        memcpy(dst, src, (size_t)count * 4);
        return MEMCOM_OK;
    }
    uint16_t *h = (uint16_t *)(void *)dst;
    for (uint64_t i = 0; i < count; i++) {
        h[i] = mcc_f32_to_f16(src[i]);
        if (!mcc_is_finite_f16(h[i]))
            return mcc_fail(MEMCOM_E_NONFINITE_INPUT, w->detail, w->cap, "%s: value %llu (%g) exceeds the f16 range", what,
                           (unsigned long long)i, (double)src[i]);
    }
    return MEMCOM_OK;
}

static int mcc_w_rows(mcc_wr *w, const char *what, const float *src, uint64_t rows, uint32_t d, uint32_t dtype,
                     uint8_t *dst, float *scales)
{
    if (dtype != MEMCOM_DTYPE_I8) return mcc_w_values(w, what, src, rows * d, dtype, dst);
    for (uint64_t r = 0; r < rows; r++) {
        const float *x = src + r * d;
        int8_t *q = (int8_t *)dst + r * d;
        float mx = 0.0f;
        for (uint32_t j = 0; j < d; j++) {
            if (!mcc_is_finite_f32(x[j]))
                return mcc_fail(MEMCOM_E_NONFINITE_INPUT, w->detail, w->cap, "%s: row %llu has NaN or infinity", what, (unsigned long long)r);
            float a = x[j] < 0 ? -x[j] : x[j];
            if (a > mx) mx = a;
        }
        float scale = mx / 127.0f;
        scales[r] = scale;
        for (uint32_t j = 0; j < d; j++) {
            float v = scale > 0.0f ? x[j] / scale : 0.0f;
            int iv = (int)(v + (v >= 0.0f ? 0.5f : -0.5f));
            q[j] = (int8_t)(iv > 127 ? 127 : iv < -127 ? -127 : iv);
        }
    }
    return MEMCOM_OK;
}

static mcc_wsec *mcc_w_find(mcc_wr *w, uint32_t type, uint32_t index)
{
    for (uint32_t k = 0; k < w->count; k++)
        if (w->sec[k].type == type && w->sec[k].index == index) return &w->sec[k];
    return NULL;
}

static uint8_t *mcc_w_ptr(mcc_wr *w, uint32_t type, uint32_t index)
{
    mcc_wsec *s = mcc_w_find(w, type, index);
    return s ? w->buf + s->off : NULL;
}

static int mcc_w_fill_table(mcc_wr *w, uint32_t role, const memcom_table_data *t)
{
    const memcom_table_desc *d = &t->desc;
    if (d->kind == MEMCOM_KIND_NONE) return MEMCOM_OK;
    char what[48];
    int rc;
    snprintf(what, sizeof what, "%s table rows", mcc_rn((int)role));
    if ((rc = mcc_w_rows(w, what, t->rows_a, mcc_table_rows_a(d), d->d, d->row_dtype, mcc_w_ptr(w, MC_SEC_ROWS_A, role),
                        (float *)(void *)mcc_w_ptr(w, MC_SEC_SCALES_A, role))))
        return rc;
    if (d->kind == MEMCOM_KIND_QR &&
        (rc = mcc_w_rows(w, what, t->rows_b, d->m, d->d, d->row_dtype, mcc_w_ptr(w, MC_SEC_ROWS_B, role),
                        (float *)(void *)mcc_w_ptr(w, MC_SEC_SCALES_B, role))))
        return rc;
    if (d->kind == MEMCOM_KIND_MEMCOM) {
        snprintf(what, sizeof what, "%s table scalars", mcc_rn((int)role));
        if ((rc = mcc_w_values(w, what, t->scalars, d->n, d->scalar_dtype, mcc_w_ptr(w, MC_SEC_ITEM_SCALARS, role)))) return rc;
    }
    if (d->bucket_mode == MEMCOM_BUCKET_EXPLICIT) {
        uint8_t *p = mcc_w_ptr(w, MC_SEC_BUCKETS, role);
        if (d->bucket_dtype == MEMCOM_DTYPE_U32) memcpy(p, t->buckets, (size_t)d->n * 4);
        else
            for (uint32_t i = 0; i < d->n; i++) ((uint16_t *)(void *)p)[i] = (uint16_t)t->buckets[i];
    }
    return MEMCOM_OK;
}

/* ---- ids: bottom-up merge sort of indices by id bytes ---- */
static int mcc_w_idcmp(const memcom_model_data *md, const uint32_t *len, uint32_t a, uint32_t b)
{
    uint32_t la = len[a], lb = len[b];
    int c = memcmp(md->ids[a], md->ids[b], la < lb ? la : lb);
    if (c) return c;
    return la < lb ? -1 : la > lb ? 1 : 0;
}

static void mcc_w_sort_ids(const memcom_model_data *md, const uint32_t *len, uint32_t *a, uint32_t *tmp, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) a[i] = i;
    for (uint64_t width = 1; width < n; width *= 2) {
        for (uint64_t lo = 0; lo < n; lo += 2 * width) {
            uint64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = mcc_w_idcmp(md, len, a[j], a[i]) < 0 ? a[j++] : a[i++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        memcpy(a, tmp, sizeof(uint32_t) * n);
    }
}

/* a stack of dense layers (the user tower, or a ranker's head) chains from
 * first_in to last_out; a head (head = 1) may be absent, and its last layer
 * is linear */
static int mcc_w_check_stack(mcc_wr *w, const char *what, const memcom_layer_data *layers, uint32_t count, uint32_t first_in,
                             uint32_t last_out, int head)
{
    if (head && !count) return MEMCOM_OK;
    if (count > MC_MAX_LAYERS) return mcc_fail(MEMCOM_E_LAYERS, w->detail, w->cap, "%u %ss (at most %u)", (unsigned)count, what, MC_MAX_LAYERS);
    if (count && !layers) return mcc_fail(MEMCOM_E_ARG, w->detail, w->cap, "%ss: NULL array", what);
    uint32_t prev = first_in, max_in = first_in > MC_MAX_DIM ? first_in : MC_MAX_DIM;
    for (uint32_t l = 0; l < count; l++) {
        const memcom_layer_data *L = &layers[l];
        if (L->in_dim != prev || L->in_dim < 1 || L->in_dim > max_in || L->out_dim < 1 || L->out_dim > MC_MAX_DIM ||
            (!L->weight && L->in_dim != L->out_dim) || L->activation > MEMCOM_ACT_RELU)
            return mcc_fail(MEMCOM_E_LAYERS, w->detail, w->cap, "%s %u: %u -> %u (activation %u) does not chain from %u", what, (unsigned)l,
                           (unsigned)L->in_dim, (unsigned)L->out_dim, (unsigned)L->activation, (unsigned)prev);
        prev = L->out_dim;
    }
    if (prev != last_out)
        return mcc_fail(MEMCOM_E_LAYERS, w->detail, w->cap, "the last %s gives %u values, expected %u (%s)", what, (unsigned)prev,
                        (unsigned)last_out, head ? "one score" : "the output table's d");
    if (head && layers[count - 1].activation != MEMCOM_ACT_NONE)
        return mcc_fail(MEMCOM_E_LAYERS, w->detail, w->cap, "the last %s has an activation (%u); the score is linear", what,
                        (unsigned)layers[count - 1].activation);
    return MEMCOM_OK;
}

static int mcc_w_check(mcc_wr *w)
{
    const memcom_model_data *md = w->md;
    int rc;
    if (md->output.desc.kind == MEMCOM_KIND_NONE)
        return mcc_fail(MEMCOM_E_TABLE_KIND, w->detail, w->cap, "output table: kind none (an output table is required)");
    w->n = md->output.desc.n;
    if (w->n < 1 || w->n > 0x7fffffffu) return mcc_fail(MEMCOM_E_SIZES, w->detail, w->cap, "n = %u not in 1..2^31-1", (unsigned)w->n);
    if ((rc = mcc_w_desc(w, 0, &md->input)) || (rc = mcc_w_desc(w, 1, &md->output))) return rc;
    uint32_t d = md->output.desc.d;
    if (md->input.desc.kind == MEMCOM_KIND_NONE && (md->n_layers || md->n_head_layers))
        return mcc_fail(MEMCOM_E_LAYERS, w->detail, w->cap, "a table file (no input table) cannot have layers or a head");
    if ((rc = mcc_w_check_stack(w, "layer", md->layers, md->n_layers, md->input.desc.d, md->input.desc.kind ? d : md->input.desc.d, 0)) ||
        (rc = mcc_w_check_stack(w, "head layer", md->head_layers, md->n_head_layers, 3 * d, 1, 1)))
        return rc;
    if (md->output_bias && md->bias_dtype != MEMCOM_DTYPE_F32 && md->bias_dtype != MEMCOM_DTYPE_F16)
        return mcc_fail(MEMCOM_E_TABLE_DTYPE, w->detail, w->cap, "output bias: dtype %u (f32 or f16)", (unsigned)md->bias_dtype);
    if (md->ids) {
        w->id_len = (uint32_t *)malloc(sizeof(uint32_t) * w->n);
        if (!w->id_len) return mcc_fail(MEMCOM_E_NOMEM, w->detail, w->cap, "out of memory");
        for (uint32_t i = 0; i < w->n; i++) {
            if (!md->ids[i]) return mcc_fail(MEMCOM_E_ARG, w->detail, w->cap, "id of item %u is NULL", (unsigned)i);
            size_t len = md->id_lengths ? md->id_lengths[i] : strlen(md->ids[i]);
            if (len == 0 || !mcc_utf8_valid((const uint8_t *)md->ids[i], len))
                return mcc_fail(MEMCOM_E_IDS_UTF8, w->detail, w->cap, "id of item %u is empty or not valid UTF-8", (unsigned)i);
            w->id_total += len;
            if (len > 0xFFFFFFFFu || w->id_total > 0xFFFFFFFFu)
                return mcc_fail(MEMCOM_E_TOO_LARGE, w->detail, w->cap, "ids exceed 4 GiB");
            w->id_len[i] = (uint32_t)len;
        }
        if (md->id_encoding > MEMCOM_IDS_COMPACT)
            return mcc_fail(MEMCOM_E_ARG, w->detail, w->cap, "ids: unknown id encoding %u", (unsigned)md->id_encoding);
        int compact = 0;
        if (md->id_encoding == MEMCOM_IDS_COMPACT &&
            (rc = mcc_ids_encode(md->ids, w->id_len, w->n, &compact, &w->id_runs, &w->id_runs_size, &w->id_ranks, w->detail, w->cap)))
            return rc;
    }
    if (md->metadata_json) {
        w->meta_len = strlen(md->metadata_json);
        if (w->meta_len > MC_MAX_METADATA) return mcc_fail(MEMCOM_E_TOO_LARGE, w->detail, w->cap, "metadata exceeds %u MiB", MC_MAX_METADATA >> 20);
    }
    return MEMCOM_OK;
}

/* the sections of a stack of layers: records (LAYERS or HEAD_LAYERS), then
 * each layer's weight and bias (the two types after it) */
static void mcc_w_plan_stack(mcc_wr *w, uint32_t rec_type, const memcom_layer_data *layers, uint32_t count)
{
    if (!count) return;
    mcc_w_add(w, rec_type, 0, MEMCOM_DTYPE_U32, (uint64_t)count * MC_LAYER_RECORD);
    for (uint32_t l = 0; l < count; l++) {
        const memcom_layer_data *L = &layers[l];
        if (L->weight) mcc_w_add(w, rec_type + 1, l, MEMCOM_DTYPE_F32, (uint64_t)L->out_dim * L->in_dim * 4);
        if (L->bias) mcc_w_add(w, rec_type + 2, l, MEMCOM_DTYPE_F32, (uint64_t)L->out_dim * 4);
    }
}

static int mcc_w_fill_stack(mcc_wr *w, uint32_t rec_type, const char *name, const memcom_layer_data *layers, uint32_t count)
{
    if (!count) return MEMCOM_OK;
    int rc;
    uint8_t *rec = mcc_w_ptr(w, rec_type, 0);
    for (uint32_t l = 0; l < count; l++, rec += MC_LAYER_RECORD) {
        const memcom_layer_data *L = &layers[l];
        mcc_wr32(rec + MC_L_IN, L->in_dim);
        mcc_wr32(rec + MC_L_OUT, L->out_dim);
        mcc_wr32(rec + MC_L_FLAGS, (L->weight ? MC_LAYER_HAS_WEIGHT : 0u) | (L->bias ? MC_LAYER_HAS_BIAS : 0u));
        mcc_wr32(rec + MC_L_ACTIVATION, L->activation);
        char what[32];
        snprintf(what, sizeof what, "%s %u", name, (unsigned)l);
        if (L->weight && (rc = mcc_w_values(w, what, L->weight, (uint64_t)L->out_dim * L->in_dim, MEMCOM_DTYPE_F32,
                                           mcc_w_ptr(w, rec_type + 1, l))))
            return rc;
        if (L->bias && (rc = mcc_w_values(w, what, L->bias, L->out_dim, MEMCOM_DTYPE_F32, mcc_w_ptr(w, rec_type + 2, l))))
            return rc;
    }
    return MEMCOM_OK;
}

static int mcc_w_build(mcc_wr *w, void **out, size_t *out_size)
{
    const memcom_model_data *md = w->md;
    int rc;
    mcc_w_plan_table(w, 0, &md->input.desc);
    mcc_w_plan_table(w, 1, &md->output.desc);
    mcc_w_plan_stack(w, MC_SEC_LAYERS, md->layers, md->n_layers);
    mcc_w_plan_stack(w, MC_SEC_HEAD_LAYERS, md->head_layers, md->n_head_layers);
    uint32_t bias_dtype = md->output_bias ? md->bias_dtype : MEMCOM_DTYPE_NONE;
    if (bias_dtype) mcc_w_add(w, MC_SEC_OUTPUT_BIAS, 0, bias_dtype, (uint64_t)w->n * mcc_dtype_size(bias_dtype));
    if (w->id_runs) {
        mcc_w_add(w, MC_SEC_ID_RUNS, 0, MEMCOM_DTYPE_NONE, w->id_runs_size);
        mcc_w_add(w, MC_SEC_ID_RANKS, 0, MEMCOM_DTYPE_NONE, mcc_ids_ranks_size(w->n));
    } else if (md->ids) {
        mcc_w_add(w, MC_SEC_ID_OFFSETS, 0, MEMCOM_DTYPE_U32, ((uint64_t)w->n + 1) * 4);
        mcc_w_add(w, MC_SEC_ID_BYTES, 0, MEMCOM_DTYPE_NONE, w->id_total);
        mcc_w_add(w, MC_SEC_ID_SORTED, 0, MEMCOM_DTYPE_U32, (uint64_t)w->n * 4);
    }
    if (md->metadata_json) mcc_w_add(w, MC_SEC_METADATA, 0, MEMCOM_DTYPE_NONE, w->meta_len);

    /* in the order of docs/FORMAT.md's table: by type, then index */
    for (uint32_t k = 1; k < w->count; k++)
        for (uint32_t j = k; j > 0 && (w->sec[j - 1].type > w->sec[j].type ||
                                       (w->sec[j - 1].type == w->sec[j].type && w->sec[j - 1].index > w->sec[j].index)); j--) {
            mcc_wsec t = w->sec[j];
            w->sec[j] = w->sec[j - 1];
            w->sec[j - 1] = t;
        }
    uint64_t pos = mcc_align_up64(MC_HEADER_SIZE + (uint64_t)w->count * MC_DIR_ENTRY), end = pos;
    for (uint32_t k = 0; k < w->count; k++) {
        w->sec[k].off = pos;
        end = pos + w->sec[k].size;
        pos = mcc_align_up64(end);
    }
    if (end > 0xFFFFFFFFull || end > (uint64_t)SIZE_MAX)
        return mcc_fail(MEMCOM_E_TOO_LARGE, w->detail, w->cap, "the file would be %llu bytes (limit 4 GiB)", (unsigned long long)end);
    w->buf = (uint8_t *)memcom_malloc((size_t)end);
    if (!w->buf) return mcc_fail(MEMCOM_E_NOMEM, w->detail, w->cap, "cannot allocate %llu bytes", (unsigned long long)end);
    memset(w->buf, 0, (size_t)end);

    if ((rc = mcc_w_fill_table(w, 0, &md->input)) || (rc = mcc_w_fill_table(w, 1, &md->output))) return rc;
    if ((rc = mcc_w_fill_stack(w, MC_SEC_LAYERS, "layer", md->layers, md->n_layers)) ||
        (rc = mcc_w_fill_stack(w, MC_SEC_HEAD_LAYERS, "head layer", md->head_layers, md->n_head_layers)))
        return rc;
    if (bias_dtype && (rc = mcc_w_values(w, "output bias", md->output_bias, w->n, bias_dtype, mcc_w_ptr(w, MC_SEC_OUTPUT_BIAS, 0))))
        return rc;
    if (w->id_runs) {
        memcpy(mcc_w_ptr(w, MC_SEC_ID_RUNS, 0), w->id_runs, (size_t)w->id_runs_size);
        memcpy(mcc_w_ptr(w, MC_SEC_ID_RANKS, 0), w->id_ranks, (size_t)mcc_ids_ranks_size(w->n));
    } else if (md->ids) {
        uint32_t *off = (uint32_t *)(void *)mcc_w_ptr(w, MC_SEC_ID_OFFSETS, 0);
        uint8_t *by = mcc_w_ptr(w, MC_SEC_ID_BYTES, 0);
        uint32_t *srt = (uint32_t *)(void *)mcc_w_ptr(w, MC_SEC_ID_SORTED, 0);
        uint32_t o = 0;
        for (uint32_t i = 0; i < w->n; i++) {
            off[i] = o;
            memcpy(by + o, md->ids[i], w->id_len[i]);
            o += w->id_len[i];
        }
        off[w->n] = o;
        uint32_t *tmp = (uint32_t *)malloc(sizeof(uint32_t) * w->n);
        if (!tmp) return mcc_fail(MEMCOM_E_NOMEM, w->detail, w->cap, "out of memory");
        mcc_w_sort_ids(md, w->id_len, srt, tmp, w->n);
        free(tmp);
        for (uint32_t k = 1; k < w->n; k++)
            if (mcc_w_idcmp(md, w->id_len, srt[k - 1], srt[k]) == 0)
                return mcc_fail(MEMCOM_E_IDS_DUP, w->detail, w->cap, "ids: items %u and %u share the id \"%s\"", (unsigned)srt[k - 1],
                               (unsigned)srt[k], md->ids[srt[k]]);
    }
    if (md->metadata_json) memcpy(mcc_w_ptr(w, MC_SEC_METADATA, 0), md->metadata_json, w->meta_len);

    /* directory, then header */
    uint8_t *h = w->buf;
    for (uint32_t k = 0; k < w->count; k++) {
        const mcc_wsec *s = &w->sec[k];
        uint8_t *e = h + MC_HEADER_SIZE + (size_t)k * MC_DIR_ENTRY;
        mcc_wr32(e + MC_E_TYPE, s->type);
        mcc_wr32(e + MC_E_INDEX, s->index);
        mcc_wr64(e + MC_E_OFFSET, s->off);
        mcc_wr64(e + MC_E_SIZE, s->size);
        mcc_wr32(e + MC_E_DTYPE, s->dtype);
        mcc_wr32(e + MC_E_CRC, mcc_crc32(h + s->off, (size_t)s->size));
    }
    memcpy(h + MC_H_MAGIC, mcc_magic, MC_MAGIC_SIZE);
    mcc_wr16(h + MC_H_FORMAT_MAJOR, MEMCOM_FORMAT_MAJOR);
    /* the lowest minor that has every section used: 1.0 readers keep reading string ids, 1.1 readers models without a head */
    mcc_wr16(h + MC_H_FORMAT_MINOR, md->n_head_layers ? MC_MINOR_RANKER : w->id_runs ? MC_MINOR_COMPACT_IDS : 0u);
    mcc_wr32(h + MC_H_HEADER_SIZE, MC_HEADER_SIZE);
    mcc_wr64(h + MC_H_FILE_SIZE, end);
    mcc_wr32(h + MC_H_N_ITEMS, w->n);
    mcc_wr32(h + MC_H_N_LAYERS, md->n_layers);
    mcc_wr32(h + MC_H_N_HEAD_LAYERS, md->n_head_layers);
    mcc_wr32(h + MC_H_SECTION_COUNT, w->count);
    mcc_wr64(h + MC_H_DIRECTORY_OFFSET, MC_HEADER_SIZE);
    mcc_wr32(h + MC_H_DIRECTORY_CRC, mcc_crc32(h + MC_HEADER_SIZE, (size_t)w->count * MC_DIR_ENTRY));
    for (int role = 0; role < 2; role++) {
        const memcom_table_desc *d = role ? &md->output.desc : &md->input.desc;
        uint8_t *p = h + (role ? MC_H_OUTPUT_DESC : MC_H_INPUT_DESC);
        if (d->kind == MEMCOM_KIND_NONE) continue;
        mcc_wr32(p + MC_D_KIND, d->kind);
        mcc_wr32(p + MC_D_N, d->n);
        mcc_wr32(p + MC_D_M, d->m);
        mcc_wr32(p + MC_D_D, d->d);
        mcc_wr32(p + MC_D_ROW_DTYPE, d->row_dtype);
        mcc_wr32(p + MC_D_SCALAR_DTYPE, d->scalar_dtype);
        mcc_wr32(p + MC_D_BUCKET_MODE, d->bucket_mode);
        mcc_wr32(p + MC_D_BUCKET_DTYPE, d->bucket_dtype);
        mcc_wr64(p + MC_D_HASH_SEED, d->hash_seed);
    }
    mcc_wr32(h + MC_H_BIAS_DTYPE, bias_dtype);
    mcc_wr32(h + MC_H_HEADER_CRC, mcc_crc32(h, MC_H_HEADER_CRC));

    /* the reader is the judge: never emit a file it would refuse */
    mcc_view v;
    if ((rc = mcc_read(w->buf, (size_t)end, 0, NULL, &v, w->detail, w->cap))) return rc;
    mcc_view_release(&v);
    *out = w->buf;
    *out_size = (size_t)end;
    w->buf = NULL;
    return MEMCOM_OK;
}

int memcom_write_memory(const memcom_model_data *model, void **out, size_t *out_size, char *detail, size_t detail_cap)
{
    if (detail && detail_cap) detail[0] = 0;
    if (!model || !out || !out_size) return mcc_fail(MEMCOM_E_ARG, detail, detail_cap, "write: NULL argument");
    *out = NULL;
    *out_size = 0;
    mcc_wr *w = (mcc_wr *)calloc(1, sizeof *w);
    if (!w) return mcc_fail(MEMCOM_E_NOMEM, detail, detail_cap, "out of memory");
    w->md = model;
    w->detail = detail;
    w->cap = detail_cap;
    int rc = mcc_w_check(w);
    if (!rc) rc = mcc_w_build(w, out, out_size);
    memcom_free(w->buf);
    free(w->id_len);
    free(w->id_runs);
    free(w->id_ranks);
    free(w);
    return rc;
}

int memcom_write_file(const memcom_model_data *model, const char *path, char *detail, size_t detail_cap)
{
    if (detail && detail_cap) detail[0] = 0;
    if (!path) return mcc_fail(MEMCOM_E_ARG, detail, detail_cap, "write: NULL path");
    void *buf;
    size_t size;
    int rc = memcom_write_memory(model, &buf, &size, detail, detail_cap);
    if (rc) return rc;
    size_t plen = strlen(path);
    char *tmp = (char *)malloc(plen + 32);
    if (!tmp) {
        memcom_free(buf);
        return mcc_fail(MEMCOM_E_NOMEM, detail, detail_cap, "out of memory");
    }
    snprintf(tmp, plen + 32, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = mcc_fail(MEMCOM_E_IO, detail, detail_cap, "cannot create %s: %s", tmp, strerror(errno));
    } else {
        int ok = fwrite(buf, 1, size, f) == size;
        ok = ok && fflush(f) == 0;
        ok = ok && fsync(fileno(f)) == 0;
        int err = errno;
        ok = (fclose(f) == 0) && ok;
        if (!ok) rc = mcc_fail(MEMCOM_E_IO, detail, detail_cap, "cannot write %s: %s", tmp, strerror(err));
        else if (rename(tmp, path) != 0)
            rc = mcc_fail(MEMCOM_E_IO, detail, detail_cap, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        if (rc) remove(tmp);
    }
    if (!rc) {
        /* make the rename durable: fsync the directory (best effort) */
        char *dir = (char *)malloc(plen + 2);
        if (dir) {
            memcpy(dir, path, plen + 1);
            char *slash = strrchr(dir, '/');
            if (slash) slash[slash == dir ? 1 : 0] = 0;
            else strcpy(dir, ".");
            int fd = open(dir, O_RDONLY);
            if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
            }
            free(dir);
        }
    }
    free(tmp);
    memcom_free(buf);
    return rc;
}
