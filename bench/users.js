// The user-facing ranking benchmark (the default of `npm run bench`): 1M-item
// catalogues, each from a trained model (bench/lib/catalogue.js) or the
// synthetic workload, queried with a few hundred different users, memcom
// alternated query by query with onnxruntime-web and TF.js on the equivalent
// full table.
//
// One group = one catalogue and one k.  Its engines: memcom on the catalogue
// stored with f32 and with int8 rows (the defaults, and each accelerator
// turned off), onnxruntime-web and TF.js on the full f32 table w[i]·U[b(i)].
// Each engine is loaded, then bench/lib/alternate.js's passes: every answer
// checked against the float64 reference of the table the engine serves (int8
// rows: the rows as the writer stores them), and only then the alternated
// timing; an engine with a wrong answer is not timed.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildModel } from '../web/index.js';
import { bucketSpec } from './lib/catalogue.js';
import { fullTable, int8Rows, makeWorkload, referenceScores, rng } from './lib/workload.js';
import { referenceFrom, checkTopK } from './lib/check.js';
import { MAX_ITEMS, MIN_ITEMS } from './lib/histories.js';
import { memcomEngine } from './engines/memcom.js';
import { ask, checkPass, timedPass, summarise, rowLine, median, nextTurn } from './lib/alternate.js';
import { fullTableGraph } from './onnx-graph.js';
import { ortEngine } from './peers/ort.js';
import { tfjsEngine } from './peers/tfjs.js';

const now = () => performance.now();

/** A full garbage collection (V8's gc(), exposed here when node was not started with --expose-gc). */
const collectGarbage = (() => {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
})();

export const EXTRA = MAX_ITEMS; // peers return k + 50 items, then drop the history

/** Loads per memcom default for "first ranking right after a load" (the median is reported). */
export const FIRST_LOADS = 3;

/**
 * The first ranking right after a load, as a page has it: each memcom default
 * loaded alone (before this group's peers exist, after a full collection of
 * what earlier groups left), then its first query on a later turn; FIRST_LOADS
 * loads, each answering another query (checked like every other answer).
 * Returns { [form key]: { ms: [...], wrong?: string } }.
 */
async function firstAfterLoad(files, queries, k, verify) {
  const out = {};
  for (const f of MEMCOM_FORMS.filter((x) => !x.opts)) {
    const r = { ms: [] };
    for (let i = 0; i < FIRST_LOADS && i < queries.length; i++) {
      collectGarbage();
      await nextTurn();
      const engine = await memcomEngine(files[f.dtype], { simd: true, k, history: [] });
      await nextTurn();
      const t = now();
      const got = engine.query(queries[i].u, queries[i].exclude);
      r.ms.push(now() - t);
      engine.dispose();
      const v = verify({ dtype: f.dtype }, i, got);
      if (v && !v.ok) r.wrong = `query ${i + 1}: ${v.why}`;
    }
    out[f.key] = r;
  }
  return out;
}

/** memcom's forms in every group: the defaults, then each accelerator turned off. */
export const MEMCOM_FORMS = [
  { key: 'f32', dtype: 'f32', label: 'memcom, f32 rows' },
  { key: 'i8', dtype: 'i8', label: 'memcom, int8 rows' },
  { key: 'f32-noindex', dtype: 'f32', label: 'memcom, f32 rows, int8Index off', opts: { int8Index: false } },
  { key: 'f32-nobounds', dtype: 'f32', label: 'memcom, f32 rows, bucketBounds off', opts: { bucketBounds: false } },
  { key: 'i8-nobounds', dtype: 'i8', label: 'memcom, int8 rows, bucketBounds off', opts: { bucketBounds: false } },
];
export const PEERS = [
  { key: 'ort', label: 'onnxruntime-web, full f32 table' },
  { key: 'tfjs', label: 'TF.js (wasm), full f32 table' },
];

/** The catalogue as a table file (output table + bias). */
export function catalogueFile(cat, dtype) {
  const bucket = cat.buckets ? bucketSpec(cat.buckets, cat.m) : 'mod';
  return buildModel({
    output: { kind: 'memcom', n: cat.n, m: cat.m, d: cat.d, dtype, rows: cat.U, scalars: cat.w, bucket },
    outputBias: cat.bias,
  });
}

/** One query: the user vector and the items to leave out (as an array for memcom, a Set for the peers). */
export const makeQuery = (u, exclude) => ({ u, exclude, excludeSet: new Set(exclude) });

/** Queries for the synthetic catalogue: its workload's vector distribution, random histories of 5-50 items. */
export function syntheticQueries(cat, count, seed = 17) {
  const r = rng(seed);
  const out = [];
  for (let q = 0; q < count; q++) {
    const u = new Float32Array(cat.d);
    for (let j = 0; j < cat.d; j++) u[j] = (r() + r() + r() - 1.5) * 2;
    const size = MIN_ITEMS + Math.floor(r() * (MAX_ITEMS - MIN_ITEMS + 1));
    const h = new Set();
    while (h.size < size) h.add(Math.floor(r() * cat.n));
    out.push(makeQuery(u, Uint32Array.from(h)));
  }
  return out;
}

