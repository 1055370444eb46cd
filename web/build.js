// build.js - a pure-JavaScript writer of .memcom files (docs/FORMAT.md) from
// typed arrays, so that tests and other trainers (a PyTorch export, say) can
// produce model files without the C trainer.  No WebAssembly is involved.

import { MemcomError } from './errors.js';

const MAGIC = [0x89, 0x4d, 0x45, 0x4d, 0x43, 0x4f, 0x4d, 0x0a];
const FORMAT_MAJOR = 1;
const FORMAT_MINOR = 0;
const HEADER_SIZE = 256;
const DIR_ENTRY = 32;
const ALIGN = 64;
const MAX_D = 4096;
const MAX_N = 0x7fffffff;
const MAX_LAYERS = 16;
const MAX_METADATA = 16 * 1024 * 1024;
const FOUR_GIB = 2 ** 32;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const KIND = { none: 0, full: 1, hash: 2, qr: 3, memcom: 4 };
const DTYPE = { u8: 0, f32: 1, f16: 2, i8: 3, u16: 4, u32: 5 };
const BUCKET = { none: 0, mod: 1, hash: 2, explicit: 3 };
const ACT = { none: 0, tanh: 1, relu: 2 };
const SEC = {
  ROWS_A: 1, ROWS_B: 2, SCALES_A: 3, SCALES_B: 4, ITEM_SCALARS: 5, BUCKETS: 6, LAYERS: 7,
  LAYER_WEIGHT: 8, LAYER_BIAS: 9, OUTPUT_BIAS: 10, ID_OFFSETS: 11, ID_BYTES: 12, ID_SORTED: 13,
  METADATA: 14,
};

