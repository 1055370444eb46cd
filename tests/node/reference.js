// reference.js - an independent, deliberately plain JavaScript reading of
// docs/FORMAT.md and docs/METHOD.md, used as the oracle of the Node tests.
//
// It shares no code with web/ (its own CRC32, f16 decoding, hash, parser) and
// computes everything in float64 from the stored values, by brute force.

// ----------------------------------------------------------------- CRC32
/** Bitwise CRC32 (reflected 0xEDB88320), slow but obviously right. */
export function crc32(bytes, start = 0, end = bytes.length) {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) {
      const lsb = crc & 1;
      crc >>>= 1;
      if (lsb) crc ^= 0xedb88320;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Faster CRC32 for big buffers (still independent of web/build.js). */
const T = (() => {
  const t = [];
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let b = 0; b < 8; b++) c = (c >>> 1) ^ (c & 1 ? 0xedb88320 : 0);
    t.push(c >>> 0);
  }
  return t;
})();
export function crc32Fast(bytes, start = 0, end = bytes.length) {
  let crc = -1;
  for (let i = start; i < end; i++) crc = T[(crc ^ bytes[i]) & 255] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// ------------------------------------------------------------------ f16
/** Value of IEEE binary16 bits h, by the definition. */
export function f16ToNumber(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * f * 2 ** -24;
  if (e === 31) return f === 0 ? sign * Infinity : NaN;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

// ----------------------------------------------------------------- hash
const MASK64 = (1n << 64n) - 1n;
/** splitmix64 finaliser of (i + seed) mod 2^64, reduced mod m (FORMAT.md). */
export function hashBucket(i, seed, m) {
  let z = (BigInt(i) + BigInt(seed)) & MASK64;
  z ^= z >> 30n;
  z = (z * 0xbf58476d1ce4e5b9n) & MASK64;
  z ^= z >> 27n;
  z = (z * 0x94d049bb133111ebn) & MASK64;
  z ^= z >> 31n;
  return Number(z % BigInt(m));
}

// --------------------------------------------------------------- parsing
export const SECTION_NAMES = {
  1: 'ROWS_A', 2: 'ROWS_B', 3: 'SCALES_A', 4: 'SCALES_B', 5: 'ITEM_SCALARS', 6: 'BUCKETS', 7: 'LAYERS',
  8: 'LAYER_WEIGHT', 9: 'LAYER_BIAS', 10: 'OUTPUT_BIAS', 11: 'ID_OFFSETS', 12: 'ID_BYTES', 13: 'ID_SORTED',
  14: 'METADATA', 15: 'ID_RUNS', 16: 'ID_RANKS',
};
const KINDS = ['none', 'full', 'hash', 'qr', 'memcom'];
const DTYPES = ['u8', 'f32', 'f16', 'i8', 'u16', 'u32'];
const BUCKETS = ['none', 'mod', 'hash', 'explicit'];
const ACTS = ['none', 'tanh', 'relu'];

/** The header fields and the section directory, without any validation. */
export function readDirectory(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(32, true);
  const dirOff = Number(dv.getBigUint64(40, true));
  const sections = [];
  for (let i = 0; i < count; i++) {
    const at = dirOff + i * 32;
    if (at + 32 > bytes.length) break; // a damaged count: read what is there
    sections.push({
      entry: i,
      at,
      type: dv.getUint32(at, true),
      name: SECTION_NAMES[dv.getUint32(at, true)],
      index: dv.getUint32(at + 4, true),
      offset: Number(dv.getBigUint64(at + 8, true)),
      size: Number(dv.getBigUint64(at + 16, true)),
      dtype: dv.getUint32(at + 24, true),
      crc: dv.getUint32(at + 28, true),
    });
  }
  return { count, dirOff, sections };
}

/** Find a section by (type name, index). */
export function findSection(bytes, name, index = 0) {
  return readDirectory(bytes).sections.find((s) => s.name === name && s.index === index);
}

/** After a deliberate corruption: recompute every section CRC, the directory
 *  CRC and the header CRC (each step optional), so the intended check fires. */
export function fixCrcs(bytes, { sections = true, directory = true, header = true } = {}) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { count, dirOff, sections: secs } = readDirectory(bytes);
  if (sections) {
    for (const s of secs) {
      if (s.offset + s.size <= bytes.length) dv.setUint32(s.at + 28, crc32Fast(bytes, s.offset, s.offset + s.size), true);
    }
  }
  if (directory) dv.setUint32(48, crc32Fast(bytes, dirOff, dirOff + count * 32), true);
  if (header) dv.setUint32(252, crc32Fast(bytes, 0, 252), true);
  return bytes;
}

function readDesc(dv, at) {
  return {
    kind: KINDS[dv.getUint32(at, true)],
    n: dv.getUint32(at + 4, true),
    m: dv.getUint32(at + 8, true),
    d: dv.getUint32(at + 12, true),
    rowDtype: DTYPES[dv.getUint32(at + 16, true)],
    scalarDtype: DTYPES[dv.getUint32(at + 20, true)],
    bucketMode: BUCKETS[dv.getUint32(at + 24, true)],
    bucketDtype: DTYPES[dv.getUint32(at + 28, true)],
    seed: dv.getBigUint64(at + 32, true),
  };
}

function readFloats(dv, s, dtype, count) {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = dtype === 'f32' ? dv.getFloat32(s.offset + 4 * i, true) : f16ToNumber(dv.getUint16(s.offset + 2 * i, true));
  }
  return out;
}

