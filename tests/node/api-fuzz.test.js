// api-fuzz.test.js - randomised robustness tests of the JavaScript API
// (issue 6): every call with a wrong type, NaN, an out-of-range, negative or
// fractional index, a huge k, an empty history, duplicated ids, a string
// that is not an id, a wrong vector length, or a disposed model must fail
// with a MemcomError carrying a stable code (never a WebAssembly trap, a
// plain TypeError/RangeError from inside the wrapper, or a silently wrong
// answer); every valid call must agree with a plain-JS brute force written
// here from docs/FORMAT.md (float64, independent of web/ and of the other
// tests' reference).  Plus limits: maxBytes is enforced before allocation,
// and loading/disposing many times returns wasm memory to a stable size.
//
// Seeded: MEMCOM_API_FUZZ_SEED=<n> reproduces a run (the seed is printed in
// every failure); MEMCOM_API_FUZZ_CALLS sets the calls per model and build.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, ftruncateSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModel, loadTable, buildModel, MemcomError } from '../../web/index.js';

const SEED = Number(process.env.MEMCOM_API_FUZZ_SEED ?? 20261126) >>> 0;
const CALLS = Number(process.env.MEMCOM_API_FUZZ_CALLS ?? 300);
const WASM = {
  simd: new URL('../../dist/memcom-simd.wasm', import.meta.url),
  scalar: new URL('../../dist/memcom.wasm', import.meta.url),
};
const BUILDS = [
  { name: 'simd', options: { simd: true } },
  { name: 'scalar', options: { simd: false } },
];

// The stable codes of errors.js / index.d.ts.
const KNOWN_CODES = new Set([
  'invalid_argument', 'index', 'unknown_id', 'dimension', 'k', 'no_table', 'no_ids', 'nonfinite_input',
  'disposed', 'too_large', 'nomem', 'io', 'wasm', 'metadata',
  'truncated', 'magic', 'version', 'header_size', 'header_crc', 'file_size', 'flags', 'directory',
  'directory_crc', 'section_type', 'section_dup', 'section_missing', 'section_unexpected', 'section_bounds',
  'section_align', 'section_overlap', 'section_size', 'section_crc', 'section_dtype', 'table_kind',
  'table_dtype', 'bucket_mode', 'sizes', 'bucket_range', 'layers', 'nonfinite', 'ids', 'ids_utf8', 'ids_dup',
  'ids_order', 'row_scale',
]);

// --------------------------------------------------------------- PRNG
function prng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: (a) => a[int(0, a.length - 1)], chance: (p) => next() < p };
}

function randFloats(r, len, scale = 1) {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    let v = (r.next() * 2 - 1) * scale;
    if (Math.abs(v) < 0.05 * scale) v += v < 0 ? -0.1 * scale : 0.1 * scale; // no all-zero rows
    a[i] = v;
  }
  return a;
}

// ------------------------------------------------ the models under test
// All f32, so the stored values are exactly the arrays below.
function makeSpecs(r) {
  const specs = [];
  {
    // a recommender: full input (d 5) -> dense 5x6 tanh -> memcom output (mod buckets), f32 bias, ids
    const n = 37;
    const ids = Array.from({ length: n }, (_, i) => (i === 5 ? 'élan-€' : i === 9 ? '9' : `item-${i}`));
    specs.push({
      name: 'recommender full->tanh->memcom(mod), ids, bias',
      spec: {
        input: { kind: 'full', n, d: 5, rows: randFloats(r, n * 5) },
        layers: [{ inDim: 5, outDim: 6, activation: 'tanh', weight: randFloats(r, 30), bias: randFloats(r, 6, 0.3) }],
        output: { kind: 'memcom', n, m: 7, d: 6, rows: randFloats(r, 42), scalars: randFloats(r, n, 2), bucket: 'mod' },
        outputBias: randFloats(r, n, 0.5),
        ids,
        metadata: { dataset: 'api-fuzz', options: { seed: SEED } },
      },
    });
  }
  {
    // a recommender: hash input (seeded hash buckets) -> identity relu layer + second dense -> qr output, no ids
    const n = 23;
    specs.push({
      name: 'recommender hash(seed)->relu->dense->qr, no ids',
      spec: {
        input: { kind: 'hash', n, m: 5, d: 4, rows: randFloats(r, 20), bucket: { hash: '12345678901234567' } },
        layers: [
          { inDim: 4, outDim: 4, activation: 'relu', bias: randFloats(r, 4, 0.5) },
          { inDim: 4, outDim: 3, activation: 'none', weight: randFloats(r, 12) },
        ],
        output: { kind: 'qr', n, m: 4, d: 3, rows: randFloats(r, Math.ceil(n / 4) * 3), rowsB: randFloats(r, 12) },
        outputBias: randFloats(r, n, 0.2),
      },
    });
  }
  {
    // a table file: hash output with explicit u16 buckets, ids (including a duplicate-looking prefix), no bias
    const n = 19;
    const buckets = new Uint16Array(n);
    for (let i = 0; i < n; i++) buckets[i] = (i * 5 + 1) % 6;
    specs.push({
      name: 'table hash(explicit u16), ids, no bias',
      spec: {
        output: { kind: 'hash', n, m: 6, d: 8, rows: randFloats(r, 48), bucket: buckets },
        ids: Array.from({ length: n }, (_, i) => (i < 10 ? `a${i}` : `a${i - 10}x`)),
      },
    });
  }
  {
    // a table file: full output, u32 ids that look like numbers, bias
    const n = 11;
    specs.push({
      name: 'table full, numeric-looking ids, bias',
      spec: {
        output: { kind: 'full', n, d: 3, rows: randFloats(r, 33) },
        outputBias: randFloats(r, n),
        ids: Array.from({ length: n }, (_, i) => String(n - 1 - i)), // id "3" is index 7
      },
    });
  }
  return specs;
}

// ------------------------------------------- plain-JS brute force (float64)
function splitmixBucket(i, seedStr, m) {
  const M = (1n << 64n) - 1n;
  let z = (BigInt(i) + BigInt(seedStr)) & M;
  z ^= z >> 30n; z = (z * 0xbf58476d1ce4e5b9n) & M;
  z ^= z >> 27n; z = (z * 0x94d049bb133111ebn) & M;
  z ^= z >> 31n;
  return Number(z % BigInt(m));
}

function bucketOf(t, i) {
  if (t.bucket === undefined || t.bucket === 'mod') return i % t.m;
  if (ArrayBuffer.isView(t.bucket)) return t.bucket[i];
  return splitmixBucket(i, t.bucket.hash, t.m);
}