// ---------------------------------------------------------------------------
// CRC32 (ISO-HDLC, reflected 0xEDB88320), table-driven, 8 bits at a time.
// ---------------------------------------------------------------------------
let crcTable = null;
function makeCrcTable() {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** CRC32 of bytes (zlib polynomial); `crc32(utf8("123456789")) === 0xCBF43926`. */
export function crc32(bytes, start = 0, end = bytes.length) {
  if (crcTable === null) crcTable = makeCrcTable();
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------
// f32 -> f16 (round to nearest, ties to even)
// ---------------------------------------------------------------------------
const cvtF32 = new Float32Array(1);
const cvtU32 = new Uint32Array(cvtF32.buffer);

/** The IEEE binary16 bits nearest to `value` (ties to even; overflow -> infinity). */
export function f32ToF16Bits(value) {
  cvtF32[0] = value;
  const x = cvtU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

// ---------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------
function bad(field, what) {
  return new MemcomError('invalid_argument', `buildModel: ${field}: ${what}`);
}

function isInt(v) {
  return typeof v === 'number' && Number.isInteger(v);
}

function checkInt(field, v, lo, hi) {
  if (!isInt(v) || v < lo || v > hi) {
    throw bad(field, `must be an integer in ${lo}..${hi}, got ${describe(v)}`);
  }
  return v;
}

function describe(v) {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function isNumberArray(v) {
  return v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v);
}

/** Check an array of finite numbers of exactly `len` elements. */
function checkFloats(field, v, len) {
  if (!isNumberArray(v)) {
    throw bad(field, `must be a Float32Array (or Float64Array or number[]), got ${describe(v)}`);
  }
  if (v.length !== len) throw bad(field, `must have ${len} elements, got ${v.length}`);
  for (let i = 0; i < len; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw bad(field, `element ${i} is not a finite number (${describe(x)})`);
    }
  }
  return v;
}

const DTYPE_SIZE = { f32: 4, f16: 2, i8: 1, u16: 2, u32: 4 };

function checkDtype(field, v, allowed, dflt) {
  if (v === undefined) return dflt;
  if (!allowed.includes(v)) {
    throw bad(field, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  }
  return v;
}

function parseSeed(field, s) {
  let b;
  if (typeof s === 'bigint') b = s;
  else if (typeof s === 'number' && Number.isSafeInteger(s)) b = BigInt(s);
  else if (typeof s === 'string' && /^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(s)) b = BigInt(s);
  else throw bad(field, `hash seed must be a non-negative safe integer, a bigint or a decimal string, got ${describe(s)}`);
  if (b < 0n || b > 0xffffffffffffffffn) throw bad(field, `hash seed must be in 0..2^64-1, got ${b}`);
  return b;
}

/** Normalise and validate one table spec; returns a plan used by the writer. */
function planTable(spec, role, nItems) {
  const f = role; // field prefix: 'input' or 'output'
  if (spec === null || typeof spec !== 'object') throw bad(f, `must be an object, got ${describe(spec)}`);
  const kindName = spec.kind;
  if (!Object.prototype.hasOwnProperty.call(KIND, kindName) || kindName === 'none') {
    throw bad(`${f}.kind`, `must be 'full', 'hash', 'qr' or 'memcom', got ${describe(kindName)}`);
  }
  const n = checkInt(`${f}.n`, spec.n, 1, MAX_N);
  if (nItems !== undefined && n !== nItems) {
    throw bad(`${f}.n`, `must equal the other table's n (${nItems}), got ${n}`);
  }
  const d = checkInt(`${f}.d`, spec.d, 1, MAX_D);
  let m;
  if (kindName === 'full') {
    m = spec.m === undefined ? n : spec.m;
    if (m !== n) throw bad(`${f}.m`, `a full table has m = n (${n}), got ${describe(spec.m)}`);
  } else {
    m = checkInt(`${f}.m`, spec.m, 1, n);
  }
  const dtype = checkDtype(`${f}.dtype`, spec.dtype, ['f32', 'f16', 'i8'], 'f32');
  let scalarDtype = null;
  if (kindName === 'memcom') {
    scalarDtype = checkDtype(`${f}.scalarDtype`, spec.scalarDtype, ['f32', 'f16'], 'f32');
  } else if (spec.scalarDtype !== undefined) {
    throw bad(`${f}.scalarDtype`, `only a memcom table has per-item scalars (kind is '${kindName}')`);
  }
  let bucketMode = 'none';
  let bucketDtype = null;
  let buckets = null;
  let seed = 0n;
  if (kindName === 'hash' || kindName === 'memcom') {
    const b = spec.bucket === undefined ? 'mod' : spec.bucket;
    if (b === 'mod') {
      bucketMode = 'mod';
    } else if (b instanceof Uint16Array || b instanceof Uint32Array) {
      bucketMode = 'explicit';
      bucketDtype = b instanceof Uint16Array ? 'u16' : 'u32';
      if (bucketDtype === 'u16' && m > 65536) {
        throw bad(`${f}.bucket`, `a Uint16Array of buckets needs m <= 65536 (m is ${m}); pass a Uint32Array`);
      }
      if (b.length !== n) throw bad(`${f}.bucket`, `must have n = ${n} bucket indices, got ${b.length}`);
      for (let i = 0; i < n; i++) {
        if (b[i] >= m) throw bad(`${f}.bucket`, `bucket of item ${i} is ${b[i]}, not below m = ${m}`);
      }
      buckets = b;
    } else if (b !== null && typeof b === 'object' && !ArrayBuffer.isView(b) && 'hash' in b) {
      bucketMode = 'hash';
      seed = parseSeed(`${f}.bucket.hash`, b.hash);
    } else {
      throw bad(`${f}.bucket`, `must be 'mod', { hash: seed } or a Uint16Array/Uint32Array of n bucket indices, got ${describe(b)}`);
    }
  } else if (spec.bucket !== undefined) {
    throw bad(`${f}.bucket`, `only hash and memcom tables have buckets (kind is '${kindName}')`);
  }
  const rowsA = kindName === 'full' ? n : kindName === 'qr' ? Math.ceil(n / m) : m;
  checkFloats(`${f}.rows`, spec.rows, rowsA * d);
  if (kindName === 'qr') checkFloats(`${f}.rowsB`, spec.rowsB, m * d);
  else if (spec.rowsB !== undefined) throw bad(`${f}.rowsB`, `only a qr table has a remainder table (kind is '${kindName}')`);
  if (kindName === 'memcom') checkFloats(`${f}.scalars`, spec.scalars, n);
  else if (spec.scalars !== undefined) throw bad(`${f}.scalars`, `only a memcom table has per-item scalars (kind is '${kindName}')`);
  if (dtype === 'f16') {
    checkF16Range(`${f}.rows`, spec.rows);
    if (kindName === 'qr') checkF16Range(`${f}.rowsB`, spec.rowsB);
  }
  if (scalarDtype === 'f16') checkF16Range(`${f}.scalars`, spec.scalars);
  return {
    role: role === 'input' ? 0 : 1, kindName, kind: KIND[kindName], n, m, d, rowsA, dtype, scalarDtype,
    bucketMode, bucketDtype, buckets, seed, rows: spec.rows, rowsB: spec.rowsB, scalars: spec.scalars,
  };
}

function checkF16Range(field, arr) {
  for (let i = 0; i < arr.length; i++) {
    // values of magnitude >= 65520 round to infinity in binary16
    if (Math.abs(arr[i]) >= 65520) throw bad(field, `element ${i} (${arr[i]}) is out of f16 range (|x| < 65520)`);
  }
}

function planLayers(layers, inD, outD, hasInput) {
  if (layers === undefined) layers = [];
  if (!Array.isArray(layers)) throw bad('layers', `must be an array, got ${describe(layers)}`);
  if (layers.length > 0 && !hasInput) throw bad('layers', 'a model without an input table (a table file) has no layers');
  if (layers.length > MAX_LAYERS) throw bad('layers', `at most ${MAX_LAYERS} layers, got ${layers.length}`);
  const out = [];
  let prev = inD;
  layers.forEach((L, li) => {
    const f = `layers[${li}]`;
    if (L === null || typeof L !== 'object') throw bad(f, `must be an object, got ${describe(L)}`);
    const inDim = checkInt(`${f}.inDim`, L.inDim, 1, MAX_D);
    const outDim = checkInt(`${f}.outDim`, L.outDim, 1, MAX_D);
    if (inDim !== prev) {
      throw bad(`${f}.inDim`, li === 0
        ? `must equal the input table's d (${prev}), got ${inDim}`
        : `must equal layers[${li - 1}].outDim (${prev}), got ${inDim}`);
    }
    const act = L.activation === undefined ? 'none' : L.activation;
    if (!Object.prototype.hasOwnProperty.call(ACT, act)) {
      throw bad(`${f}.activation`, `must be 'tanh', 'relu' or 'none', got ${describe(act)}`);
    }
    if (L.weight !== undefined && L.weight !== null) checkFloats(`${f}.weight`, L.weight, outDim * inDim);
    else if (inDim !== outDim) throw bad(`${f}.weight`, `is required when inDim (${inDim}) != outDim (${outDim})`);
    if (L.bias !== undefined && L.bias !== null) checkFloats(`${f}.bias`, L.bias, outDim);
    out.push({ inDim, outDim, act: ACT[act], weight: L.weight ?? null, bias: L.bias ?? null });
    prev = outDim;
  });
  if (hasInput && prev !== outD) {
    throw bad(layers.length ? `layers[${layers.length - 1}].outDim` : 'input.d',
      layers.length
        ? `the last layer's outDim must equal the output table's d (${outD}), got ${prev}`
        : `without layers the input table's d must equal the output table's d (${outD}), got ${prev}`);
  }
  return out;
}

function hasLoneSurrogate(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const c2 = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c2 >= 0xdc00 && c2 <= 0xdfff) { i++; continue; }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Compare two strings by their UTF-8 bytes (= by code points). */
function compareUtf8Order(a, b) {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // UTF-16 code units order surrogates (U+10000..) below U+E000..U+FFFF;
      // code point order puts them above.  Shift to restore code point order.
      if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
      return x - y;
    }
  }
  return a.length - b.length;
}

function planIds(ids, n) {
  if (ids === undefined || ids === null) return null;
  if (!Array.isArray(ids)) throw bad('ids', `must be an array of n = ${n} strings, got ${describe(ids)}`);
  if (ids.length !== n) throw bad('ids', `must have n = ${n} strings, got ${ids.length}`);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (typeof s !== 'string') throw bad(`ids[${i}]`, `must be a string, got ${describe(s)}`);
    if (s.length === 0) throw bad(`ids[${i}]`, 'must not be empty');
  }
  // One pass over all the text at once (fast for a million ids).
  const joined = ids.join('');
  let wellFormed = typeof joined.isWellFormed === 'function' ? joined.isWellFormed() : !hasLoneSurrogate(joined);
  if (wellFormed) {
    // joining may pair a lone high surrogate ending one id with a low one starting the next
    for (let i = 0; i < n && wellFormed; i++) {
      const s = ids[i];
      const first = s.charCodeAt(0);
      const last = s.charCodeAt(s.length - 1);
      if ((first >= 0xdc00 && first <= 0xdfff) || (last >= 0xd800 && last <= 0xdbff)) wellFormed = false;
    }
  }
  if (!wellFormed) {
    for (let i = 0; i < n; i++) {
      if (hasLoneSurrogate(ids[i])) throw bad(`ids[${i}]`, `${describe(ids[i])} contains a lone UTF-16 surrogate (not encodable as UTF-8)`);
    }
  }
  // Sorted index by UTF-8 bytes = by code points.  Without characters at or
  // above U+D800, UTF-16 order (the engine's native string order) is the same.
  const order = new Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (/[\uD800-\uFFFF]/.test(joined)) {
    order.sort((a, b) => compareUtf8Order(ids[a], ids[b]) || a - b);
  } else {
    order.sort((a, b) => {
      const x = ids[a];
      const y = ids[b];
      return x < y ? -1 : x > y ? 1 : a - b;
    });
  }
  for (let k = 1; k < n; k++) {
    if (ids[order[k]] === ids[order[k - 1]]) {
      throw bad('ids', `items ${Math.min(order[k], order[k - 1])} and ${Math.max(order[k], order[k - 1])} share the id ${describe(ids[order[k]])}`);
    }
  }
  const bytes = new TextEncoder().encode(joined);
  if (bytes.length > 0xffffffff) throw bad('ids', 'the ids take more than 4 GiB of UTF-8');
  const offsets = new Uint32Array(n + 1);
  const ascii = bytes.length === joined.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += ascii ? ids[i].length : utf8Length(ids[i]);
    offsets[i + 1] = total;
  }
  return { offsets, bytes, sorted: Uint32Array.from(order) };
}