/** Dequantised rows (float64) of a row table section. */
function readRows(dv, secs, type, role, dtype, rows, d) {
  const s = secs.find((x) => x.type === type && x.index === role);
  if (dtype !== 'i8') return readFloats(dv, s, dtype, rows * d);
  const sc = secs.find((x) => x.type === type + 2 && x.index === role); // SCALES_A = ROWS_A + 2
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const scale = dv.getFloat32(sc.offset + 4 * r, true);
    for (let j = 0; j < d; j++) out[r * d + j] = scale * dv.getInt8(s.offset + r * d + j);
  }
  return out;
}

function readTable(dv, secs, desc, role) {
  if (desc.kind === 'none') return null;
  const t = { ...desc, role };
  const { n, m, d } = t;
  t.rowsA = desc.kind === 'full' ? n : desc.kind === 'qr' ? Math.ceil(n / m) : m;
  t.A = readRows(dv, secs, 1, role, desc.rowDtype, t.rowsA, d);
  if (desc.kind === 'qr') t.B = readRows(dv, secs, 2, role, desc.rowDtype, m, d);
  if (desc.kind === 'memcom') {
    const s = secs.find((x) => x.type === 5 && x.index === role);
    t.w = readFloats(dv, s, desc.scalarDtype, n);
  }
  t.bucket = new Uint32Array(n);
  if (desc.bucketMode === 'mod') for (let i = 0; i < n; i++) t.bucket[i] = i % m;
  else if (desc.bucketMode === 'hash') for (let i = 0; i < n; i++) t.bucket[i] = hashBucket(i, desc.seed, m);
  else if (desc.bucketMode === 'explicit') {
    const s = secs.find((x) => x.type === 6 && x.index === role);
    for (let i = 0; i < n; i++) {
      t.bucket[i] = desc.bucketDtype === 'u16' ? dv.getUint16(s.offset + 2 * i, true) : dv.getUint32(s.offset + 4 * i, true);
    }
  }
  return t;
}

/** Parse a whole (valid) file into plain float64 arrays ({ ids: false } skips decoding the ids). */
export function parseModel(bytes, { ids: wantIds = true } = {}) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { sections } = readDirectory(bytes);
  const n = dv.getUint32(24, true);
  const nLayers = dv.getUint32(28, true);
  const model = {
    n,
    input: readTable(dv, sections, readDesc(dv, 56), 0),
    output: readTable(dv, sections, readDesc(dv, 120), 1),
    layers: [],
    bias: null,
    ids: null,
    metadata: null,
    sections,
    fileBytes: bytes.length,
  };
  // the layers (types 7, 8, 9) and a ranker's head (format 1.2: n_head_layers at 188, types 17, 18, 19)
  const readStack = (count, recType) => {
    const out = [];
    const L = sections.find((s) => s.type === recType);
    for (let l = 0; l < count; l++) {
      const at = L.offset + 16 * l;
      const inDim = dv.getUint32(at, true);
      const outDim = dv.getUint32(at + 4, true);
      const flags = dv.getUint32(at + 8, true);
      const layer = { inDim, outDim, activation: ACTS[dv.getUint32(at + 12, true)], weight: null, bias: null };
      if (flags & 1) layer.weight = readFloats(dv, sections.find((s) => s.type === recType + 1 && s.index === l), 'f32', inDim * outDim);
      if (flags & 2) layer.bias = readFloats(dv, sections.find((s) => s.type === recType + 2 && s.index === l), 'f32', outDim);
      out.push(layer);
    }
    return out;
  };
  model.layers = readStack(nLayers, 7);
  model.head = dv.getUint16(10, true) >= 2 ? readStack(dv.getUint32(188, true), 17) : [];
  const biasDtype = DTYPES[dv.getUint32(184, true)];
  if (biasDtype !== 'u8') model.bias = readFloats(dv, sections.find((s) => s.type === 10), biasDtype, n);
  const offs = sections.find((s) => s.type === 11);
  if (offs && wantIds) {
    const by = sections.find((s) => s.type === 12);
    const dec = new TextDecoder('utf-8', { fatal: true });
    model.ids = [];
    for (let i = 0; i < n; i++) {
      const a = dv.getUint32(offs.offset + 4 * i, true);
      const b = dv.getUint32(offs.offset + 4 * i + 4, true);
      model.ids.push(dec.decode(bytes.subarray(by.offset + a, by.offset + b)));
    }
  }
  const runs = sections.find((s) => s.type === 15);
  if (runs && wantIds) model.ids = decodeCompactIds(bytes, runs, sections.find((s) => s.type === 16), n);
  const meta = sections.find((s) => s.type === 14);
  if (meta) model.metadata = new TextDecoder().decode(bytes.subarray(meta.offset, meta.offset + meta.size));
  return model;
}

