// The ranker benchmark (node bench/ranker.js [--quick]; also a section of
// `npm run bench`, bench/run.js, through rankerBenchmark): a RankNet-style
// ranker (format 1.2: s_i = E_out[i].u + bias_i + g([u; e_i; u*e_i]), g a
// 3d -> 64 -> 1 MLP) served by the wasm module, SIMD and scalar builds side
// by side, in milliseconds per query:
//   - scoring every item of a 20,000-item catalogue (d = 64) through the head,
//     with a full f32 output table, memcom at 16x and 32x, and hash at the
//     bytes of memcom 32x;
//   - the two-stage path on 1,000,000 items (memcom 32x tables, per-item
//     scalars of mixed signs, and in [0.5, 1.5]): the exact top 500 by the
//     factorised score, re-ranked by the head.
// Each engine's top-10 is first checked against a float64 reference of the same
// pipeline for every query (bench/lib/check.js: ties within rounding may swap),
// and only then timed, the engines alternating query by query in a seeded
// random order ("ms/query": the median), then each engine alone on the same
// queries ("alone": its data stays in the caches, as in a page that runs one
// engine).  onnxruntime-web (wasm, 1 thread, SIMD) runs the same model over the
// same 20,000 items from a dense embedding matrix (the reconstructed table:
// bench/onnx-graph.js rankerGraph, as written and with the first layer split).
// The machine may be shared: compare the rows by their ratios more than by
// their milliseconds.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModel, buildModel } from '../web/index.js';
import { referenceFrom, checkTopK } from './lib/check.js';
import { shuffled } from './lib/alternate.js';
import { rankerGraph } from './onnx-graph.js';
import { ortEngine, ortVersion } from './peers/ort.js';
import { rng as uniform, memcomRows as rowsAt } from './lib/workload.js';

const K = 10;
const D = 64;
const HIDDEN = 64;
/** The two-stage path's retrieval depth R. */
export const RANKER_DEPTH = 500;

function rng(seed) {
  const next = uniform(seed);
  return { next, normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()) };
}
const floats = (r, count, scale) => {
  const a = new Float32Array(count);
  for (let i = 0; i < count; i++) a[i] = r.normal() * scale;
  return a;
};

/** Rows m of a memcom table at this compression (f32 rows and scalars; docs/METHOD.md section 1.4). */
const memcomRows = (n, ratio) => rowsAt(n, D, ratio);

/** positive: memcom scalars uniform in [0.5, 1.5] (as bench/lib/workload.js's synthetic catalogue), else normal (signs mixed) */
function tableSpec(r, kind, n, m, positive = false) {
  if (kind === 'full') return { kind, n, d: D, rows: floats(r, n * D, 0.3) };
  if (kind === 'hash') return { kind, n, m, d: D, rows: floats(r, m * D, 0.3) };
  const scalars = positive ? Float32Array.from({ length: n }, () => 0.5 + r.next()) : floats(r, n, 1);
  return { kind, n, m, d: D, rows: floats(r, m * D, 0.3), scalars };
}

async function rankerBytes(n, outKind, outM, inKind, inM, seed, positive) {
  const r = rng(seed);
  const head = [
    { inDim: 3 * D, outDim: HIDDEN, activation: 'relu', weight: floats(r, 3 * D * HIDDEN, 1 / Math.sqrt(3 * D)), bias: floats(r, HIDDEN, 0.1) },
    { inDim: HIDDEN, outDim: 1, activation: 'none', weight: floats(r, HIDDEN, 1 / Math.sqrt(HIDDEN)), bias: floats(r, 1, 0.1) },
  ];
  return buildModel({
    input: tableSpec(r, inKind, n, inM, positive),
    output: tableSpec(r, outKind, n, outM, positive),
    head,
    outputBias: floats(r, n, 0.1),
  });
}

// ---------------------------------------------------------------- reference
function embedding(t, i, out) {
  const d = t.d;
  if (t.kind === 'full') for (let j = 0; j < d; j++) out[j] = t.rows[i * d + j];
  else {
    const b = i % t.m;
    const w = t.kind === 'memcom' ? t.scalars[i] : 1;
    for (let j = 0; j < d; j++) out[j] = w * t.rows[b * d + j];
  }
  return out;
}

