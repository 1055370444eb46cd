/*
 * model.c - the model handle: open (validate, then views + scratch), the
 * recommender forward pass (history -> user vector -> scores), exact top-k,
 * recommend and similar items.  Numeric work goes through kernels.h and the
 * table kinds through table.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "kernels/kernels.h"

struct memcom_model {
    mcc_view v;
    uint8_t *owned;           /* file bytes we free, or NULL (borrowed) */
    uint32_t max_dim;
    /* scratch, allocated at open */
    float *tvals;             /* output m (hash/memcom) */
    float *p, *tmp;           /* max_dim, 2 * max_dim */
    float *x0, *x1;           /* max_dim each: forward pass */
    float *uvec, *qvec;       /* max_dim each: user / normalised query vector */
    float *tt_buf, *w_buf, *bias_buf, *out_buf; /* MC_BLOCK each */
    uint32_t *hits;           /* MC_BLOCK */
    uint32_t *bitmap;         /* n bits: exclusion / seen marks, all zero between calls */
    /* computed on first use */
    uint32_t *hash_b;         /* output buckets for BUCKET_HASH (n) */
    float *inv_norm;          /* 1/|E_out[i]| (n) */
    mcc_prerank pre;          /* int8 output rows: integer pre-ranking */
    mcc_bounds bounds;        /* hash/memcom output tables: per-bucket score bounds */
};

const char *memcom_kernel_name(void) { return mk_name(); }

const mcc_prerank *mcc_model_prerank(const memcom_model *m) { return &m->pre; }

const mcc_bounds *mcc_model_bounds(const memcom_model *m) { return &m->bounds; }

int memcom_set_bucket_bounds(memcom_model *model, int enable)
{
    if (!model) return MEMCOM_E_ARG;
    int off = enable ? 0 : 1;
    if (off == model->bounds.off) return MEMCOM_OK;
    mcc_bounds_free(&model->bounds); /* examined again on the next top-k */
    model->bounds.off = off;
    return MEMCOM_OK;
}

int memcom_set_int8_index(memcom_model *model, int enable)
{
    if (!model) return MEMCOM_E_ARG;
    int no_index = enable ? 0 : 1;
    if (no_index == model->pre.no_index) return MEMCOM_OK;
    mcc_prerank_free(&model->pre); /* examined again on the next top-k */
    model->pre.no_index = no_index;
    return MEMCOM_OK;
}

/* ------------------------------------------------------------------ open */

static void mcc_model_free(memcom_model *m)
{
    if (!m) return;
    memcom_free(m->owned);
    memcom_free(m->tvals);
    memcom_free(m->p);
    memcom_free(m->tmp);
    memcom_free(m->x0);
    memcom_free(m->x1);
    memcom_free(m->uvec);
    memcom_free(m->qvec);
    memcom_free(m->tt_buf);
    memcom_free(m->w_buf);
    memcom_free(m->bias_buf);
    memcom_free(m->out_buf);
    memcom_free(m->hits);
    memcom_free(m->bitmap);
    memcom_free(m->hash_b);
    memcom_free(m->inv_norm);
    mcc_prerank_free(&m->pre);
    mcc_bounds_free(&m->bounds);
    free(m);
}

void memcom_close(memcom_model *model) { mcc_model_free(model); }

static int mcc_alloc_scratch(memcom_model *m)
{
    const mcc_view *v = &m->v;
    uint32_t md = v->output.desc.d;
    if (v->input.desc.d > md) md = v->input.desc.d;
    for (uint32_t l = 0; l < v->n_layers; l++)
        if (v->layers[l].out > md) md = v->layers[l].out;
    m->max_dim = md;
    size_t fd = sizeof(float) * md;
    uint32_t tm = (v->output.desc.kind == MEMCOM_KIND_HASH || v->output.desc.kind == MEMCOM_KIND_MEMCOM) ? v->output.desc.m : 1;
    m->tvals = (float *)memcom_malloc(sizeof(float) * tm);
    m->p = (float *)memcom_malloc(fd);
    m->tmp = (float *)memcom_malloc(2 * fd);
    m->x0 = (float *)memcom_malloc(fd);
    m->x1 = (float *)memcom_malloc(fd);
    m->uvec = (float *)memcom_malloc(fd);
    m->qvec = (float *)memcom_malloc(fd);
    m->tt_buf = (float *)memcom_malloc(sizeof(float) * MC_BLOCK);
    m->w_buf = (float *)memcom_malloc(sizeof(float) * MC_BLOCK);
    m->bias_buf = (float *)memcom_malloc(sizeof(float) * MC_BLOCK);
    m->out_buf = (float *)memcom_malloc(sizeof(float) * MC_BLOCK);
    m->hits = (uint32_t *)memcom_malloc(sizeof(uint32_t) * MC_BLOCK);
    size_t words = ((size_t)v->n + 31) / 32;
    m->bitmap = (uint32_t *)memcom_malloc(sizeof(uint32_t) * words);
    if (!m->tvals || !m->p || !m->tmp || !m->x0 || !m->x1 || !m->uvec || !m->qvec || !m->tt_buf || !m->w_buf ||
        !m->bias_buf || !m->out_buf || !m->hits || !m->bitmap)
        return MEMCOM_E_NOMEM;
    memset(m->bitmap, 0, sizeof(uint32_t) * words);
    return MEMCOM_OK;
}

