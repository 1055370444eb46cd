// Page-wide settings of the demo, read once from the URL: where the models are,
// which WebAssembly build to use (?simd=0 forces the fallback) and how many
// recommendations each model lists.

export const MODELS_DIR = new URL('./models/', import.meta.url);
export const params = new URLSearchParams(location.search);
export const FORCE_SCALAR = params.get('simd') === '0';
export const SIMD_OPTION = FORCE_SCALAR ? false : 'auto';
export const K = 10;