function embedding(t, i) {
  const d = t.d;
  const e = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    if (t.kind === 'full') e[j] = t.rows[i * d + j];
    else if (t.kind === 'hash') e[j] = t.rows[bucketOf(t, i) * d + j];
    else if (t.kind === 'qr') e[j] = t.rows[Math.floor(i / t.m) * d + j] * t.rowsB[(i % t.m) * d + j];
    else e[j] = t.scalars[i] * t.rows[bucketOf(t, i) * d + j];
  }
  return e;
}

const dot = (a, b) => { let s = 0; for (let j = 0; j < a.length; j++) s += a[j] * b[j]; return s; };
const norm = (a) => Math.sqrt(dot(a, a));

function refUserVector(spec, hist) {
  const uniq = [...new Set(hist)];
  let x = new Float64Array(spec.input.d);
  for (const i of uniq) { const e = embedding(spec.input, i); for (let j = 0; j < x.length; j++) x[j] += e[j]; }
  if (uniq.length) for (let j = 0; j < x.length; j++) x[j] /= Math.sqrt(uniq.length);
  for (const L of spec.layers ?? []) {
    const y = new Float64Array(L.outDim);
    for (let o = 0; o < L.outDim; o++) {
      let s = 0;
      if (L.weight) for (let q = 0; q < L.inDim; q++) s += L.weight[o * L.inDim + q] * x[q];
      else s = x[o];
      if (L.bias) s += L.bias[o];
      y[o] = L.activation === 'tanh' ? Math.tanh(s) : L.activation === 'relu' ? Math.max(0, s) : s;
    }
    x = y;
  }
  return x;
}

function refScores(spec, vec, { bias = true, cosine = false } = {}) {
  const t = spec.output;
  const out = new Float64Array(t.n);
  const nv = norm(vec);
  for (let i = 0; i < t.n; i++) {
    const e = embedding(t, i);
    if (cosine) {
      const ne = norm(e);
      out[i] = ne > 0 && nv > 0 ? dot(e, vec) / (ne * nv) : 0;
    } else {
      out[i] = dot(e, vec) + (bias && spec.outputBias ? spec.outputBias[i] : 0);
    }
  }
  return out;
}

const tol = (x) => 2e-4 * Math.max(1, Math.abs(x));

/** Check a ranked answer against reference scores for the eligible items. */
function checkRanked(res, ref, eligible, k, spec, ctx) {
  assert.ok(Array.isArray(res), `${ctx}: result is not an array`);
  const elig = [...eligible];
  assert.equal(res.length, Math.min(k, elig.length), `${ctx}: ${res.length} results, expected min(k=${k}, eligible=${elig.length})`);
  const seen = new Set();
  for (let q = 0; q < res.length; q++) {
    const { id, index, score } = res[q];
    assert.ok(Number.isInteger(index) && eligible.has(index), `${ctx}: item ${index} is not eligible`);
    assert.ok(!seen.has(index), `${ctx}: item ${index} twice`);
    seen.add(index);
    assert.equal(id, spec.ids ? spec.ids[index] : null, `${ctx}: id of item ${index}`);
    assert.ok(Math.abs(score - ref[index]) <= tol(ref[index]), `${ctx}: score of ${index} is ${score}, brute force ${ref[index]}`);
    if (q > 0) assert.ok(res[q - 1].score >= score, `${ctx}: not sorted at ${q}`);
  }
  if (res.length === 0) return;
  const last = ref[res[res.length - 1].index];
  for (const j of elig) {
    if (!seen.has(j)) assert.ok(ref[j] <= last + tol(last), `${ctx}: item ${j} (${ref[j]}) should rank above ${res[res.length - 1].index} (${last})`);
  }
}

// -------------------------------------------------- argument generators
// Each returns { value, valid, codes, norm } - norm: the resolved value for valid ones.
function genItem(r, spec) {
  const n = spec.output.n;
  const ids = spec.ids;
  const ch = r.int(0, 19);
  switch (ch) {
    case 0: case 1: case 2: case 3: { const i = r.int(0, n - 1); return { value: i, valid: true, norm: i }; }
    case 4: case 5: {
      const i = r.int(0, n - 1);
      if (ids) return { value: ids[i], valid: true, norm: i };
      return { value: `item-${i}`, valid: false, codes: ['no_ids'] };
    }
    case 6: return { value: -r.int(1, 5), valid: false, codes: ['index', 'invalid_argument'] };
    case 7: return { value: n + r.int(0, 3), valid: false, codes: ['index'] };
    case 8: return { value: r.int(0, n - 2) + 0.5, valid: false, codes: ['invalid_argument', 'index'] };
    case 9: return { value: r.pick([NaN, Infinity, -Infinity]), valid: false, codes: ['invalid_argument', 'index'] };
    case 10: return { value: r.pick([2 ** 32, 2 ** 53, -(2 ** 31), 2 ** 32 + 1]), valid: false, codes: ['index', 'invalid_argument'] };
    case 11: return { value: r.pick(['no-such-item', 'ITEM-1', ' item-1', 'item-1 ', '\u0000', 'a\uD800b', '']), valid: false,
      codes: ids ? ['unknown_id', 'invalid_argument'] : ['no_ids', 'invalid_argument'] };
    case 12: return { value: r.pick([null, undefined, true, {}, [], [1], () => 1]), valid: false, codes: ['invalid_argument'] };
    case 13: return { value: r.pick([1n, Symbol('item'), new Number(1), new String('a')]), valid: false, codes: ['invalid_argument'] };
    // a digit string is an id, not an index: valid only if the model has exactly that id (see fixItem)
    case 14: return { value: String(r.int(0, n - 1)), valid: null };
    default: { const i = r.int(0, n - 1); return { value: i, valid: true, norm: i }; }
  }
}

/** Resolve generator 14 (a digit string) and finish the record. */
function fixItem(g, spec) {
  if (g.valid !== null) return g;
  const idx = spec.ids ? spec.ids.indexOf(g.value) : -1;
  if (idx >= 0) return { value: g.value, valid: true, norm: idx };
  return { value: g.value, valid: false, codes: spec.ids ? ['unknown_id'] : ['no_ids'] };
}

function item(r, spec) { return fixItem(genItem(r, spec), spec); }

/** Validity of any value as one item. */
function judgeItem(v, spec) {
  const n = spec.output.n;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { valid: false, codes: ['invalid_argument'] };
    if (v < 0 || v >= n) return { valid: false, codes: ['index'] };
    return { valid: true, norm: v };
  }
  if (typeof v === 'string') {
    if (!spec.ids) return { valid: false, codes: ['no_ids'] };
    const i = spec.ids.indexOf(v);
    return i >= 0 ? { valid: true, norm: i } : { valid: false, codes: ['unknown_id', 'invalid_argument'] };
  }
  return { valid: false, codes: ['invalid_argument'] };
}