/** UTF-8 length of a well-formed string. */
function utf8Length(s) {
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { len += 4; i++; } else len += 3;
  }
  return len;
}

function planMetadata(meta) {
  if (meta === undefined || meta === null) return null;
  let text;
  if (typeof meta === 'string') {
    text = meta;
  } else if (typeof meta === 'object' && !Array.isArray(meta) && !ArrayBuffer.isView(meta)) {
    try { text = JSON.stringify(meta); } catch (e) { throw bad('metadata', `cannot be serialised as JSON (${e.message})`); }
  } else {
    throw bad('metadata', `must be a plain object or a JSON object string, got ${describe(meta)}`);
  }
  // One check for both branches: what is stored must parse as a JSON object
  // (an object's toJSON may return anything, or undefined).
  let parsed;
  try { parsed = JSON.parse(text); } catch (e) { throw bad('metadata', `is not valid JSON (${e.message})`); }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('metadata', 'must be a JSON object');
  if (hasLoneSurrogate(text)) throw bad('metadata', 'contains a lone UTF-16 surrogate');
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > MAX_METADATA) throw bad('metadata', `is ${bytes.length} bytes of JSON, more than 16 MiB`);
  return bytes;
}

// ---------------------------------------------------------------------------
// Encoders: each returns a function (dst: Uint8Array at the section start) => void
// ---------------------------------------------------------------------------
function rowsEncoder(values, rows, d, dtype) {
  return (buf, off) => {
    const dv = new DataView(buf.buffer, buf.byteOffset + off);
    const count = rows * d;
    if (dtype === 'f32') {
      if (LITTLE_ENDIAN) new Float32Array(buf.buffer, buf.byteOffset + off, count).set(values);
      else for (let i = 0; i < count; i++) dv.setFloat32(i * 4, values[i], true);
    } else if (dtype === 'f16') {
      for (let i = 0; i < count; i++) dv.setUint16(i * 2, f32ToF16Bits(values[i]), true);
    } else {
      const out = new Int8Array(buf.buffer, buf.byteOffset + off, count);
      quantiseI8(values, rows, d, out, null);
    }
  };
}

