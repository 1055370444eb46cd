// Model bytes in memory -> ready to rank, and memory, for a 1M-item model at
// 16x (input and output tables MEmCom 16x, one 64x64 tanh layer, bias), f32
// and int8.  "Cold" = a fresh wasm instance (its memory must grow and be
// touched for the first time, as on a page's first model load; the module is
// compiled beforehand, as a page does while the model downloads); "warm" = the
// same instance again after dispose() (memory already grown).  "Streamed" =
// cold, from a Response whose body delivers the file in 1 MiB chunks with a
// Content-Length: the loader allocates the model's block of wasm memory first
// and writes each chunk into it as it arrives, so growing and first-touching
// memory happen during the download; "bytes in memory -> ready" is from the
// moment the body delivered its last chunk and closed to loadModel resolving.

import { readFileSync } from 'node:fs';
import { buildModel, loadModel } from '../web/index.js';
import { rng, memcomRows, topKPlain, int8Rows, referenceScores, referenceUserVector } from './lib/workload.js';
import { timeQuery } from './lib/timing.js';

const wasmPath = (simd) => new URL(`../dist/${simd ? 'memcom-simd' : 'memcom'}.wasm`, import.meta.url);

export function modelSpec({ n, d, ratio, dtype, ids, seed = 5 }) {
  const r = rng(seed);
  const m = memcomRows(n, d, ratio);
  const rand = (len, scale) => {
    const a = new Float32Array(len);
    for (let i = 0; i < len; i++) a[i] = (r() - 0.5) * scale;
    return a;
  };
  const table = () => ({ kind: 'memcom', n, m, d, dtype, rows: rand(m * d, 0.5), scalars: rand(n, 2) });
  const spec = {
    input: table(),
    output: table(),
    layers: [{ inDim: d, outDim: d, activation: 'tanh', weight: rand(d * d, 0.3), bias: rand(d, 0.1) }],
    outputBias: rand(n, 0.1),
    metadata: { dataset: 'synthetic', note: 'bench/loading.js' },
  };
  if (ids) spec.ids = Array.from({ length: n }, (_, i) => `item-${String(i).padStart(7, '0')}`);
  return { spec, m };
}

/** float64 reference of docs/METHOD.md section 3 on a memcom/memcom spec (mod buckets). */
function referenceRecommend(spec, history, k) {
  const { output, outputBias } = spec;
  const u = referenceUserVector(spec, history);
  const scores = referenceScores({ n: output.n, d: output.d, m: output.m, U: output.rows, w: output.scalars, bias: outputBias, u });
  return { top: topKPlain(scores, k, new Set(history)), scores };
}

