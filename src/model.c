/*
 * model.c - the model handle: open (validate, then views + scratch), info,
 * ids and metadata, the section directory and stored values as f32, lookup
 * and the recommender forward pass (history -> user vector).  Ranking is the
 * engine's (engine/engine.h): the handle owns one for its output table and
 * passes its calls on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dense.h"
#include "engine/ranker.h"
#include "kernels/kernels.h"
#include "model.h"

struct memcom_model {
    mcc_view v;
    uint8_t *owned;           /* file bytes we free, or NULL (borrowed) */
    uint32_t max_dim;
    /* scratch, allocated at open */
    float *tmp;               /* 2 * max_dim */
    float *x0, *x1;           /* max_dim each: forward pass */
    float *uvec;              /* max_dim: user vector */
    float *u0;                /* max_dim: the empty history's user vector (memcom_recommend_popularity) */
    int have_u0;              /* u0 computed */
    mcc_engine eng;           /* ranks the output table; its bitmap also marks history items */
    mcc_ranker rk;            /* a ranker's head (v.n_head > 0), else all zero */
};

const char *memcom_kernel_name(void) { return mk_name(); }

const mcc_prerank *mcc_model_prerank(const memcom_model *m) { return &m->eng.pre; }

const mcc_bounds *mcc_model_bounds(const memcom_model *m) { return &m->eng.bounds; }

int memcom_set_bucket_bounds(memcom_model *model, int enable)
{
    if (!model) return MEMCOM_E_ARG;
    mcc_engine_set_bucket_bounds(&model->eng, enable);
    return MEMCOM_OK;
}

int memcom_set_int8_index(memcom_model *model, int enable)
{
    if (!model) return MEMCOM_E_ARG;
    mcc_engine_set_int8_index(&model->eng, enable ? MC_INDEX_AUTO : MC_INDEX_OFF);
    return MEMCOM_OK;
}

void mcc_model_set_index(memcom_model *m, int index) { mcc_engine_set_int8_index(&m->eng, index); }

int memcom_prepare(memcom_model *model)
{
    if (!model) return MEMCOM_E_ARG;
    return mcc_engine_prepare(&model->eng);
}

int memcom_prepare_bytes(const void *data, size_t have, size_t file_size, int int8_index, int bucket_bounds, uint64_t *out)
{
    if (!out || (have && !data)) return MEMCOM_E_ARG;
    *out = 0;
    mcc_table t;
    uint32_t bias_dtype = MEMCOM_DTYPE_NONE;
    int rc = mcc_read_header((const uint8_t *)data, have, file_size, &t, &bias_dtype);
    if (rc) return rc;
    /* an engine as memcom_open_ex would make, for its sizes only: the
     * estimate reads the table's description and whether there is a bias */
    static const float bias_present = 0.0f;
    mcc_engine e;
    memset(&e, 0, sizeof e);
    e.t = &t;
    e.n = t.desc.n;
    e.bias = bias_dtype != MEMCOM_DTYPE_NONE ? &bias_present : NULL;
    e.pre.index = int8_index ? MC_INDEX_AUTO : MC_INDEX_OFF;
    e.bounds.off = bucket_bounds ? 0 : 1;
    *out = mcc_engine_prepare_bytes(&e);
    return MEMCOM_OK;
}

/* ------------------------------------------------------------------ open */