int memcom_open(memcom_model **out, const void *data, size_t size, unsigned flags, uint64_t max_bytes,
                char *detail, size_t detail_cap)
{
    return memcom_open_ex(out, data, size, flags, max_bytes, NULL, detail, detail_cap);
}

int memcom_open_ex(memcom_model **out, const void *data, size_t size, unsigned flags, uint64_t max_bytes,
                   memcom_crc_blocks *blocks, char *detail, size_t detail_cap)
{
    uint8_t *own = (flags & MEMCOM_OPEN_OWN) ? (uint8_t *)(uintptr_t)data : NULL;
    if (detail && detail_cap) detail[0] = 0;
    if (!out || !data || (flags & ~(MEMCOM_OPEN_COPY | MEMCOM_OPEN_OWN))) {
        memcom_free(own);
        return mcc_fail(MEMCOM_E_ARG, detail, detail_cap, "open: NULL argument or unknown flags");
    }
    if (blocks && mcc_crc_blocks_size(blocks) != size) {
        memcom_free(own);
        return mcc_fail(MEMCOM_E_ARG, detail, detail_cap, "open: the block checksums are of a %llu-byte file, not of these %llu bytes",
                        (unsigned long long)mcc_crc_blocks_size(blocks), (unsigned long long)size);
    }
    *out = NULL;
    const uint8_t *bytes = (const uint8_t *)data;
    if ((flags & MEMCOM_OPEN_COPY) || ((uintptr_t)data % MC_ALIGN)) {
        uint8_t *copy = (uint8_t *)memcom_malloc(size);
        if (!copy) {
            memcom_free(own);
            return mcc_fail(MEMCOM_E_NOMEM, detail, detail_cap, "open: cannot allocate %llu bytes", (unsigned long long)size);
        }
        if (size) memcpy(copy, data, size);
        memcom_free(own);
        own = copy;
        bytes = copy;
    }
    memcom_model *m = (memcom_model *)calloc(1, sizeof *m);
    if (!m) {
        memcom_free(own);
        return mcc_fail(MEMCOM_E_NOMEM, detail, detail_cap, "open: out of memory");
    }
    m->owned = own;
    if (blocks && bytes != (const uint8_t *)data) blocks = NULL; /* copied: those blocks are of the other buffer */
    if (blocks) memcom_crc_blocks_update(blocks, bytes, size); /* any blocks not yet taken */
    int rc = mcc_read(bytes, size, max_bytes, blocks, &m->v, detail, detail_cap);
    if (!rc && (rc = mcc_alloc_scratch(m)) != 0) mcc_fail(rc, detail, detail_cap, "open: cannot allocate scratch buffers");
    if (rc) {
        mcc_model_free(m);
        return rc;
    }
    *out = m;
    return MEMCOM_OK;
}

int memcom_open_file(memcom_model **out, const char *path, uint64_t max_bytes, char *detail, size_t detail_cap)
{
    if (detail && detail_cap) detail[0] = 0;
    if (!out || !path) return mcc_fail(MEMCOM_E_ARG, detail, detail_cap, "open: NULL argument");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return mcc_fail(MEMCOM_E_IO, detail, detail_cap, "cannot open %s", path);
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return mcc_fail(MEMCOM_E_IO, detail, detail_cap, "cannot determine the size of %s", path);
    }
    uint64_t limit = (max_bytes == 0 || max_bytes > 0xFFFFFFFFull) ? 0xFFFFFFFFull : max_bytes;
    if ((uint64_t)len > limit || (uint64_t)len > (uint64_t)SIZE_MAX) {
        fclose(f);
        return mcc_fail(MEMCOM_E_TOO_LARGE, detail, detail_cap, "%s: %llu bytes exceed the limit of %llu", path,
                       (unsigned long long)len, (unsigned long long)limit);
    }
    uint8_t *buf = (uint8_t *)memcom_malloc((size_t)len);
    if (!buf) {
        fclose(f);
        return mcc_fail(MEMCOM_E_NOMEM, detail, detail_cap, "cannot allocate %llu bytes for %s", (unsigned long long)len, path);
    }
    size_t got = len ? fread(buf, 1, (size_t)len, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (err || got != (size_t)len) {
        memcom_free(buf);
        return mcc_fail(MEMCOM_E_IO, detail, detail_cap, "cannot read %s", path);
    }
    return memcom_open(out, buf, (size_t)len, MEMCOM_OPEN_OWN, max_bytes, detail, detail_cap);
}

