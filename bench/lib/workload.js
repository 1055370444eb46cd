// The benchmark workload: one seeded synthetic catalogue per (n, d), shared by
// every engine, and a float64 reference ranking to check answers against.
//
// The memcom table is U (m x d, bucket i mod m), w (n per-item scalars) and an
// output bias.  U's values are chosen exactly representable in int8 with a
// per-row power-of-two scale (q * 2^-e, q in -127..127, each row reaching
// |q| = 127), so the f32 and the int8 storage of U hold the *same* numbers
// and one reference ranking serves every row of the table.
//
// No Node imports: the browser page uses this module too.

/** mulberry32: small seeded PRNG, uniform in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows of the shared table for MEmCom at compression `ratio` (docs/METHOD.md section 1.4). */
export function memcomRows(n, d, ratio) {
  return Math.max(1, Math.round((n * (d / ratio - 1)) / d));
}

/**
 * @returns {{n, d, m, U: Float32Array, Uq: Int8Array, Uscale: Float32Array,
 *   w: Float32Array, bias: Float32Array, u: Float32Array, history: Uint32Array}}
 */
export function makeWorkload({ n, d, ratio = 16, seed = 1 }) {
  const r = rng(seed * 7919 + n * 31 + d);
  const m = memcomRows(n, d, ratio);
  const U = new Float32Array(m * d);
  const Uq = new Int8Array(m * d);
  const Uscale = new Float32Array(m);
  for (let row = 0; row < m; row++) {
    const scale = 2 ** -(7 + (row & 3)); // exact in f32
    Uscale[row] = scale;
    const base = row * d;
    for (let j = 0; j < d; j++) {
      // roughly Gaussian integers: sum of three uniforms, clipped
      const g = (r() + r() + r() - 1.5) * 2;
      let q = Math.round(g * 60);
      if (q > 127) q = 127;
      if (q < -127) q = -127;
      Uq[base + j] = q;
    }
    Uq[base + (row % d)] = row & 4 ? -127 : 127; // each row reaches full scale
    for (let j = 0; j < d; j++) U[base + j] = Uq[base + j] * scale;
  }
  const w = new Float32Array(n);
  const bias = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    w[i] = 0.5 + r();
    bias[i] = (r() - 0.5) * 0.2;
  }
  const u = new Float32Array(d);
  for (let j = 0; j < d; j++) u[j] = (r() + r() + r() - 1.5) * 2;

  const wl = { n, d, m, ratio, U, Uq, Uscale, w, bias, u, history: null };
  wl.history = makeHistory(wl, r);
  return wl;
}

/** A 20-item history that contains 3 of the catalogue's true top-12 items,
 * so an engine that ignores the exclusion set fails the answer check. */
function makeHistory(wl, r) {
  const all = referenceScores(wl);
  const top = topKPlain(all, 12, new Set());
  const h = new Set([top[1], top[4], top[9]]);
  const size = Math.min(20, wl.n >> 1);
  while (h.size < size) h.add(Math.floor(r() * wl.n));
  return Uint32Array.from(h);
}

/** Reconstructed full table E[i] = w[i] * U[bucket(i)], n x d f32 (what a
 * general engine would serve); bucket(i) = wl.buckets[i], or i mod m when
 * wl.buckets is null or absent. */
export function fullTable(wl) {
  const { n, d, m, U, w, buckets } = wl;
  const E = new Float32Array(n * d);
  for (let i = 0, b = 0; i < n; i++) {
    const r = buckets ? buckets[i] : b;
    const row = E.subarray(i * d, i * d + d);
    row.set(U.subarray(r * d, r * d + d));
    const wi = w[i];
    for (let j = 0; j < d; j++) row[j] *= wi;
    if (++b === m) b = 0;
  }
  return E;
}

/** Float64 scores of every item (factorised: exact up to double rounding),
 * buckets as fullTable.  wl.rowPeriod p, when set, says that row r of U
 * equals row r mod p (a replicated table): each distinct row is dotted once. */
export function referenceScores(wl) {
  const { n, d, m, U, w, bias, u, buckets } = wl;
  const p = wl.rowPeriod ?? m;
  const t = new Float64Array(m);
  for (let row = 0; row < m; row++) {
    if (row >= p) {
      t[row] = t[row - p];
      continue;
    }
    let s = 0;
    for (let j = 0; j < d; j++) s += U[row * d + j] * u[j];
    t[row] = s;
  }
  const s = new Float64Array(n);
  for (let i = 0, b = 0; i < n; i++) {
    s[i] = w[i] * t[buckets ? buckets[i] : b] + bias[i];
    if (++b === m) b = 0;
  }
  return s;
}

/** Float64 user vector of docs/METHOD.md section 3 for a buildModel spec
 * (memcom or full input table; buckets `'mod'`/absent or explicit): the
 * distinct history items' input embeddings summed, divided by sqrt(|H|),
 * then the dense layers. */
export function referenceUserVector({ input, layers = [] }, history) {
  const { d, m, rows, scalars, bucket } = input;
  const explicit = bucket instanceof Uint16Array || bucket instanceof Uint32Array;
  const H = [...new Set(Array.from(history, Number))];
  let x = new Float64Array(d);
  for (const i of H) {
    const b = input.kind === 'full' ? i : explicit ? bucket[i] : i % m;
    const w = scalars ? scalars[i] : 1;
    for (let j = 0; j < d; j++) x[j] += w * rows[b * d + j];
  }
  for (let j = 0; j < d; j++) x[j] /= Math.sqrt(H.length);
  const act = { tanh: Math.tanh, relu: (v) => Math.max(0, v) };
  for (const L of layers) {
    const y = new Float64Array(L.outDim);
    for (let o = 0; o < L.outDim; o++) {
      let s = L.bias ? L.bias[o] : 0;
      if (L.weight) for (let i = 0; i < L.inDim; i++) s += L.weight[o * L.inDim + i] * x[i];
      else s += x[o];
      y[o] = act[L.activation] ? act[L.activation](s) : s;
    }
    x = y;
  }
  return x;
}

/** Rows as the int8 writer stores them, back in f32: per row scale = max|x| / 127
 * (in f32), q = round(x / scale) (half away from zero); x = scale * q. */
export function int8Rows(rows, m, d) {
  const out = new Float32Array(m * d);
  for (let r = 0; r < m; r++) {
    let mx = 0;
    for (let j = 0; j < d; j++) mx = Math.max(mx, Math.abs(rows[r * d + j]));
    const scale = Math.fround(mx / 127);
    for (let j = 0; j < d; j++) {
      const x = rows[r * d + j] / scale;
      const q = scale > 0 ? Math.sign(x) * Math.round(Math.abs(x)) : 0;
      out[r * d + j] = scale * q;
    }
  }
  return out;
}

/** Indices of the k largest scores, descending, ties to the lower index. */
export function topKPlain(scores, k, exclude) {
  const idx = [];
  const val = [];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (idx.length === k && !(v > val[k - 1])) continue;
    if (exclude.has(i)) continue;
    let p = idx.length === k ? k - 1 : idx.length;
    while (p > 0 && val[p - 1] < v) {
      val[p] = val[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    val[p] = v;
    idx[p] = i;
  }
  return idx;
}
