// table.js - MemcomTable: a validated .memcom file opened in WebAssembly
// memory, serving its output item table (lookups, scores, exact top-k,
// similar items, ids).  MemcomModel (model.js) adds the recommender on top.
//
// Re-entrancy.  Converting a caller's arguments can run the caller's code
// (option getters, iterators, Proxies, getters on vector elements), which may
// dispose this table, load or dispose others, or call into wasm.  So every
// method (1) converts all its arguments into plain values first, (2) only then
// takes the handle (a table disposed meanwhile throws 'disposed') and the
// runtime's scratch area, calls wasm and copies the results out, with no
// caller code in between; and (3) runs inside _guard, which defers the
// closing of the handle by a dispose() during the call to the call's end, so
// the handle is never freed under a running call.

import { MemcomError, describe } from './errors.js';
import { openSource } from './open.js';

const utf8Enc = new TextEncoder();

// Safety net: close handles of tables that were garbage-collected undisposed.
const finalizer = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ runtime, handle }) => {
    try { runtime.exports.mc_close(handle); } catch { /* nothing sensible to do */ }
  })
  : null;

/** The options object, or {} when absent. */
export function checkOptions(options, where) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new MemcomError('invalid_argument', `${where}: options must be an object, got ${describe(options)}`);
  return options;
}

/** A list argument to read once: an array (copied, as its elements may be
 *  getters), a typed array (no getters: read in place) or any iterable (not a lone string). */
function toList(v, what) {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v;
  if (Array.isArray(v)) {
    const len = v.length;
    const out = new Array(len);
    for (let i = 0; i < len; i++) out[i] = v[i];
    return out;
  }
  if (v !== null && typeof v === 'object' && typeof v[Symbol.iterator] === 'function') return Array.from(v);
  throw new MemcomError('invalid_argument', `${what} must be an array of item ids or indices, got ${describe(v)}`);
}

function checkK(k, where) {
  if (k === undefined) return 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new MemcomError('k', `${where}: k must be a positive integer, got ${describe(k)}`);
  }
  return k;
}