static void mcc_model_free(memcom_model *m)
{
    if (!m) return;
    memcom_free(m->owned);
    memcom_free(m->tmp);
    memcom_free(m->x0);
    memcom_free(m->x1);
    memcom_free(m->uvec);
    memcom_free(m->u0);
    mcc_engine_free(&m->eng);
    mcc_ranker_free(&m->rk);
    mcc_view_release(&m->v);
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
    m->tmp = (float *)memcom_malloc(2 * fd);
    m->x0 = (float *)memcom_malloc(fd);
    m->x1 = (float *)memcom_malloc(fd);
    m->uvec = (float *)memcom_malloc(fd);
    m->u0 = (float *)memcom_malloc(fd);
    if (!m->tmp || !m->x0 || !m->x1 || !m->uvec || !m->u0) return MEMCOM_E_NOMEM;
    int rc = mcc_engine_init(&m->eng, &v->output, v->bias, v->bias_dtype);
    if (!rc && v->n_head) rc = mcc_ranker_init(&m->rk, v);
    return rc;
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

/* bindings decode the record by the field layout memcom_struct_field reports
 * (base/names.c, from offsetof; tests/c/test_names.c checks it covers every byte) */

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
    o->n_head_layers = v->n_head;
    o->head_bytes = v->head_bytes;
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
    o->working_bytes = mcc_engine_working_bytes(&model->eng) + 24 * (uint64_t)model->max_dim + sizeof *model; /* tmp (2), x0, x1, uvec, u0 */
    if (v->n_head) o->working_bytes += mcc_ranker_working_bytes(&model->rk);
    if (v->id_alloc) o->working_bytes += (2 * (uint64_t)v->n + 1) * 4 + v->id_off[v->n]; /* compact ids, decoded */
    o->full_file_bytes = o->file_bytes - o->input_bytes - o->output_bytes - o->bias_bytes + o->full_f32_bytes +
                         (o->bias_dtype ? 4 * (uint64_t)o->n_items : 0);
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

/* memcom_user_vector, and the number of distinct history items */
static int mcc_user_vector(memcom_model *model, const uint32_t *history, size_t n_history, float *out,
                           size_t *n_distinct)
{
    if (!model || !out || (!history && n_history)) return MEMCOM_E_ARG;
    const mcc_view *v = &model->v;
    if (v->input.desc.kind == MEMCOM_KIND_NONE) return MEMCOM_E_NO_TABLE;
    for (size_t k = 0; k < n_history; k++)
        if (history[k] >= v->n) return MEMCOM_E_INDEX;
    if (n_history && !mcc_engine_bitmap(&model->eng)) return MEMCOM_E_NOMEM;
    uint32_t d = v->input.desc.d;
    float *x = model->x0, *y = model->x1, *row = model->tmp;
    memset(x, 0, sizeof(float) * d);
    size_t distinct = 0;
    for (size_t k = 0; k < n_history; k++) {
        uint32_t i = history[k];
        if (mcc_bit(model->eng.bitmap, i)) continue;
        mcc_set(model->eng.bitmap, i);
        distinct++;
        mcc_table_lookup(&v->input, i, row, row + model->max_dim);
        mk_axpy_f32(1.0f, row, x, d);
    }
    mcc_clear_list(model->eng.bitmap, history, n_history);
    *n_distinct = distinct;
    if (distinct) {
        float s = sqrtf((float)distinct);
        for (uint32_t j = 0; j < d; j++) x[j] /= s;
    }
    for (uint32_t l = 0; l < v->n_layers; l++) {
        mcc_dense_apply(&v->layers[l], x, y);
        float *t = x; x = y; y = t;
        d = v->layers[l].out;
    }
    memcpy(out, x, sizeof(float) * d);
    return MEMCOM_OK;
}

int memcom_user_vector(memcom_model *model, const uint32_t *history, size_t n_history, float *out)
{
    size_t distinct;
    return mcc_user_vector(model, history, n_history, out, &distinct);
}

int memcom_score_vector(memcom_model *model, const float *vec, size_t dim, float *scores)
{
    if (!model) return MEMCOM_E_ARG;
    return mcc_engine_score(&model->eng, vec, dim, scores);
}

/* ------------------------------------------------------------------ top-k (engine/) */

int memcom_topk_vector(memcom_model *model, const float *vec, size_t dim, const memcom_topk_opts *opts,
                       uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!model || !opts) return MEMCOM_E_ARG;
    return mcc_engine_topk(&model->eng, vec, dim, opts, opts->use_bias ? 1.0f : 0.0f, opts->cosine, UINT32_MAX, out_index,
                           out_score, n_out);
}

/* a recommendation: by s_i on a ranker (depth: two-stage), else by the factorised score */
static int mcc_recommend(memcom_model *model, const uint32_t *history, size_t n_history, const memcom_topk_opts *opts, size_t depth,
                         uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!model || !opts) return MEMCOM_E_ARG;
    if (n_out) *n_out = 0;
    int rc = memcom_user_vector(model, history, n_history, model->uvec);
    if (rc) return rc;
    if (model->v.n_head)
        return mcc_ranker_topk(&model->rk, &model->eng, model->uvec, opts, depth, 0.0f, NULL, out_index, out_score, n_out);
    return mcc_engine_topk(&model->eng, model->uvec, model->v.output.desc.d, opts, 1, 0, UINT32_MAX, out_index, out_score, n_out);
}

