// table.js - MemcomTable: a validated .memcom file opened in WebAssembly
// memory, serving its output item table (lookups, scores, exact top-k,
// similar items, ids).  MemcomModel (model.js) adds the recommender on top.
//
// Every call into wasm may grow memory, which detaches typed-array views:
// views are always taken from the runtime's getters (u8/u32/f32) after the
// last call, never kept across calls.

import { MemcomError, C_ERROR_NAMES } from './errors.js';
import { readSourceInto, getRuntime, memoryLimit } from './loader.js';

export const CODE = {
  index: C_ERROR_NAMES[4],
  unknownId: C_ERROR_NAMES[5],
  dimension: C_ERROR_NAMES[6],
  k: C_ERROR_NAMES[7],
  nonfiniteInput: C_ERROR_NAMES[11],
};

const DETAIL_CAP = 512;
const INFO_SIZE = 176;
const FOUR_GIB = 2 ** 32;
const KINDS = ['none', 'full', 'hash', 'qr', 'memcom'];
const DTYPES = [null, 'f32', 'f16', 'i8', 'u16', 'u32'];
const BUCKETS = [null, 'mod', 'hash', 'explicit'];
const ACTS = ['none', 'tanh', 'relu'];

// Safety net: close handles of tables that were garbage-collected undisposed.
const finalizer = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ runtime, handle }) => {
    try { runtime.exports.mc_close(handle); } catch { /* nothing sensible to do */ }
  })
  : null;

function describe(v) {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

function checkOptions(options, where) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new MemcomError('invalid_argument', `${where}: options must be an object, got ${describe(options)}`);
  return options;
}

/** options[name] as a boolean (dflt when absent). */
function booleanOption(options, name, dflt, where) {
  const v = options[name] ?? dflt;
  if (typeof v !== 'boolean') {
    throw new MemcomError('invalid_argument', `${where}: options.${name} must be true or false, got ${describe(options[name])}`);
  }
  return v;
}

/** A list argument: an array, a typed array or any iterable (not a lone string). */
function toList(v, what) {
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) return v;
  if (v !== null && typeof v === 'object' && typeof v[Symbol.iterator] === 'function') return Array.from(v);
  throw new MemcomError('invalid_argument', `${what} must be an array of item ids or indices, got ${describe(v)}`);
}

function checkK(k, where) {
  if (k === undefined) return 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new MemcomError(CODE.k, `${where}: k must be a positive integer, got ${describe(k)}`);
  }
  return k;
}

function readDesc(u32, at) {
  const w = at >>> 2;
  const kind = KINDS[u32[w]] ?? `kind_${u32[w]}`;
  if (kind === 'none') return null;
  const seed = BigInt(u32[w + 8]) | (BigInt(u32[w + 9]) << 32n);
  const bucket = BUCKETS[u32[w + 6]] ?? null;
  return {
    kind, n: u32[w + 1], m: u32[w + 2], d: u32[w + 3],
    dtype: DTYPES[u32[w + 4]] ?? null,
    scalarDtype: DTYPES[u32[w + 5]] ?? null,
    bucket,
    bucketDtype: DTYPES[u32[w + 7]] ?? null,
    hashSeed: bucket === 'hash' ? seed.toString() : null,
  };
}

function u64(u32, at) {
  const w = at >>> 2;
  return u32[w] + u32[w + 1] * 2 ** 32;
}

/** The LAYERS records from the (already validated) file bytes: the model's block of wasm memory. */
function readLayers(bytes, nLayers) {
  if (nLayers === 0) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(32, true);
  const dirOff = Number(dv.getBigUint64(40, true));
  for (let i = 0; i < count; i++) {
    const at = dirOff + 32 * i;
    if (dv.getUint32(at, true) !== 7) continue;
    const off = Number(dv.getBigUint64(at + 8, true));
    const layers = [];
    for (let l = 0; l < nLayers; l++) {
      const r = off + 16 * l;
      const flags = dv.getUint32(r + 8, true);
      layers.push(Object.freeze({
        inDim: dv.getUint32(r, true),
        outDim: dv.getUint32(r + 4, true),
        activation: ACTS[dv.getUint32(r + 12, true)] ?? 'none',
        weight: (flags & 1) !== 0,
        bias: (flags & 2) !== 0,
      }));
    }
    return layers;
  }
  return [];
}

