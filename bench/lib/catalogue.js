// The user-facing benchmark's catalogues: a trained model's output table
// (bench/native/dump_model.c's JSON) resampled to 1,000,000 items, and the
// adversarial variants built from one.
//
// Resampling.  A trained ml-latest-small model has nS items (7,363) and m
// shared rows.  The 1M-item catalogue gives every trained item C = ceil(1M /
// nS) slots, and replicates the shared table C times (m' = C·m rows), so
// items per row, and so the compression ratio, stay what training made.
// Copy q of trained item s keeps its trained bias and its trained bucket b
// (in the q-th replica: row b + m·q, a copy of row b); its w is the trained w,
// times 1 ± 0.5% for q > 0 so that copies do not tie exactly.  Each replica of
// a bucket thus holds one copy of the items the model put in that bucket.
//   - learned (explicit) buckets: items stay in popularity order (trained
//     item s's copies are items ceil(s·1M/nS) ... , i.e. the catalogue is
//     resampled by popularity rank);
//   - `i mod m` buckets: item j must sit in row j mod m', so j's trained item
//     is picked among those of trained bucket (j mod m') mod m (all of them,
//     in turn, so each gets about C copies); the file then stores `mod`
//     buckets, as the model does.
// `first[s]` is the catalogue item of trained item s's first copy (the one
// with its exact w): histories and exclusions use it.  `rowPeriod` (= m)
// tells the float64 reference that rows repeat (bench/lib/workload.js).
//
// No Node imports: the browser page uses this module too.

import { rng } from './workload.js';

export const CATALOGUE_N = 1_000_000;

/** @param {object} out the output table of dump_model's JSON; bias its bias */
export function resample(out, bias, { n = CATALOGUE_N, seed = 11 } = {}) {
  const { n: nS, m: mS, d } = out;
  const mod = out.bucketMode === 'mod';
  const C = Math.ceil(n / nS);
  const m = C * mS;
  const src = Float32Array.from(out.rows);
  const U = new Float32Array(m * d);
  for (let c = 0; c < C; c++) U.set(src, c * mS * d);
  const w = new Float32Array(n);
  const b = new Float32Array(n);
  const buckets = mod ? null : new Uint32Array(n);
  const source = new Uint32Array(n);
  const copy = new Uint32Array(n);
  const first = new Int32Array(nS).fill(-1);
  const r = rng(seed);
  const put = (j, s, q) => {
    source[j] = s;
    copy[j] = q;
    w[j] = q === 0 ? out.w[s] : Math.fround(out.w[s] * (1 + 0.01 * (r() - 0.5)));
    b[j] = bias[s];
    if (q === 0) first[s] = j;
  };
  if (mod) {
    const seen = new Uint32Array(nS);
    for (let j = 0; j < n; j++) {
      const B = j % m;
      const bb = B % mS;
      const cnt = Math.floor((nS - 1 - bb) / mS) + 1; // trained items in bucket bb
      const s = bb + mS * ((Math.floor(j / m) * C + (B - bb) / mS) % cnt);
      put(j, s, seen[s]++);
    }
  } else {
    for (let s = 0; s < nS; s++) {
      const j0 = Math.ceil((s * n) / nS);
      const j1 = Math.ceil(((s + 1) * n) / nS);
      for (let j = j0; j < j1; j++) {
        put(j, s, j - j0);
        buckets[j] = out.buckets[s] + mS * (j - j0); // j - j0 < C
      }
    }
  }
  for (let s = 0; s < nS; s++) if (first[s] < 0) throw new Error(`resample: trained item ${s} got no copy`);
  return { n, d, m, U, w, bias: b, buckets, source, copy, first, replicas: C, rowPeriod: mS, trained: { n: nS, m: mS } };
}

/** Another memcom table of the same trained model (its input table) resampled
 * with the catalogue's items: copy q of trained item s keeps s's w exactly
 * and its bucket in the q-th replica.  Explicit buckets only. */
export function resampleLike(cat, table) {
  if (table.bucketMode !== 'explicit' || table.n !== cat.trained.n) throw new Error('resampleLike: an explicit-bucket table of the same items');
  const { m: mS, d } = table;
  const C = cat.replicas;
  const src = Float32Array.from(table.rows);
  const U = new Float32Array(C * mS * d);
  for (let c = 0; c < C; c++) U.set(src, c * mS * d);
  const w = new Float32Array(cat.n);
  const buckets = new Uint32Array(cat.n);
  for (let j = 0; j < cat.n; j++) {
    const s = cat.source[j];
    w[j] = table.w[s];
    buckets[j] = table.buckets[s] + mS * cat.copy[j];
  }
  return { n: cat.n, d, m: C * mS, U, w, buckets };
}

/** Explicit buckets as buildModel takes them: u16 when m allows (as the trainer stores them), else u32. */
export const bucketSpec = (buckets, m) => (m <= 65536 ? Uint16Array.from(buckets) : buckets);

/** The buckets of a catalogue as an array (i mod m when it has none). */
export function bucketsOf(cat) {
  if (cat.buckets) return cat.buckets;
  const out = new Uint32Array(cat.n);
  for (let i = 0, b = 0; i < cat.n; i++) {
    out[i] = b;
    if (++b === cat.m) b = 0;
  }
  return out;
}

/** Sign-mixed buckets: the sign of w flipped for every second item of each bucket (in item order). */
export function signMixed(cat) {
  const bk = bucketsOf(cat);
  const odd = new Uint8Array(cat.m);
  const w = Float32Array.from(cat.w);
  for (let i = 0; i < cat.n; i++) {
    if (odd[bk[i]]) w[i] = -w[i];
    odd[bk[i]] ^= 1;
  }
  return { ...cat, w };
}

/**
 * Decoy rows: every 100th item (1% of the catalogue) becomes a near-copy of
 * one of the `top` most popular trained items (their first copies, in turn):
 * the same bucket and w, the bias lowered by 1e-4·(1 + |bias|).  Each sits
 * just below a likely answer: well inside the int8 pre-ranking's error and in
 * the same bucket, so neither accelerator can set it aside.  Learned buckets only.
 */
export function withDecoys(cat, { every = 100, top = 100 } = {}) {
  if (!cat.buckets) throw new Error('withDecoys: the catalogue needs explicit buckets');
  const w = Float32Array.from(cat.w);
  const bias = Float32Array.from(cat.bias);
  const buckets = Uint32Array.from(cat.buckets);
  const isFirst = new Uint8Array(cat.n);
  for (const j of cat.first) isFirst[j] = 1;
  let decoys = 0;
  for (let j = every >> 1, t = 0; j < cat.n; j += every, t++) {
    if (isFirst[j]) continue; // keep every trained item's first copy (histories use them)
    const p = cat.first[t % top];
    w[j] = w[p];
    buckets[j] = buckets[p];
    bias[j] = Math.fround(bias[p] - 1e-4 * (1 + Math.abs(bias[p])));
    decoys++;
  }
  return { ...cat, w, bias, buckets, decoys };
}

/** Histories of trained items (indices) as catalogue items: each item's first copy. */
export const catalogueHistory = (cat, history) => Uint32Array.from(history, (s) => cat.first[s]);
