// Last byte to first answer: the trained 16x model resampled to 1M items as a
// whole recommender (input and output tables, its dense layer, output bias,
// 1M id strings), streamed from a Response in 1 MiB chunks with a
// Content-Length into a fresh wasm instance, then `recommend(history ids)`.
// Timed from the body's last chunk to `loadModel` resolving (ready) and to
// the first answer; then the same model's warm `recommend` over other users.
// Every answer is checked against the float64 forward pass and ranking.

import { readFileSync } from 'node:fs';
import { buildModel, loadModel } from '../web/index.js';
import { int8Rows, referenceScores, referenceUserVector, topKPlain } from './lib/workload.js';
import { resampleLike, bucketSpec } from './lib/catalogue.js';
import { streamedResponse, STREAM_CHUNK } from './loading.js';

const K = 10;
const now = () => performance.now();
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

/** The 1M-item model's spec: the catalogue as output table, the trained input table resampled alike, ids `<movieId>` / `<movieId>:<copy>`. */
export function catalogueModelSpec(cat, dump, sourceIds, dtype) {
  const inp = resampleLike(cat, dump.input);
  const ids = new Array(cat.n);
  for (let j = 0; j < cat.n; j++) ids[j] = cat.copy[j] === 0 ? sourceIds[cat.source[j]] : `${sourceIds[cat.source[j]]}:${cat.copy[j]}`;
  const table = (t) => ({ kind: 'memcom', n: cat.n, m: t.m, d: t.d, dtype, rows: t.U, scalars: t.w, bucket: bucketSpec(t.buckets, t.m) });
  return {
    input: table(inp),
    output: table(cat),
    layers: dump.layers.map((L) => ({
      inDim: L.in, outDim: L.out, activation: L.activation,
      weight: L.weight && Float32Array.from(L.weight), bias: L.bias && Float32Array.from(L.bias),
    })),
    outputBias: cat.bias,
    ids,
  };
}

function check(spec, dtype, history, got) {
  const deq = (t) => (dtype === 'i8' ? { ...t, rows: int8Rows(t.rows, t.m, t.d) } : t);
  const input = deq(spec.input);
  const output = deq(spec.output);
  const u = referenceUserVector({ input, layers: spec.layers }, history);
  const scores = referenceScores({ n: output.n, d: output.d, m: output.m, U: output.rows, w: output.scalars, bias: spec.outputBias, buckets: output.bucket, u });
  const top = topKPlain(scores, K, new Set(history));
  const tol = 1e-5 * Math.max(1, Math.abs(scores[top[0]]));
  const idx = got.map((r) => r.index);
  const ok = idx.length === K && new Set(idx).size === K && idx.every((i, p) => !history.includes(i) && Math.abs(scores[i] - scores[top[p]]) <= tol);
  return ok ? (idx.every((i, p) => i === top[p]) ? 'exact' : 'ties') : `WRONG: got ${idx.join(',')} want ${top.join(',')}`;
}

/**
 * @param {{cat: object, dump: object, sourceIds: string[], histories: Uint32Array[], samples: number, log: Function}} o
 *   histories: trained-item indices (their first copies are the same ids)
 */
export async function firstAnswerBenchmark({ cat, dump, sourceIds, histories, samples = 3, log }) {
  const wasmBytes = readFileSync(new URL('../dist/memcom-simd.wasm', import.meta.url));
  const out = [];
  for (const dtype of ['f32', 'i8']) {
    const spec = catalogueModelSpec(cat, dump, sourceIds, dtype);
    const bytes = await buildModel(spec);
    const toReady = [], toAnswer = [], firstRec = [], whole = [];
    let verdict = 'exact';
    let model = null;
    for (let s = 0; s < samples; s++) {
      if (model) model.dispose();
      const module = await WebAssembly.compile(wasmBytes); // compiled while the file downloads, as a page does
      const marks = { closed: NaN };
      const h = histories[s % histories.length];
      const ids = Array.from(h, (i) => sourceIds[i]);
      const t = now();
      model = await loadModel(streamedResponse(bytes, STREAM_CHUNK, marks), { wasm: module, simd: true });
      const ready = now();
      const res = model.recommend(ids, { k: K });
      const answered = now();
      toReady.push(ready - marks.closed);
      toAnswer.push(answered - marks.closed);
      firstRec.push(answered - ready);
      whole.push(answered - t);
      const v = check(spec, dtype, Array.from(h, (i) => cat.first[i]), res);
      if (v.startsWith('WRONG') || verdict === 'exact') verdict = v;
    }
    // warm: the last model, other users
    const warm = [];
    for (let q = samples; q < Math.min(histories.length, samples + 50); q++) {
      const ids = Array.from(histories[q], (i) => sourceIds[i]);
      const t = now();
      model.recommend(ids, { k: K });
      warm.push(now() - t);
    }
    model.dispose();
    const r = {
      dtype, fileBytes: bytes.length, samples, toReady: median(toReady), toAnswer: median(toAnswer), toAnswerAll: toAnswer,
      firstRecommend: median(firstRec), whole: median(whole), warmRecommend: median(warm), warmQueries: warm.length, check: verdict,
      // for the browsers (bench/browser.js): the file, and the check of an answer for a history of trained items
      bytes, verify: (h, got) => check(spec, dtype, Array.from(h, (i) => cat.first[i]), got),
    };
    log(`  1M-item 16x model with ids, ${dtype} (${(bytes.length / 2 ** 20).toFixed(1)} MiB), streamed: last byte -> ready ${r.toReady.toFixed(1)} ms, -> first answer ${r.toAnswer.toFixed(1)} ms (first recommend ${r.firstRecommend.toFixed(1)} ms, warm ${r.warmRecommend.toFixed(2)} ms; ${verdict})`);
    out.push(r);
  }
  return out;
}