/** Symmetric int8 quantisation per row: scale = max|x| / 127, q = round(x / scale). */
function quantiseI8(values, rows, d, qOut, scaleOut) {
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mx = 0;
    for (let j = 0; j < d; j++) {
      const a = Math.abs(Math.fround(values[base + j]));
      if (a > mx) mx = a;
    }
    const scale = Math.fround(mx / 127);
    if (scaleOut) scaleOut[r] = scale;
    if (qOut) {
      for (let j = 0; j < d; j++) {
        let q = 0;
        if (scale > 0) {
          const t = Math.fround(values[base + j]) / scale;
          q = t < 0 ? -Math.round(-t) : Math.round(t); // half away from zero
          if (q > 127) q = 127; else if (q < -127) q = -127;
        }
        qOut[base + j] = q;
      }
    }
  }
}

function scalesEncoder(values, rows, d) {
  return (buf, off) => {
    const scales = new Float32Array(rows);
    quantiseI8(values, rows, d, null, scales);
    const dv = new DataView(buf.buffer, buf.byteOffset + off);
    for (let r = 0; r < rows; r++) dv.setFloat32(r * 4, scales[r], true);
  };
}

function floatsEncoder(values, dtype) {
  return (buf, off) => {
    const dv = new DataView(buf.buffer, buf.byteOffset + off);
    if (dtype === 'f32' && LITTLE_ENDIAN) new Float32Array(buf.buffer, buf.byteOffset + off, values.length).set(values);
    else if (dtype === 'f32') for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
    else for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, f32ToF16Bits(values[i]), true);
  };
}

