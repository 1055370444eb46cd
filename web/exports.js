// exports.js - the one list of the functions each WebAssembly module exports
// (src/wasm/ABI.md describes them).  build.sh passes these names to emcc
// (-sEXPORTED_FUNCTIONS) and the runtime checks a module against them.

/** Exported by both modules (src/wasm/common.c). */
const COMMON = ['mc_malloc', 'mc_free', 'mc_error_name', 'mc_error_message', 'mc_enum_name', 'mc_version'];

/** The ranking modules, dist/memcom-simd.wasm and dist/memcom.wasm (src/wasm/abi.c). */
export const RANKING_EXPORTS = Object.freeze([
  ...COMMON,
  'mc_crc_new', 'mc_crc_update', 'mc_crc_free', 'mc_open_ex', 'mc_close',
  'mc_set_int8_index', 'mc_set_bucket_bounds', 'mc_prepare', 'mc_prepare_bytes', 'mc_warm_up', 'mc_info', 'mc_layer', 'mc_head_layer', 'mc_struct_field', 'mc_metadata',
  'mc_find_ids', 'mc_get_ids', 'mc_lookup', 'mc_user_vector', 'mc_score_vector',
  'mc_topk', 'mc_recommend', 'mc_recommend_popularity', 'mc_rerank', 'mc_similar', 'mc_kernel_name', 'mc_heap_used',
]);

/** The writer module, dist/memcom-writer.wasm, loaded by buildModel only (src/wasm/writer.c). */
export const WRITER_EXPORTS = Object.freeze([
  ...COMMON,
  'mcw_new', 'mcw_free', 'mcw_table', 'mcw_layer', 'mcw_head', 'mcw_head_layer', 'mcw_bias', 'mcw_ids', 'mcw_metadata', 'mcw_write',
]);
