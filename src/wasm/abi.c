/*
 * abi.c - the thin WebAssembly exports of the ranking module (src/wasm/ABI.md;
 * the shared ones are in common.c).  No logic of its own: every function
 * forwards to the public C API.  Pointers and sizes are 32-bit in wasm32, so
 * size_t* and uint32_t* views agree with the JS side.
 */
#include <emscripten/emmalloc.h>

#include "../memcom.h"


/* streamed loading: block checksums and section checks taken as the file arrives (0: out of memory) */
memcom_crc_blocks *mc_crc_new(size_t size)
{
    memcom_crc_blocks *b = NULL;
    return memcom_crc_blocks_new(&b, size) == MEMCOM_OK ? b : NULL;
}

void mc_crc_update(memcom_crc_blocks *b, const void *ptr, size_t have) { memcom_crc_blocks_update(b, ptr, have); }

void mc_crc_free(memcom_crc_blocks *b) { memcom_crc_blocks_free(b); }

int mc_open_ex(void *ptr, size_t size, memcom_crc_blocks *blocks, memcom_model **out_handle, char *detail,
               size_t detail_cap)
{
    return memcom_open_ex(out_handle, ptr, size, MEMCOM_OPEN_OWN, 0, blocks, detail, detail_cap);
}

void mc_close(memcom_model *h) { memcom_close(h); }

int mc_set_int8_index(memcom_model *h, int enable) { return memcom_set_int8_index(h, enable); }

int mc_set_bucket_bounds(memcom_model *h, int enable) { return memcom_set_bucket_bounds(h, enable); }

int mc_prepare(memcom_model *h) { return memcom_prepare(h); }

/* memcom_prepare_bytes as a number (f64: exact below 2^53): -1 while the
 * header is not all there, 0 on any other error */
double mc_prepare_bytes(const void *data, size_t have, size_t size, int int8_index, int bucket_bounds)
{
    uint64_t b = 0;
    int rc = memcom_prepare_bytes(data, have, size, int8_index, bucket_bounds, &b);
    return rc == MEMCOM_OK ? (double)b : have < size && rc == MEMCOM_E_TRUNCATED ? -1.0 : 0.0;
}

int mc_warm_up(void) { return memcom_warm_up(); }

int mc_info(const memcom_model *h, memcom_info *out) { return memcom_get_info(h, out); }

const char *mc_metadata(const memcom_model *h, size_t *len_out) { return memcom_metadata(h, len_out); }

/* count ids, id i being bytes[offsets[i] .. offsets[i + 1]): their indices
 * into idx_out, in one call; on failure *failed_out is the id that failed. */
int mc_find_ids(const memcom_model *h, const char *bytes, const uint32_t *offsets, size_t count, uint32_t *idx_out,
                uint32_t *failed_out)
{
    for (size_t i = 0; i < count; i++) {
        int rc = memcom_find_id(h, bytes + offsets[i], offsets[i + 1] - offsets[i], &idx_out[i]);
        if (rc) {
            *failed_out = (uint32_t)i;
            return rc;
        }
    }
    return MEMCOM_OK;
}

/* The ids of count items (idx NULL: items 0 .. count-1), in one call: out
 * gets (pointer, length) pairs into the model's bytes. */
int mc_get_ids(const memcom_model *h, const uint32_t *idx, size_t count, uint32_t *out)
{
    for (size_t i = 0; i < count; i++) {
        const char *p = NULL;
        size_t len = 0;
        int rc = memcom_get_id(h, idx ? idx[i] : (uint32_t)i, &p, &len);
        if (rc) return rc;
        out[2 * i] = (uint32_t)(uintptr_t)p;
        out[2 * i + 1] = (uint32_t)len;
    }
    return MEMCOM_OK;
}

int mc_layer(const memcom_model *h, uint32_t index, memcom_layer_info *out) { return memcom_get_layer(h, index, out); }

int mc_head_layer(const memcom_model *h, uint32_t index, memcom_layer_info *out) { return memcom_get_head_layer(h, index, out); }

/* field i of struct `which` (memcom_struct_id): name, offset and size */
int mc_struct_field(int which, uint32_t i, const char **name_out, uint32_t *offset_out, uint32_t *size_out)
{
    return memcom_struct_field(which, i, name_out, offset_out, size_out);
}

int mc_lookup(const memcom_model *h, uint32_t which, uint32_t idx, float *out)
{
    return memcom_lookup(h, (memcom_which)which, idx, out);
}

int mc_user_vector(memcom_model *h, const uint32_t *hist, size_t n_hist, float *out)
{
    return memcom_user_vector(h, hist, n_hist, out);
}

int mc_score_vector(memcom_model *h, const float *vec, size_t dim, float *scores)
{
    return memcom_score_vector(h, vec, dim, scores);
}

int mc_topk(memcom_model *h, const float *vec, size_t dim, size_t k, const uint32_t *excl, size_t n_excl,
            const uint32_t *cand, size_t n_cand, uint32_t flags, uint32_t *out_idx, float *out_score, size_t *n_out)
{
    memcom_topk_opts o = {k, excl, n_excl, cand, n_cand, (int)(flags & 1u), (int)((flags >> 1) & 1u)};
    return memcom_topk_vector(h, vec, dim, &o, out_idx, out_score, n_out);
}

/* depth 0: memcom_recommend; else memcom_recommend_two_stage with rerank_depth = depth */
int mc_recommend(memcom_model *h, const uint32_t *hist, size_t n_hist, size_t k, size_t depth, const uint32_t *excl,
                 size_t n_excl, const uint32_t *cand, size_t n_cand, uint32_t *out_idx, float *out_score, size_t *n_out)
{
    memcom_topk_opts o = {k, excl, n_excl, cand, n_cand, 1, 0};
    if (depth) return memcom_recommend_two_stage(h, hist, n_hist, &o, depth, out_idx, out_score, n_out);
    return memcom_recommend(h, hist, n_hist, &o, out_idx, out_score, n_out);
}

int mc_recommend_popularity(memcom_model *h, const uint32_t *hist, size_t n_hist, float popularity, size_t k,
                            const uint32_t *excl, size_t n_excl, const uint32_t *cand, size_t n_cand, uint32_t *out_idx,
                            float *out_score, size_t *n_out)
{
    memcom_topk_opts o = {k, excl, n_excl, cand, n_cand, 1, 0};
    return memcom_recommend_popularity(h, hist, n_hist, popularity, &o, out_idx, out_score, n_out);
}

int mc_rerank(memcom_model *h, const uint32_t *hist, size_t n_hist, const uint32_t *cand, size_t n_cand, size_t k,
              uint32_t *out_idx, float *out_score, size_t *n_out)
{
    return memcom_rerank(h, hist, n_hist, cand, n_cand, k, out_idx, out_score, n_out);
}

int mc_similar(memcom_model *h, uint32_t idx, size_t k, const uint32_t *excl, size_t n_excl, const uint32_t *cand,
               size_t n_cand, uint32_t *out_idx, float *out_score, size_t *n_out)
{
    memcom_topk_opts o = {k, excl, n_excl, cand, n_cand, 0, 1};
    return memcom_similar(h, idx, &o, out_idx, out_score, n_out);
}

const char *mc_kernel_name(void) { return memcom_kernel_name(); }

/* bytes of the heap in use (allocated blocks with their headers): for tests
 * that check a failed or cancelled load frees everything it allocated */
size_t mc_heap_used(void) { return emmalloc_dynamic_heap_size() - emmalloc_free_dynamic_memory(); }
