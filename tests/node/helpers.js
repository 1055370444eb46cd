// helpers.js - shared pieces of the Node tests: a seeded PRNG, generators of
// dyadic (exactly computable) and random models, and comparisons against the
// reference that tell real ties from rounding noise.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as R from './reference.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WASM_SIMD = new URL('../../dist/memcom-simd.wasm', import.meta.url);
export const WASM_SCALAR = new URL('../../dist/memcom.wasm', import.meta.url);

/** Fail clearly (rather than skip) when the wasm modules were not built. */
export function requireWasm() {
  for (const u of [WASM_SIMD, WASM_SCALAR]) {
    assert.ok(existsSync(u), `${fileURLToPath(u)} is missing: run \`bash build.sh wasm\` first`);
  }
}

/** Both builds: [{ simd: true }, { simd: false }]. */
export const BUILDS = [
  { name: 'simd', options: { simd: true } },
  { name: 'scalar', options: { simd: false } },
];

// ------------------------------------------------------------------ PRNG
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** integer in [lo, hi] */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** approximately normal */
    normal: () => (next() + next() + next() + next() - 2) * 1.7,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
  };
}

// ------------------------------------------------------- dyadic values
/**
 * Rows whose stored values are exact in every storage type:
 * f32/f16: multiples of 1/8 in [-2, 2];
 * i8: per row q * 2^-s (s in 5..7) with one |q| = 127, so the writer's
 *     scale max|x| / 127 is exactly 2^-s and q is recovered exactly.
 * No row is all zero.
 */
export function dyadicRows(r, rows, d, dtype) {
  const out = new Float32Array(rows * d);
  const qs = [-127, -96, -64, -32, -16, 0, 16, 32, 64, 96, 127];
  for (let i = 0; i < rows; i++) {
    if (dtype === 'i8') {
      const s = 2 ** -r.int(5, 7);
      for (let j = 0; j < d; j++) out[i * d + j] = r.pick(qs) * s;
      out[i * d + r.int(0, d - 1)] = (r.next() < 0.5 ? -127 : 127) * s;
    } else {
      for (let j = 0; j < d; j++) out[i * d + j] = r.int(-16, 16) / 8;
      if (out.subarray(i * d, i * d + d).every((x) => x === 0)) out[i * d] = 1;
    }
  }
  return out;
}

/** Non-zero multiples of 1/4 in [-2, 2]. */
export function dyadicScalars(r, n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = r.int(-8, 8) / 4;
    out[i] = v;
  }
  return out;
}

export function randomRows(r, count, scale = 1) {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = r.normal() * scale;
  return out;
}

/** A table spec of the given configuration. */
export function tableSpec(r, cfg, { n, d, m, dyadic }) {
  const { kind, dtype, scalarDtype, bucket } = cfg;
  const spec = { kind, n, d, dtype };
  if (kind === 'full') spec.m = n;
  else spec.m = m;
  const rowsA = kind === 'full' ? n : kind === 'qr' ? Math.ceil(n / m) : m;
  spec.rows = dyadic ? dyadicRows(r, rowsA, d, dtype) : randomRows(r, rowsA * d, 0.5);
  if (kind === 'qr') spec.rowsB = dyadic ? dyadicRows(r, m, d, dtype) : randomRows(r, m * d, 0.5);
  if (kind === 'memcom') {
    spec.scalarDtype = scalarDtype;
    spec.scalars = dyadic ? dyadicScalars(r, n) : randomRows(r, n, 1);
  }
  if (kind === 'hash' || kind === 'memcom') {
    if (bucket === 'mod') spec.bucket = 'mod';
    else if (bucket === 'hash') spec.bucket = { hash: 0x9e3779b97f4a7c15n };
    else if (bucket === 'hash-small') spec.bucket = { hash: 12345 };
    else {
      const b = bucket === 'u16' ? new Uint16Array(n) : new Uint32Array(n);
      for (let i = 0; i < n; i++) b[i] = r.int(0, m - 1);
      b[0] = m - 1;
      spec.bucket = b;
    }
  }
  return spec;
}

/** Every output configuration: kind x storage type x scalar type x bucket mode. */
export function allConfigs() {
  const out = [];
  for (const dtype of ['f32', 'f16', 'i8']) {
    out.push({ kind: 'full', dtype });
    out.push({ kind: 'qr', dtype });
    for (const bucket of ['mod', 'hash', 'u16', 'u32']) {
      out.push({ kind: 'hash', dtype, bucket });
      for (const scalarDtype of ['f32', 'f16']) out.push({ kind: 'memcom', dtype, scalarDtype, bucket });
    }
  }
  return out;
}

export function configName(c) {
  return [c.kind, c.dtype, c.scalarDtype && `w:${c.scalarDtype}`, c.bucket && `bucket:${c.bucket}`].filter(Boolean).join(' ');
}