function deepFreeze(o) {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * Load the bytes of `source` into the runtime and open them; returns
 * { runtime, handle, info }.  Shared by loadModel and loadTable.
 */
export async function openSource(source, options, where) {
  options = checkOptions(options, where);
  let maxBytes = Infinity;
  if (options.maxBytes !== undefined && options.maxBytes !== null) {
    maxBytes = options.maxBytes;
    if (typeof maxBytes !== 'number' || Number.isNaN(maxBytes) || maxBytes < 0 ||
        (Number.isFinite(maxBytes) && !Number.isInteger(maxBytes))) {
      throw new MemcomError('invalid_argument', `${where}: options.maxBytes must be a non-negative integer, got ${describe(options.maxBytes)}`);
    }
  }
  const int8Index = booleanOption(options, 'int8Index', true, where);
  const bucketBounds = booleanOption(options, 'bucketBounds', true, where);
  const runtime = await getRuntime(options);
  const memLimit = memoryLimit(runtime);
  const limit = Math.min(maxBytes, memLimit);
  const reason = maxBytes <= memLimit ? 'options.maxBytes' : 'what WebAssembly memory can still hold (its maximum minus the memory in use)';
  // Allocated after every limit check; mc_open_ex takes ownership of ptr, we free crc.
  const { ptr, size, crc } = await readSourceInto(runtime, source, limit, reason, where);
  let scratch = 0;
  let handle = 0;
  try {
    scratch = runtime.exports.mc_malloc(4 + DETAIL_CAP) >>> 0;
    if (scratch === 0) {
      runtime.free(ptr);
      throw new MemcomError('nomem', `${where}: out of WebAssembly memory`);
    }
    runtime.u8.fill(0, scratch, scratch + 4 + DETAIL_CAP);
    // mc_open_ex takes ownership of ptr, whether it succeeds or not; the
    // section CRCs come from the block checksums taken while the file arrived
    const code = runtime.exports.mc_open_ex(ptr, size, crc, scratch, scratch + 4, DETAIL_CAP);
    if (code !== 0) {
      const detail = runtime.cstring(scratch + 4);
      throw runtime.error(code, '', detail);
    }
    handle = runtime.u32[scratch >>> 2];
  } finally {
    if (scratch) runtime.free(scratch);
    if (crc) runtime.exports.mc_crc_free(crc);
  }
  try {
    if (!int8Index) runtime.check(runtime.exports.mc_set_int8_index(handle, 0), 'mc_set_int8_index');
    if (!bucketBounds) runtime.check(runtime.exports.mc_set_bucket_bounds(handle, 0), 'mc_set_bucket_bounds');
    const info = readInfo(runtime, handle, ptr, size);
    return { runtime, handle, info };
  } catch (e) {
    runtime.exports.mc_close(handle);
    throw e;
  }
}

function readInfo(runtime, handle, ptr, size) {
  const p = runtime.alloc(INFO_SIZE, 'the model info');
  let raw;
  try {
    runtime.check(runtime.exports.mc_info(handle, p), 'mc_info');
    raw = runtime.u32.slice(p >>> 2, (p >>> 2) + INFO_SIZE / 4);
  } finally {
    runtime.free(p);
  }
  const input = readDesc(raw, 32);
  const output = readDesc(raw, 72);
  const bytesOf = {
    file: u64(raw, 112), input: u64(raw, 120), output: u64(raw, 128), bias: u64(raw, 136),
    layers: u64(raw, 144), ids: u64(raw, 152), metadata: u64(raw, 160),
  };
  const fullF32 = u64(raw, 168);
  if (input) input.bytes = bytesOf.input;
  if (output) output.bytes = bytesOf.output;
  // metadata
  let metadata = {};
  const lp = runtime.alloc(4, 'the metadata length');
  try {
    const mp = runtime.exports.mc_metadata(handle, lp) >>> 0;
    const len = runtime.u32[lp >>> 2];
    if (mp !== 0 && len > 0) {
      let text;
      try {
        text = runtime.decodeUtf8(mp, len);
        metadata = JSON.parse(text);
      } catch (e) {
        throw new MemcomError('metadata', `section METADATA: not valid JSON (${e.message})`, { cause: e });
      }
      if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
        throw new MemcomError('metadata', 'section METADATA: the JSON is not an object');
      }
    }
  } finally {
    runtime.free(lp);
  }
  const stored = bytesOf.input + bytesOf.output;
  const info = {
    n: raw[2],
    d: raw[6],
    formatVersion: `${raw[0]}.${raw[1]}`,
    input,
    output,
    layers: readLayers(runtime.u8.subarray(ptr, ptr + size), raw[3]), // the model's own (validated) bytes
    biasDtype: DTYPES[raw[5]] ?? null,
    hasIds: raw[4] !== 0,
    bytes: bytesOf,
    fileBytes: bytesOf.file,
    fullF32Bytes: fullF32,
    compressionRatio: stored > 0 ? fullF32 / stored : 0,
    metadata,
    simd: runtime.simd,
    kernel: runtime.kernel,
    version: runtime.version,
  };
  return deepFreeze(info);
}

