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
import { rng, memcomRows, topKPlain } from './lib/workload.js';
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

/** float64 reference of docs/METHOD.md section 3 on a memcom/memcom f32 spec (mod buckets). */
function referenceRecommend(spec, history, k) {
  const { input, output, layers, outputBias } = spec;
  const d = output.d;
  const emb = (t, i) => {
    const b = i % t.m;
    const out = new Float64Array(t.d);
    for (let j = 0; j < t.d; j++) out[j] = t.scalars[i] * t.rows[b * t.d + j];
    return out;
  };
  let x = new Float64Array(input.d);
  for (const i of history) {
    const e = emb(input, i);
    for (let j = 0; j < x.length; j++) x[j] += e[j];
  }
  for (let j = 0; j < x.length; j++) x[j] /= Math.sqrt(history.length);
  for (const L of layers) {
    const y = new Float64Array(L.outDim);
    for (let o = 0; o < L.outDim; o++) {
      let s = L.bias ? L.bias[o] : 0;
      for (let i = 0; i < L.inDim; i++) s += L.weight[o * L.inDim + i] * x[i];
      y[o] = Math.tanh(s);
    }
    x = y;
  }
  const t = new Float64Array(output.m);
  for (let r = 0; r < output.m; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += output.rows[r * d + j] * x[j];
    t[r] = s;
  }
  const scores = new Float64Array(output.n);
  for (let i = 0; i < output.n; i++) scores[i] = output.scalars[i] * t[i % output.m] + outputBias[i];
  return { top: topKPlain(scores, k, new Set(history)), scores };
}

/** The spec with its row tables as the int8 writer stores them (scale = max|x| / 127, q = round(x / scale)). */
function dequantised(spec) {
  const deq = (t) => {
    const rows = new Float32Array(t.rows.length);
    for (let r = 0; r < t.m; r++) {
      let mx = 0;
      for (let j = 0; j < t.d; j++) mx = Math.max(mx, Math.abs(t.rows[r * t.d + j]));
      const scale = Math.fround(mx / 127);
      for (let j = 0; j < t.d; j++) {
        const x = t.rows[r * t.d + j] / scale;
        const q = scale > 0 ? Math.sign(x) * Math.round(Math.abs(x)) : 0;
        rows[r * t.d + j] = scale * q;
      }
    }
    return { ...t, rows };
  };
  return { ...spec, input: deq(spec.input), output: deq(spec.output) };
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const STREAM_CHUNK = 1 << 20;

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
