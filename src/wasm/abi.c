/*
 * abi.c - the thin WebAssembly exports of src/wasm/ABI.md.  No logic of its
 * own: every function forwards to the public C API.  Pointers and sizes are
 * 32-bit in wasm32, so size_t* and uint32_t* views agree with the JS side.
 */
#include "../memcom.h"

_Static_assert(sizeof(memcom_info) == 176, "memcom_info layout is part of the ABI");
_Static_assert(sizeof(memcom_table_desc) == 40, "table_desc layout is part of the ABI");

void *mc_malloc(size_t size) { return memcom_malloc(size); }
void mc_free(void *p) { memcom_free(p); }

int mc_open(void *ptr, size_t size, memcom_model **out_handle, char *detail, size_t detail_cap)
{
    return memcom_open(out_handle, ptr, size, MEMCOM_OPEN_OWN, 0, detail, detail_cap);
}

/* streamed loading: block checksums taken as the file arrives (0: out of memory) */
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

int mc_info(const memcom_model *h, memcom_info *out) { return memcom_get_info(h, out); }

const char *mc_metadata(const memcom_model *h, size_t *len_out) { return memcom_metadata(h, len_out); }

int mc_find_id(const memcom_model *h, const char *str, size_t len, uint32_t *idx_out)
{
    return memcom_find_id(h, str, len, idx_out);
}

int mc_get_id(const memcom_model *h, uint32_t idx, const char **ptr_out, size_t *len_out)
{
    return memcom_get_id(h, idx, ptr_out, len_out);
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

int mc_recommend(memcom_model *h, const uint32_t *hist, size_t n_hist, size_t k, const uint32_t *excl, size_t n_excl,
                 const uint32_t *cand, size_t n_cand, uint32_t *out_idx, float *out_score, size_t *n_out)
{
    memcom_topk_opts o = {k, excl, n_excl, cand, n_cand, 1, 0};
    return memcom_recommend(h, hist, n_hist, &o, out_idx, out_score, n_out);
}

int mc_similar(memcom_model *h, uint32_t idx, size_t k, const uint32_t *excl, size_t n_excl, const uint32_t *cand,
               size_t n_cand, uint32_t *out_idx, float *out_score, size_t *n_out)
{
    memcom_topk_opts o = {k, excl, n_excl, cand, n_cand, 0, 1};
    return memcom_similar(h, idx, &o, out_idx, out_score, n_out);
}

const char *mc_error_name(int code) { return memcom_error_name(code); }
const char *mc_error_message(int code) { return memcom_error_message(code); }
const char *mc_kernel_name(void) { return memcom_kernel_name(); }
const char *mc_version(void) { return memcom_version_string(); }
