// build.js - buildModel: a .memcom file from JavaScript arrays, written by the
// C writer (src/format/writer.c, the one writer of the format) in its own
// WebAssembly module, dist/memcom-writer.wasm, which only buildModel loads.
//
// This layer converts the caller's spec: it checks what only JavaScript can
// (types, array lengths, finiteness element by element, names of kinds and
// storage types, ids encodable as UTF-8, metadata as a JSON object) with
// messages naming the field, copies the arrays into the writer's memory, calls
// the writer and copies the file out.  Everything the writer checks itself
// (sizes and their limits, allowed storage types, layer chaining, bucket
// ranges, the f16 range, duplicate ids) comes back as its detail string.

import { MemcomError } from './errors.js';
import { getWriterRuntime, NAMES } from './runtime.js';
import { checkSignal, raceAbort, throwIfAborted } from './source.js';

const DETAIL_CAP = 512;
const U32_MAX = 0xffffffff;

function bad(field, what) {
  return new MemcomError('invalid_argument', `buildModel: ${field}: ${what}`);
}

function isInt(v) {
  return typeof v === 'number' && Number.isInteger(v);
}

/** A positive integer that fits the writer's uint32 fields (the writer checks the real limits). */
function checkCount(field, v) {
  if (!isInt(v) || v < 1 || v > U32_MAX) throw bad(field, `must be a positive integer, got ${describe(v)}`);
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

/** The value of storage type `name` (the module's names), `dflt` when undefined. */
function dtypeValue(rt, field, name, dflt) {
  const v = name === undefined ? dflt : name;
  const names = rt.enumNames(NAMES.dtype);
  const value = typeof v === 'string' && v !== 'none' ? names.indexOf(v) : -1;
  if (value < 0) {
    throw bad(field, `must be one of ${names.filter((s) => s !== 'none').map((s) => `'${s}'`).join(', ')}, got ${describe(v)}`);
  }
  return value;
}

/** The id encoding (the module's names; default 'strings'); only with ids. */
function idEncodingValue(rt, name, hasIds) {
  if (name === undefined) return 0;
  if (!hasIds) throw bad('idEncoding', 'given without ids');
  const names = rt.enumNames(NAMES.idEncoding);
  const value = typeof name === 'string' ? names.indexOf(name) : -1;
  if (value < 0) throw bad('idEncoding', `must be one of ${names.map((s) => `'${s}'`).join(', ')}, got ${describe(name)}`);
  return value;
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

/** Convert one table spec; returns its plan: the writer's arguments and arrays. */
function planTable(rt, spec, role, nItems) {
  const f = role;
  if (spec === null || typeof spec !== 'object') throw bad(f, `must be an object, got ${describe(spec)}`);
  const kinds = rt.enumNames(NAMES.kind);
  const kindName = spec.kind;
  const kind = typeof kindName === 'string' && kindName !== 'none' ? kinds.indexOf(kindName) : -1;
  if (kind < 0) {
    throw bad(`${f}.kind`, `must be one of ${kinds.filter((s) => s !== 'none').map((s) => `'${s}'`).join(', ')}, got ${describe(kindName)}`);
  }
  const n = checkCount(`${f}.n`, spec.n);
  if (nItems !== undefined && n !== nItems) {
    throw bad(`${f}.n`, `must equal the other table's n (${nItems}), got ${n}`);
  }
  const d = checkCount(`${f}.d`, spec.d);
  const m = kindName === 'full' && spec.m === undefined ? n : checkCount(`${f}.m`, spec.m);
  const dtype = dtypeValue(rt, `${f}.dtype`, spec.dtype, 'f32');
  let scalarDtype = 0;
  if (kindName === 'memcom') {
    scalarDtype = dtypeValue(rt, `${f}.scalarDtype`, spec.scalarDtype, 'f32');
  } else if (spec.scalarDtype !== undefined) {
    throw bad(`${f}.scalarDtype`, `only a memcom table has per-item scalars (kind is '${kindName}')`);
  }
  const modes = rt.enumNames(NAMES.bucketMode);
  let bucketMode = 'none';
  let bucketDtype = 'none';
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
  return {
    role: role === 'input' ? 0 : 1, kind, n, m, d, dtype, scalarDtype,
    bucketMode: modes.indexOf(bucketMode), bucketDtype: rt.enumNames(NAMES.dtype).indexOf(bucketDtype), buckets, seed,
    rows: spec.rows, rowsB: kindName === 'qr' ? spec.rowsB : null, scalars: kindName === 'memcom' ? spec.scalars : null,
  };
}

/** The user tower's layers (field 'layers': inD -> outD) or a ranker's head ('head': 3 d -> 1, the last linear). */
function planLayers(rt, layers, inD, outD, hasInput, field = 'layers') {
  if (layers === undefined) layers = [];
  if (!Array.isArray(layers)) throw bad(field, `must be an array, got ${describe(layers)}`);
  if (layers.length > 0 && !hasInput) throw bad(field, `a model without an input table (a table file) has no ${field === 'head' ? 'head' : 'layers'}`);
  const acts = rt.enumNames(NAMES.activation);
  const out = [];
  let prev = inD;
  layers.forEach((L, li) => {
    const f = `${field}[${li}]`;
    if (L === null || typeof L !== 'object') throw bad(f, `must be an object, got ${describe(L)}`);
    const inDim = checkCount(`${f}.inDim`, L.inDim);
    const outDim = checkCount(`${f}.outDim`, L.outDim);
    if (inDim !== prev) {
      throw bad(`${f}.inDim`, li === 0
        ? (field === 'head' ? `must be 3 x the output table's d (${prev}), got ${inDim}` : `must equal the input table's d (${prev}), got ${inDim}`)
        : `must equal ${field}[${li - 1}].outDim (${prev}), got ${inDim}`);
    }
    const actName = L.activation === undefined ? 'none' : L.activation;
    const act = typeof actName === 'string' ? acts.indexOf(actName) : -1;
    if (act < 0) throw bad(`${f}.activation`, `must be one of ${acts.map((s) => `'${s}'`).join(', ')}, got ${describe(actName)}`);
    const weight = L.weight ?? null;
    const bias = L.bias ?? null;
    if (weight !== null) checkFloats(`${f}.weight`, weight, outDim * inDim);
    else if (inDim !== outDim) throw bad(`${f}.weight`, `is required when inDim (${inDim}) != outDim (${outDim})`);
    if (bias !== null) checkFloats(`${f}.bias`, bias, outDim);
    out.push({ inDim, outDim, act, weight, bias });
    prev = outDim;
  });
  if (field === 'head') {
    const last = layers.length - 1;
    if (last >= 0 && prev !== 1) throw bad(`head[${last}].outDim`, `the last head layer gives the score: must be 1, got ${prev}`);
    if (last >= 0 && out[last].act !== acts.indexOf('none')) throw bad(`head[${last}].activation`, 'the last head layer must be linear (\'none\')');
    return out;
  }
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

const isWellFormed = (s) => (typeof s.isWellFormed === 'function' ? s.isWellFormed() : !hasLoneSurrogate(s));

/** The ids as UTF-8, each followed by a NUL byte: { bytes, offsets } (n + 1
 *  offsets; id i ends before offsets[i + 1] - 1).  Sorting and duplicates are the writer's. */
function planIds(ids, n) {
  if (ids === undefined || ids === null) return null;
  if (!Array.isArray(ids)) throw bad('ids', `must be an array of n = ${n} strings, got ${describe(ids)}`);
  if (ids.length !== n) throw bad('ids', `must have n = ${n} strings, got ${ids.length}`);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (typeof s !== 'string') throw bad(`ids[${i}]`, `must be a string, got ${describe(s)}`);
    if (s.length === 0) throw bad(`ids[${i}]`, 'must not be empty');
  }
  // One encoding of all the text at once (fast for a million ids): each id and a NUL.
  const joined = `${ids.join('\0')}\0`;
  if (!isWellFormed(joined)) {
    for (let i = 0; i < n; i++) {
      if (!isWellFormed(ids[i])) throw bad(`ids[${i}]`, `${describe(ids[i])} contains a lone UTF-16 surrogate (not encodable as UTF-8)`);
    }
  }
  const bytes = new TextEncoder().encode(joined);
  if (bytes.length - n > U32_MAX || bytes.length >= 2 ** 32) {
    throw new MemcomError('too_large', 'buildModel: ids: the ids take more than 4 GiB of UTF-8');
  }
  const ascii = bytes.length === joined.length;
  const offsets = new Uint32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += (ascii ? ids[i].length : utf8Length(ids[i])) + 1;
    offsets[i + 1] = total;
  }
  return { bytes, offsets };
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

/** The metadata as NUL-terminated UTF-8 JSON text of an object. */
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
  // What is stored must parse as a JSON object (an object's toJSON may return anything, or undefined).
  let parsed;
  try { parsed = JSON.parse(text); } catch (e) { throw bad('metadata', `is not valid JSON (${e.message})`); }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('metadata', 'must be a JSON object');
  if (!isWellFormed(text)) throw bad('metadata', 'contains a lone UTF-16 surrogate');
  const body = new TextEncoder().encode(text);
  const bytes = new Uint8Array(body.length + 1);
  bytes.set(body);
  return bytes;
}

/** Blocks of the writer's memory for one call, freed together. */
class Blocks {
  constructor(rt) {
    this.rt = rt;
    this.ptrs = [];
  }

  alloc(bytes) {
    const p = this.rt.alloc(bytes, 'buildModel');
    this.ptrs.push(p);
    return p;
  }

  floats(values) {
    if (values === null) return 0;
    const p = this.alloc(values.length * 4);
    this.rt.f32.set(values, p >>> 2);
    return p;
  }

  u32(values) {
    if (values === null) return 0;
    const p = this.alloc(values.length * 4);
    this.rt.u32.set(values, p >>> 2);
    return p;
  }

  bytes(values) {
    const p = this.alloc(values.length);
    this.rt.u8.set(values, p);
    return p;
  }

  free() {
    for (const p of this.ptrs) this.rt.free(p);
    this.ptrs = [];
  }
}

/** The writer's error as a MemcomError: a problem of the spec is 'invalid_argument' (with the C code and detail). */
function writerError(rt, code, detail) {
  const cName = rt.errorName(code);
  const text = detail || rt.errorMessage(code);
  if (cName === 'nomem' || cName === 'too_large') {
    return new MemcomError(cName, `buildModel: ${text}`, { cCode: code, detail: detail || undefined });
  }
  const e = new MemcomError('invalid_argument', `buildModel: ${text}`, { cCode: code, detail: detail || undefined });
  e.category = 'usage';
  return e;
}

/**
 * Build a .memcom file from JavaScript arrays.  See index.d.ts (ModelSpec)
 * for the shape of `spec`; options.wasm may give the writer module,
 * options.signal cancels the wait for it ('aborted').  Resolves to the file's
 * bytes.
 */
export async function buildModel(spec, options) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new MemcomError('invalid_argument', `buildModel: options must be an object, got ${describe(options)}`);
  }
  const signal = checkSignal(options?.signal, 'buildModel');
  const rt = await raceAbort(getWriterRuntime(options ?? {}), signal, 'buildModel');
  throwIfAborted(signal, 'buildModel'); // what follows is synchronous: an abort from here on has no effect
  if (spec === null || typeof spec !== 'object') throw bad('spec', `must be an object, got ${describe(spec)}`);
  const known = new Set(['input', 'output', 'layers', 'head', 'outputBias', 'biasDtype', 'ids', 'idEncoding', 'metadata']);
  for (const key of Object.keys(spec)) {
    if (!known.has(key)) throw bad(key, `unknown field (known: ${[...known].join(', ')})`);
  }
  if (spec.output === undefined || spec.output === null) throw bad('output', 'the output table is required');
  const output = planTable(rt, spec.output, 'output', undefined);
  const n = output.n;
  const input = spec.input === undefined || spec.input === null ? null : planTable(rt, spec.input, 'input', n);
  const layers = planLayers(rt, spec.layers, input ? input.d : 0, output.d, input !== null);
  const head = planLayers(rt, spec.head, 3 * output.d, 1, input !== null, 'head');
  let bias = null;
  let biasDtype = 0;
  if (spec.outputBias !== undefined && spec.outputBias !== null) {
    bias = checkFloats('outputBias', spec.outputBias, n);
    biasDtype = dtypeValue(rt, 'biasDtype', spec.biasDtype, 'f32');
  } else if (spec.biasDtype !== undefined) {
    throw bad('biasDtype', 'given without outputBias');
  }
  const ids = planIds(spec.ids, n);
  const idEncoding = idEncodingValue(rt, spec.idEncoding, ids !== null);
  const metadata = planMetadata(spec.metadata);

  // Everything converted: copy it into the writer's memory and write.
  const x = rt.exports;
  const mem = new Blocks(rt);
  const builder = x.mcw_new(layers.length) >>> 0;
  if (builder === 0) throw new MemcomError('nomem', 'buildModel: out of WebAssembly memory');
  try {
    for (const t of [input, output]) {
      if (t === null) continue;
      const seedLo = Number(t.seed & 0xffffffffn);
      const seedHi = Number(t.seed >> 32n);
      rt.check(x.mcw_table(builder, t.role, t.kind, t.n, t.m, t.d, t.dtype, t.scalarDtype, t.bucketMode, t.bucketDtype,
        seedLo, seedHi, mem.floats(t.rows), mem.floats(t.rowsB), mem.floats(t.scalars), mem.u32(t.buckets)), 'buildModel');
    }
    layers.forEach((L, i) => {
      rt.check(x.mcw_layer(builder, i, L.inDim, L.outDim, L.act, mem.floats(L.weight), mem.floats(L.bias)), 'buildModel');
    });
    if (head.length) rt.check(x.mcw_head(builder, head.length), 'buildModel');
    head.forEach((L, i) => {
      rt.check(x.mcw_head_layer(builder, i, L.inDim, L.outDim, L.act, mem.floats(L.weight), mem.floats(L.bias)), 'buildModel');
    });
    if (bias !== null) x.mcw_bias(builder, mem.floats(bias), biasDtype);
    if (ids !== null) rt.check(x.mcw_ids(builder, mem.bytes(ids.bytes), mem.u32(ids.offsets), idEncoding), 'buildModel');
    if (metadata !== null) x.mcw_metadata(builder, mem.bytes(metadata));
    const outPtr = mem.alloc(4);
    const sizePtr = mem.alloc(4);
    const detail = mem.alloc(DETAIL_CAP);
    rt.u8[detail] = 0;
    const code = x.mcw_write(builder, outPtr, sizePtr, detail, DETAIL_CAP);
    if (code !== 0) throw writerError(rt, code, rt.cstring(detail));
    const file = rt.u32[outPtr >>> 2];
    const size = rt.u32[sizePtr >>> 2];
    const bytes = rt.u8.slice(file, file + size);
    rt.free(file);
    return bytes;
  } finally {
    x.mcw_free(builder);
    mem.free();
  }
}
