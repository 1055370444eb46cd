// onnxruntime-web (wasm backend, 1 thread, SIMD) on an ONNX graph from
// bench/onnx-graph.js.  TopK returns k + |history| items and the history is
// dropped afterwards (ONNX TopK has no exclusion set).

import * as ort from 'onnxruntime-web';
import { dropExcluded } from '../lib/check.js';

let configured = false;
function configure() {
  if (configured) return;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  configured = true;
}

export const ortVersion = () => ort.env.versions?.web ?? 'unknown';

/**
 * @param {{model: Uint8Array, externalData: {path: string, data: Uint8Array}[]}} graph
 *   from bench/onnx-graph.js (input u [1, d] -> values, indices [1, k + |history|])
 * @returns {Promise<{query(u: Float32Array, drop?: Set<number>): Promise<number[]>, dispose(): Promise<void>}>}
 */
export async function ortEngine(graph, { d, k, exclude }) {
  configure();
  const session = await ort.InferenceSession.create(graph.model, {
    externalData: graph.externalData,
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
  });
  return {
    /** drop: the items to leave out of this query (a Set; default `exclude`) */
    async query(u, drop = exclude) {
      const out = await session.run({ u: new ort.Tensor('float32', u, [1, d]) });
      return dropExcluded(out.indices.data, drop, k);
    },
    async dispose() {
      await session.release();
    },
  };
}