// ------------------------------------------------------ exactness check
/** Whether float32 arithmetic computes sum(terms) exactly in any order. */
export function exactInF32(terms) {
  let G = 0;
  for (const t of terms) {
    if (Math.fround(t) !== t) return false;
    let x = t * 2 ** G;
    while (!Number.isInteger(x)) { G++; x = t * 2 ** G; if (G > 150) return false; }
  }
  let s = 0;
  for (const t of terms) s += Math.abs(t) * 2 ** G;
  return s < 2 ** 24;
}

/** Assert the test data is exactly computable in float32 for user vector u. */
export function assertExactData(ref, u) {
  for (let j = 0; j < u.length; j++) assert.ok(Math.fround(u[j]) === u[j], 'test data: user vector not exact in f32');
  const t = ref.output;
  for (let i = 0; i < t.n; i++) {
    const e = R.embedding(t, i);
    const terms = [];
    for (let j = 0; j < t.d; j++) {
      assert.ok(Math.fround(e[j]) === e[j], `test data: embedding ${i} not exact in f32`);
      terms.push(e[j] * u[j]);
    }
    if (ref.bias) terms.push(ref.bias[i]);
    assert.ok(exactInF32(terms), `test data: score of item ${i} not exact in f32`);
    if (t.kind === 'memcom') {
      const inner = [];
      for (let j = 0; j < t.d; j++) inner.push(t.A[t.bucket[i] * t.d + j] * u[j]);
      assert.ok(exactInF32(inner), `test data: memcom inner dot of item ${i} not exact`);
      const dot = inner.reduce((a, b) => a + b, 0);
      assert.ok(exactInF32([t.w[i] * dot]), `test data: memcom w*dot of item ${i} not exact`);
    }
    if (t.kind === 'qr') {
      const q = Math.floor(i / t.m);
      const r = i % t.m;
      const a = [];
      const b = [];
      for (let j = 0; j < t.d; j++) {
        a.push(t.A[q * t.d + j] * u[j]);
        b.push(t.B[r * t.d + j] * u[j]);
      }
      assert.ok(exactInF32(a) && exactInF32(b), `test data: qr partial products of item ${i} not exact`);
    }
  }
}

// ------------------------------------------------------- comparisons
/**
 * Float32Array vs float64 reference: exact, or within rel * magnitude[j]
 * (default magnitude: max(|expected[j]|, 1e-3 * max|expected|)).
 */
export function assertVectorClose(actual, expected, { exact = false, rel = 1e-6, what = 'vector', magnitude = null } = {}) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const x of expected) scale = Math.max(scale, Math.abs(x));
  for (let j = 0; j < expected.length; j++) {
    if (magnitude) {
      if (!(Math.abs(actual[j] - expected[j]) <= rel * magnitude[j] + 1e-30)) {
        assert.fail(`${what}[${j}]: got ${actual[j]}, expected ${expected[j]} (magnitude ${magnitude[j]}, rel ${rel})`);
      }
    } else if (exact) {
      if (actual[j] !== expected[j]) assert.fail(`${what}[${j}]: got ${actual[j]}, expected exactly ${expected[j]}`);
    } else if (!(Math.abs(actual[j] - expected[j]) <= rel * Math.max(Math.abs(expected[j]), scale * 1e-3) + 1e-30)) {
      assert.fail(`${what}[${j}]: got ${actual[j]}, expected ${expected[j]} (rel ${rel})`);
    }
  }
}

/** Scores: exact, or |a - r| <= rel * (sum_j |E_ij u_j| + |b_i|) (relative to the terms' magnitude). */
export function assertScoresClose(actual, ref, { exact = false, rel = 1e-5, what = 'scores' } = {}) {
  const { scores, magnitude } = ref;
  assert.ok(actual instanceof Float32Array, `${what}: a Float32Array`);
  assert.equal(actual.length, scores.length, `${what}: length`);
  for (let i = 0; i < scores.length; i++) {
    if (exact) {
      if (actual[i] !== scores[i]) assert.fail(`${what}[${i}]: got ${actual[i]}, expected exactly ${scores[i]}`);
    } else if (!(Math.abs(actual[i] - scores[i]) <= rel * magnitude[i] + 1e-30)) {
      assert.fail(`${what}[${i}]: got ${actual[i]}, expected ${scores[i]} (magnitude ${magnitude[i]}, rel ${rel})`);
    }
  }
}

/**
 * A top-k result against the reference scores.  exact: identical indices and
 * scores.  Otherwise: identical indices unless the reference has near-ties
 * (gaps within the tolerance) around them, and always a valid top-k within
 * the tolerance.
 */
