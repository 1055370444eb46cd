// open.js - opening a model: read the source into wasm memory, let the C
// reader validate it (mc_open_ex), and describe it from the module's own
// accessors (mc_info, mc_layer, mc_metadata), decoded by the field layout the
// module reports.  No byte of the file is parsed here.

import { MemcomError, describe } from './errors.js';
import { getRuntime, NAMES, STRUCTS } from './runtime.js';
import { readSourceInto, checkSignal, raceAbort, abortError, isRemoteSource } from './source.js';

const DETAIL_CAP = 512;

/**
 * options.maxItems when not given, for a model fetched from the network (a
 * URL other than file:, a URL string in a browser, a Response): 2^24 items.
 * Ranking a model costs O(n) time and O(n) working memory however small its
 * file (a hash table stores nothing per item), so a page must not let a
 * server it does not control choose n.  Other sources (bytes, Blobs, streams,
 * Node files) default to no limit beyond the format's (2^31 - 1).
 */
export const DEFAULT_MAX_ITEMS_REMOTE = 2 ** 24;

/** Scratch memory the calls of this package may need beyond the caller's
 *  own lists (the runtime's shared scratch area, runtime.scratch): at most
 *  8n bytes for one call (n ranked items from a top-k of k = n, or the n id
 *  pairs of ids(); all scores take 4n), which the area's doubling growth may
 *  round up to 16n, plus 64 KiB for vectors and details. */
function callScratchBytes(n) {
  return 16 * n + 65536;
}