/** lookup(x): x is one item (number or string) or a list of items. */
function judgeLookup(v, spec) {
  if (typeof v === 'number' || typeof v === 'string') return { value: v, ...judgeItem(v, spec) };
  let list = null;
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) list = Array.from(v);
  else if (v !== null && typeof v === 'object' && typeof v[Symbol.iterator] === 'function') list = [...v]; // Set, String object
  if (list === null) return { value: v, valid: false, codes: ['invalid_argument'] };
  const js = list.map((x) => judgeItem(x, spec));
  const bad = js.filter((j) => !j.valid);
  if (bad.length) return { value: v, valid: false, codes: [...new Set(bad.flatMap((j) => j.codes))] };
  return { value: v, valid: true, norm: js.map((j) => j.norm) };
}

function genList(r, spec, { allowEmpty = true } = {}) {
  const ch = r.int(0, 15);
  const len = r.pick([0, 1, 2, 3, 5, 8]);
  if (ch <= 7) {
    // an array of items, mostly valid, sometimes with duplicates or one bad item
    const items = [];
    for (let q = 0; q < len; q++) {
      if (q > 0 && r.chance(0.2)) items.push(items[r.int(0, q - 1)]); // duplicate
      else items.push(r.chance(0.85) ? (() => { const i = r.int(0, spec.output.n - 1); const useId = spec.ids && r.chance(0.4); return { value: useId ? spec.ids[i] : i, valid: true, norm: i }; })() : item(r, spec));
    }
    if (!allowEmpty && items.length === 0) items.push({ value: 0, valid: true, norm: 0 });
    const bad = items.filter((g) => !g.valid);
    const value = items.map((g) => g.value);
    if (bad.length) return { value, valid: false, codes: [...new Set(bad.flatMap((g) => g.codes))] };
    return { value, valid: true, norm: items.map((g) => g.norm) };
  }
  const n = spec.output.n;
  switch (ch) {
    case 8: { const a = Uint32Array.from({ length: len }, () => r.int(0, n - 1)); return { value: a, valid: true, norm: [...a] }; }
    case 9: { const a = Uint32Array.from({ length: Math.max(len, 1) }, () => r.int(0, n - 1)); a[0] = n + r.int(0, 100); return { value: a, valid: false, codes: ['index'] }; }
    case 10: { const a = Int32Array.from({ length: Math.max(len, 1) }, () => r.int(0, n - 1)); a[a.length - 1] = -1; return { value: a, valid: false, codes: ['index', 'invalid_argument'] }; }
    case 11: { const a = Float64Array.from({ length: Math.max(len, 1) }, () => r.int(0, n - 1)); a[0] = r.pick([0.5, NaN, Infinity, 1e10]); return { value: a, valid: false, codes: ['invalid_argument', 'index'] }; }
    case 12: { const s = new Set(); for (let q = 0; q < len; q++) s.add(r.int(0, n - 1)); return { value: s, valid: true, norm: [...s] }; }
    case 13: return { value: r.pick(['item-1', 7, 3.5, true, { 0: 1, length: 1.5 }, new DataView(new ArrayBuffer(8)), new BigInt64Array(2)]),
      valid: false, codes: ['invalid_argument', 'index'] };
    case 14: return { value: r.pick([null, undefined]), valid: false, codes: ['invalid_argument'] };
    default: return { value: [], valid: true, norm: [] };
  }
}

function genK(r, n) {
  const ch = r.int(0, 11);
  if (ch <= 4) { const k = r.int(1, n + 2); return { value: k, valid: true, norm: k }; }
  if (ch === 5) return { value: undefined, valid: true, norm: 10 };
  if (ch === 6) { const k = r.pick([2 ** 31, 2 ** 32 + 7, 2 ** 53, 1e300, Number.MAX_SAFE_INTEGER]); return { value: k, valid: true, norm: k }; }
  if (ch === 7) return { value: r.pick([0, -1, -(2 ** 31)]), valid: false, codes: ['k'] };
  if (ch === 8) return { value: r.pick([1.5, NaN, Infinity, -Infinity]), valid: false, codes: ['k'] };
  if (ch === 9) return { value: r.pick(['3', null, true, 3n, [3], {}]), valid: false, codes: ['k', 'invalid_argument'] };
  const k = r.int(1, 4);
  return { value: k, valid: true, norm: k };
}

function genVector(r, d) {
  const ch = r.int(0, 11);
  if (ch <= 4) { const v = randFloats(r, d, r.pick([0.01, 1, 100])); return { value: v, valid: true, norm: Float64Array.from(v) }; }
  if (ch === 5) { const v = Array.from(randFloats(r, d)); return { value: v, valid: true, norm: Float64Array.from(v, Math.fround) }; }
  if (ch === 6) { const v = Float64Array.from(randFloats(r, d)); return { value: v, valid: true, norm: Float64Array.from(v, Math.fround) }; }
  if (ch === 7) return { value: randFloats(r, r.pick([0, d - 1, d + 1, 2 * d])), valid: false, codes: ['dimension'] };
  if (ch === 8) { const v = randFloats(r, d); v[r.int(0, d - 1)] = r.pick([NaN, Infinity, -Infinity]); return { value: v, valid: false, codes: ['nonfinite_input'] }; }
  if (ch === 9) { const v = Float64Array.from(randFloats(r, d)); v[0] = r.pick([1e39, -1e300]); return { value: v, valid: false, codes: ['nonfinite_input'], overflow: true }; }
  if (ch === 10) { const v = Array.from(randFloats(r, d)); v[0] = r.pick(['1', null, undefined, {}]); return { value: v, valid: false, codes: ['nonfinite_input', 'invalid_argument'] }; }
  return { value: r.pick([null, undefined, 'vector', 5, {}, new Int32Array(d), new Uint8Array(d)]), valid: false,
    codes: ['invalid_argument', 'dimension'] };
}