/* ------------------------------------------------------------------ info, ids */

int memcom_get_info(const memcom_model *model, memcom_info *o)
{
    if (!model || !o) return MEMCOM_E_ARG;
    const mcc_view *v = &model->v;
    memset(o, 0, sizeof *o);
    o->format_major = v->format_major;
    o->format_minor = v->format_minor;
    o->n_items = v->n;
    o->n_layers = v->n_layers;
    o->has_ids = v->id_off != NULL;
    o->bias_dtype = v->bias_dtype;
    o->user_dim = v->output.desc.d;
    o->input = v->input.desc;
    o->output = v->output.desc;
    o->file_bytes = v->file_bytes;
    o->input_bytes = v->input.bytes;
    o->output_bytes = v->output.bytes;
    o->bias_bytes = v->bias_bytes;
    o->layer_bytes = v->layer_bytes;
    o->id_bytes = v->id_bytes_total;
    o->metadata_bytes = v->meta_bytes;
    o->full_f32_bytes = (uint64_t)v->n * 4 * ((v->input.desc.kind ? v->input.desc.d : 0) + v->output.desc.d);
    return MEMCOM_OK;
}

const char *memcom_metadata(const memcom_model *model, size_t *len)
{
    if (len) *len = model ? model->v.meta_len : 0;
    if (!model || !model->v.meta) return "";
    return (const char *)model->v.meta;
}

static int mcc_id_cmp(const memcom_model *m, uint32_t i, const uint8_t *s, size_t len)
{
    const uint32_t *off = m->v.id_off;
    size_t li = off[i + 1] - off[i];
    int c = memcmp(m->v.id_bytes + off[i], s, li < len ? li : len);
    if (c) return c;
    return li < len ? -1 : li > len ? 1 : 0;
}

int memcom_find_id(const memcom_model *model, const char *id, size_t len, uint32_t *index)
{
    if (!model || (!id && len) || !index) return MEMCOM_E_ARG;
    if (!model->v.id_off) return MEMCOM_E_NO_IDS;
    size_t lo = 0, hi = model->v.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t i = model->v.id_sorted[mid];
        int c = mcc_id_cmp(model, i, (const uint8_t *)id, len);
        if (c == 0) { *index = i; return MEMCOM_OK; }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return MEMCOM_E_UNKNOWN_ID;
}

int memcom_get_id(const memcom_model *model, uint32_t index, const char **id, size_t *len)
{
    if (!model || !id || !len) return MEMCOM_E_ARG;
    if (!model->v.id_off) return MEMCOM_E_NO_IDS;
    if (index >= model->v.n) return MEMCOM_E_INDEX;
    *id = (const char *)model->v.id_bytes + model->v.id_off[index];
    *len = model->v.id_off[index + 1] - model->v.id_off[index];
    return MEMCOM_OK;
}

/* ------------------------------------------------------------------ vectors */

int memcom_lookup(const memcom_model *model, memcom_which which, uint32_t index, float *out)
{
    if (!model || !out || (which != MEMCOM_INPUT && which != MEMCOM_OUTPUT)) return MEMCOM_E_ARG;
    const mcc_table *t = which == MEMCOM_INPUT ? &model->v.input : &model->v.output;
    if (t->desc.kind == MEMCOM_KIND_NONE) return MEMCOM_E_NO_TABLE;
    if (index >= model->v.n) return MEMCOM_E_INDEX;
    mcc_table_lookup(t, index, out, model->tmp);
    return MEMCOM_OK;
}

static int mcc_all_finite(const float *x, size_t n)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= (mcc_f32_bits(x[i]) & 0x7f800000u) == 0x7f800000u;
    return !acc;
}

static inline int mcc_bit(const uint32_t *bm, uint32_t i) { return (bm[i >> 5] >> (i & 31)) & 1u; }
static inline void mcc_set(uint32_t *bm, uint32_t i) { bm[i >> 5] |= 1u << (i & 31); }
static inline void mcc_clear_list(uint32_t *bm, const uint32_t *list, size_t n)
{
    for (size_t k = 0; k < n; k++) bm[list[k] >> 5] = 0;
}

static float mcc_act(uint32_t act, float x)
{
    if (act == MEMCOM_ACT_TANH) return tanhf(x);
    if (act == MEMCOM_ACT_RELU) return x > 0.0f ? x : 0.0f;
    return x;
}