function uintEncoder(values, bytesPer) {
  return (buf, off) => {
    const dv = new DataView(buf.buffer, buf.byteOffset + off);
    if (bytesPer === 2) for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, values[i], true);
    else for (let i = 0; i < values.length; i++) dv.setUint32(i * 4, values[i], true);
  };
}

function bytesEncoder(bytes) {
  return (buf, off) => { buf.set(bytes, off); };
}

function tableSections(t, sections) {
  const rowSize = DTYPE_SIZE[t.dtype];
  sections.push({ type: SEC.ROWS_A, index: t.role, dtype: DTYPE[t.dtype], size: t.rowsA * t.d * rowSize,
    write: rowsEncoder(t.rows, t.rowsA, t.d, t.dtype) });
  if (t.kindName === 'qr') {
    sections.push({ type: SEC.ROWS_B, index: t.role, dtype: DTYPE[t.dtype], size: t.m * t.d * rowSize,
      write: rowsEncoder(t.rowsB, t.m, t.d, t.dtype) });
  }
  if (t.dtype === 'i8') {
    sections.push({ type: SEC.SCALES_A, index: t.role, dtype: DTYPE.f32, size: t.rowsA * 4,
      write: scalesEncoder(t.rows, t.rowsA, t.d) });
    if (t.kindName === 'qr') {
      sections.push({ type: SEC.SCALES_B, index: t.role, dtype: DTYPE.f32, size: t.m * 4,
        write: scalesEncoder(t.rowsB, t.m, t.d) });
    }
  }
  if (t.kindName === 'memcom') {
    sections.push({ type: SEC.ITEM_SCALARS, index: t.role, dtype: DTYPE[t.scalarDtype],
      size: t.n * DTYPE_SIZE[t.scalarDtype], write: floatsEncoder(t.scalars, t.scalarDtype) });
  }
  if (t.bucketMode === 'explicit') {
    const per = DTYPE_SIZE[t.bucketDtype];
    sections.push({ type: SEC.BUCKETS, index: t.role, dtype: DTYPE[t.bucketDtype], size: t.n * per,
      write: uintEncoder(t.buckets, per) });
  }
}