/** The spec with its row tables as the int8 writer stores them. */
function dequantised(spec) {
  const deq = (t) => ({ ...t, rows: int8Rows(t.rows, t.m, t.d) });
  return { ...spec, input: deq(spec.input), output: deq(spec.output) };
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
export const STREAM_CHUNK = 1 << 20;

/** A Response delivering `bytes` in `chunk`-byte pieces (one per pull), with
 * Content-Length; `marks.closed` is when it delivered its last piece and closed. */
export function streamedResponse(bytes, chunk, marks) {
  let at = 0;
  const body = new ReadableStream({
    pull(c) {
      const end = Math.min(at + chunk, bytes.length);
      c.enqueue(bytes.subarray(at, end));
      at = end;
      if (at === bytes.length) {
        c.close();
        marks.closed = performance.now();
      }
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers: { 'content-length': String(bytes.length), 'content-type': 'application/octet-stream' } });
}
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** One model: cold and warm bytes->ready, memory, and recommend() end to end. */
async function measureModel({ n, d, ratio, dtype, ids, simd, samples }) {
  const { spec, m } = modelSpec({ n, d, ratio, dtype, ids });
  const bytes = await buildModel(spec);
  const wasmBytes = readFileSync(wasmPath(simd));
  const rssBefore = rssMiB();

  const cold = [];
  const history = [3, 17, 256, 4096, 65537, 999_999].filter((i) => i < n);
  let kept = null;
  let res = null;
  let memoryBytes = null;
  let rssLoaded = 0;
  for (let s = 0; s < samples; s++) {
    const module = await WebAssembly.compile(wasmBytes); // a fresh instance per sample
    const t = performance.now();
    const model = await loadModel(bytes, { wasm: module, simd });
    cold.push(performance.now() - t);
    if (s > 0) {
      model.dispose(); // (its instance's memory stays until garbage collection)
      continue;
    }
    // memory of the first instance: the model loaded and one query answered
    kept = model;
    res = kept.recommend(history, { k: 10 });
    memoryBytes = kept._rt?.memoryBytes ?? null; // wasm linear memory of this instance
    rssLoaded = rssMiB();
  }

  let check;
  {
    const ref = referenceRecommend(dtype === 'i8' ? dequantised(spec) : spec, history, 10);
    const got = res.map((r) => r.index);
    let ok = got.length === 10;
    for (let p = 0; ok && p < 10; p++) ok = Math.abs(ref.scores[got[p]] - ref.scores[ref.top[p]]) <= 1e-5 * (1 + Math.abs(ref.scores[ref.top[0]]));
    check = ok ? (got.every((i, p) => i === ref.top[p]) ? 'exact' : 'ties') : `WRONG: got ${got.join(',')} want ${ref.top.join(',')}`;
  }
  const recommendMs = (await timeQuery(() => kept.recommend(history, { k: 10 }), { budgetMs: 300 })).median;

  // cold, streamed: a fresh instance per sample, the file arriving in 1 MiB chunks
  const streamReady = [];
  const streamWhole = [];
  let streamCheck = 'same top-10 as from bytes';
  const want = JSON.stringify(kept.recommend(history, { k: 10 }));
  for (let s = 0; s < samples; s++) {
    const module = await WebAssembly.compile(wasmBytes);
    const marks = { closed: NaN };
    const response = streamedResponse(bytes, STREAM_CHUNK, marks);
    const t = performance.now();
    const model = await loadModel(response, { wasm: module, simd });
    const ready = performance.now();
    streamReady.push(ready - marks.closed);
    streamWhole.push(ready - t);
    const got = JSON.stringify(model.recommend(history, { k: 10 }));
    if (got !== want) streamCheck = 'WRONG: the streamed model ranks differently from the Uint8Array one';
    model.dispose();
  }

  const warm = [];
  kept.dispose();
  for (let s = 0; s < samples; s++) {
    const module = await WebAssembly.compile(wasmBytes);
    const first = await loadModel(bytes, { wasm: module, simd }); // grow + touch this instance's memory
    first.dispose();
    const t = performance.now();
    const model = await loadModel(bytes, { wasm: module, simd });
    warm.push(performance.now() - t);
    model.dispose();
  }
  return {
    n, d, m, dtype, ids, simd, fileBytes: bytes.length, cold: median(cold), coldAll: cold, warm: median(warm),
    streamChunk: STREAM_CHUNK, streamReady: median(streamReady), streamReadyAll: streamReady, streamWhole: median(streamWhole), streamCheck,
    memoryBytes, rssDeltaMiB: rssLoaded - rssBefore, maxRssMiB: maxRssMiB(), recommendMs, check,
  };
}

/** The floor on this machine: copying `bytes` into freshly grown wasm memory (no validation at all). */
function copyFloor(size, samples) {
  const times = [];
  for (let s = 0; s < samples; s++) {
    const src = new Uint8Array(size).fill(1);
    const mem = new WebAssembly.Memory({ initial: 1 });
    const t = performance.now();
    mem.grow(Math.ceil(size / 65536));
    new Uint8Array(mem.buffer).set(src, 65536);
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function loadingBenchmark({ samples = 5, log }) {
  const out = [];
  const configs = [
    { dtype: 'f32', ids: false },
    { dtype: 'i8', ids: false },
    { dtype: 'f32', ids: true },
  ];
  for (const c of configs) {
    const r = await measureModel({ n: 1_000_000, d: 64, ratio: 16, simd: true, samples, ...c });
    r.copyFloorMs = copyFloor(r.fileBytes, 3);
    log(`  1M 16x ${c.dtype}${c.ids ? ' +ids' : ''}: ${(r.fileBytes / 2 ** 20).toFixed(1)} MiB, streamed ${r.streamReady.toFixed(1)} ms after the last chunk (${r.streamWhole.toFixed(1)} ms in all; ${r.streamCheck}), cold ${r.cold.toFixed(1)} ms, warm ${r.warm.toFixed(1)} ms, copy floor ${r.copyFloorMs.toFixed(1)} ms, wasm memory ${r.memoryBytes ? (r.memoryBytes / 2 ** 20).toFixed(1) + ' MiB' : 'n/a'}, recommend ${r.recommendMs.toFixed(3)} ms (${r.check})`);
    out.push(r);
  }
  return out;
}