int memcom_user_vector(memcom_model *model, const uint32_t *history, size_t n_history, float *out)
{
    if (!model || !out || (!history && n_history)) return MEMCOM_E_ARG;
    const mcc_view *v = &model->v;
    if (v->input.desc.kind == MEMCOM_KIND_NONE) return MEMCOM_E_NO_TABLE;
    for (size_t k = 0; k < n_history; k++)
        if (history[k] >= v->n) return MEMCOM_E_INDEX;
    uint32_t d = v->input.desc.d;
    float *x = model->x0, *y = model->x1, *row = model->tmp;
    memset(x, 0, sizeof(float) * d);
    size_t distinct = 0;
    for (size_t k = 0; k < n_history; k++) {
        uint32_t i = history[k];
        if (mcc_bit(model->bitmap, i)) continue;
        mcc_set(model->bitmap, i);
        distinct++;
        mcc_table_lookup(&v->input, i, row, row + model->max_dim);
        mk_axpy_f32(1.0f, row, x, d);
    }
    mcc_clear_list(model->bitmap, history, n_history);
    if (distinct) {
        float s = sqrtf((float)distinct);
        for (uint32_t j = 0; j < d; j++) x[j] /= s;
    }
    for (uint32_t l = 0; l < v->n_layers; l++) {
        const mcc_layer *L = &v->layers[l];
        if (L->w) mk_rows_dot_f32(L->w, L->out, L->in, x, y);
        else memcpy(y, x, sizeof(float) * L->out);
        for (uint32_t j = 0; j < L->out; j++) y[j] = mcc_act(L->act, L->b ? y[j] + L->b[j] : y[j]);
        float *t = x; x = y; y = t;
        d = L->out;
    }
    memcpy(out, x, sizeof(float) * d);
    return MEMCOM_OK;
}

/* materialise hash buckets of the output table on first use */
static int mcc_prepare_hash(memcom_model *m)
{
    const mcc_table *t = &m->v.output;
    if (t->desc.bucket_mode != MEMCOM_BUCKET_HASH || m->hash_b) return MEMCOM_OK;
    uint32_t *b = (uint32_t *)memcom_malloc(sizeof(uint32_t) * (size_t)m->v.n);
    if (!b) return MEMCOM_E_NOMEM;
    for (uint32_t i = 0; i < m->v.n; i++) b[i] = memcom_hash_bucket(i, t->desc.hash_seed, t->desc.m);
    m->hash_b = b;
    return MEMCOM_OK;
}

static int mcc_prepare_norms(memcom_model *m)
{
    if (m->inv_norm) return MEMCOM_OK;
    const mcc_table *t = &m->v.output;
    float *inv = (float *)memcom_malloc(sizeof(float) * (size_t)m->v.n);
    float *rowbuf = NULL;
    if (inv && (t->desc.kind == MEMCOM_KIND_HASH || t->desc.kind == MEMCOM_KIND_MEMCOM))
        rowbuf = (float *)memcom_malloc(sizeof(float) * t->desc.m);
    if (!inv || ((t->desc.kind == MEMCOM_KIND_HASH || t->desc.kind == MEMCOM_KIND_MEMCOM) && !rowbuf)) {
        memcom_free(inv);
        return MEMCOM_E_NOMEM;
    }
    mcc_table_inv_norms(t, m->hash_b, inv, m->tmp, rowbuf);
    memcom_free(rowbuf);
    m->inv_norm = inv;
    return MEMCOM_OK;
}

static void mcc_scorer_init(memcom_model *m, mcc_scorer *s, const float *vec)
{
    s->t = &m->v.output;
    s->v = vec;
    s->tvals = m->tvals;
    s->p = m->p;
    s->cur_q = UINT32_MAX;
    s->hash_b = m->hash_b;
    s->tt_buf = m->tt_buf;
    s->w_buf = m->w_buf;
    s->tmp = m->tmp;
    s->pre = NULL;
}

/* f32 view of the output bias for items [i0, i0+len), or NULL */
static const float *mcc_bias_block(memcom_model *m, uint32_t i0, uint32_t len)
{
    if (m->v.bias_dtype == MEMCOM_DTYPE_F32) return (const float *)m->v.bias + i0;
    if (m->v.bias_dtype == MEMCOM_DTYPE_F16) {
        mk_f16_finite_to_f32((const uint16_t *)m->v.bias + i0, len, m->bias_buf);
        return m->bias_buf;
    }
    return NULL;
}

static float mcc_bias_one(const memcom_model *m, uint32_t i)
{
    if (m->v.bias_dtype == MEMCOM_DTYPE_F32) return ((const float *)m->v.bias)[i];
    if (m->v.bias_dtype == MEMCOM_DTYPE_F16) return mcc_f16_to_f32(((const uint16_t *)m->v.bias)[i]);
    return 0.0f;
}