int memcom_recommend(memcom_model *model, const uint32_t *history, size_t n_history, const memcom_topk_opts *opts,
                     uint32_t *out_index, float *out_score, size_t *n_out)
{
    return mcc_recommend(model, history, n_history, opts, 0, out_index, out_score, n_out);
}

int memcom_recommend_two_stage(memcom_model *model, const uint32_t *history, size_t n_history, const memcom_topk_opts *opts,
                               size_t rerank_depth, uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (n_out) *n_out = 0;
    if (rerank_depth == 0) return MEMCOM_E_ARG;
    return mcc_recommend(model, history, n_history, opts, rerank_depth, out_index, out_score, n_out);
}

int memcom_rerank(memcom_model *model, const uint32_t *history, size_t n_history, const uint32_t *candidates,
                  size_t n_candidates, size_t k, uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (n_out) *n_out = 0;
    if (!candidates) return MEMCOM_E_ARG; /* NULL would mean every item */
    memcom_topk_opts o = {k, NULL, 0, candidates, n_candidates, 1, 0};
    return mcc_recommend(model, history, n_history, &o, 0, out_index, out_score, n_out);
}

int memcom_rank_scores(memcom_model *model, const uint32_t *history, size_t n_history, const uint32_t *items, size_t n_items,
                       float *scores)
{
    if (!model || (n_items && (!items || !scores))) return MEMCOM_E_ARG;
    int rc = memcom_user_vector(model, history, n_history, model->uvec);
    if (rc) return rc;
    if ((rc = mcc_check_list(items, n_items, model->v.n))) return rc;
    if (model->v.n_head) return mcc_ranker_scores(&model->rk, &model->eng, model->uvec, items, n_items, scores);
    return mcc_engine_score_items(&model->eng, model->uvec, model->v.output.desc.d, items, n_items, scores);
}

/* model->u0, the empty history's user vector (computed once) */
static int mcc_model_u0(memcom_model *model)
{
    if (model->have_u0) return MEMCOM_OK;
    int rc = memcom_user_vector(model, NULL, 0, model->u0);
    if (!rc) model->have_u0 = 1;
    return rc;
}

/* u - lam u0 in place (u: output.d floats) */
static int mcc_popularity_shift(memcom_model *model, float *u, float lam)
{
    uint32_t d = model->v.output.desc.d;
    int rc = mcc_model_u0(model);
    if (rc) return rc;
    for (uint32_t j = 0; j < d; j++) u[j] = u[j] - lam * model->u0[j];
    return MEMCOM_OK;
}

int memcom_recommend_popularity(memcom_model *model, const uint32_t *history, size_t n_history, float popularity,
                                const memcom_topk_opts *opts, uint32_t *out_index, float *out_score, size_t *n_out)
{
    if (!model || !opts) return MEMCOM_E_ARG;
    if (!(popularity >= 0.0f && popularity <= 1.0f)) return MEMCOM_E_ARG;
    size_t distinct = 0;
    int rc = mcc_user_vector(model, history, n_history, model->uvec, &distinct);
    if (rc) return rc;
    /* in full up to MEMCOM_POPULARITY_HISTORY distinct items, then fading */
    float lam = 1.0f - popularity;
    if (distinct > MEMCOM_POPULARITY_HISTORY) lam = lam * (float)MEMCOM_POPULARITY_HISTORY / (float)distinct;
    if (model->v.n_head) {   /* a ranker: by s_i(u) - lam s_i(u0) */
        if (lam != 0.0f && (rc = mcc_model_u0(model))) return rc;
        return mcc_ranker_topk(&model->rk, &model->eng, model->uvec, opts, 0, lam, model->u0, out_index, out_score, n_out);
    }
    if (lam == 0.0f) return mcc_engine_topk(&model->eng, model->uvec, model->v.output.desc.d, opts, 1.0f, 0, UINT32_MAX,
                                            out_index, out_score, n_out);
    if ((rc = mcc_popularity_shift(model, model->uvec, lam))) return rc;
    return mcc_engine_topk(&model->eng, model->uvec, model->v.output.desc.d, opts, 1.0f - lam, 0, UINT32_MAX, out_index,
                           out_score, n_out);
}