/** Scratch space: one allocation carved into aligned parts, freed together. @internal */
export class Scratch {
  constructor(runtime, sizes, what) {
    this.runtime = runtime;
    this.ptrs = [];
    let total = 0;
    for (const s of sizes) {
      this.ptrs.push(total);
      total += Math.ceil(Math.max(s, 4) / 8) * 8;
    }
    if (total >= FOUR_GIB) throw new MemcomError('too_large', `${what}: needs ${total} bytes of scratch memory`);
    this.base = runtime.alloc(total, what);
    for (let i = 0; i < this.ptrs.length; i++) this.ptrs[i] += this.base;
  }

  free() { this.runtime.free(this.base); }
}

export class MemcomTable {
  /** @internal */
  constructor(opened, kind = 'table') {
    this._rt = opened.runtime;
    this._h = opened.handle;
    this._info = opened.info;
    this._kind = kind;
    if (finalizer) finalizer.register(this, { runtime: this._rt, handle: this._h }, this);
  }

  /** Summary of the file (frozen). */
  get info() { this._live(); return this._info; }

  /** Number of items. */
  get n() { return this._info.n; }

  /** Dimension of the output item embeddings (and of user vectors). */
  get d() { return this._info.output.d; }

  /** Whether the file stores item id strings. */
  get hasIds() { return this._info.hasIds; }

  /** True after dispose(). */
  get disposed() { return this._h === 0; }

  /** Free the WebAssembly memory of this table.  Later use throws 'disposed'; a second dispose does nothing. */
  dispose() {
    if (this._h === 0) return;
    const h = this._h;
    this._h = 0;
    if (finalizer) finalizer.unregister(this);
    this._rt.exports.mc_close(h);
  }

  _live() {
    if (this._h === 0) throw new MemcomError('disposed', `this ${this._kind} was disposed`);
    return this._h;
  }

  // ------------------------------------------------------------- items
  /** Resolve one item (id string or index) to an index. */
  _index(item, what) {
    if (typeof item === 'number') {
      if (!Number.isInteger(item)) {
        throw new MemcomError('invalid_argument', `${what}: item index ${describe(item)} is not an integer`);
      }
      if (item < 0 || item >= this._info.n) {
        throw new MemcomError(CODE.index, `${what}: item index ${item} is out of range (the model has ${this._info.n} items)`);
      }
      return item;
    }
    if (typeof item === 'string') return this._findIds([item], what)[0];
    throw new MemcomError('invalid_argument', `${what}: an item must be an id string or an integer index, got ${describe(item)}`);
  }