int memcom_score_vector(memcom_model *model, const float *vec, size_t dim, float *scores)
{
    if (!model || !vec || !scores) return MEMCOM_E_ARG;
    if (dim != model->v.output.desc.d) return MEMCOM_E_DIM;
    if (!mcc_all_finite(vec, dim)) return MEMCOM_E_NONFINITE_INPUT;
    int rc = mcc_prepare_hash(model);
    if (rc) return rc;
    mcc_scorer s;
    mcc_scorer_init(model, &s, vec);
    mcc_scorer_prepare(&s);
    uint32_t n = model->v.n;
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w, *tt;
        mcc_scorer_block(&s, i0, len, &w, &tt);
        mk_scan(w, tt, mcc_bias_block(model, i0, len), len, INFINITY, scores + i0, model->hits);
    }
    return MEMCOM_OK;
}

/* ------------------------------------------------------------------ top-k */

static int mcc_check_list(const uint32_t *list, size_t n, uint32_t limit)
{
    if (n && !list) return MEMCOM_E_ARG;
    for (size_t k = 0; k < n; k++)
        if (list[k] >= limit) return MEMCOM_E_INDEX;
    return MEMCOM_OK;
}

/* A cosine lies in [-1, 1]; float rounding can push it just beyond (and
 * further for qr tables whose factors are subnormal: found by the loader
 * fuzzer, two identical embeddings at 1.0018).  NaN stays NaN. */
static inline float mcc_clamp_cos(float c) { return c > 1.0f ? 1.0f : c < -1.0f ? -1.0f : c; }

/* One pass over the catalogue into the heap h (s prepared).  With pre the
 * scores are the approximate ones and every item that may still reach the top
 * k is also kept as a candidate; returns -1 when there are too many of those,
 * else 0. */
#if defined(__GNUC__) || defined(__clang__)
#define MCC_NOINLINE __attribute__((noinline)) /* called twice: keep one copy of the scan */
#else
#define MCC_NOINLINE
#endif
static MCC_NOINLINE int mcc_scan_all(memcom_model *m, mcc_scorer *s, mcc_topk *h, int use_bias, int cosine, mcc_prerank *pre)
{
    const uint32_t *bm = m->bitmap;
    uint32_t n = m->v.n;
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        const float *w, *tt;
        int full = mcc_topk_full(h);
        float thr = full ? mcc_topk_threshold(h) : INFINITY;
        float floor = -INFINITY;
        if (pre && full) {
            floor = mcc_prerank_floor(pre, thr);
            thr = nextafterf(floor, -INFINITY); /* hits: every score >= floor */
        }
        mcc_scorer_block(s, i0, len, &w, &tt);
        size_t nh;
        if (cosine) {
            mk_scan(w, tt, NULL, len, INFINITY, m->out_buf, m->hits);
            nh = mk_scan(m->inv_norm + i0, m->out_buf, NULL, len, thr, m->out_buf, m->hits);
        } else {
            nh = mk_scan(w, tt, use_bias ? mcc_bias_block(m, i0, len) : NULL, len, thr, m->out_buf, m->hits);
        }
        size_t count = full ? nh : len;
        for (size_t q = 0; q < count; q++) {
            uint32_t j = full ? m->hits[q] : (uint32_t)q;
            if (mcc_bit(bm, i0 + j)) continue;
            float sc = cosine ? mcc_clamp_cos(m->out_buf[j]) : m->out_buf[j];
            mcc_topk_offer(h, i0 + j, sc);
            if (pre && !mcc_prerank_add(pre, i0 + j, sc, floor)) return -1;
        }
    }
    return 0;
}

/* Bucket bounds (bounds.c): a bucket whose bound is below this cannot hold an
 * item scoring >= the heap's threshold (with pre: >= the candidate floor). */
static float mcc_bucket_floor(const mcc_topk *h, const mcc_prerank *pre)
{
    if (!mcc_topk_full(h)) return -INFINITY;
    float th = mcc_topk_threshold(h);
    return pre ? mcc_prerank_floor(pre, th) : th;
}