/** Compact numeric ids (FORMAT.md, format 1.1), for a valid file: the sorted
 *  values from the (gap, extra) varint runs, then each item's w-bit rank. */
function decodeCompactIds(bytes, runs, ranks, n) {
  let pos = runs.offset;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  const values = [];
  let end = -1n;
  while (values.length < n) {
    const gap = varint();
    const extra = varint();
    const start = values.length === 0 ? gap : end + gap;
    for (let v = start; v <= start + extra; v++) values.push(v);
    end = start + extra;
  }
  let w = 1;
  while (2 ** w < n) w++;
  const ids = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < w; b++) {
      const bit = i * w + b;
      r += ((bytes[ranks.offset + (bit >> 3)] >> (bit & 7)) & 1) * 2 ** b;
    }
    ids.push(String(values[r]));
  }
  return ids;
}

// ------------------------------------------------------------ the maths
/** Reconstructed embedding of item i (float64, length d). */
export function embedding(t, i) {
  const d = t.d;
  const e = new Float64Array(d);
  if (t.kind === 'full') for (let j = 0; j < d; j++) e[j] = t.A[i * d + j];
  else if (t.kind === 'hash') { const b = t.bucket[i]; for (let j = 0; j < d; j++) e[j] = t.A[b * d + j]; }
  else if (t.kind === 'memcom') { const b = t.bucket[i]; for (let j = 0; j < d; j++) e[j] = t.w[i] * t.A[b * d + j]; }
  else if (t.kind === 'qr') {
    const q = Math.floor(i / t.m);
    const r = i % t.m;
    for (let j = 0; j < d; j++) e[j] = t.A[q * d + j] * t.B[r * d + j];
  } else throw new Error(`reference: unknown kind ${t.kind}`);
  return e;
}

/** x = act(W x + b) per layer over (sum of E_in[i] for distinct i in H) / sqrt(|H|). */
export function userVector(model, history) {
  return userVectorWithMagnitude(model, history).vector;
}

/** The user vector and, per element, the magnitude of the terms that made it
 *  (sum of |W x| + |b| propagated through the layers): the scale of float32
 *  rounding errors, for relative tolerances. */
export function userVectorWithMagnitude(model, history) {
  const H = [...new Set(history)];
  const t = model.input;
  let x = new Float64Array(t ? t.d : model.output.d);
  let mag = new Float64Array(x.length);
  for (const i of H) {
    const e = embedding(t, i);
    for (let j = 0; j < x.length; j++) { x[j] += e[j]; mag[j] += Math.abs(e[j]); }
  }
  if (H.length > 0) for (let j = 0; j < x.length; j++) { x[j] /= Math.sqrt(H.length); mag[j] /= Math.sqrt(H.length); }
  for (const L of model.layers) ({ y: x, my: mag } = denseWithMagnitude(L, x, mag));
  return { vector: x, magnitude: mag };
}

/** score_i = E_out[i] . u (+ bias_i) for every item; also the magnitude
 *  sum_j |E_ij u_j| + |bias_i| of each, the scale for relative tolerances. */
export function scores(model, u, { bias = true } = {}) {
  const t = model.output;
  const s = new Float64Array(t.n);
  const mag = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) {
    const e = embedding(t, i);
    let acc = 0;
    let a = 0;
    for (let j = 0; j < t.d; j++) { acc += e[j] * u[j]; a += Math.abs(e[j] * u[j]); }
    if (bias && model.bias) { acc += model.bias[i]; a += Math.abs(model.bias[i]); }
    s[i] = acc;
    mag[i] = a;
  }
  return { scores: s, magnitude: mag };
}