function writeTableDesc(dv, at, t) {
  if (!t) return; // all zero: kind none
  dv.setUint32(at + 0, t.kind, true);
  dv.setUint32(at + 4, t.n, true);
  dv.setUint32(at + 8, t.m, true);
  dv.setUint32(at + 12, t.d, true);
  dv.setUint32(at + 16, DTYPE[t.dtype], true);
  dv.setUint32(at + 20, t.scalarDtype ? DTYPE[t.scalarDtype] : 0, true);
  dv.setUint32(at + 24, BUCKET[t.bucketMode], true);
  dv.setUint32(at + 28, t.bucketDtype ? DTYPE[t.bucketDtype] : 0, true);
  dv.setBigUint64(at + 32, t.seed, true);
}

const align = (x) => Math.ceil(x / ALIGN) * ALIGN;

/**
 * Build a .memcom file from JavaScript arrays.  See index.d.ts (ModelSpec)
 * for the shape of `spec`.  Returns the file's bytes.
 */
export function buildModel(spec) {
  if (spec === null || typeof spec !== 'object') throw bad('spec', `must be an object, got ${describe(spec)}`);
  const known = new Set(['input', 'output', 'layers', 'outputBias', 'biasDtype', 'ids', 'metadata']);
  for (const key of Object.keys(spec)) {
    if (!known.has(key)) throw bad(key, `unknown field (known: ${[...known].join(', ')})`);
  }
  if (spec.output === undefined || spec.output === null) throw bad('output', 'the output table is required');
  const output = planTable(spec.output, 'output', undefined);
  const n = output.n;
  const input = spec.input === undefined || spec.input === null ? null : planTable(spec.input, 'input', n);
  const layers = planLayers(spec.layers, input ? input.d : 0, output.d, input !== null);
  let biasDtype = null;
  if (spec.outputBias !== undefined && spec.outputBias !== null) {
    checkFloats('outputBias', spec.outputBias, n);
    biasDtype = checkDtype('biasDtype', spec.biasDtype, ['f32', 'f16'], 'f32');
    if (biasDtype === 'f16') checkF16Range('outputBias', spec.outputBias);
  } else if (spec.biasDtype !== undefined) {
    throw bad('biasDtype', 'given without outputBias');
  }
  const ids = planIds(spec.ids, n);
  const metadata = planMetadata(spec.metadata);

  // Sections in the order of FORMAT.md's table (by type, then index).
  const sections = [];
  if (input) tableSections(input, sections);
  tableSections(output, sections);
  if (layers.length > 0) {
    const rec = new Uint32Array(layers.length * 4);
    layers.forEach((L, i) => {
      rec[i * 4] = L.inDim;
      rec[i * 4 + 1] = L.outDim;
      rec[i * 4 + 2] = (L.weight ? 1 : 0) | (L.bias ? 2 : 0);
      rec[i * 4 + 3] = L.act;
    });
    sections.push({ type: SEC.LAYERS, index: 0, dtype: DTYPE.u32, size: rec.length * 4, write: uintEncoder(rec, 4) });
    layers.forEach((L, i) => {
      if (L.weight) {
        sections.push({ type: SEC.LAYER_WEIGHT, index: i, dtype: DTYPE.f32, size: L.outDim * L.inDim * 4,
          write: floatsEncoder(L.weight, 'f32') });
      }
    });
    layers.forEach((L, i) => {
      if (L.bias) {
        sections.push({ type: SEC.LAYER_BIAS, index: i, dtype: DTYPE.f32, size: L.outDim * 4,
          write: floatsEncoder(L.bias, 'f32') });
      }
    });
  }
  if (biasDtype) {
    sections.push({ type: SEC.OUTPUT_BIAS, index: 0, dtype: DTYPE[biasDtype], size: n * DTYPE_SIZE[biasDtype],
      write: floatsEncoder(spec.outputBias, biasDtype) });
  }
  if (ids) {
    sections.push({ type: SEC.ID_OFFSETS, index: 0, dtype: DTYPE.u32, size: (n + 1) * 4, write: uintEncoder(ids.offsets, 4) });
    sections.push({ type: SEC.ID_BYTES, index: 0, dtype: DTYPE.u8, size: ids.bytes.length, write: bytesEncoder(ids.bytes) });
    sections.push({ type: SEC.ID_SORTED, index: 0, dtype: DTYPE.u32, size: n * 4, write: uintEncoder(ids.sorted, 4) });
  }
  if (metadata) {
    sections.push({ type: SEC.METADATA, index: 0, dtype: DTYPE.u8, size: metadata.length, write: bytesEncoder(metadata) });
  }
  sections.sort((a, b) => a.type - b.type || a.index - b.index);

  // Stored table bytes must stay below 4 GiB; so must the whole file here
  // (a wasm32 reader cannot hold more).
  let tableBytes = 0;
  for (const s of sections) if (s.type <= SEC.BUCKETS) tableBytes += s.size;
  if (tableBytes >= FOUR_GIB) {
    throw new MemcomError('too_large', `buildModel: the item tables take ${tableBytes} bytes, not below 4 GiB`);
  }
  let pos = align(HEADER_SIZE + sections.length * DIR_ENTRY);
  for (const s of sections) {
    s.offset = pos;
    pos = align(pos + s.size);
  }
  const last = sections[sections.length - 1];
  const fileSize = last.offset + last.size;
  if (fileSize >= FOUR_GIB) throw new MemcomError('too_large', `buildModel: the file would take ${fileSize} bytes, not below 4 GiB`);

  const buf = new Uint8Array(fileSize);
  const dv = new DataView(buf.buffer);
  for (const s of sections) {
    s.write(buf, s.offset);
    s.crc = crc32(buf, s.offset, s.offset + s.size);
  }
  // directory
  sections.forEach((s, i) => {
    const at = HEADER_SIZE + i * DIR_ENTRY;
    dv.setUint32(at, s.type, true);
    dv.setUint32(at + 4, s.index, true);
    dv.setBigUint64(at + 8, BigInt(s.offset), true);
    dv.setBigUint64(at + 16, BigInt(s.size), true);
    dv.setUint32(at + 24, s.dtype, true);
    dv.setUint32(at + 28, s.crc, true);
  });
  // header
  buf.set(MAGIC, 0);
  dv.setUint16(8, FORMAT_MAJOR, true);
  dv.setUint16(10, FORMAT_MINOR, true);
  dv.setUint32(12, HEADER_SIZE, true);
  dv.setBigUint64(16, BigInt(fileSize), true);
  dv.setUint32(24, n, true);
  dv.setUint32(28, layers.length, true);
  dv.setUint32(32, sections.length, true);
  dv.setUint32(36, 0, true);
  dv.setBigUint64(40, BigInt(HEADER_SIZE), true);
  dv.setUint32(48, crc32(buf, HEADER_SIZE, HEADER_SIZE + sections.length * DIR_ENTRY), true);
  writeTableDesc(dv, 56, input);
  writeTableDesc(dv, 120, output);
  dv.setUint32(184, biasDtype ? DTYPE[biasDtype] : 0, true);
  dv.setUint32(252, crc32(buf, 0, 252), true);
  return buf;
}
