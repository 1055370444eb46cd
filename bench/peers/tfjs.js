// @tensorflow/tfjs-backend-wasm (1 thread, SIMD build) on the full table:
// scores = matMul(u, E, transposeB) + bias, then topk.  Like ONNX TopK, tf.topk
// has no exclusion set: it returns k + |history| items and the history is dropped.

import * as tf from '@tensorflow/tfjs-core';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { dropExcluded } from '../lib/check.js';

let ready = null;
async function init() {
  if (!ready) {
    ready = (async () => {
      const dir = new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url);
      tfwasm.setWasmPaths(decodeURIComponent(dir.pathname));
      if (typeof tfwasm.setThreadsCount === 'function') tfwasm.setThreadsCount(1);
      await tf.setBackend('wasm');
      await tf.ready();
    })();
  }
  return ready;
}

export const tfjsVersion = () => tf.version_core;

/** Equivalent forms of the scoring product; the benchmark keeps the fastest.
 * 'transposeB' was 2-7x slower than 'pretransposed' at every size tried during
 * development (n = 10k .. 1M, d = 64), so the run no longer spends time on it. */
export const TFJS_LAYOUTS = ['pretransposed'];

/**
 * layout 'transposeB': matMul(u, E, false, true) + bias over E as stored (n x d);
 * layout 'pretransposed': Eᵀ (d x n) made once at setup, fused.matMul(u, Eᵀ, bias).
 * @returns {Promise<{query(u: Float32Array, drop?: Set<number>): Promise<number[]>, dispose(): void}>}
 */
export async function tfjsEngine({ E, bias, n, d, k, exclude, extra, layout = 'transposeB' }) {
  await init();
  let table = tf.tensor2d(E, [n, d]);
  if (layout === 'pretransposed') {
    const t = tf.transpose(table);
    table.dispose();
    table = t;
  }
  const b = tf.tensor1d(bias);
  const kk = k + extra;
  const scoresOf = layout === 'pretransposed'
    ? (u) => tf.fused.matMul({ a: tf.tensor2d(u, [1, d]), b: table, bias: b })
    : (u) => tf.add(tf.matMul(tf.tensor2d(u, [1, d]), table, false, true), b);
  return {
    /** drop: the items to leave out of this query (a Set; default `exclude`) */
    async query(u, drop = exclude) {
      const { values, indices } = tf.tidy(() => tf.topk(scoresOf(u), kk, true));
      const idx = await indices.data();
      values.dispose();
      indices.dispose();
      return dropExcluded(idx, drop, k);
    },
    dispose() {
      table.dispose();
      b.dispose();
    },
  };
}