  /** Resolve a list of items (ids and/or indices, mixed) to a Uint32Array of indices. */
  _indices(list, what) {
    list = toList(list, what);
    const out = new Uint32Array(list.length);
    const strings = [];
    const where = [];
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (typeof item === 'string') { strings.push(item); where.push(i); } else out[i] = this._index(item, what);
    }
    if (strings.length) {
      const idx = this._findIds(strings, what);
      for (let j = 0; j < strings.length; j++) out[where[j]] = idx[j];
    }
    return out;
  }

  _findIds(strings, what) {
    const rt = this._rt;
    const h = this._live();
    if (!this._info.hasIds) {
      throw new MemcomError(C_ERROR_NAMES[9], `${what}: this model stores no id strings, so ${describe(strings[0])} cannot be looked up; pass item indices`);
    }
    const enc = new TextEncoder();
    const encoded = strings.map((s) => enc.encode(s));
    let total = 0;
    for (const e of encoded) total += e.length;
    const sc = new Scratch(rt, [4, total], what);
    const out = new Uint32Array(strings.length);
    try {
      const [outPtr, strPtr] = sc.ptrs;
      let at = strPtr;
      const u8 = rt.u8;
      for (const e of encoded) { u8.set(e, at); at += e.length; }
      at = strPtr;
      for (let i = 0; i < strings.length; i++) {
        const code = rt.exports.mc_find_id(h, at, encoded[i].length, outPtr);
        if (code !== 0) {
          const name = rt.errorName(code);
          if (name === CODE.unknownId) throw new MemcomError(name, `${what}: unknown item id ${describe(strings[i])}`, { cCode: code });
          throw rt.error(code, `${what}: id ${describe(strings[i])}`);
        }
        out[i] = rt.u32[outPtr >>> 2];
        at += encoded[i].length;
      }
    } finally {
      sc.free();
    }
    return out;
  }

  /** The id string of item `index` (null when the file stores no ids). */
  idOf(index) {
    this._live();
    const i = this._index(index, 'idOf');
    if (!this._info.hasIds) return null;
    return this._ids([i])[0];
  }

  /** The index of the item with this id, or -1 (also when the file stores no ids). */
  indexOf(id) {
    this._live();
    if (typeof id !== 'string') throw new MemcomError('invalid_argument', `indexOf: id must be a string, got ${describe(id)}`);
    if (!this._info.hasIds) return -1;
    try {
      return this._findIds([id], 'indexOf')[0];
    } catch (e) {
      if (e instanceof MemcomError && e.code === CODE.unknownId) return -1;
      throw e;
    }
  }

  /** All id strings, in item order (null when the file stores none). */
  ids() {
    this._live();
    if (!this._info.hasIds) return null;
    const all = new Uint32Array(this._info.n);
    for (let i = 0; i < all.length; i++) all[i] = i;
    return this._ids(all);
  }

  _ids(indices) {
    const rt = this._rt;
    const h = this._live();
    if (!this._info.hasIds) return Array.from(indices, () => null);
    const sc = new Scratch(rt, [4, 4], 'ids');
    try {
      const [pp, lp] = sc.ptrs;
      const out = new Array(indices.length);
      for (let k = 0; k < indices.length; k++) {
        rt.check(rt.exports.mc_get_id(h, indices[k], pp, lp), `id of item ${indices[k]}`);
        const u32 = rt.u32;
        out[k] = rt.decodeUtf8(u32[pp >>> 2], u32[lp >>> 2]);
      }
      return out;
    } finally {
      sc.free();
    }
  }

  // ------------------------------------------------------------ vectors
  _vector(vec, what) {
    if (!(vec instanceof Float32Array || vec instanceof Float64Array || Array.isArray(vec))) {
      throw new MemcomError('invalid_argument', `${what}: the vector must be a Float32Array, Float64Array or number[], got ${describe(vec)}`);
    }
    const d = this._info.output.d;
    if (vec.length !== d) {
      throw new MemcomError(CODE.dimension, `${what}: the vector has ${vec.length} elements, the item embeddings have dimension ${d}`);
    }
    for (let j = 0; j < d; j++) {
      const x = vec[j];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new MemcomError(CODE.nonfiniteInput, `${what}: element ${j} of the vector is ${describe(x)}, not a finite number`);
      }
    }
    return vec;
  }

  /** Embedding(s) of the output table: one item -> Float32Array(d); a list -> Float32Array(len*d). */
  lookup(items, options) {
    const t = checkOptions(options, 'lookup').table;
    if (t !== undefined && t !== 'output' && t !== 'input') {
      throw new MemcomError('invalid_argument', `lookup: options.table must be 'output' or 'input', got ${describe(t)}`);
    }
    return this._lookup(items, t === 'input' ? 0 : 1, 'lookup');
  }

  /** The reconstructed embedding of one item; options.table 'output' (default) or 'input'. */
  itemEmbedding(item, options) {
    options = checkOptions(options, 'itemEmbedding');
    const t = options.table === undefined ? 'output' : options.table;
    if (t !== 'output' && t !== 'input') {
      throw new MemcomError('invalid_argument', `itemEmbedding: options.table must be 'output' or 'input', got ${describe(t)}`);
    }
    if (typeof item !== 'number' && typeof item !== 'string') {
      throw new MemcomError('invalid_argument', `itemEmbedding: an item must be an id string or an integer index, got ${describe(item)}`);
    }
    return this._lookup(item, t === 'input' ? 0 : 1, 'itemEmbedding');
  }

  _lookup(items, which, what) {
    const rt = this._rt;
    const h = this._live();
    const desc = which === 0 ? this._info.input : this._info.output;
    if (!desc) throw new MemcomError(C_ERROR_NAMES[8], `${what}: this file has no input table`);
    const single = typeof items === 'number' || typeof items === 'string';
    const idx = single ? [this._index(items, what)] : this._indices(items, what);
    const d = desc.d;
    const out = new Float32Array(idx.length * d);
    const sc = new Scratch(rt, [d * 4], what);
    try {
      const [p] = sc.ptrs;
      for (let k = 0; k < idx.length; k++) {
        rt.check(rt.exports.mc_lookup(h, which, idx[k], p), `${what}: item ${idx[k]}`);
        out.set(rt.f32.subarray(p >>> 2, (p >>> 2) + d), k * d);
      }
    } finally {
      sc.free();
    }
    return out;
  }

  /** Scores of every item against `vector` (with the output bias): a Float32Array(n), a copy. */
  scoreVector(vector) {
    const rt = this._rt;
    const h = this._live();
    const v = this._vector(vector, 'scoreVector');
    const n = this._info.n;
    const d = v.length;
    const sc = new Scratch(rt, [d * 4, n * 4], 'scoreVector');
    try {
      const [vp, sp] = sc.ptrs;
      rt.f32.set(v, vp >>> 2);
      rt.check(rt.exports.mc_score_vector(h, vp, d, sp), 'scoreVector');
      return rt.f32.slice(sp >>> 2, (sp >>> 2) + n);
    } finally {
      sc.free();
    }
  }

  /** Resolve { k, exclude, candidates } into indices, the effective k and the scratch sizes. */
  _rankArgs(options, defaultExclude, what) {
    const k = checkK(options.k, what);
    let exclude = defaultExclude;
    if (options.exclude !== undefined) exclude = options.exclude === null ? new Uint32Array(0) : this._indices(options.exclude, `${what}: exclude`);
    let candidates = null;
    if (options.candidates !== undefined && options.candidates !== null) candidates = this._indices(options.candidates, `${what}: candidates`);
    const pool = candidates ? candidates.length : this._info.n;
    const kEff = Math.min(k, pool);
    return { exclude, candidates, kEff };
  }

  _results(rt, idxPtr, scorePtr, count) {
    const idx = rt.u32.slice(idxPtr >>> 2, (idxPtr >>> 2) + count);
    const scores = rt.f32.slice(scorePtr >>> 2, (scorePtr >>> 2) + count);
    const ids = this._ids(idx);
    const out = new Array(count);
    for (let i = 0; i < count; i++) out[i] = { id: ids[i], index: idx[i], score: scores[i] };
    return out;
  }

  /**
   * Exact top-k of the output table against `vector`: score = E[i] . vector
   * (+ bias unless bias: false), or the cosine with cosine: true.
   */
  topK(vector, options) {
    options = checkOptions(options, 'topK');
    const rt = this._rt;
    const h = this._live();
    const v = this._vector(vector, 'topK');
    const { exclude, candidates, kEff } = this._rankArgs(options, new Uint32Array(0), 'topK');
    if (kEff === 0) return [];
    const flags = (options.bias === false ? 0 : 1) | (options.cosine ? 2 : 0);
    const d = v.length;
    const sc = new Scratch(rt, [d * 4, exclude.length * 4, candidates ? candidates.length * 4 : 0, kEff * 4, kEff * 4, 4], 'topK');
    try {
      const [vp, ep, cp, ip, sp, np] = sc.ptrs;
      rt.f32.set(v, vp >>> 2);
      rt.u32.set(exclude, ep >>> 2);
      if (candidates) rt.u32.set(candidates, cp >>> 2);
      rt.check(rt.exports.mc_topk(h, vp, d, kEff, ep, exclude.length, candidates ? cp : 0, candidates ? candidates.length : 0,
        flags, ip, sp, np), 'topK');
      return this._results(rt, ip, sp, rt.u32[np >>> 2]);
    } finally {
      sc.free();
    }
  }

  /** Items most similar to `item` by cosine over the output embeddings (the item itself excluded). */
  similarItems(item, options) {
    options = checkOptions(options, 'similarItems');
    const rt = this._rt;
    const h = this._live();
    const i = this._index(item, 'similarItems');
    const { exclude, candidates, kEff } = this._rankArgs(options, new Uint32Array(0), 'similarItems');
    if (kEff === 0) return [];
    const sc = new Scratch(rt, [exclude.length * 4, candidates ? candidates.length * 4 : 0, kEff * 4, kEff * 4, 4], 'similarItems');
    try {
      const [ep, cp, ip, sp, np] = sc.ptrs;
      rt.u32.set(exclude, ep >>> 2);
      if (candidates) rt.u32.set(candidates, cp >>> 2);
      rt.check(rt.exports.mc_similar(h, i, kEff, ep, exclude.length, candidates ? cp : 0, candidates ? candidates.length : 0,
        ip, sp, np), 'similarItems');
      return this._results(rt, ip, sp, rt.u32[np >>> 2]);
    } finally {
      sc.free();
    }
  }
}

/** Open a table file (or any model file, whose output table is used). */
export async function loadTable(source, options) {
  return new MemcomTable(await openSource(source, options, 'loadTable'), 'table');
}
