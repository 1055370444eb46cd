// Large-catalogue mode of the memcom demo: a module Web Worker that builds a
// synthetic 1,000,000-item model with buildModel, loads it, and ranks the whole
// catalogue, so the page's main thread never blocks.

import { buildModel, loadModel } from '../web/index.js';

let cached = null; // { key, model, bytes, buildMs, loadMs }

// Small seeded generator (xorshift32) so the synthetic catalogue is the same every run.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function gaussianFill(arr, rand, scale) {
  for (let i = 0; i < arr.length; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    arr[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < arr.length) arr[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
}

// m rows so that the two item tables are `ratio` times smaller than n x d f32 (MEMCOM.md section 1).
export function rowsForRatio(n, d, ratio) {
  return Math.max(1, Math.floor((n * (d / ratio - 1)) / d));
}

function makeSpec(n, d, ratio) {
  const rand = rng(20240607);
  const m = rowsForRatio(n, d, ratio);
  const table = () => {
    const rows = new Float32Array(m * d);
    gaussianFill(rows, rand, 1 / Math.sqrt(d));
    const scalars = new Float32Array(n);
    for (let i = 0; i < n; i++) scalars[i] = 0.5 + rand();
    return { kind: 'memcom', n, m, d, dtype: 'f32', scalarDtype: 'f32', bucket: 'mod', rows, scalars };
  };
  const outputBias = new Float32Array(n);
  for (let i = 0; i < n; i++) outputBias[i] = -0.05 * Math.log1p(i); // low indices = popular
  return {
    input: table(),
    output: table(),
    outputBias,
    metadata: { dataset: 'synthetic (demo large-catalogue mode)', options: { n, d, ratio, m } },
  };
}

async function run({ n, d, ratio, history, k, simd }) {
  const key = `${n}/${d}/${ratio}/${simd}`;
  if (!cached || cached.key !== key) {
    if (cached) cached.model.dispose();
    cached = null;
    postMessage({ type: 'progress', text: `Building a ${n.toLocaleString('en-US')}-item model in the worker…` });
    const t0 = performance.now();
    const bytes = await buildModel(makeSpec(n, d, ratio));
    const t1 = performance.now();
    postMessage({ type: 'progress', text: 'Loading it into WebAssembly…' });
    const model = await loadModel(bytes, { simd });
    const t2 = performance.now();
    cached = { key, model, size: bytes.length, buildMs: t1 - t0, loadMs: t2 - t1 };
  }
  postMessage({ type: 'progress', text: `Ranking ${n.toLocaleString('en-US')} items…` });
  const { model } = cached;
  const hist = [...new Set(history.map((i) => Math.min(Math.max(0, i | 0), n - 1)))];
  const runs = 7;
  const times = [];
  let top = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    top = model.recommend(hist, { k });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const info = model.info || {};
  return {
    n,
    d,
    ratio: Number(info.compressionRatio) || ratio,
    fullBytes: Number(info.fullF32Bytes) || 0,
    bytes: cached.size,
    buildMs: cached.buildMs,
    loadMs: cached.loadMs,
    queryMs: times[runs >> 1],
    runs,
    kernel: info.kernel || (simd === false ? 'scalar' : 'auto'),
    history: hist,
    top: top.map((t) => ({ index: t.index, id: t.id ?? `item #${t.index}`, score: t.score })),
  };
}

self.onmessage = async (ev) => {
  const msg = ev.data;
  if (msg.type !== 'run') return;
  try {
    const result = await run(msg);
    postMessage({ type: 'done', result });
  } catch (e) {
    postMessage({ type: 'error', message: e && e.code ? `${e.message} (${e.code})` : String(e && e.message ? e.message : e) });
  }
};