/** float64: the user vector, then f_i (factorised) and s_i for `items` */
function reference(spec, history) {
  const u = new Float64Array(D);
  const e = new Float64Array(D);
  const H = [...new Set(history)];
  for (const i of H) { embedding(spec.input, i, e); for (let j = 0; j < D; j++) u[j] += e[j]; }
  for (let j = 0; j < D; j++) u[j] /= Math.sqrt(H.length);
  const f = (i) => {
    embedding(spec.output, i, e);
    let s = spec.outputBias[i];
    for (let j = 0; j < D; j++) s += e[j] * u[j];
    return s;
  };
  const [L0, L1] = spec.head;
  const x = new Float64Array(3 * D);
  const s = (i) => {
    const fi = f(i);
    for (let j = 0; j < D; j++) { x[j] = u[j]; x[D + j] = e[j]; x[2 * D + j] = u[j] * e[j]; }
    let g = L1.bias[0];
    for (let h = 0; h < HIDDEN; h++) {
      let a = L0.bias[h];
      for (let j = 0; j < 3 * D; j++) a += L0.weight[h * 3 * D + j] * x[j];
      if (a > 0) g += L1.weight[h] * a;
    }
    return fi + g;
  };
  return { f, s };
}

// ------------------------------------------------------------------- timing
function histories(n, count, seed) {
  const r = rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: 5 + Math.floor(r.next() * 20) }, () => Math.floor(r.next() * n)));
}

/** The reconstructed output embeddings, n x d (what an ONNX export holds). */
function denseTable(t, n) {
  const E = new Float32Array(n * D);
  const e = new Float64Array(D);
  for (let i = 0; i < n; i++) E.set(embedding(t, i, e), i * D);
  return E;
}

/** The float64 reference top-K of one query: every item by s_i, or (depth) the top `depth` by f_i re-ranked by s_i. */
function referenceTop(spec, n, depth, history) {
  const ref = reference(spec, history);
  let scores;
  if (depth) {
    const fs = new Float64Array(n);
    for (let i = 0; i < n; i++) fs[i] = ref.f(i);
    const first = referenceFrom(fs, Math.max(depth, K), history).top;
    scores = new Float64Array(n).fill(-Infinity);
    for (const i of first) scores[i] = ref.s(i);
  } else {
    scores = new Float64Array(n);
    for (let i = 0; i < n; i++) scores[i] = ref.s(i);
  }
  return referenceFrom(scores, K, history);
}

/** Every query's answer against its reference: the first failure, else exact or within ties. */
async function checkAll(wants, answer) {
  let exact = true;
  for (const [q, want] of wants.entries()) {
    const verdict = checkTopK(want, await answer(q));
    if (!verdict.ok) return { ok: false, exact: false, why: `query ${q + 1}: ${verdict.why}` };
    exact &&= verdict.exact;
  }
  return { ok: true, exact };
}

const median = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };

/**
 * One table of the benchmark: { key, title, n, depth, queries, rows }, a row per
 * engine and case: { case, engine, simd (memcom rows), peer (onnxruntime-web
 * rows), kb, ok, exact, why, median (ms per query, alternated), alone }.
 */