/** An options object { k, exclude, candidates } (each part present or not), or a bad options value. */
function genRankOptions(r, spec, extra = {}) {
  if (r.chance(0.06)) return { value: r.pick([5, 'k', true, Symbol('o')]), valid: false, codes: ['invalid_argument'] };
  if (r.chance(0.08)) return { value: r.pick([undefined, null]), valid: true, norm: {} };
  const o = {};
  const normed = {};
  const codes = [];
  let valid = true;
  if (r.chance(0.7)) {
    const k = genK(r, spec.output.n);
    o.k = k.value;
    if (k.valid) normed.k = k.norm; else { valid = false; codes.push(...k.codes); }
  }
  if (r.chance(0.4)) {
    if (r.chance(0.15)) { o.exclude = null; normed.exclude = []; } else {
      const l = genList(r, spec);
      o.exclude = l.value;
      if (l.value === undefined) { /* absent: the default */ } else if (l.value === null) normed.exclude = [];
      else if (l.valid) normed.exclude = l.norm; else { valid = false; codes.push(...l.codes); }
    }
  }
  if (r.chance(0.3)) {
    if (r.chance(0.15)) { o.candidates = null; } else {
      const l = genList(r, spec);
      o.candidates = l.value;
      if (l.value === undefined || l.value === null) { /* all items */ } else if (l.valid) normed.candidates = l.norm;
      else { valid = false; codes.push(...l.codes); }
    }
  }
  Object.assign(o, extra);
  return valid ? { value: o, valid: true, norm: normed } : { value: o, valid: false, codes };
}

function eligibleSet(n, exclude, candidates, self = -1) {
  const ex = new Set(exclude);
  const s = new Set();
  for (const i of candidates ?? Array.from({ length: n }, (_, q) => q)) if (!ex.has(i) && i !== self) s.add(i);
  return s;
}

// ------------------------------------------------------------ the driver
function expectMemcomError(fn, codes, ctx) {
  let result;
  try {
    result = fn();
  } catch (e) {
    if (!(e instanceof MemcomError)) {
      assert.fail(`${ctx}: threw ${e && e.constructor && e.constructor.name}: ${e && e.message} (expected a MemcomError ${codes.join('|')})`);
    }
    assert.ok(KNOWN_CODES.has(e.code), `${ctx}: unknown error code ${e.code}`);
    assert.ok(codes.includes(e.code), `${ctx}: code ${e.code} (${e.message}), expected one of ${codes.join('|')}`);
    assert.ok(typeof e.message === 'string' && e.message.length > 10, `${ctx}: empty message`);
    return e;
  }
  assert.fail(`${ctx}: accepted (returned ${describeValue(result)}), expected a MemcomError ${codes.join('|')}`);
  return null;
}

function expectOk(fn, ctx) {
  try {
    return fn();
  } catch (e) {
    assert.fail(`${ctx}: a valid call threw ${e && e.constructor && e.constructor.name} ${e && e.code}: ${e && e.message}`);
  }
  return undefined;
}