/** A limit option: a non-negative integer or Infinity; `dflt` when absent. */
function readLimit(options, name, dflt, where) {
  const v = options[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (Number.isFinite(v) && !Number.isInteger(v))) {
    throw new MemcomError('invalid_argument', `${where}: options.${name} must be a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

/** The options of loadModel / loadTable, each read once: { maxBytes, maxItems, int8Index, bucketBounds, signal, wasm, wasmBase, simd }. */
function readOptions(options, where) {
  if (options === undefined || options === null) options = {};
  else if (typeof options !== 'object') throw new MemcomError('invalid_argument', `${where}: options must be an object, got ${describe(options)}`);
  const out = { wasm: options.wasm, wasmBase: options.wasmBase, simd: options.simd, signal: checkSignal(options.signal, where) };
  out.maxBytes = readLimit(options, 'maxBytes', Infinity, where);
  out.maxItems = readLimit(options, 'maxItems', undefined, where); // undefined: the source's default
  for (const name of ['int8Index', 'bucketBounds']) {
    const given = options[name];
    const v = given ?? true;
    if (typeof v !== 'boolean') {
      throw new MemcomError('invalid_argument', `${where}: options.${name} must be true or false, got ${describe(given)}`);
    }
    out[name] = v;
  }
  return out;
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
 * { runtime, handle, info }.  Shared by loadModel and loadTable.  An abort of
 * options.signal before the file is opened rejects with 'aborted' and frees
 * what was allocated; after that (the open itself is synchronous) it has no
 * effect.
 */
export async function openSource(source, options, where) {
  const opts = readOptions(options, where);
  const { signal } = opts;
  // The runtime is shared (and cached): an abort stops waiting for it, not its compilation.
  const runtime = await raceAbort(getRuntime(opts), signal, where);
  const memLimit = runtime.memoryLimit();
  const limit = Math.min(opts.maxBytes, memLimit);
  const reason = opts.maxBytes <= memLimit ? 'options.maxBytes' : 'what WebAssembly memory can still hold (its maximum minus the memory in use)';
  // Allocated after every limit check; mc_open_ex takes ownership of ptr, we free crc.
  const prepare = { int8Index: opts.int8Index, bucketBounds: opts.bucketBounds, maxBytes: opts.maxBytes };
  const { ptr, size, crc } = await readSourceInto(runtime, source, limit, reason, where, signal, prepare);
  let handle = 0;
  try {
    let hp;
    let dp;
    try {
      if (signal && signal.aborted) throw abortError(signal, where);
      [hp, dp] = runtime.scratch([4, DETAIL_CAP], where);
    } catch (e) {
      runtime.free(ptr);
      throw e;
    }
    runtime.u8.fill(0, hp, hp + 4);
    runtime.u8[dp] = 0;
    // mc_open_ex takes ownership of ptr, whether it succeeds or not; the
    // section CRCs come from the block checksums taken while the file arrived
    const code = runtime.exports.mc_open_ex(ptr, size, crc, hp, dp, DETAIL_CAP);
    if (code !== 0) throw runtime.error(code, '', runtime.cstring(dp));
    handle = runtime.u32[hp >>> 2];
  } finally {
    if (crc) runtime.exports.mc_crc_free(crc);
  }
  try {
    if (!opts.int8Index) runtime.check(runtime.exports.mc_set_int8_index(handle, 0), 'mc_set_int8_index');
    if (!opts.bucketBounds) runtime.check(runtime.exports.mc_set_bucket_bounds(handle, 0), 'mc_set_bucket_bounds');
    const info = readInfo(runtime, handle);
    checkCost(info, opts, isRemoteSource(source), where);
    // what the first ranking would build (int8 copy, bucket bounds, marks), now
    // that its cost is accepted: the first ranking then costs what later ones do
    runtime.check(runtime.exports.mc_prepare(handle), 'mc_prepare');
    return { runtime, handle, info };
  } catch (e) {
    runtime.exports.mc_close(handle);
    throw e;
  }
}

/**
 * The cost limits, checked once the file is open (opening costs O(file): no
 * memory per item is allocated before these checks pass): n against
 * options.maxItems (ranking is O(n) per query), and the file plus the
 * working memory it may need (info.workingBytes) against options.maxBytes.
 */
function checkCost(info, opts, remote, where) {
  const maxItems = opts.maxItems ?? (remote ? DEFAULT_MAX_ITEMS_REMOTE : Infinity);
  if (info.n > maxItems) {
    const which = opts.maxItems === undefined ? `options.maxItems (${maxItems}, its default for a model fetched from a URL)` : `options.maxItems (${maxItems})`;
    throw new MemcomError('too_large',
      `${where}: the model has n = ${info.n} items, more than ${which}: every ranking costs time and working memory in proportion to n (${info.workingBytes} bytes of working memory here), whatever the file's size; pass a larger options.maxItems to load it`);
  }
  const total = info.fileBytes + info.workingBytes;
  if (total > opts.maxBytes) {
    throw new MemcomError('too_large',
      `${where}: the model needs ${total} bytes of WebAssembly memory (its file ${info.fileBytes}, working memory ${info.workingBytes} for n = ${info.n} items), more than options.maxBytes (${opts.maxBytes}); pass a larger options.maxBytes, or int8Index: false / bucketBounds: false to need less`);
  }
}

/** A name from enum `set`, null for its value 0 ("none"). */
function nameOrNull(runtime, set, value) {
  const names = runtime.enumNames(set);
  return value === 0 ? null : names[value] ?? null;
}

function tableInfo(runtime, raw, role, bytes) {
  const f = (name) => raw[`${role}.${name}`];
  const kindNames = runtime.enumNames(NAMES.kind);
  if (f('kind') === 0) return null;
  const bucket = nameOrNull(runtime, NAMES.bucketMode, f('bucket_mode'));
  return {
    kind: kindNames[f('kind')] ?? `kind_${f('kind')}`,
    n: f('n'),
    m: f('m'),
    d: f('d'),
    dtype: nameOrNull(runtime, NAMES.dtype, f('row_dtype')),
    scalarDtype: nameOrNull(runtime, NAMES.dtype, f('scalar_dtype')),
    bucket,
    bucketDtype: nameOrNull(runtime, NAMES.dtype, f('bucket_dtype')),
    hashSeed: bucket === 'hash' ? f('hash_seed').toString() : null,
    bytes,
  };
}

/** The shapes of the user tower's layers (mc_layer) or of a ranker's head (mc_head_layer). */
function readLayers(runtime, handle, count, fn = 'mc_layer') {
  const layers = [];
  const size = runtime.structSize(STRUCTS.layerInfo);
  const acts = runtime.enumNames(NAMES.activation);
  for (let i = 0; i < count; i++) {
    const [p] = runtime.scratch([size], 'the layer shapes');
    runtime.check(runtime.exports[fn](handle, i, p), `${fn === 'mc_layer' ? 'layer' : 'head layer'} ${i}`);
    const L = runtime.readStruct(STRUCTS.layerInfo, p);
    layers.push({
      inDim: L.in_dim,
      outDim: L.out_dim,
      activation: acts[L.activation] ?? 'none',
      weight: L.has_weight !== 0,
      bias: L.has_bias !== 0,
    });
  }
  return layers;
}

function readMetadata(runtime, handle) {
  const [lp] = runtime.scratch([4], 'the metadata length');
  const mp = runtime.exports.mc_metadata(handle, lp) >>> 0;
  const len = runtime.u32[lp >>> 2];
  if (mp === 0 || len === 0) return {};
  let metadata;
  try {
    metadata = JSON.parse(runtime.decodeUtf8(mp, len));
  } catch (e) {
    throw new MemcomError('metadata', `section METADATA: not valid JSON (${e.message})`, { cause: e });
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new MemcomError('metadata', 'section METADATA: the JSON is not an object');
  }
  return metadata;
}

function readInfo(runtime, handle) {
  const [p] = runtime.scratch([runtime.structSize(STRUCTS.info)], 'the model info');
  runtime.check(runtime.exports.mc_info(handle, p), 'mc_info');
  const raw = runtime.readStruct(STRUCTS.info, p);
  const num = (name) => Number(raw[name]);
  const bytes = {
    file: num('file_bytes'), input: num('input_bytes'), output: num('output_bytes'), bias: num('bias_bytes'),
    layers: num('layer_bytes'), head: num('head_bytes'), ids: num('id_bytes'), metadata: num('metadata_bytes'),
  };
  const fullF32 = num('full_f32_bytes');
  const stored = bytes.input + bytes.output;
  return deepFreeze({
    n: raw.n_items,
    d: raw.user_dim,
    formatVersion: `${raw.format_major}.${raw.format_minor}`,
    input: tableInfo(runtime, raw, 'input', bytes.input),
    output: tableInfo(runtime, raw, 'output', bytes.output),
    layers: readLayers(runtime, handle, raw.n_layers),
    ranker: raw.n_head_layers > 0,
    headLayers: readLayers(runtime, handle, raw.n_head_layers, 'mc_head_layer'),
    biasDtype: nameOrNull(runtime, NAMES.dtype, raw.bias_dtype),
    hasIds: raw.has_ids !== 0,
    bytes,
    fileBytes: bytes.file,
    workingBytes: num('working_bytes') + callScratchBytes(raw.n_items),
    fullF32Bytes: fullF32,
    compressionRatio: stored > 0 ? fullF32 / stored : 0,
    fullFileBytes: num('full_file_bytes'),
    fileCompressionRatio: bytes.file > 0 ? num('full_file_bytes') / bytes.file : 0,
    metadata: readMetadata(runtime, handle),
    simd: runtime.simd,
    kernel: runtime.kernel,
    version: runtime.version,
  });
}
