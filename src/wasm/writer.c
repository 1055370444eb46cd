/*
 * writer.c - the wasm exports of the writer module (dist/memcom-writer.wasm,
 * loaded by buildModel only; src/wasm/ABI.md), also linked into
 * build/libmemcom.so for the Python package (python/memcom/writer.py).  A
 * builder collects a memcom_model_data from scalar arguments and pointers, so
 * a binding never lays out C structs; memcom_write_memory (the one writer of
 * the format) validates, quantises and serialises it.
 */
#include <stdlib.h>

#include "../memcom.h"

typedef struct mcw_builder {
    memcom_model_data md;
    memcom_layer_data *layers;
    memcom_layer_data *head;  /* a ranker's head layers (mcw_head) */
    const char **ids;
    uint32_t *id_lengths;
} mcw_builder;

/* a builder for a model of n_layers dense layers (0 on out of memory) */
mcw_builder *mcw_new(uint32_t n_layers)
{
    mcw_builder *b = (mcw_builder *)calloc(1, sizeof *b);
    if (!b) return NULL;
    if (n_layers) {
        b->layers = (memcom_layer_data *)calloc(n_layers, sizeof *b->layers);
        if (!b->layers) {
            free(b);
            return NULL;
        }
    }
    b->md.n_layers = n_layers;
    b->md.layers = b->layers;
    return b;
}

void mcw_free(mcw_builder *b)
{
    if (!b) return;
    free(b->layers);
    free(b->head);
    free((void *)b->ids);
    free(b->id_lengths);
    free(b);
}

/* role 0 input, 1 output; rows_b, scalars, buckets may be 0 */
int mcw_table(mcw_builder *b, uint32_t role, uint32_t kind, uint32_t n, uint32_t m, uint32_t d, uint32_t row_dtype,
              uint32_t scalar_dtype, uint32_t bucket_mode, uint32_t bucket_dtype, uint32_t seed_lo, uint32_t seed_hi,
              const float *rows_a, const float *rows_b, const float *scalars, const uint32_t *buckets)
{
    if (!b || role > 1) return MEMCOM_E_ARG;
    memcom_table_data *t = role ? &b->md.output : &b->md.input;
    memcom_table_desc dsc = {kind, n, m, d, row_dtype, scalar_dtype, bucket_mode, bucket_dtype,
                             (uint64_t)seed_hi << 32 | seed_lo};
    t->desc = dsc;
    t->rows_a = rows_a;
    t->rows_b = rows_b;
    t->scalars = scalars;
    t->buckets = buckets;
    return MEMCOM_OK;
}

static int mcw_set_layer(memcom_layer_data *layers, uint32_t count, uint32_t i, uint32_t in_dim, uint32_t out_dim,
                         uint32_t activation, const float *weight, const float *bias)
{
    if (i >= count) return MEMCOM_E_ARG;
    memcom_layer_data L = {in_dim, out_dim, activation, weight, bias};
    layers[i] = L;
    return MEMCOM_OK;
}

/* weight, bias may be 0 (identity, zeros) */
int mcw_layer(mcw_builder *b, uint32_t i, uint32_t in_dim, uint32_t out_dim, uint32_t activation, const float *weight,
              const float *bias)
{
    return b ? mcw_set_layer(b->layers, b->md.n_layers, i, in_dim, out_dim, activation, weight, bias) : MEMCOM_E_ARG;
}

/* a ranker: room for n_head head layers (format 1.2), set by mcw_head_layer */
int mcw_head(mcw_builder *b, uint32_t n_head)
{
    if (!b || b->head || n_head == 0) return MEMCOM_E_ARG;
    b->head = (memcom_layer_data *)calloc(n_head, sizeof *b->head);
    if (!b->head) return MEMCOM_E_NOMEM;
    b->md.n_head_layers = n_head;
    b->md.head_layers = b->head;
    return MEMCOM_OK;
}

/* as mcw_layer, for head layer i */
int mcw_head_layer(mcw_builder *b, uint32_t i, uint32_t in_dim, uint32_t out_dim, uint32_t activation, const float *weight,
                   const float *bias)
{
    return b ? mcw_set_layer(b->head, b->md.n_head_layers, i, in_dim, out_dim, activation, weight, bias) : MEMCOM_E_ARG;
}

void mcw_bias(mcw_builder *b, const float *bias, uint32_t dtype)
{
    b->md.output_bias = bias;
    b->md.bias_dtype = dtype;
}

/* n ids (n = the output table's, set before): id i is bytes[offsets[i] ..
 * offsets[i + 1] - 1), followed by a NUL byte (ids may hold NUL bytes too);
 * encoding: memcom_id_encoding */
int mcw_ids(mcw_builder *b, const char *bytes, const uint32_t *offsets, uint32_t encoding)
{
    if (!b) return MEMCOM_E_ARG;
    b->md.id_encoding = encoding;
    uint32_t n = b->md.output.desc.n;
    const char **ids = (const char **)malloc(sizeof *ids * (n ? n : 1));
    uint32_t *lens = (uint32_t *)malloc(sizeof *lens * (n ? n : 1));
    if (!ids || !lens) {
        free((void *)ids);
        free(lens);
        return MEMCOM_E_NOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        ids[i] = bytes + offsets[i];
        lens[i] = offsets[i + 1] - offsets[i] - 1;
    }
    free((void *)b->ids);
    free(b->id_lengths);
    b->ids = ids;
    b->id_lengths = lens;
    b->md.ids = ids;
    b->md.id_lengths = lens;
    return MEMCOM_OK;
}

/* NUL-terminated JSON object text */
void mcw_metadata(mcw_builder *b, const char *json) { b->md.metadata_json = json; }

/* Serialise: the file's bytes (from mc_malloc; the caller frees them) and size, or an error code with detail. */
int mcw_write(mcw_builder *b, void **out, size_t *out_size, char *detail, size_t detail_cap)
{
    if (!b) return MEMCOM_E_ARG;
    return memcom_write_memory(&b->md, out, out_size, detail, detail_cap);
}

/* Native bindings only (not a wasm export): write atomically to path (memcom_write_file). */
int mcw_write_file(mcw_builder *b, const char *path, char *detail, size_t detail_cap)
{
    if (!b) return MEMCOM_E_ARG;
    return memcom_write_file(&b->md, path, detail, detail_cap);
}