/* score the items of bucket r (bucket value tr) into h; -1: too many candidates */
static MCC_NOINLINE int mcc_score_bucket(memcom_model *m, mcc_bounds *g, mcc_topk *h, uint32_t r, float tr, int use_bias,
                            mcc_prerank *pre)
{
    const mcc_table *t = &m->v.output;
    uint32_t n = m->v.n, nb = t->desc.m;
    const uint32_t *bm = m->bitmap;
    float floor = pre ? mcc_bucket_floor(h, pre) : -INFINITY;
    const uint32_t *list = g->start ? g->items + g->start[r] : NULL;
    size_t cnt = mcc_bounds_size(g, r, n, nb);
    const void *w = t->desc.kind == MEMCOM_KIND_MEMCOM ? t->w : NULL;
    int w16 = t->desc.scalar_dtype == MEMCOM_DTYPE_F16;
    int bias = use_bias && m->v.bias;
    for (size_t c = 0; c < cnt; c++) {
        uint32_t i = list ? list[c] : r + (uint32_t)c * nb;
        if (mcc_bit(bm, i)) continue;
        /* the same two roundings as mk_scan: fl(fl(w * t) + b) */
        float sc = tr;
        if (w) sc = (w16 ? mcc_f16_to_f32(((const uint16_t *)w)[i]) : ((const float *)w)[i]) * tr;
        if (bias) sc = sc + mcc_bias_one(m, i);
        mcc_topk_offer(h, i, sc);
        if (pre && sc >= floor) {
            /* the floor rises as the bucket fills the heap: keep it current
             * (a big bucket would otherwise add all its items) */
            floor = mcc_bucket_floor(h, pre);
            if (sc >= floor && !mcc_prerank_add(pre, i, sc, floor)) return -1;
        }
    }
    g->n_scored += cnt;
    return 0;
}

/* Top-k by bucket (s prepared): the buckets with the highest bounds first,
 * which sets the threshold, then every other bucket whose bound reaches it.
 * Returns 1 when ranked, 0 when the bounds would prune too little (h and pre
 * hold partial results: the caller starts over), -1 when pre has too many
 * candidates. */
static MCC_NOINLINE int mcc_scan_buckets(memcom_model *m, mcc_scorer *s, mcc_bounds *g, mcc_topk *h, int use_bias,
                                         mcc_prerank *pre)
{
    uint32_t nb = m->v.output.desc.m, n = m->v.n;
    const float *tv = s->tvals;
    float tmax = mk_bucket_bounds(tv, g->wmax, g->wmin, use_bias ? g->bmax : NULL, nb, g->ub);
    if (!mcc_bounds_usable(g, tmax, use_bias)) return 0;
    /* Rounds: score the best-bounded buckets not yet scored (the first round
     * enough to hold about 2k items, each next round 4x as many buckets:
     * bucket sizes vary, popular items may own a bucket each), which raises
     * the threshold; then count the items of the buckets whose bound still
     * reaches it.  Few enough: score those in one pass over the bounds.
     * Otherwise another round, unless the last one did not halve that count
     * or the rounds themselves have scored more than the budget: then the
     * bounds prune too little for this query, which scans every item. */
    size_t per = ((size_t)n + nb - 1) / nb, budget = n / MC_BOUNDS_MAX_SHARE;
    size_t ns = (2 * h->k + per - 1) / per + 2, seeded = 0, picked = 0;
    uint64_t scored0 = g->n_scored, prev_left = 0;
    int done = 0;
    g->n_ranked++;
    for (;;) {
        if (ns > nb - picked) ns = nb - picked;
        if (ns == 0) return 1; /* every bucket scored */
        if (mcc_pairs_reserve(&g->seed_idx, &g->seed_score, &g->seed_cap, ns))
            break; /* no memory for this round: scan every item */
        mcc_topk hs;
        mcc_topk_init(&hs, g->seed_idx, g->seed_score, ns);
        for (uint32_t r0 = 0; r0 < nb; r0 += MC_BLOCK) {
            uint32_t len = nb - r0 < MC_BLOCK ? nb - r0 : MC_BLOCK;
            int full = mcc_topk_full(&hs);
            /* before hs is full, -inf (scored) buckets are skipped by hand;
             * after, the threshold excludes them */
            size_t cnt = full ? mk_scan(NULL, g->ub + r0, NULL, len, mcc_topk_threshold(&hs), m->out_buf, m->hits) : len;
            for (size_t q = 0; q < cnt; q++) {
                uint32_t r = r0 + (full ? m->hits[q] : (uint32_t)q);
                if (g->ub[r] > -INFINITY) mcc_topk_offer(&hs, r, g->ub[r]);
            }
        }
        if (hs.n == 0) return 1; /* cannot happen: an unscored bucket has a finite bound */
        for (size_t q = 0; q < hs.n; q++) {
            uint32_t r = g->seed_idx[q];
            if (mcc_score_bucket(m, g, h, r, tv[r], use_bias, pre)) return -1;
            g->ub[r] = -INFINITY; /* scored */
            seeded += mcc_bounds_size(g, r, n, nb);
        }
        picked += hs.n;
        ns *= 4;
        if (ns > budget / per + 1) ns = budget / per + 1; /* a round scores at most about the budget */
        if (seeded < 2 * h->k && picked < nb) continue;
        /* how many items the buckets still to score hold */
        float f = mcc_bucket_floor(h, pre);
        uint64_t left = 0;
        if (f > -INFINITY) {
            float thr = nextafterf(f, -INFINITY);
            for (uint32_t r0 = 0; r0 < nb; r0 += MC_BLOCK) {
                uint32_t len = nb - r0 < MC_BLOCK ? nb - r0 : MC_BLOCK;
                size_t nh = mk_scan(NULL, g->ub + r0, NULL, len, thr, m->out_buf, m->hits);
                if (!g->start) left += (uint64_t)nh * per; /* i mod m: per bounds every bucket's size */
                else
                    for (size_t q = 0; q < nh; q++) left += mcc_bounds_size(g, r0 + m->hits[q], n, nb);
            }
        } else {
            left = n; /* the heap is not full (exclusions): no threshold yet */
        }
        if (left <= budget) {
            done = 1;
            break;
        }
        /* a round that did not halve what is left will not get there (the
         * threshold is already about final: the bounds are loose), or spent */
        if ((prev_left && left * 2 > prev_left) || seeded > budget || picked == nb) break;
        prev_left = left;
    }
    if (!done) {
        g->n_linear++;
        g->n_scored = scored0; /* counted for rankings that finish by bucket */
        return 0;
    }
    for (uint32_t r0 = 0; r0 < nb; r0 += MC_BLOCK) {
        uint32_t len = nb - r0 < MC_BLOCK ? nb - r0 : MC_BLOCK;
        float f = mcc_bucket_floor(h, pre);
        size_t nh = mk_scan(NULL, g->ub + r0, NULL, len, f > -INFINITY ? nextafterf(f, -INFINITY) : -INFINITY,
                            m->out_buf, m->hits);
        for (size_t q = 0; q < nh; q++) {
            uint32_t r = r0 + m->hits[q];
            if (g->ub[r] < f) continue; /* the threshold rose since */
            if (mcc_score_bucket(m, g, h, r, tv[r], use_bias, pre)) return -1;
            f = mcc_bucket_floor(h, pre);
        }
    }
    return 1;
}