function describeValue(v) {
  try {
    if (typeof v === 'symbol') return v.toString();
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof DataView) return 'a DataView';
    if (ArrayBuffer.isView(v)) return `${v.constructor.name}[${Array.from(v).join(',')}]`;
    if (v instanceof Set) return `Set{${[...v].join(',')}}`;
    if (typeof v === 'function') return 'a function';
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    const s = JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'symbol' ? x.toString() : x));
    return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 200)}...` : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}

function allCodes(...parts) {
  const s = new Set();
  for (const p of parts) if (p && !p.valid) for (const c of p.codes) s.add(c);
  return [...s];
}

/** One random call against `model` (built from `spec`); returns its name. */
function randomCall(r, model, spec, ctx0) {
  const n = spec.output.n;
  const isModel = !!spec.input;
  const op = r.int(0, 11);
  switch (op) {
    case 0: case 1: { // recommend
      const h = genList(r, spec);
      const o = genRankOptions(r, spec);
      const ctx = `${ctx0} recommend(${describeValue(h.value)}, ${describeValue(o.value)})`;
      if (typeof model.recommend !== 'function') return 'recommend'; // a MemcomTable
      if (!isModel) { expectMemcomError(() => model.recommend(h.value, o.value), ['no_table', ...allCodes(h, o)], ctx); return 'recommend'; }
      if (!h.valid || !o.valid) { expectMemcomError(() => model.recommend(h.value, o.value), allCodes(h, o), ctx); return 'recommend'; }
      const res = expectOk(() => model.recommend(h.value, o.value), ctx);
      const k = o.norm.k ?? 10;
      const exclude = o.norm.exclude ?? h.norm;
      const ref = refScores(spec, refUserVector(spec, h.norm));
      checkRanked(res, ref, eligibleSet(n, exclude, o.norm.candidates), k, spec, ctx);
      return 'recommend';
    }
    case 2: { // scores / userVector
      const h = genList(r, spec);
      const which = r.chance(0.5) ? 'scores' : 'userVector';
      const ctx = `${ctx0} ${which}(${describeValue(h.value)})`;
      if (typeof model[which] !== 'function') return which; // a table has neither
      if (!isModel) { expectMemcomError(() => model[which](h.value), ['no_table', ...allCodes(h)], ctx); return which; }
      if (!h.valid) { expectMemcomError(() => model[which](h.value), allCodes(h), ctx); return which; }
      const got = expectOk(() => model[which](h.value), ctx);
      assert.ok(got instanceof Float32Array, `${ctx}: not a Float32Array`);
      const u = refUserVector(spec, h.norm);
      const want = which === 'scores' ? refScores(spec, u) : u;
      assert.equal(got.length, want.length, `${ctx}: length`);
      for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) <= tol(want[j]), `${ctx}: [${j}] ${got[j]} vs ${want[j]}`);
      return which;
    }
    case 3: case 4: { // topK
      const v = genVector(r, spec.output.d);
      const extra = {};
      if (r.chance(0.3)) extra.cosine = true;
      if (r.chance(0.3)) extra.bias = false;
      const o = genRankOptions(r, spec, extra);
      const ctx = `${ctx0} topK(${describeValue(v.value)}, ${describeValue(o.value)})`;
      if (v.overflow && o.valid && o.norm.candidates && o.norm.candidates.length === 0) {
        // finite in float64 but not in float32, and nothing to rank: [] is an acceptable answer too
        try { assert.deepEqual(model.topK(v.value, o.value), [], ctx); } catch (e) {
          if (!(e instanceof MemcomError)) throw e;
          assert.equal(e.code, 'nonfinite_input', ctx);
        }
        return 'topK';
      }
      if (!v.valid || !o.valid) { expectMemcomError(() => model.topK(v.value, o.value), allCodes(v, o), ctx); return 'topK'; }
      const res = expectOk(() => model.topK(v.value, o.value), ctx);
      const opts = o.value && typeof o.value === 'object' ? o.value : {};
      const ref = refScores(spec, v.norm, { bias: opts.bias !== false && !opts.cosine, cosine: !!opts.cosine });
      checkRanked(res, ref, eligibleSet(n, o.norm.exclude ?? [], o.norm.candidates), o.norm.k ?? 10, spec, ctx);
      return 'topK';
    }
    case 5: { // similarItems
      const it = item(r, spec);
      const o = genRankOptions(r, spec);
      const ctx = `${ctx0} similarItems(${describeValue(it.value)}, ${describeValue(o.value)})`;
      if (!it.valid || !o.valid) { expectMemcomError(() => model.similarItems(it.value, o.value), allCodes(it, o), ctx); return 'similarItems'; }
      const res = expectOk(() => model.similarItems(it.value, o.value), ctx);
      const ref = refScores(spec, embedding(spec.output, it.norm), { cosine: true });
      checkRanked(res, ref, eligibleSet(n, o.norm.exclude ?? [], o.norm.candidates, it.norm), o.norm.k ?? 10, spec, ctx);
      return 'similarItems';
    }
    case 6: { // itemEmbedding
      const it = item(r, spec);
      const table = r.pick([undefined, 'output', 'output', 'input', 'bogus', 1]);
      const opts = table === undefined ? undefined : { table };
      const ctx = `${ctx0} itemEmbedding(${describeValue(it.value)}, ${describeValue(opts)})`;
      const codes = allCodes(it);
      if (table === 'bogus' || table === 1) codes.push('invalid_argument');
      if (table === 'input' && !isModel) codes.push('no_table');
      if (codes.length) { expectMemcomError(() => model.itemEmbedding(it.value, opts), codes, ctx); return 'itemEmbedding'; }
      const got = expectOk(() => model.itemEmbedding(it.value, opts), ctx);
      const want = embedding(table === 'input' ? spec.input : spec.output, it.norm);
      assert.equal(got.length, want.length, `${ctx}: length`);
      for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) <= tol(want[j]), `${ctx}: [${j}]`);
      return 'itemEmbedding';
    }
    case 7: { // lookup (one item or a list): judged by lookup's own rule
      const l = judgeLookup((r.chance(0.5) ? item(r, spec) : genList(r, spec)).value, spec);
      const ctx = `${ctx0} lookup(${describeValue(l.value)})`;
      if (!l.valid) { expectMemcomError(() => model.lookup(l.value), allCodes(l), ctx); return 'lookup'; }
      const got = expectOk(() => model.lookup(l.value), ctx);
      const idx = Array.isArray(l.norm) ? l.norm : [l.norm];
      const d = spec.output.d;
      assert.equal(got.length, idx.length * d, `${ctx}: length`);
      idx.forEach((i, q) => { const e = embedding(spec.output, i); for (let j = 0; j < d; j++) assert.ok(Math.abs(got[q * d + j] - e[j]) <= tol(e[j]), `${ctx}: item ${i}`); });
      return 'lookup';
    }
    case 8: { // scoreVector
      const v = genVector(r, spec.output.d);
      const ctx = `${ctx0} scoreVector(${describeValue(v.value)})`;
      if (!v.valid) { expectMemcomError(() => model.scoreVector(v.value), allCodes(v), ctx); return 'scoreVector'; }
      const got = expectOk(() => model.scoreVector(v.value), ctx);
      const want = refScores(spec, v.norm);
      for (let j = 0; j < n; j++) assert.ok(Math.abs(got[j] - want[j]) <= tol(want[j]), `${ctx}: [${j}] ${got[j]} vs ${want[j]}`);
      return 'scoreVector';
    }
    case 9: { // idOf
      const it = r.chance(0.6) ? { value: r.int(0, n - 1), valid: true } : item(r, spec);
      const ctx = `${ctx0} idOf(${describeValue(it.value)})`;
      if (!it.valid) { expectMemcomError(() => model.idOf(it.value), allCodes(it), ctx); return 'idOf'; }
      const got = expectOk(() => model.idOf(it.value), ctx);
      const i = typeof it.value === 'number' ? it.value : it.norm;
      assert.equal(got, spec.ids ? spec.ids[i] : null, ctx);
      return 'idOf';
    }
    case 10: { // indexOf
      const v = r.pick([spec.ids ? spec.ids[r.int(0, n - 1)] : 'x', 'nope', '', 'a\uD800', 3, null, undefined, {}]);
      const ctx = `${ctx0} indexOf(${describeValue(v)})`;
      if (typeof v !== 'string') { expectMemcomError(() => model.indexOf(v), ['invalid_argument'], ctx); return 'indexOf'; }
      const got = expectOk(() => model.indexOf(v), ctx);
      assert.equal(got, spec.ids ? spec.ids.indexOf(v) : -1, ctx);
      return 'indexOf';
    }
    default: { // info is stable and consistent
      const info = model.info;
      assert.equal(info.n, n);
      assert.equal(info.d, spec.output.d);
      assert.equal(info.hasIds, !!spec.ids);
      assert.equal(info.output.kind, spec.output.kind);
      assert.equal(info.input ? info.input.kind : null, spec.input ? spec.input.kind : null);
      assert.ok(Object.isFrozen(info), 'info is frozen');
      return 'info';
    }
  }
}

function haveWasm() {
  return existsSync(WASM.simd) && existsSync(WASM.scalar);
}

// ------------------------------------------------------------------ tests
test('random API calls: MemcomError with a stable code for every bad call, brute-force answers for the good ones', async (t) => {
  assert.ok(haveWasm(), `dist/*.wasm missing: run \`bash build.sh\` first (${fileURLToPath(WASM.simd)})`);
  const r = prng(SEED);
  const specs = makeSpecs(r);
  for (const { name, spec } of specs) {
    const bytes = await buildModel(spec);
    for (const b of BUILDS) {
      await t.test(`${name} [${b.name}]`, async () => {
        const isModel = !!spec.input;
        // a table file: through loadTable (simd) and through loadModel (scalar: recommend -> no_table)
        const model = isModel || b.name === 'scalar' ? await loadModel(bytes, b.options) : await loadTable(bytes, b.options);
        const rr = prng(SEED ^ (bytes.length * 2654435761));
        const counts = {};
        for (let c = 0; c < CALLS; c++) {
          const what = randomCall(rr, model, spec, `[seed ${SEED}, ${name}, ${b.name}, call ${c}]`);
          counts[what] = (counts[what] || 0) + 1;
        }
        // loadTable on a recommender file serves its output table too
        if (isModel) {
          const table = await loadTable(bytes, b.options);
          const rt = prng(SEED + 7);
          for (let c = 0; c < Math.min(CALLS, 100); c++) {
            const v = genVector(rt, spec.output.d);
            const ctx = `[seed ${SEED}, ${name} as table, call ${c}] topK(${describeValue(v.value)})`;
            if (!v.valid) expectMemcomError(() => table.topK(v.value), v.codes, ctx);
            else checkRanked(expectOk(() => table.topK(v.value, { k: 4 }), ctx), refScores(spec, v.norm),
              eligibleSet(spec.output.n, [], null), 4, spec, ctx);
          }
          table.dispose();
        }
        model.dispose();
        assert.ok(Object.keys(counts).length >= 8, `too few kinds of calls: ${JSON.stringify(counts)}`);
      });
    }
  }
});

test('a disposed model or table refuses every call with "disposed" (and dispose is idempotent)', async () => {
  const r = prng(SEED + 1);
  const [{ spec }, , { spec: tspec }] = makeSpecs(r);
  for (const b of BUILDS) {
    const model = await loadModel(await buildModel(spec), b.options);
    const table = await loadTable(await buildModel(tspec), b.options);
    model.dispose();
    model.dispose();
    table.dispose();
    assert.equal(model.disposed, true);
    const v = new Float32Array(spec.output.d).fill(0.5);
    const calls = [
      ['recommend', () => model.recommend([0, 1])], ['recommend([])', () => model.recommend([])],
      ['scores', () => model.scores([0])], ['userVector', () => model.userVector([0])],
      ['topK', () => model.topK(v)], ['similarItems', () => model.similarItems(0)],
      ['itemEmbedding', () => model.itemEmbedding(0)], ['lookup', () => model.lookup([0])],
      ['scoreVector', () => model.scoreVector(v)], ['idOf', () => model.idOf(0)], ['indexOf', () => model.indexOf('item-1')],
      ['ids', () => model.ids()], ['info', () => model.info],
      ['recommend(bad args)', () => model.recommend(NaN, { k: -1 })],
      ['table.topK', () => table.topK(new Float32Array(tspec.output.d))], ['table.lookup', () => table.lookup(0)],
      ['table.similarItems', () => table.similarItems('a1')],
    ];
    for (const [name, fn] of calls) expectMemcomError(fn, ['disposed'], `[${b.name}] disposed ${name}`);
  }
});

test('bad sources and options for loadModel/loadTable are MemcomErrors', async () => {
  const r = prng(SEED + 2);
  const [{ spec }] = makeSpecs(r);
  const good = await buildModel(spec);
  const cases = [
    [null, {}, ['invalid_argument']], [undefined, {}, ['invalid_argument']], [42, {}, ['invalid_argument']],
    [{}, {}, ['invalid_argument']], ['', {}, ['invalid_argument', 'io']],
    [new Uint8Array(0), {}, ['magic', 'truncated']], [new Uint8Array(300), {}, ['magic']],
    [good.subarray(0, 255), {}, ['truncated']], [good.subarray(0, good.length - 1), {}, ['truncated', 'file_size']],
    [good, 5, ['invalid_argument']], [good, 'x', ['invalid_argument']],
    [good, { maxBytes: -1 }, ['invalid_argument']], [good, { maxBytes: NaN }, ['invalid_argument']],
    [good, { maxBytes: 1.5 }, ['invalid_argument']], [good, { maxBytes: '100' }, ['invalid_argument']],
    [good, { maxBytes: 0 }, ['too_large']], [good, { maxBytes: good.length - 1 }, ['too_large']],
    [good, { simd: 'yes' }, ['invalid_argument']], [good, { wasm: 42 }, ['invalid_argument']],
    [good, { wasm: new Uint8Array([0, 97, 115, 109]) }, ['wasm']], [good, { wasm: {} }, ['invalid_argument']],
    [good, { wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) }, ['wasm']], // a valid, empty module: not memcom's
    [good, { wasm: new URL('file:///nonexistent/memcom.wasm') }, ['wasm']],
    [join(tmpdir(), 'memcom-api-fuzz-no-such-file.memcom'), {}, ['io']],
    [tmpdir(), {}, ['io']],
    ['http://[::1:bad', {}, ['invalid_argument', 'io']],
    // Responses (made fresh for each call): HTTP errors, a body that fails mid-download, a used body
    [() => new Response('nope', { status: 404 }), {}, ['io']],
    [() => new Response(new ReadableStream({ start(c) { c.enqueue(good.subarray(0, 100)); c.error(new Error('connection reset')); } })), {}, ['io']],
    [() => { const res = new Response(good.slice()); res.arrayBuffer(); return res; }, {}, ['invalid_argument', 'io']],
  ];
  for (const [src0, opts, codes] of cases) {
    for (const loader of [loadModel, loadTable]) {
      let err = null;
      const src = typeof src0 === 'function' ? src0() : src0;
      try {
        const m = await loader(src, opts);
        m.dispose();
      } catch (e) {
        err = e;
      }
      const ctx = `${loader.name}(${describeValue(src instanceof Uint8Array ? `<${src.length} bytes>` : src)}, ${describeValue(opts)})`;
      assert.ok(err, `${ctx}: accepted, expected ${codes.join('|')}`);
      assert.ok(err instanceof MemcomError, `${ctx}: threw ${err.constructor.name}: ${err.message}`);
      assert.ok(codes.includes(err.code), `${ctx}: code ${err.code} (${err.message}), expected ${codes.join('|')}`);
    }
  }
  // random corruptions of a good file: a MemcomError, never a trap (or, rarely, a file that is still valid)
  const rr = prng(SEED + 3);
  for (let c = 0; c < 200; c++) {
    const bad = good.slice();
    const flips = rr.int(1, 4);
    for (let q = 0; q < flips; q++) bad[rr.int(0, bad.length - 1)] ^= 1 << rr.int(0, 7);
    const cut = rr.chance(0.2) ? rr.int(0, bad.length) : bad.length;
    try {
      const m = await loadModel(bad.subarray(0, cut), { simd: rr.chance(0.5) });
      m.dispose();
    } catch (e) {
      assert.ok(e instanceof MemcomError && KNOWN_CODES.has(e.code), `corruption ${c}: ${e && e.constructor.name}: ${e && e.message}`);
    }
  }
});

// ---------------------------------------------------------------- limits
function runtimeMemory(m) {
  // wasm memory of the runtime a model lives in (internal: there is no public accessor)
  const mem = m && m._rt && m._rt.memory;
  assert.ok(mem instanceof WebAssembly.Memory, 'cannot reach the wasm memory of a model (model._rt.memory)');
  return mem;
}

function bigSpec(n, d) {
  const rows = new Float32Array(n * d);
  for (let i = 0; i < rows.length; i++) rows[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  return { output: { kind: 'full', n, d, rows } };
}

test('limits: a model larger than maxBytes (or than wasm memory) is refused before allocation', async () => {
  for (const b of BUILDS) {
    const small = await loadModel(await buildModel(makeSpecs(prng(SEED + 4))[0].spec), b.options); // the runtime exists
    const mem = runtimeMemory(small);
    const before = mem.buffer.byteLength;
    const big = await buildModel(bigSpec(16384, 64)); // 4 MiB of rows
    const tries = [
      ['bytes', () => loadTable(big, { ...b.options, maxBytes: 1 << 20 })],
      ['ArrayBuffer', () => loadTable(big.buffer.slice(0), { ...b.options, maxBytes: 1 << 20 })],
      ['Blob', () => loadTable(new Blob([big]), { ...b.options, maxBytes: 1 << 20 })],
      ['Response with Content-Length 5 GB', () => loadTable(new Response(new ReadableStream({ pull() {} }),
        { headers: { 'content-length': String(5 * 2 ** 30) } }), b.options)],
      ['Response over maxBytes, no Content-Length', () => loadTable(new Response(new ReadableStream({
        start(c) { for (let q = 0; q < 8; q++) c.enqueue(big.subarray(q * (big.length >> 3), (q + 1) * (big.length >> 3))); c.close(); },
      })), { ...b.options, maxBytes: 1 << 20 })],
    ];
    // a sparse 5 GiB file in Node: refused from its size, without reading it
    const dir = mkdtempSync(join(tmpdir(), 'memcom-api-fuzz-'));
    try {
      const path = join(dir, 'huge.memcom');
      const fd = openSync(path, 'w');
      ftruncateSync(fd, 5 * 2 ** 30);
      closeSync(fd);
      tries.push(['sparse 5 GiB file', () => loadTable(path, b.options)]);
      const mid = join(dir, 'mid.memcom');
      writeFileSync(mid, big);
      tries.push(['4 MiB file, maxBytes 1 MiB', () => loadTable(mid, { ...b.options, maxBytes: 1 << 20 })]);
      for (const [what, fn] of tries) {
        let err = null;
        try { (await fn()).dispose(); } catch (e) { err = e; }
        assert.ok(err instanceof MemcomError, `[${b.name}] ${what}: ${err ? `${err.constructor.name}: ${err.message}` : 'accepted'}`);
        assert.equal(err.code, 'too_large', `[${b.name}] ${what}: ${err.message}`);
        assert.equal(mem.buffer.byteLength, before, `[${b.name}] ${what}: wasm memory grew from ${before} to ${mem.buffer.byteLength}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // maxBytes bounds the file plus its working memory: exactly that is
    // allowed, one byte less is refused (after opening, which is O(file))
    const probe = await loadTable(big, b.options);
    const need = probe.info.fileBytes + probe.info.workingBytes;
    probe.dispose();
    assert.ok(need > big.length, 'the working memory is counted');
    const ok = await loadTable(big, { ...b.options, maxBytes: need });
    assert.equal(ok.info.n, 16384);
    ok.dispose();
    let refused = null;
    try { (await loadTable(big, { ...b.options, maxBytes: need - 1 })).dispose(); } catch (e) { refused = e; }
    assert.ok(refused instanceof MemcomError && refused.code === 'too_large', `maxBytes one below: ${refused}`);
    assert.match(refused.message, /working memory .*options\.maxBytes/);
    small.dispose();
  }
});

test('limits: loading and disposing the same model many times returns memory to a stable size', async () => {
  const spec = makeSpecs(prng(SEED + 5))[0].spec;
  const bytes = await buildModel(spec);
  const corrupt = bytes.slice();
  corrupt[bytes.length - 3] ^= 0x40; // a section CRC mismatch
  for (const b of BUILDS) {
    const keep = await loadModel(bytes, b.options);
    const mem = runtimeMemory(keep);
    const cycle = async (count) => {
      for (let q = 0; q < count; q++) {
        const m = await loadModel(bytes, b.options);
        // use everything that allocates lazily (hash buckets, norms, scratch)
        m.recommend([0, 1, 'item-2'], { k: 5 });
        m.similarItems(3, { k: 3 });
        m.scores([4]);
        try { m.recommend([0, 999]); } catch (e) { assert.ok(e instanceof MemcomError); }
        try { m.topK(new Float32Array(m.d).fill(NaN)); } catch (e) { assert.ok(e instanceof MemcomError); }
        try { await loadModel(corrupt, b.options); } catch (e) { assert.ok(e instanceof MemcomError); }
        m.dispose();
      }
    };
    await cycle(20);
    const after20 = mem.buffer.byteLength;
    await cycle(200);
    const after220 = mem.buffer.byteLength;
    assert.equal(after220, after20, `[${b.name}] wasm memory kept growing: ${after20} bytes after 20 loads, ${after220} after 220`);
    // a big model too: memory reused, not grown per load
    const big = await buildModel(bigSpec(8192, 64));
    for (let q = 0; q < 3; q++) (await loadTable(big, b.options)).dispose();
    const afterBig = mem.buffer.byteLength;
    for (let q = 0; q < 12; q++) (await loadTable(big, b.options)).dispose();
    assert.equal(mem.buffer.byteLength, afterBig, `[${b.name}] wasm memory grew while loading a 2 MiB model repeatedly`);
    keep.dispose();
  }
});

test('limits: a tiny file that declares 2^31-1 items fails with MemcomErrors, never a trap', async () => {
  // hash table with m = 1: the file is a few hundred bytes, but per-item work and memory are O(n)
  const n = 2 ** 31 - 1;
  const bytes = await buildModel({ output: { kind: 'hash', n, m: 1, d: 2, rows: new Float32Array([0.5, -0.25]) } });
  assert.ok(bytes.length < 1024);
  let table;
  try {
    table = await loadTable(bytes, { simd: true });
  } catch (e) {
    assert.ok(e instanceof MemcomError, `load: ${e.constructor.name}: ${e.message}`);
    assert.ok(['too_large', 'nomem', 'sizes'].includes(e.code), `load: ${e.code}`);
    return;
  }
  try {
    assert.equal(table.info.n, n);
    const e0 = table.itemEmbedding(n - 1);
    assert.deepEqual(Array.from(e0), [0.5, -0.25]);
    // whole-catalogue answers need 8 GiB: refused, not a trap
    expectMemcomError(() => table.scoreVector([1, 1]), ['too_large', 'nomem'], 'scoreVector on 2^31-1 items');
    // ranking a few candidates is fine
    const res = table.topK([1, 1], { k: 2, candidates: [5, n - 1, 7] });
    assert.equal(res.length, 2);
    assert.deepEqual(res.map((x) => x.index), [5, 7]); // equal scores: lower index first
  } finally {
    table.dispose();
  }
});

// ---------------------------------------------------------- buildModel
// Random mutations of valid specs: buildModel either throws a MemcomError or
// returns bytes that load (the JS writer and the C reader agree).
function mutateSpec(r, spec) {
  const s = { ...spec, output: { ...spec.output }, input: spec.input ? { ...spec.input } : undefined };
  if (s.input === undefined) delete s.input;
  if (spec.layers) s.layers = spec.layers.map((L) => ({ ...L }));
  const n = s.output.n;
  const tables = s.input ? [s.output, s.input] : [s.output];
  const muts = r.int(1, 3);
  for (let q = 0; q < muts; q++) {
    const t = r.pick(tables);
    if (t === null || typeof t !== 'object') break;
    const rows0 = t.rows instanceof Float32Array ? t.rows : new Float32Array(4);
    switch (r.int(0, 17)) {
      case 0: t.kind = r.pick(['full', 'hash', 'qr', 'memcom', 'bogus', 3, null, undefined]); break;
      case 1: t.n = r.pick([0, -1, 1.5, n + 1, n - 1, 2 ** 31, NaN, String(n), undefined]); break;
      case 2: t.m = r.pick([0, 1, n, n + 1, 1.5, -2, undefined, null]); break;
      case 3: t.d = r.pick([0, 4097, 2.5, t.d + 1, '4', undefined]); break;
      case 4: t.dtype = r.pick(['f32', 'f16', 'i8', 'f64', 'u8', 1, null]); break;
      case 5: { // bad values in the rows
        const rows = Float32Array.from(rows0);
        rows[r.int(0, rows.length - 1)] = r.pick([NaN, Infinity, -Infinity, 70000, 65519, -65520, 3e38, 1e-45]);
        t.rows = rows;
        break;
      }
      case 6: t.rows = r.pick([Array.from(rows0), rows0.subarray(1), new Float64Array(rows0), null, [1, 'a'], new Int8Array(rows0.length)]); break;
      case 7: t.bucket = r.pick(['mod', 'explicit', { hash: 'abc' }, { hash: -1 }, { hash: 2n ** 64n }, { hash: 2n ** 64n - 1n }, { hash: 42 },
        Uint16Array.from({ length: n }, (_, i) => i % (t.m || 1)), Uint32Array.from({ length: n }, () => 1e6),
        new Uint8Array(n), Uint32Array.from({ length: n - 1 }), null]); break;
      case 8: t.scalars = r.pick([undefined, new Float32Array(n).fill(NaN), new Float32Array(n + 1), new Float32Array(n).fill(70000)]);
        t.scalarDtype = r.pick([undefined, 'f16', 'f32', 'i8']); break;
      case 9: t.rowsB = r.pick([undefined, new Float32Array(3), rows0]); break;
      case 10: s.ids = r.pick([
        Array.from({ length: n }, (_, i) => `x${i % Math.max(1, n - 1)}`), // a duplicate
        Array.from({ length: n }, (_, i) => (i === 0 ? '' : `y${i}`)),
        Array.from({ length: n }, (_, i) => (i === 1 ? 'a\uD800' : `z${i}`)),
        Array.from({ length: n }, (_, i) => (i === 1 ? '\uDC00b' : i === 0 ? 'a\uD800' : `w${i}`)), // joined: a valid pair
        Array.from({ length: n }, (_, i) => (i === 2 ? 7 : `v${i}`)),
        Array.from({ length: n + 1 }, (_, i) => `u${i}`), 'ids', null,
        Array.from({ length: n }, (_, i) => `\u{1F600}${i}\u0000`)]); break;
      case 11: s.metadata = r.pick([{ a: 1 }, '{"a":1}', '[1]', '1', 'not json', [], 5, { b: 2n }, (() => { const o = {}; o.self = o; return o; })(),
        { toJSON: () => [1] }, { toJSON: () => undefined }, { toJSON: () => 'x' }, { s: 'a\uD800' }, null]); break;
      case 12: s.outputBias = r.pick([new Float32Array(n), new Float32Array(n - 1), new Float32Array(n).fill(NaN), null, undefined, new Float32Array(n).fill(1e5)]);
        s.biasDtype = r.pick([undefined, 'f32', 'f16', 'i8']); break;
      case 13: if (Array.isArray(s.layers) && s.layers.length && typeof s.layers[0] === 'object') {
        const L = r.pick(s.layers);
        switch (r.int(0, 4)) {
          case 0: L.inDim += 1; break;
          case 1: L.outDim = r.pick([0, 4097, L.outDim + 1]); break;
          case 2: L.weight = r.pick([null, undefined, new Float32Array(1), new Float32Array(L.inDim * L.outDim).fill(Infinity)]); break;
          case 3: L.activation = r.pick(['sigmoid', 'relu', 'tanh', 'none', 2]); break;
          default: L.bias = r.pick([new Float32Array(L.outDim + 1), null, new Float32Array(L.outDim).fill(NaN)]);
        }
      } else s.layers = r.pick([[{ inDim: 1, outDim: 1 }], 'layers', Array.from({ length: 17 }, () => ({ inDim: s.output.d, outDim: s.output.d }))]);
        break;
      case 14: s[r.pick(['extra', 'Output', 'bias'])] = 1; break;
      case 15: if (s.input) delete s.input; else s.input = { ...s.output }; break;
      case 16: s.output = r.pick([null, undefined, 'full', []]); return s;
      default: break; // unchanged
    }
  }
  return s;
}

test('buildModel on random (mostly invalid) specs: a MemcomError, or a file that loads', async () => {
  const r = prng(SEED + 6);
  const base = makeSpecs(prng(SEED + 7)).map((x) => x.spec);
  let built = 0;
  let refused = 0;
  for (let c = 0; c < Math.max(300, CALLS * 2); c++) {
    const spec = mutateSpec(r, r.pick(base));
    const ctx = `[seed ${SEED}, buildModel call ${c}]`;
    let bytes;
    try {
      bytes = await buildModel(spec);
    } catch (e) {
      assert.ok(e instanceof MemcomError, `${ctx}: buildModel threw ${e && e.constructor.name}: ${e && e.message}\n  at ${e && e.stack && e.stack.split('\n')[1]}\n  spec: ${describeValue(spec)}`);
      assert.ok(KNOWN_CODES.has(e.code), `${ctx}: unknown code ${e.code}`);
      refused++;
      continue;
    }
    assert.ok(bytes instanceof Uint8Array, `${ctx}: not bytes`);
    let m;
    try {
      m = spec.input ? await loadModel(bytes) : await loadTable(bytes);
    } catch (e) {
      assert.fail(`${ctx}: buildModel wrote a file that does not load: ${e.code}: ${e.message}\n  spec: ${describeValue(spec)}`);
    }
    assert.equal(m.info.n, spec.output.n, `${ctx}: n`);
    assert.equal(m.info.output.kind, spec.output.kind, `${ctx}: kind`);
    m.dispose();
    built++;
  }
  assert.ok(built > 10 && refused > 10, `built ${built}, refused ${refused}: the mutations should do both`);
});