/** The synthetic 16x workload (bench/lib/workload.js) as a catalogue. */
export function syntheticCatalogue(n) {
  const wl = makeWorkload({ n, d: 64, ratio: 16 });
  return { n, d: wl.d, m: wl.m, U: wl.U, w: wl.w, bias: wl.bias, buckets: null };
}

async function makePeer(key, { E, cat, k }) {
  if (key === 'ort') {
    return ortEngine(fullTableGraph({ E, bias: cat.bias, n: cat.n, d: cat.d, k: k + EXTRA, layout: 'matmul' }), { d: cat.d, k, exclude: new Set() });
  }
  return tfjsEngine({ E, bias: cat.bias, n: cat.n, d: cat.d, k, exclude: new Set(), extra: EXTRA, layout: 'pretransposed' });
}

/** (side, query index, answer) -> checkTopK's verdict against the float64
 * reference of the table the side serves: f32 rows, or the int8 rows as the
 * writer stores them.  Queries are checked in order; each query's references
 * are computed once. */
export function verifier(cat, queries, k) {
  const { U, m, d, rowPeriod: p } = cat;
  if (p) { // the reference dots each distinct row once: check that rows do repeat
    for (let i = p * d; i < m * d; i++) if (U[i] !== U[i - p * d]) throw new Error(`verifier: row ${Math.floor(i / d)} differs from row ${Math.floor(i / d) - p}`);
  }
  const tables = { f32: U, i8: int8Rows(U, m, d) };
  let at = -1;
  let refs = null;
  return (s, qi, got) => {
    if (at !== qi) {
      const { u, exclude } = queries[qi];
      refs = {};
      for (const [key, U] of Object.entries(tables)) refs[key] = referenceFrom(referenceScores({ ...cat, U, u }), k, exclude);
      at = qi;
    }
    return checkTopK(refs[s.dtype], got);
  };
}

/**
 * @param {{key: string, title: string, cat: object, k: number, queries: object[], peers?: string[]}} g
 *   peers: the keys of PEERS to run beside memcom (default both)
 * @returns {Promise<object[]>} one row per engine
 */
export async function runGroup(g, { log }) {
  const { cat, k, queries } = g;
  const t0 = now();
  const sides = [];
  let fresh = {};
  try {
    const files = { f32: await catalogueFile(cat, 'f32'), i8: await catalogueFile(cat, 'i8') };
    fresh = await firstAfterLoad(files, queries, k, verifier(cat, queries, k));
    for (const f of MEMCOM_FORMS) {
      const t = now();
      const engine = await memcomEngine(files[f.dtype], { simd: true, k, history: [], ...f.opts });
      sides.push({ ...f, engine, loadMs: now() - t, memcom: true, fileBytes: files[f.dtype].length, compression: engine.info.compressionRatio });
    }
    const peers = PEERS.filter((p) => (g.peers ?? ['ort', 'tfjs']).includes(p.key));
    if (peers.length) {
      const E = fullTable(cat);
      for (const p of peers) {
        const t = now();
        const engine = await makePeer(p.key, { E, cat, k });
        sides.push({ ...p, dtype: 'f32', engine, loadMs: now() - t, memcom: false });
      }
    }
    log(`  ${g.title}: ${files.f32.length >> 20} MiB (f32) / ${files.i8.length >> 20} MiB (int8) files; engines loaded in ${((now() - t0) / 1e3).toFixed(1)} s`);

    await checkPass(sides, queries, verifier(cat, queries, k), collectGarbage);
    const t1 = now();
    log(`    every answer checked (${queries.length} queries) in ${((t1 - t0) / 1e3).toFixed(1)} s`);
    await timedPass(sides, queries);
    log(`    timed in ${((now() - t1) / 1e3).toFixed(1)} s`);
    // memcom's defaults alone, query after query: what a page that ranks
    // repeatedly sees, its rows kept in the CPU caches (in the alternated
    // pass every query follows a peer's scan of its 244 MiB table)
    for (const s of sides.filter((x) => x.memcom && !x.opts && !x.wrong)) {
      s.aloneMs = new Float64Array(queries.length);
      for (let qi = 0; qi < queries.length; qi++) {
        const t = now();
        ask(s, queries[qi]);
        s.aloneMs[qi] = now() - t;
      }
    }
  } finally {
    for (const s of sides) await s.engine.dispose();
  }

  const rows = summarise(sides, queries, { group: g.key, title: g.title, k, n: cat.n, d: cat.d, m: cat.m });
  for (const r of rows) {
    const f = fresh[r.key];
    if (!f) continue;
    if (f.wrong) {
      Object.assign(r, { status: 'wrong', why: `first ranking after a load, ${f.wrong}` });
      delete r.median; // a wrong answer is not timed
      delete r.aloneMedian;
    }
    else if (f.ms.length) Object.assign(r, { freshFirstMs: median(f.ms), freshFirstAll: f.ms });
  }
  for (const r of rows) log(`    ${rowLine(r)}`);
  return rows;
}