export class MemcomTable {
  /** @internal */
  constructor(opened, kind = 'table') {
    this._rt = opened.runtime;
    this._h = opened.handle;
    this._info = opened.info;
    this._kind = kind;
    this._busy = 0;
    this._closeLater = 0;
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

  /**
   * Free the WebAssembly memory of this table.  Later use throws 'disposed'; a
   * second dispose does nothing.  Called while one of this table's methods
   * runs (from the caller's code that method ran), the memory is freed when
   * that method returns.
   */
  dispose() {
    if (this._h === 0) return;
    const h = this._h;
    this._h = 0;
    if (finalizer) finalizer.unregister(this);
    if (this._busy > 0) this._closeLater = h;
    else this._rt.exports.mc_close(h);
  }

  _live() {
    if (this._h === 0) throw new MemcomError('disposed', `this ${this._kind} was disposed`);
    return this._h;
  }

  /** Run method body `fn` with the handle's closing deferred to its end. */
  _guard(fn) {
    this._live();
    this._busy++;
    try {
      return fn();
    } finally {
      if (--this._busy === 0 && this._closeLater !== 0) {
        const h = this._closeLater;
        this._closeLater = 0;
        this._rt.exports.mc_close(h);
      }
    }
  }

  // ------------------------------------------------------------- items
  /** Resolve one item (id string or index) to an index. */
  _index(item, what) {
    if (typeof item === 'number') {
      if (!Number.isInteger(item)) {
        throw new MemcomError('invalid_argument', `${what}: item index ${describe(item)} is not an integer`);
      }
      if (item < 0 || item >= this._info.n) {
        throw new MemcomError('index', `${what}: item index ${item} is out of range (the model has ${this._info.n} items)`);
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

  /** The indices of id strings, in one wasm call (mc_find_ids). */
  _findIds(strings, what) {
    const rt = this._rt;
    const h = this._live();
    if (!this._info.hasIds) {
      throw new MemcomError('no_ids', `${what}: this model stores no id strings, so ${describe(strings[0])} cannot be looked up; pass item indices`);
    }
    const encoded = strings.map((s) => utf8Enc.encode(s));
    const offsets = new Uint32Array(strings.length + 1);
    for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i] + encoded[i].length;
    const count = strings.length;
    const [bp, op, ip, fp] = rt.scratch([offsets[count], offsets.length * 4, count * 4, 4], what);
    const u8 = rt.u8;
    for (let i = 0; i < count; i++) u8.set(encoded[i], bp + offsets[i]);
    rt.u32.set(offsets, op >>> 2);
    const code = rt.exports.mc_find_ids(h, bp, op, count, ip, fp);
    if (code !== 0) {
      const bad = strings[rt.u32[fp >>> 2]];
      const name = rt.errorName(code);
      if (name === 'unknown_id') throw new MemcomError(name, `${what}: unknown item id ${describe(bad)}`, { cCode: code });
      throw rt.error(code, `${what}: id ${describe(bad)}`);
    }
    return rt.u32.slice(ip >>> 2, (ip >>> 2) + count);
  }

  /** The id string of item `index` (null when the file stores no ids). */
  idOf(index) {
    return this._guard(() => {
      const i = this._index(index, 'idOf');
      if (!this._info.hasIds) return null;
      return this._ids(Uint32Array.of(i))[0];
    });
  }

  /** The index of the item with this id, or -1 (also when the file stores no ids). */
  indexOf(id) {
    return this._guard(() => {
      if (typeof id !== 'string') throw new MemcomError('invalid_argument', `indexOf: id must be a string, got ${describe(id)}`);
      if (!this._info.hasIds) return -1;
      try {
        return this._findIds([id], 'indexOf')[0];
      } catch (e) {
        if (e instanceof MemcomError && e.code === 'unknown_id') return -1;
        throw e;
      }
    });
  }

  /** All id strings, in item order (null when the file stores none). */
  ids() {
    return this._guard(() => (this._info.hasIds ? this._ids(null) : null));
  }

  /** The id strings of `indices` (null: every item), in one wasm call (mc_get_ids). */
  _ids(indices) {
    const rt = this._rt;
    const h = this._live();
    const count = indices === null ? this._info.n : indices.length;
    if (!this._info.hasIds) return new Array(count).fill(null);
    const [ip, op] = rt.scratch([indices === null ? 0 : count * 4, count * 8], 'ids');
    if (indices !== null) rt.u32.set(indices, ip >>> 2);
    rt.check(rt.exports.mc_get_ids(h, indices === null ? 0 : ip, count, op), 'ids');
    const pairs = rt.u32.slice(op >>> 2, (op >>> 2) + 2 * count);
    const out = new Array(count);
    for (let k = 0; k < count; k++) out[k] = rt.decodeUtf8(pairs[2 * k], pairs[2 * k + 1]);
    return out;
  }

  // ------------------------------------------------------------ vectors
  /** A caller's vector as a Float32Array, each element read once. */
  _vector(vec, what) {
    if (!(vec instanceof Float32Array || vec instanceof Float64Array || Array.isArray(vec))) {
      throw new MemcomError('invalid_argument', `${what}: the vector must be a Float32Array, Float64Array or number[], got ${describe(vec)}`);
    }
    const d = this._info.output.d;
    const len = vec.length;
    if (len !== d) {
      throw new MemcomError('dimension', `${what}: the vector has ${len} elements, the item embeddings have dimension ${d}`);
    }
    const out = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      const x = vec[j];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new MemcomError('nonfinite_input', `${what}: element ${j} of the vector is ${describe(x)}, not a finite number`);
      }
      out[j] = x;
    }
    return out;
  }

  /** Embedding(s) of the output table: one item -> Float32Array(d); a list -> Float32Array(len*d). */
  lookup(items, options) {
    return this._guard(() => {
      const t = checkOptions(options, 'lookup').table;
      if (t !== undefined && t !== 'output' && t !== 'input') {
        throw new MemcomError('invalid_argument', `lookup: options.table must be 'output' or 'input', got ${describe(t)}`);
      }
      return this._lookup(items, t === 'input' ? 0 : 1, 'lookup');
    });
  }

  /** The reconstructed embedding of one item; options.table 'output' (default) or 'input'. */
  itemEmbedding(item, options) {
    return this._guard(() => {
      const given = checkOptions(options, 'itemEmbedding').table;
      const t = given === undefined ? 'output' : given;
      if (t !== 'output' && t !== 'input') {
        throw new MemcomError('invalid_argument', `itemEmbedding: options.table must be 'output' or 'input', got ${describe(t)}`);
      }
      if (typeof item !== 'number' && typeof item !== 'string') {
        throw new MemcomError('invalid_argument', `itemEmbedding: an item must be an id string or an integer index, got ${describe(item)}`);
      }
      return this._lookup(item, t === 'input' ? 0 : 1, 'itemEmbedding');
    });
  }

  _lookup(items, which, what) {
    const desc = which === 0 ? this._info.input : this._info.output;
    if (!desc) throw new MemcomError('no_table', `${what}: this file has no input table`);
    const single = typeof items === 'number' || typeof items === 'string';
    const idx = single ? [this._index(items, what)] : this._indices(items, what);
    // every argument converted: take the handle and the scratch
    const rt = this._rt;
    const h = this._live();
    const d = desc.d;
    const out = new Float32Array(idx.length * d);
    const [p] = rt.scratch([d * 4], what);
    for (let k = 0; k < idx.length; k++) {
      rt.check(rt.exports.mc_lookup(h, which, idx[k], p), `${what}: item ${idx[k]}`);
      out.set(rt.f32.subarray(p >>> 2, (p >>> 2) + d), k * d);
    }
    return out;
  }

  /** Scores of every item against `vector` (with the output bias): a Float32Array(n), a copy. */
  scoreVector(vector) {
    return this._guard(() => {
      const v = this._vector(vector, 'scoreVector');
      const rt = this._rt;
      const h = this._live();
      const n = this._info.n;
      const d = v.length;
      const [vp, sp] = rt.scratch([d * 4, n * 4], 'scoreVector');
      rt.f32.set(v, vp >>> 2);
      rt.check(rt.exports.mc_score_vector(h, vp, d, sp), 'scoreVector');
      return rt.f32.slice(sp >>> 2, (sp >>> 2) + n);
    });
  }

  /**
   * Convert { k, exclude, candidates } (each option read once) into indices
   * and the effective k.  `defaultExclude` applies when exclude is absent.
   */
  _rankArgs(options, defaultExclude, what) {
    const k = checkK(options.k, what);
    const ex = options.exclude;
    let exclude = defaultExclude;
    if (ex !== undefined) exclude = ex === null ? new Uint32Array(0) : this._indices(ex, `${what}: exclude`);
    const cand = options.candidates;
    let candidates = null;
    if (cand !== undefined && cand !== null) candidates = this._indices(cand, `${what}: candidates`);
    const pool = candidates ? candidates.length : this._info.n;
    return { exclude, candidates, kEff: Math.min(k, pool) };
  }

  /** Copy ranked results out of wasm memory, then resolve their ids. */
  _results(rt, idxPtr, scorePtr, count) {
    const idx = rt.u32.slice(idxPtr >>> 2, (idxPtr >>> 2) + count);
    const scores = rt.f32.slice(scorePtr >>> 2, (scorePtr >>> 2) + count);
    const ids = this._ids(idx);
    const out = new Array(count);
    for (let i = 0; i < count; i++) out[i] = { id: ids[i], index: idx[i], score: scores[i] };
    return out;
  }

  /** Rank with the converted arguments: `call(h, ptrs...)` runs the wasm ranking. */
  _rank(what, lead, exclude, candidates, kEff, call) {
    const rt = this._rt;
    const h = this._live();
    const ptrs = rt.scratch([...lead.map((a) => a.length * 4), exclude.length * 4,
      candidates ? candidates.length * 4 : 0, kEff * 4, kEff * 4, 4], what);
    const [ep, cp, ip, sp, np] = ptrs.slice(lead.length);
    lead.forEach((a, i) => (a instanceof Float32Array ? rt.f32 : rt.u32).set(a, ptrs[i] >>> 2));
    rt.u32.set(exclude, ep >>> 2);
    if (candidates) rt.u32.set(candidates, cp >>> 2);
    rt.check(call(h, ...ptrs.slice(0, lead.length), ep, exclude.length, candidates ? cp : 0,
      candidates ? candidates.length : 0, ip, sp, np), what);
    return this._results(rt, ip, sp, rt.u32[np >>> 2]);
  }

  /**
   * Exact top-k of the output table against `vector`: score = E[i] . vector
   * (+ bias unless bias: false), or the cosine with cosine: true.
   */
  topK(vector, options) {
    return this._guard(() => {
      options = checkOptions(options, 'topK');
      const v = this._vector(vector, 'topK');
      const { exclude, candidates, kEff } = this._rankArgs(options, new Uint32Array(0), 'topK');
      const flags = (options.bias === false ? 0 : 1) | (options.cosine ? 2 : 0);
      if (kEff === 0) return [];
      return this._rank('topK', [v], exclude, candidates, kEff,
        (h, vp, ...rest) => this._rt.exports.mc_topk(h, vp, v.length, kEff, rest[0], rest[1], rest[2], rest[3], flags,
          rest[4], rest[5], rest[6]));
    });
  }

  /** Items most similar to `item` by cosine over the output embeddings (the item itself excluded). */
  similarItems(item, options) {
    return this._guard(() => {
      options = checkOptions(options, 'similarItems');
      const i = this._index(item, 'similarItems');
      const { exclude, candidates, kEff } = this._rankArgs(options, new Uint32Array(0), 'similarItems');
      if (kEff === 0) return [];
      return this._rank('similarItems', [], exclude, candidates, kEff,
        (h, ...rest) => this._rt.exports.mc_similar(h, i, kEff, ...rest));
    });
  }
}

/** Open a table file (or any model file, whose output table is used). */
export async function loadTable(source, options) {
  return warmedUp(new MemcomTable(await openSource(source, options, 'loadTable'), 'table'));
}

/**
 * A table or model just loaded, after one ranking of its own on one candidate
 * (item 0 or 1: O(d) in WebAssembly; a model ranks for item 0 as history,
 * by id when it has ids), so that the first real ranking does not also
 * compile this JavaScript (in Node about 1 ms, as much as a warm ranking of a
 * 1M-item 16x table).  Not for a file too small for its n (any ranking
 * allocates marks of n bits: loading stays O(file)).  An optimisation only:
 * what it cannot rank, the caller's own call reports.
 */
export function warmedUp(t) {
  const n = t._info.n;
  if (n === 0 || n / 8 > t._info.fileBytes) return t;
  const candidates = [n > 1 ? 1 : 0];
  try {
    if (t._kind === 'model' && t._info.input) {
      const first = t._info.hasIds ? t._ids(Uint32Array.of(0))[0] : 0;
      t.recommend([first], { k: 1, candidates, popularity: 1 });
    } else {
      t.topK(new Float32Array(t._info.output.d), { k: 1, candidates });
    }
  } catch {
    // left to the caller's call
  }
  return t;
}
