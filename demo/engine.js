// Starting the WebAssembly engine once (fetch, compile and instantiate the
// module that all models share) so that each model's load time is its own,
// and the line that says which build runs.

import { init } from '../web/index.js';
import { $ } from './dom.js';
import { formatMs } from './format.js';
import { FORCE_SCALAR, SIMD_OPTION } from './config.js';

// Resolves to { kernel, ms }; rejects when the engine cannot start.
export async function startEngine() {
  const t0 = performance.now();
  const { kernel } = await init({ simd: SIMD_OPTION });
  return { kernel, ms: performance.now() - t0 };
}

export function showEngine({ kernel, ms }) {
  const simdOn = kernel === 'wasm_simd128';
  $('engine').textContent = `Engine: WebAssembly ${simdOn ? 'with SIMD' : 'without SIMD'} (${kernel} kernels${
    FORCE_SCALAR ? ', forced by ?simd=0' : simdOn ? '' : ', this browser lacks WebAssembly SIMD'}), started in ${formatMs(ms)}.`;
  $('engine').dataset.kernel = kernel;
}

export function showEngineFailed() {
  $('engine').textContent = 'The WebAssembly engine could not start.';
}