int memcom_similar(memcom_model *model, uint32_t index, const memcom_topk_opts *opts, uint32_t *out_index,
                   float *out_score, size_t *n_out)
{
    if (!model || !opts) return MEMCOM_E_ARG;
    if (index >= model->v.n) return MEMCOM_E_INDEX;
    mcc_table_lookup(&model->v.output, index, model->uvec, model->tmp);
    return mcc_engine_topk(&model->eng, model->uvec, model->v.output.desc.d, opts, 0.0f, 1, index, out_index, out_score, n_out);
}

/* layer `index` of the user tower (head 0) or of a ranker's head (head 1), or NULL */
static const mcc_layer *mcc_stack_layer(const memcom_model *model, int head, uint32_t index)
{
    if (index >= (head ? model->v.n_head : model->v.n_layers)) return NULL;
    return head ? &model->v.head[index] : &model->v.layers[index];
}

static int mcc_layer_info(const memcom_model *model, int head, uint32_t index, memcom_layer_info *out)
{
    if (!model || !out) return MEMCOM_E_ARG;
    const mcc_layer *L = mcc_stack_layer(model, head, index);
    if (!L) return MEMCOM_E_INDEX;
    out->in_dim = L->in;
    out->out_dim = L->out;
    out->activation = L->act;
    out->has_weight = (L->flags & MC_LAYER_HAS_WEIGHT) != 0;
    out->has_bias = (L->flags & MC_LAYER_HAS_BIAS) != 0;
    return MEMCOM_OK;
}

/* The shape of dense layer `index` (memcom.h; read by bindings instead of the file's bytes). */
int memcom_get_layer(const memcom_model *model, uint32_t index, memcom_layer_info *out)
{
    return mcc_layer_info(model, 0, index, out);
}

int memcom_get_head_layer(const memcom_model *model, uint32_t index, memcom_layer_info *out)
{
    return mcc_layer_info(model, 1, index, out);
}

/* ------------------------------------------------------------------ directory, stored values */

uint32_t memcom_section_count(const memcom_model *model) { return model ? model->v.n_sections : 0; }

int memcom_get_section(const memcom_model *model, uint32_t i, memcom_section_info *out)
{
    if (!model || !out) return MEMCOM_E_ARG;
    if (i >= model->v.n_sections) return MEMCOM_E_INDEX;
    mcc_view_section(&model->v, i, out);
    return MEMCOM_OK;
}

int memcom_copy_output_bias(const memcom_model *model, float *out)
{
    if (!model || !out) return MEMCOM_E_ARG;
    const mcc_view *v = &model->v;
    for (uint32_t i = 0; i < v->n; i++) out[i] = v->bias ? mcc_f32_or_f16_at(v->bias, v->bias_dtype, i) : 0.0f;
    return MEMCOM_OK;
}

static int mcc_copy_layer(const memcom_model *model, int head, uint32_t index, float *weight, float *bias)
{
    if (!model) return MEMCOM_E_ARG;
    const mcc_layer *L = mcc_stack_layer(model, head, index);
    if (!L) return MEMCOM_E_INDEX;
    if (weight) { /* dense layers are stored in f32 (docs/FORMAT.md) */
        if (L->w) {
            memcpy(weight, L->w, sizeof(float) * L->in * (size_t)L->out);
        } else { /* identity: in == out (validated) */
            memset(weight, 0, sizeof(float) * L->in * (size_t)L->out);
            for (uint32_t j = 0; j < L->out; j++) weight[(size_t)j * L->in + j] = 1.0f;
        }
    }
    if (bias) {
        if (L->b) memcpy(bias, L->b, sizeof(float) * L->out);
        else memset(bias, 0, sizeof(float) * L->out);
    }
    return MEMCOM_OK;
}

int memcom_copy_layer(const memcom_model *model, uint32_t index, float *weight, float *bias)
{
    return mcc_copy_layer(model, 0, index, weight, bias);
}

int memcom_copy_head_layer(const memcom_model *model, uint32_t index, float *weight, float *bias)
{
    return mcc_copy_layer(model, 1, index, weight, bias);
}