/* One full ranking pass: by bucket where the bounds pay, else item by item. */
static MCC_NOINLINE int mcc_rank_all(memcom_model *m, mcc_scorer *s, mcc_topk *h, int use_bias, int cosine, mcc_prerank *pre,
                        mcc_bounds *g)
{
    mcc_scorer_prepare(s);
    if (g && !cosine && mcc_bounds_try(g)) {
        int rc = mcc_scan_buckets(m, s, g, h, use_bias, pre);
        mcc_bounds_outcome(g, rc != 0);
        if (rc) return rc > 0 ? 0 : -1;
        mcc_topk_init(h, h->idx, h->score, h->k); /* start over */
        if (pre) pre->n_cand = 0;
    }
    return mcc_scan_all(m, s, h, use_bias, cosine, pre);
}

/* the shared top-k driver; extra: one more excluded item (UINT32_MAX: none) */
static int mcc_topk_run(memcom_model *m, const float *vec, size_t dim, const memcom_topk_opts *o, int use_bias,
                       int cosine, uint32_t extra, uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!m || !vec || !o || !out_index || !out_score || !n_out) return MEMCOM_E_ARG;
    *n_out = 0;
    const mcc_view *v = &m->v;
    uint32_t n = v->n;
    if (dim != v->output.desc.d) return MEMCOM_E_DIM;
    if (o->k == 0) return MEMCOM_E_K;
    if (!mcc_all_finite(vec, dim)) return MEMCOM_E_NONFINITE_INPUT;
    int rc;
    if ((rc = mcc_check_list(o->exclude, o->n_exclude, n)) || (rc = mcc_check_list(o->candidates, o->n_candidates, n)))
        return rc;
    if ((rc = mcc_prepare_hash(m))) return rc;
    if (cosine && (rc = mcc_prepare_norms(m))) return rc;
    if (!v->bias) use_bias = 0;
    if (cosine) {
        /* rank by (E_i . v/|v|) / |E_i| */
        double sq = 0.0; /* in double: |v|^2 may overflow float for a finite v */
        for (size_t j = 0; j < dim; j++) sq += (double)vec[j] * (double)vec[j];
        double inv = sq > 0.0 ? 1.0 / sqrt(sq) : 0.0;
        for (size_t j = 0; j < dim; j++) m->qvec[j] = (float)(vec[j] * inv);
        vec = m->qvec;
        use_bias = 0;
    }

    uint32_t *bm = m->bitmap;
    for (size_t k = 0; k < o->n_exclude; k++) mcc_set(bm, o->exclude[k]);
    if (extra != UINT32_MAX) mcc_set(bm, extra);

    size_t k = o->k < n ? o->k : n;
    mcc_topk h;
    mcc_topk_init(&h, out_index, out_score, k);
    mcc_scorer s;
    mcc_scorer_init(m, &s, vec);

    if (o->candidates) {
        for (size_t c = 0; c < o->n_candidates; c++) {
            uint32_t i = o->candidates[c];
            if (mcc_bit(bm, i)) continue; /* excluded or already seen */
            mcc_set(bm, i);
            float sc = mcc_scorer_one(&s, i);
            if (cosine) sc = mcc_clamp_cos(sc * m->inv_norm[i]);
            else if (use_bias) sc = sc + mcc_bias_one(m, i);
            mcc_topk_offer(&h, i, sc);
        }
        mcc_clear_list(bm, o->candidates, o->n_candidates);
    } else {
        /* pre-rank on int8 rows (the table's own, or its int8 copy) with
         * integers, then score the candidates exactly (prerank.c); an
         * accelerator only: without memory for it, rank in one exact pass */
        mcc_bounds *g = NULL;
        if (!cosine && mcc_bounds_init(&m->bounds, &v->output, m->hash_b, v->bias, v->bias_dtype, n) == MEMCOM_OK &&
            m->bounds.state == 1)
            g = &m->bounds;
        mcc_prerank *pre = NULL;
        if (!cosine && k <= MC_PRERANK_MAX_K && mcc_prerank_init(&m->pre, &v->output, v->bias, v->bias_dtype, n) == MEMCOM_OK &&
            m->pre.state == 1 && mcc_prerank_reserve(&m->pre, k) == MEMCOM_OK && mcc_prerank_query(&m->pre, vec, dim, use_bias))
            pre = &m->pre;
        if (pre) {
            pre->n_ranked++;
            s.pre = pre;
            if (mcc_rank_all(m, &s, &h, use_bias, 0, pre, g) == 0) {
                float floor = mcc_topk_full(&h) ? mcc_prerank_floor(pre, mcc_topk_threshold(&h)) : -INFINITY;
                mcc_prerank_keep(pre, floor);
                mcc_topk_init(&h, out_index, out_score, k);
                for (size_t c = 0; c < pre->n_cand; c++) {
                    uint32_t i = pre->cand_idx[c];
                    float sc = mcc_scorer_one(&s, i);
                    mcc_topk_offer(&h, i, use_bias ? sc + mcc_bias_one(m, i) : sc);
                }
            } else {
                pre->n_fallback++;
                pre = NULL; /* too many candidates near the threshold: rank exactly */
                s.pre = NULL;
                mcc_topk_init(&h, out_index, out_score, k);
            }
        }
        if (!pre) mcc_rank_all(m, &s, &h, use_bias, cosine, NULL, g);
    }
    mcc_clear_list(bm, o->exclude, o->n_exclude);
    if (extra != UINT32_MAX) bm[extra >> 5] = 0;
    *n_out = mcc_topk_finish(&h);
    return MEMCOM_OK;
}