async function bench({ key, title, n, cases, depth, queries, ort, quick, log }) {
  log(`\n${title}`);
  const hs = histories(n, queries, 9);
  const sides = [];
  for (const c of cases) {
    const spec = { input: null, output: null, head: null, outputBias: null };
    const t0 = performance.now();
    const bytes = await rankerBytes(n, c.kind, c.m, c.inKind, c.inM, 5, c.positive);
    // the same spec again (same seed) for the reference
    const r = rng(5);
    spec.head = [
      { weight: floats(r, 3 * D * HIDDEN, 1 / Math.sqrt(3 * D)), bias: floats(r, HIDDEN, 0.1) },
      { weight: floats(r, HIDDEN, 1 / Math.sqrt(HIDDEN)), bias: floats(r, 1, 0.1) },
    ];
    spec.input = tableSpec(r, c.inKind, n, c.inM, c.positive);
    spec.output = tableSpec(r, c.kind, n, c.m, c.positive);
    spec.outputBias = floats(r, n, 0.1);
    // the reference top-10 of every query
    const wants = hs.map((h) => referenceTop(spec, n, depth, h));
    let users = null;
    for (const simd of [true, false]) {
      const model = await loadModel(bytes, { simd });
      const options = { k: K, rerankDepth: depth || undefined };
      const verdict = await checkAll(wants, (q) => model.recommend(hs[q], options).map((x) => x.index));
      const kb = Math.round(model.info.bytes.output / 1000);
      users ??= hs.map((h) => model.userVector(h)); // the same user vectors for the peer
      sides.push({ case: c.label, engine: simd ? 'wasm SIMD' : 'wasm scalar', simd, model, ...verdict, times: [], kb,
        run: (h) => model.recommend(h, options) });
    }
    if (ort && c.ort) {
      const E = denseTable(spec.output, n);
      const [L0, L1] = spec.head;
      for (const form of ['concat', 'split']) {
        const graph = rankerGraph({ E, bias: spec.outputBias, n, d: D, k: K + 30, W0: L0.weight, b0: L0.bias, W1: L1.weight, b1: L1.bias, h: HIDDEN, form });
        const engine = await ortEngine(graph, { d: D, k: K, exclude: new Set(hs[0]) });
        const verdict = await checkAll(wants, (q) => engine.query(users[q], new Set(hs[q])));
        sides.push({ case: c.label, engine: `onnxruntime-web ${ortVersion()}, dense table, ${form}`, peer: true, ortEngine: engine, ...verdict,
          times: [], kb: Math.round(E.byteLength / 1000), run: (h, q) => engine.query(users[q], new Set(h)) });
      }
    }
    log(`  built and checked ${c.label} (${((performance.now() - t0) / 1e3).toFixed(1)} s)`);
  }
  // alternate the engines query by query, in a seeded random order per query
  // (bench/lib/alternate.js); two warm-up passes
  const next = uniform(1);
  for (let pass = 0; pass < 2 + (quick ? 2 : 5); pass++) {
    for (const [q, h] of hs.entries()) {
      for (const s of shuffled(sides, next)) {
        if (!s.ok) continue;
        const t = performance.now();
        await s.run(h, q);
        if (pass >= 2) s.times.push(performance.now() - t);
      }
    }
    if (process.stdout.isTTY) process.stdout.write(`  pass ${pass + 1}\r`);
  }
  // then each engine alone (its data warm in the caches, as in a page that
  // runs one engine), the same queries
  for (const s of sides) {
    if (!s.ok) continue;
    s.alone = [];
    for (let pass = 0; pass < (quick ? 3 : 5); pass++) {
      for (const [q, h] of hs.entries()) {
        const t = performance.now();
        await s.run(h, q);
        if (pass >= 1) s.alone.push(performance.now() - t);
      }
    }
  }
  log(`  ${'engine'.padEnd(58)} ${'output table'.padStart(13)} ${'ms/query'.padStart(9)} ${'alone'.padStart(9)}  check`);
  const rows = [];
  for (const s of sides) {
    const status = s.ok ? (s.exact ? 'exact' : 'ties') : `WRONG: ${s.why}`;
    const ms = (a) => (s.ok ? median(a).toFixed(3).padStart(9) : '        -');
    log(`  ${`${s.case}, ${s.engine}`.padEnd(58)} ${(s.kb + ' KB').padStart(13)} ${ms(s.times)} ${ms(s.alone)}  ${status}`);
    if (s.model) s.model.dispose();
    else await s.ortEngine.dispose();
    rows.push({ case: s.case, engine: s.engine, simd: s.simd, peer: !!s.peer, kb: s.kb, ok: s.ok, exact: s.exact, why: s.why,
      median: s.ok ? median(s.times) : undefined, alone: s.ok ? median(s.alone) : undefined });
  }
  return { key, title, n, depth, queries, rows };
}

/** The two tables: every item of 20,000 scored through the head, and the two-stage path on 1,000,000 items (200,000 with quick). */
export async function rankerBenchmark({ quick = false, log = (...a) => console.log(...a) } = {}) {
  const N1 = 20_000;
  const scoring = await bench({
    key: 'scoring',
    title: `Ranker, every item scored through the head: n = ${N1.toLocaleString('en-US')}, d = ${D}, hidden ${HIDDEN}, top-${K}`,
    n: N1,
    queries: quick ? 8 : 20,
    ort: true,
    quick,
    log,
    cases: [
      { label: 'full f32', kind: 'full', inKind: 'full', ort: true },
      { label: 'memcom 16x', kind: 'memcom', m: memcomRows(N1, 16), inKind: 'full' },
      { label: 'memcom 32x', kind: 'memcom', m: memcomRows(N1, 32), inKind: 'full', ort: true },
      { label: 'hash (bytes of memcom 32x)', kind: 'hash', m: Math.floor(N1 * D * 4 / 32 / (D * 4)), inKind: 'full' },
    ],
  });
  const N2 = quick ? 200_000 : 1_000_000;
  const R = RANKER_DEPTH;
  const twoStage = await bench({
    key: 'two-stage',
    title: `Ranker, two-stage: n = ${N2.toLocaleString('en-US')}, d = ${D}, hidden ${HIDDEN}, R = ${R}, top-${K}`,
    n: N2,
    depth: R,
    queries: quick ? 8 : 20,
    quick,
    log,
    cases: [
      { label: `memcom 32x, R = ${R}`, kind: 'memcom', m: memcomRows(N2, 32), inKind: 'memcom', inM: memcomRows(N2, 32) },
      { label: `memcom 32x, w in [0.5, 1.5], R = ${R}`, kind: 'memcom', m: memcomRows(N2, 32), inKind: 'memcom', inM: memcomRows(N2, 32), positive: true },
    ],
  });
  return { hidden: HIDDEN, d: D, k: K, tables: [scoring, twoStage] };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await rankerBenchmark({ quick: process.argv.includes('--quick') });
}