/** One dense layer over (x, magnitude): y = act(W x + b) and the magnitude of its terms. */
function denseWithMagnitude(L, x, mag) {
  const y = new Float64Array(L.outDim);
  const my = new Float64Array(L.outDim);
  for (let o = 0; o < L.outDim; o++) {
    let s = 0;
    let a = 0;
    if (L.weight) {
      for (let k = 0; k < L.inDim; k++) { s += L.weight[o * L.inDim + k] * x[k]; a += Math.abs(L.weight[o * L.inDim + k]) * mag[k]; }
    } else { s = x[o]; a = mag[o]; }
    if (L.bias) { s += L.bias[o]; a += Math.abs(L.bias[o]); }
    y[o] = L.activation === 'tanh' ? Math.tanh(s) : L.activation === 'relu' ? Math.max(0, s) : s;
    my[o] = a;
  }
  return { y, my };
}

/** A ranker's scores (FORMAT.md, "Ranker head"): s_i = E_out[i] . u + bias_i +
 *  g([u; e_i; u * e_i]) for every item, with the magnitude of each one's terms. */
export function rankerScores(model, history) {
  const { vector: u, magnitude: um } = userVectorWithMagnitude(model, history);
  const f = scores(model, u);
  const t = model.output;
  const d = t.d;
  const s = new Float64Array(t.n);
  const mag = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) {
    const e = embedding(t, i);
    let x = new Float64Array(3 * d);
    let mx = new Float64Array(3 * d);
    for (let j = 0; j < d; j++) {
      x[j] = u[j]; x[d + j] = e[j]; x[2 * d + j] = u[j] * e[j];
      mx[j] = um[j]; mx[d + j] = Math.abs(e[j]); mx[2 * d + j] = um[j] * Math.abs(e[j]);
    }
    for (const L of model.head) ({ y: x, my: mx } = denseWithMagnitude(L, x, mx));
    s[i] = f.scores[i] + x[0];
    mag[i] = f.magnitude[i] + mx[0];
  }
  return { scores: s, magnitude: mag };
}

/** Cosine of every item's output embedding with v (0 for a zero embedding). */
export function cosines(model, v) {
  const t = model.output;
  let nv = 0;
  for (let j = 0; j < v.length; j++) nv += v[j] * v[j];
  nv = Math.sqrt(nv);
  const s = new Float64Array(t.n);
  const mag = new Float64Array(t.n);
  for (let i = 0; i < t.n; i++) {
    const e = embedding(t, i);
    let dot = 0;
    let ne = 0;
    let a = 0;
    for (let j = 0; j < t.d; j++) { dot += e[j] * v[j]; ne += e[j] * e[j]; a += Math.abs(e[j] * v[j]); }
    const den = Math.sqrt(ne) * nv;
    s[i] = den > 0 ? dot / den : 0;
    mag[i] = den > 0 ? a / den : 0;
  }
  return { scores: s, magnitude: mag };
}

/** Brute-force top-k: descending score, ties lower index first. */
export function topK(scoreArr, k, { exclude = [], candidates = null } = {}) {
  const ex = new Set(exclude);
  const pool = candidates ? [...new Set(candidates)] : Array.from({ length: scoreArr.length }, (_, i) => i);
  const eligible = pool.filter((i) => !ex.has(i));
  eligible.sort((a, b) => (scoreArr[b] - scoreArr[a]) || (a - b));
  return eligible.slice(0, k).map((index) => ({ index, score: scoreArr[index] }));
}

/** The recommend of docs/METHOD.md section 3: top-k of the scores, history excluded by default. */
export function recommend(model, history, { k = 10, exclude = history, candidates = null } = {}) {
  const u = userVector(model, history);
  return topK(scores(model, u).scores, k, { exclude, candidates });
}

/** recommend with the popularity control p (memcom_recommend_popularity):
 *  scores E_out[i] . (u - l u0) + (1 - l) * bias[i], l = (1 - p) min(1, 5 / |H|)
 *  (|H| distinct history items), u0 the empty history's user vector; with the
 *  magnitudes of the terms, for tolerances. */
export function popularityScores(model, history, p) {
  const u = userVectorWithMagnitude(model, history);
  const u0 = userVectorWithMagnitude(model, []);
  const l = (1 - p) * Math.min(1, 5 / Math.max(1, new Set(history).size));
  const v = u.vector.map((x, j) => x - l * u0.vector[j]);
  // the scale of v's rounding errors: both vectors' terms
  const w = u.vector.map((x, j) => u.magnitude[j] + Math.abs(x) + Math.abs(u0.vector[j]) + u0.magnitude[j]);
  const b = (i) => (model.bias ? model.bias[i] : 0);
  const s = scores(model, v, { bias: false }).scores.map((x, i) => x + (1 - l) * b(i));
  const mag = s.map((_, i) => embedding(model.output, i).reduce((a, x, j) => a + Math.abs(x) * w[j], Math.abs(b(i))));
  return { scores: s, magnitude: mag };
}