export function assertTopK(actual, ref, k, { exclude = [], candidates = null, exact = false, rel = 1e-5, ids = null, what = 'topK', tieKey = null } = {}) {
  const { scores, magnitude } = ref;
  const expected = R.topK(scores, k, { exclude, candidates });
  assert.ok(Array.isArray(actual), `${what}: an array`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (const [p, r] of actual.entries()) {
    assert.deepEqual(Object.keys(r).sort(), ['id', 'index', 'score'], `${what}[${p}]: fields`);
    assert.equal(r.id, ids ? ids[r.index] : null, `${what}[${p}]: id of item ${r.index}`);
  }
  if (exact) {
    assert.deepEqual(actual.map((r) => r.index), expected.map((r) => r.index), `${what}: indices`);
    const z = (x) => (x === 0 ? 0 : x); // -0 and 0 are the same score
    assert.deepEqual(actual.map((r) => z(r.score)), expected.map((r) => z(r.score)), `${what}: scores`);
    return;
  }
  const tol = (i) => rel * magnitude[i] + 1e-30;
  const ex = new Set(exclude);
  const cand = candidates ? new Set(candidates) : null;
  const seen = new Set();
  for (const [p, r] of actual.entries()) {
    assert.ok(!ex.has(r.index), `${what}[${p}]: excluded item ${r.index} returned`);
    assert.ok(!cand || cand.has(r.index), `${what}[${p}]: non-candidate ${r.index} returned`);
    assert.ok(!seen.has(r.index), `${what}[${p}]: item ${r.index} twice`);
    seen.add(r.index);
    assert.ok(Math.abs(r.score - scores[r.index]) <= tol(r.index),
      `${what}[${p}]: score of ${r.index} is ${r.score}, reference ${scores[r.index]}`);
    if (p > 0) {
      const q = actual[p - 1];
      assert.ok(q.score > r.score || (q.score === r.score && q.index < r.index), `${what}: order at ${p}`);
    }
  }
  if (expected.length === 0) return;
  const kth = expected[expected.length - 1];
  for (const r of actual) {
    assert.ok(scores[r.index] >= kth.score - tol(r.index) - tol(kth.index),
      `${what}: item ${r.index} (ref ${scores[r.index]}) is not in the top ${k} (k-th ref ${kth.score})`);
  }
  // identical when the reference ranking is unambiguous at this tolerance
  const more = R.topK(scores, k + 1, { exclude, candidates });
  let ambiguous = false;
  for (let p = 1; p < more.length; p++) {
    const gap = more[p - 1].score - more[p].score;
    // An exact tie in float64 is ambiguous too (float32 rounding of
    // mathematically equal scores, e.g. cosines, may differ), unless the two
    // items have the same tie key (same embedding and bias: computed alike).
    const a = more[p - 1].index;
    const b = more[p].index;
    if (gap === 0 && tieKey && tieKey(a) === tieKey(b)) continue;
    if (gap <= tol(a) + tol(b)) ambiguous = true;
  }
  if (!ambiguous) assert.deepEqual(actual.map((r) => r.index), expected.map((r) => r.index), `${what}: indices`);
}

/** tieKey for assertTopK: items with the same embedding (and bias, when used) score alike. */
export function tieKeys(ref, { bias = true } = {}) {
  const keys = [];
  for (let i = 0; i < ref.n; i++) {
    keys.push(`${Array.from(R.embedding(ref.output, i)).join(',')}|${bias && ref.bias ? ref.bias[i] : ''}`);
  }
  return (i) => keys[i];
}

/** Assert that fn throws (or rejects with) a MemcomError of this code. */
export function assertCode(fn, code, messageRe) {
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    assert.equal(e?.name, 'MemcomError', `expected a MemcomError '${code}', got ${e?.stack || e}`);
    assert.equal(e.code, code, `expected code '${code}', got '${e.code}': ${e.message}`);
    assert.ok(e.message.startsWith('memcom: '), `message prefix: ${e.message}`);
    if (messageRe) assert.match(e.message, messageRe);
  }
  assert.ok(threw, `expected a MemcomError '${code}', nothing was thrown`);
}

export async function assertRejects(promise, code, messageRe) {
  let err = null;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected a MemcomError '${code}', the promise resolved`);
  assert.equal(err?.name, 'MemcomError', `expected a MemcomError '${code}', got ${err?.stack || err}`);
  assert.equal(err.code, code, `expected code '${code}', got '${err.code}': ${err.message}`);
  if (messageRe) assert.match(err.message, messageRe);
  return err;
}

const f32bits = (x) => new Uint32Array(new Float32Array([x]).buffer)[0];

/** Two topK answers are identical: indices, and scores bit for bit. */
export function assertSameRanking(a, b, where) {
  assert.equal(a.length, b.length, `${where}: length`);
  for (let p = 0; p < a.length; p++) {
    assert.equal(a[p].index, b[p].index, `${where} position ${p}`);
    assert.equal(f32bits(a[p].score), f32bits(b[p].score), `${where} position ${p}: score`);
  }
}

/**
 * When the float64 reference separates its k-th item from the next by more
 * than rounding can explain, the answer must hold exactly its top k (as a
 * set). Returns 1 when it checked, 0 when the reference was too close to call.
 */
export function assertReferenceTopK(ref, u, k, exclude, got, where) {
  const { scores, magnitude } = R.scores(ref, u);
  const want = R.topK(scores, k + 1, { exclude });
  const tol = 1e-5 * Math.max(...want.map((w) => magnitude[w.index]));
  if (!(want.length > k && want[k - 1].score - want[k].score > 4 * tol)) return 0;
  assert.deepEqual(new Set(got.map((x) => x.index)), new Set(want.slice(0, k).map((w) => w.index)), where);
  return 1;
}