int memcom_topk_vector(memcom_model *model, const float *vec, size_t dim, const memcom_topk_opts *opts,
                       uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!opts) return MEMCOM_E_ARG;
    return mcc_topk_run(model, vec, dim, opts, opts->use_bias, opts->cosine, UINT32_MAX, out_index, out_score, n_out);
}

int memcom_recommend(memcom_model *model, const uint32_t *history, size_t n_history, const memcom_topk_opts *opts,
                     uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!model || !opts) return MEMCOM_E_ARG;
    int rc = memcom_user_vector(model, history, n_history, model->uvec);
    if (rc) return rc;
    return mcc_topk_run(model, model->uvec, model->v.output.desc.d, opts, 1, 0, UINT32_MAX, out_index, out_score, n_out);
}

int memcom_similar(memcom_model *model, uint32_t index, const memcom_topk_opts *opts, uint32_t *out_index,
                   float *out_score, size_t *n_out)
{
    if (!model || !opts) return MEMCOM_E_ARG;
    if (index >= model->v.n) return MEMCOM_E_INDEX;
    mcc_table_lookup(&model->v.output, index, model->uvec, model->tmp);
    return mcc_topk_run(model, model->uvec, model->v.output.desc.d, opts, 0, 1, index, out_index, out_score, n_out);
}

/* The shape of dense layer `index` (memcom.h; read by bindings instead of the file's bytes). */
int memcom_get_layer(const memcom_model *model, uint32_t index, memcom_layer_info *out)
{
    if (!model || !out) return MEMCOM_E_ARG;
    if (index >= model->v.n_layers) return MEMCOM_E_INDEX;
    const mcc_layer *L = &model->v.layers[index];
    out->in_dim = L->in;
    out->out_dim = L->out;
    out->activation = L->act;
    out->has_weight = (L->flags & MC_LAYER_HAS_WEIGHT) != 0;
    out->has_bias = (L->flags & MC_LAYER_HAS_BIAS) != 0;
    return MEMCOM_OK;
}
