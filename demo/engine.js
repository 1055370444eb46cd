// Starting the WebAssembly engine once (fetch, compile and instantiate the
// module that all models share) so that each model's load time is its own,
// and the line that says which build runs.

import { loadModel, buildModel } from '../web/index.js';
import { $ } from './dom.js';
import { formatMs } from './format.js';
import { FORCE_SCALAR, SIMD_OPTION } from './config.js';

// Resolves to { kernel, ms }; rejects when the engine cannot start.
export async function startEngine() {
  const t0 = performance.now();
  // The package starts its runtime on the first load: a one-item model.
  const rows = new Float32Array([1]);
  const bytes = await buildModel({ input: { kind: 'full', n: 1, d: 1, rows }, output: { kind: 'full', n: 1, d: 1, rows } });
  const probe = await loadModel(bytes, { simd: SIMD_OPTION });
  const ms = performance.now() - t0;
  const kernel = probe.info.kernel;
  probe.dispose();
  return { kernel, ms };
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
