// loader.js - find, compile and instantiate memcom's WebAssembly module in a
// browser, a Web Worker or Node (>= 18), and read model files from any source.
//
// No Node built-in is imported statically: in Node, 'node:fs/promises' is
// imported dynamically, through a specifier bundlers do not follow.

import { MemcomError, C_ERROR_NAMES, jsCode } from './errors.js';

const FOUR_GIB = 2 ** 32;
const WASM_PAGE = 65536;

/** True when running in Node (or a runtime that offers Node's built-ins). */
export const IS_NODE = typeof process === 'object' && process !== null &&
  typeof process.versions === 'object' && process.versions !== null &&
  typeof process.versions.node === 'string';

let fsPromise = null;
function nodeFs() {
  if (fsPromise === null) {
    const spec = 'node:fs/promises';
    fsPromise = import(/* webpackIgnore: true */ /* @vite-ignore */ spec);
  }
  return fsPromise;
}

// A minimal module using one SIMD instruction:
//   (module (func (result v128) i32.const 0 i32x4.splat))
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> (v128)
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // code: i32.const 0; i32x4.splat; end
]);

let simdSupported = null;
/** Whether this engine validates WebAssembly SIMD (128-bit) code. */
export function hasSimd() {
  if (simdSupported === null) {
    try {
      simdSupported = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simdSupported = false;
    }
  }
  return simdSupported;
}

function defaultWasmUrl(simd) {
  // Two literal `new URL(..., import.meta.url)` so bundlers (Vite, webpack 5)
  // see and copy both files.
  return simd
    ? new URL('../dist/memcom-simd.wasm', import.meta.url)
    : new URL('../dist/memcom.wasm', import.meta.url);
}

// ---------------------------------------------------------------------------
// Reading bytes from a source, with a size limit checked before reading
// ---------------------------------------------------------------------------
function tooLarge(what, size, limit, reason) {
  return new MemcomError('too_large',
    `${what} is ${size} bytes, more than ${reason} (${limit} bytes); refused before reading it into memory`);
}

function describeSource(src) {
  if (typeof src === 'string') return src.length > 200 ? `${src.slice(0, 200)}...` : src;
  if (src instanceof URL) return src.href;
  return String(src);
}

function hasUrlScheme(s) {
  // "https://...", "file:...", "data:...", "blob:..." but not "C:\\x" (a drive letter).
  return /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(s);
}

const READ_CHUNK = 8 << 20; // bytes per file read in Node

/**
 * A block of wasm memory that one file is written into, allocated once the
 * file's size is known (after every limit check), so the bytes are copied
 * once, chunk by chunk, and never gathered in JavaScript.  Views of memory
 * are re-taken for every write: another load may grow (and so detach) the
 * memory meanwhile.  The CRC32s of its 64 KiB blocks are taken as they fill
 * (mc_crc_update), so that opening the file does not read it all again after
 * its last byte.  `free()` gives the block back; after a successful read the
 * caller passes { ptr, size, crc } on to mc_open_ex, which takes ownership of
 * ptr, and then frees crc (mc_crc_free).
 */
class FileBlock {
  constructor(runtime, size, where) {
    const nowLimit = memoryLimit(runtime);
    if (size > nowLimit) {
      throw new MemcomError('too_large', `${where}: the model is ${size} bytes, more than WebAssembly memory can still hold (${nowLimit} bytes)`);
    }
    const ptr = runtime.exports.mc_malloc(Math.max(size, 1)) >>> 0;
    if (ptr === 0) {
      throw new MemcomError('too_large',
        `${where}: cannot allocate ${size} bytes of WebAssembly memory for the model (${runtime.memoryBytes} bytes in use)`);
    }
    this.runtime = runtime;
    this.ptr = ptr;
    this.size = size;
    /** bytes written so far */
    this.at = 0;
    /** block checksums (0 without memory for them: the file is checksummed when opened) */
    this.crc = runtime.exports.mc_crc_new(size) >>> 0;
  }

  /** A view of the next `n` bytes to fill (valid until memory grows). */
  next(n) {
    return this.runtime.u8.subarray(this.ptr + this.at, this.ptr + this.at + n);
  }

  /** Append `chunk` (the caller checked that it fits). */
  write(chunk) {
    this.runtime.u8.set(chunk, this.ptr + this.at);
    this.advance(chunk.length);
  }

  /** `n` more bytes are in place (written through next() or write()). */
  advance(n) {
    this.at += n;
    if (this.crc) this.runtime.exports.mc_crc_update(this.crc, this.ptr, this.at);
  }

  free() {
    if (this.ptr) this.runtime.free(this.ptr);
    if (this.crc) this.runtime.exports.mc_crc_free(this.crc);
    this.ptr = 0;
    this.crc = 0;
  }
}

function cannotRead(what, e) {
  if (e instanceof MemcomError) return e;
  return new MemcomError('io', `cannot read ${what}: ${e && e.message ? e.message : String(e)}`, { cause: e });
}

/** Read a fetch Response body into a FileBlock from `sink` (size ->
 * FileBlock), refusing more than `limit` bytes.  With a trustworthy
 * Content-Length the body goes straight into the block; otherwise it is
 * gathered in JavaScript first.  Failures of the body itself (a download cut
 * short, a body already used) become MemcomError 'io'. */
async function readResponse(res, limit, what, limitReason, sink) {
  try {
    return await readResponseBody(res, limit, what, limitReason, sink);
  } catch (e) {
    throw cannotRead(what, e);
  }
}

async function readResponseBody(res, limit, what, limitReason, sink) {
  if (!res.ok) {
    throw new MemcomError('io', `cannot fetch ${what}: HTTP ${res.status} ${res.statusText || ''}`.trim());
  }
  const lenHeader = res.headers && res.headers.get('content-length');
  const declared = lenHeader !== null && lenHeader !== undefined && /^\d+$/.test(lenHeader) ? Number(lenHeader) : -1;
  const encoded = res.headers && res.headers.get('content-encoding');
  if (declared > limit && !encoded) {
    if (res.body && typeof res.body.cancel === 'function') res.body.cancel().catch(() => {});
    throw tooLarge(what, declared, limit, limitReason);
  }
  if (!res.body || typeof res.body.getReader !== 'function') {
    const ab = await res.arrayBuffer();
    if (ab.byteLength > limit) throw tooLarge(what, ab.byteLength, limit, limitReason);
    return new Uint8Array(ab);
  }
  const reader = res.body.getReader();
  if (declared >= 0 && !encoded) return readStreamInto(reader, declared, 'its Content-Length declares', sink, limit, what, limitReason);
  // Unknown (or encoded) length: gather the chunks, then copy them into a
  // block once their total is known.
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = chunkBytes(value, what);
    total += chunk.length;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge(what, `at least ${total}`, limit, limitReason);
    }
    chunks.push(chunk);
  }
  const block = sink(total);
  for (const c of chunks) block.write(c);
  return block;
}

/** A body's chunk as a Uint8Array (streams may deliver any typed array; anything else is refused). */
function chunkBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new MemcomError('io', `cannot read ${what}: the body delivered a ${typeof value} chunk, not bytes`);
}

/**
 * Stream exactly `size` bytes from `reader` into a new FileBlock.  A body
 * shorter or longer than `size` is an 'io' error (longer than `limit`:
 * 'too_large'); on any failure the block is freed and the stream cancelled.
 */
async function readStreamInto(reader, size, sizeSource, sink, limit, what, limitReason) {
  let block = null;
  try {
    block = sink(size);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = chunkBytes(value, what);
      const total = block.at + chunk.length;
      if (total > size) {
        if (total > limit) throw tooLarge(what, `at least ${total}`, limit, limitReason);
        throw new MemcomError('io', `cannot read ${what}: the body is longer than the ${size} bytes ${sizeSource}`);
      }
      block.write(chunk);
    }
    if (block.at !== size) {
      throw new MemcomError('io', `cannot read ${what}: the body ended after ${block.at} of the ${size} bytes ${sizeSource}`);
    }
    return block;
  } catch (e) {
    if (block) block.free();
    reader.cancel().catch(() => {});
    throw cannotRead(what, e);
  }
}

async function readFileNode(pathOrUrl, limit, what, limitReason, sink) {
  const fs = await nodeFs();
  let st;
  try {
    st = await fs.stat(pathOrUrl); // before opening: a FIFO would block open()
  } catch (e) {
    throw cannotRead(what, e);
  }
  if (!st.isFile()) throw new MemcomError('io', `cannot read ${what}: not a regular file`);
  if (st.size > limit) throw tooLarge(what, st.size, limit, limitReason);
  let fh;
  try {
    fh = await fs.open(pathOrUrl, 'r');
  } catch (e) {
    throw cannotRead(what, e);
  }
  let block = null;
  try {
    const fst = await fh.stat(); // the file as opened (it may have changed since stat)
    if (!fst.isFile()) throw new MemcomError('io', `cannot read ${what}: not a regular file`);
    if (fst.size > limit) throw tooLarge(what, fst.size, limit, limitReason);
    block = sink(fst.size);
    // Read straight into wasm memory.  If memory grew during a read (another
    // load), that chunk is read again into a fresh view: V8 grows wasm32
    // memory in place on 64-bit hosts, but the old view is detached either way.
    while (block.at < block.size) {
      const view = block.next(Math.min(block.size - block.at, READ_CHUNK));
      const { bytesRead } = await fh.read(view, 0, view.length, block.at);
      if (view.buffer !== block.runtime.memory.buffer) continue;
      if (bytesRead === 0) {
        throw new MemcomError('io', `cannot read ${what}: the file ended after ${block.at} of the ${block.size} bytes it had when opened`);
      }
      block.advance(bytesRead);
    }
    return block;
  } catch (e) {
    if (block) block.free();
    throw cannotRead(what, e);
  } finally {
    await fh.close().catch(() => {});
  }
}

async function fetchUrl(url, limit, what, limitReason, sink) {
  if (typeof fetch !== 'function') throw new MemcomError('io', `cannot fetch ${what}: no fetch() in this environment`);
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new MemcomError('io', `cannot fetch ${what}: ${e.message}`, { cause: e });
  }
  return readResponse(res, limit, what, limitReason, sink);
}

/**
 * A model file from any supported source: a URL (string or URL), a Response,
 * a Blob, an ArrayBuffer or typed array, or (in Node) a file path.  Refuses
 * more than `limit` bytes before reading them where the size is known.
 * Sources whose size is known before their bytes arrive (a Response or URL
 * with Content-Length and no Content-Encoding, a Blob, a Node file) are read
 * straight into a FileBlock from `sink` (size -> FileBlock), bodies of unknown
 * or encoded length are gathered and then copied into one; the block is
 * returned.  Bytes in memory already (typed arrays, ArrayBuffers) are returned
 * as a Uint8Array.
 */
async function readSource(source, limit, limitReason, sink) {
  if (source instanceof Uint8Array) {
    if (source.length > limit) throw tooLarge('the model', source.length, limit, limitReason);
    return source;
  }
  if (source instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && source instanceof SharedArrayBuffer)) {
    if (source.byteLength > limit) throw tooLarge('the model', source.byteLength, limit, limitReason);
    return new Uint8Array(source);
  }
  if (ArrayBuffer.isView(source)) {
    if (source.byteLength > limit) throw tooLarge('the model', source.byteLength, limit, limitReason);
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  if (typeof Response === 'function' && source instanceof Response) {
    return readResponse(source, limit, `the model at ${source.url || '(response)'}`, limitReason, sink);
  }
  if (typeof Blob === 'function' && source instanceof Blob) {
    if (source.size > limit) throw tooLarge('the model blob', source.size, limit, limitReason);
    if (typeof source.stream === 'function') {
      let reader;
      try {
        reader = source.stream().getReader();
      } catch (e) {
        throw cannotRead('the model blob', e);
      }
      return readStreamInto(reader, source.size, 'its size declares', sink, limit, 'the model blob', limitReason);
    }
    return new Uint8Array(await source.arrayBuffer());
  }
  if (source instanceof URL || typeof source === 'string') {
    if (typeof source === 'string' && source.length === 0) {
      throw new MemcomError('invalid_argument', 'the model source is an empty string');
    }
    const what = `the model ${describeSource(source)}`;
    if (IS_NODE) {
      if (source instanceof URL) {
        return source.protocol === 'file:' ? readFileNode(source, limit, what, limitReason, sink) : fetchUrl(source, limit, what, limitReason, sink);
      }
      if (hasUrlScheme(source)) {
        let u;
        try {
          u = new URL(source);
        } catch (e) {
          throw new MemcomError('invalid_argument', `${what} is not a valid URL (${e.message})`, { cause: e });
        }
        return u.protocol === 'file:' ? readFileNode(u, limit, what, limitReason, sink) : fetchUrl(u, limit, what, limitReason, sink);
      }
      return readFileNode(source, limit, what, limitReason, sink);
    }
    return fetchUrl(source, limit, what, limitReason, sink);
  }
  throw new MemcomError('invalid_argument',
    'the model source must be a URL, a URL string, a file path (Node), a Response, a Blob, an ArrayBuffer or a Uint8Array');
}

/**
 * Read `source` into a new block of the runtime's wasm memory: { ptr, size,
 * crc }, ptr from mc_malloc and crc from mc_crc_new (or 0), for mc_open_ex
 * (which takes ownership of ptr; the caller frees crc).  Limits are checked
 * before allocating; sizes known up front are streamed in (no copy of the
 * whole file in JavaScript), the rest (typed arrays, ArrayBuffers, bodies of
 * unknown or encoded length) is copied in once.  `where` prefixes allocation
 * errors.
 */
export async function readSourceInto(runtime, source, limit, limitReason, where) {
  const sink = (size) => new FileBlock(runtime, size, where);
  const got = await readSource(source, limit, limitReason, sink);
  if (got instanceof FileBlock) return { ptr: got.ptr, size: got.size, crc: got.crc };
  const block = sink(got.length); // another load may have grown memory while we read
  block.write(got);
  return { ptr: block.ptr, size: block.size, crc: block.crc };
}

// ---------------------------------------------------------------------------
// Compiling the module
// ---------------------------------------------------------------------------
const moduleCache = new Map(); // `${href}|${simd}` -> Promise<WebAssembly.Module>
const runtimeCache = new WeakMap(); // WebAssembly.Module -> Promise<Runtime>
const moduleMaxMemory = new WeakMap(); // WebAssembly.Module -> bytes its memory may grow to

/**
 * The maximum size in bytes of the memory a wasm binary defines (or imports),
 * from its memory section; 4 GiB when it declares no maximum or cannot be read.
 */
export function wasmMemoryMax(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  let p = 8;
  const leb = () => {
    let r = 0;
    let mul = 1;
    for (;;) {
      if (p >= b.length) throw new RangeError('truncated');
      const x = b[p++];
      r += (x & 0x7f) * mul;
      mul *= 128;
      if ((x & 0x80) === 0) return r;
    }
  };
  const limits = () => {
    const flags = leb();
    leb(); // minimum
    return flags & 1 ? leb() * WASM_PAGE : FOUR_GIB;
  };
  try {
    while (p < b.length) {
      const id = b[p++];
      const size = leb();
      const end = p + size;
      if (id === 5) { // memory section
        if (leb() >= 1) return Math.min(limits(), FOUR_GIB);
      } else if (id === 2) { // imports: an imported memory
        const count = leb();
        for (let i = 0; i < count; i++) {
          for (let k = 0; k < 2; k++) { const len = leb(); p += len; } // module, name
          const kind = b[p++];
          if (kind === 0) leb(); // function: type index
          else if (kind === 1) { p++; limits(); } // table: reftype, limits
          else if (kind === 2) return Math.min(limits(), FOUR_GIB);
          else if (kind === 3) p += 2; // global: valtype, mutability
          else return FOUR_GIB;
        }
      }
      p = end;
    }
  } catch {
    // unreadable: assume the wasm32 limit
  }
  return FOUR_GIB;
}

async function compileBytes(bytes, what) {
  let module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw new MemcomError('wasm', `cannot compile ${what}: ${e.message}`, { cause: e });
  }
  moduleMaxMemory.set(module, wasmMemoryMax(bytes));
  return module;
}

async function compileResponse(res, what) {
  if (!res.ok) throw new MemcomError('wasm', `cannot fetch ${what}: HTTP ${res.status}`);
  const type = res.headers.get('content-type') || '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.split(';')[0].trim().toLowerCase() === 'application/wasm') {
    try {
      return await WebAssembly.compileStreaming(res);
    } catch (e) {
      throw new MemcomError('wasm', `cannot compile ${what}: ${e.message}`, { cause: e });
    }
  }
  let ab;
  try {
    ab = await res.arrayBuffer();
  } catch (e) {
    throw new MemcomError('wasm', `cannot fetch ${what}: ${e.message}`, { cause: e });
  }
  return compileBytes(ab, what);
}

async function compileUrl(url, what) {
  if (IS_NODE && url.protocol === 'file:') {
    const fs = await nodeFs();
    let b;
    try {
      b = await fs.readFile(url);
    } catch (e) {
      throw new MemcomError('wasm', `cannot read ${what}: ${e.message}`, { cause: e });
    }
    return compileBytes(b, what);
  }
  if (typeof fetch !== 'function') throw new MemcomError('wasm', `cannot fetch ${what}: no fetch() in this environment`);
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new MemcomError('wasm', `cannot fetch ${what}: ${e.message}`, { cause: e });
  }
  return compileResponse(res, what);
}

function toUrl(s) {
  if (s instanceof URL) return s;
  if (IS_NODE && !hasUrlScheme(s)) {
    // a file path: let fs resolve it relative to the working directory
    return { path: s };
  }
  const base = typeof location === 'object' && location !== null && location.href ? location.href : undefined;
  try {
    return new URL(s, base);
  } catch (e) {
    throw new MemcomError('invalid_argument', `${describeSource(s)} is not a valid URL (${e.message})`, { cause: e });
  }
}

/** Compile (or fetch from the cache) the module described by `wasm`. */
function getModule(wasm, simd) {
  if (typeof WebAssembly !== 'object') {
    return Promise.reject(new MemcomError('wasm', 'this JavaScript engine has no WebAssembly'));
  }
  if (wasm instanceof WebAssembly.Module) return Promise.resolve(wasm);
  if (wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) {
    return compileBytes(wasm, 'the given WebAssembly bytes');
  }
  if (typeof Response === 'function' && wasm instanceof Response) {
    return compileResponse(wasm, `the WebAssembly module at ${wasm.url || '(response)'}`);
  }
  if (wasm === undefined || wasm === null || typeof wasm === 'string' || wasm instanceof URL) {
    const loc = wasm === undefined || wasm === null ? defaultWasmUrl(simd) : toUrl(wasm);
    const key = `${loc.path !== undefined ? `path:${loc.path}` : loc.href}|${simd ? 1 : 0}`;
    let p = moduleCache.get(key);
    if (p === undefined) {
      const what = `the WebAssembly module ${loc.path !== undefined ? loc.path : loc.href}`;
      p = loc.path !== undefined ? readPathModule(loc.path, what) : compileUrl(loc, what);
      moduleCache.set(key, p);
      p.catch(() => moduleCache.delete(key)); // do not cache failures
    }
    return p;
  }
  return Promise.reject(new MemcomError('invalid_argument',
    'options.wasm must be a URL, a URL string, a file path (Node), bytes, a Response, a WebAssembly.Module or { simd, scalar }'));
}

async function readPathModule(path, what) {
  const fs = await nodeFs();
  let b;
  try {
    b = await fs.readFile(path);
  } catch (e) {
    throw new MemcomError('wasm', `cannot read ${what}: ${e.message}`, { cause: e });
  }
  return compileBytes(b, what);
}

// ---------------------------------------------------------------------------
// The runtime: one instance (one linear memory) shared by the models loaded
// from the same module.
// ---------------------------------------------------------------------------
const REQUIRED_EXPORTS = [
  'memory', 'mc_malloc', 'mc_free', 'mc_open', 'mc_open_ex', 'mc_crc_new', 'mc_crc_update', 'mc_crc_free', 'mc_close', 'mc_set_int8_index', 'mc_set_bucket_bounds', 'mc_info', 'mc_metadata', 'mc_find_id',
  'mc_get_id', 'mc_lookup', 'mc_user_vector', 'mc_score_vector', 'mc_topk', 'mc_recommend',
  'mc_similar', 'mc_error_name', 'mc_error_message', 'mc_kernel_name', 'mc_version',
];

const utf8 = new TextDecoder('utf-8');
const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Enc = new TextEncoder();

export class Runtime {
  constructor(instance, maxMemory = FOUR_GIB) {
    this.exports = instance.exports;
    /** Bytes the linear memory may grow to (from the module's memory section when known). */
    this.maxMemory = maxMemory;
    for (const name of REQUIRED_EXPORTS) {
      if (!(name in this.exports)) throw new MemcomError('wasm', `the WebAssembly module does not export ${name}: not memcom's module?`);
    }
    /** @type {WebAssembly.Memory} */
    this.memory = this.exports.memory;
    this._buffer = null;
    this._u8 = null;
    this._u32 = null;
    this._f32 = null;
    this._names = new Map();
    this.kernel = this.cstring(this.exports.mc_kernel_name());
    this.version = this.cstring(this.exports.mc_version());
    this.simd = this.kernel === 'wasm_simd128';
  }

  _refresh() {
    const b = this.memory.buffer;
    if (b !== this._buffer) {
      this._buffer = b;
      this._u8 = new Uint8Array(b);
      this._u32 = new Uint32Array(b);
      this._f32 = new Float32Array(b);
    }
  }

  /** Fresh views over the whole memory (valid until the next call into wasm). */
  get u8() { this._refresh(); return this._u8; }
  get u32() { this._refresh(); return this._u32; }
  get f32() { this._refresh(); return this._f32; }

  /** Bytes of linear memory currently reserved. */
  get memoryBytes() { return this.memory.buffer.byteLength; }

  alloc(size, what) {
    const ptr = this.exports.mc_malloc(Math.max(size, 1)) >>> 0;
    if (ptr === 0) {
      throw new MemcomError('nomem',
        `cannot allocate ${size} bytes of WebAssembly memory for ${what} (${this.memoryBytes} bytes in use)`);
    }
    return ptr;
  }

  free(ptr) {
    if (ptr) this.exports.mc_free(ptr);
  }

  cstring(ptr) {
    ptr >>>= 0;
    if (ptr === 0) return '';
    const u8 = this.u8;
    let end = ptr;
    while (end < u8.length && u8[end] !== 0) end++;
    return utf8.decode(u8.subarray(ptr, end));
  }

  errorName(code) {
    let name = this._names.get(code);
    if (name === undefined) {
      const c = this.cstring(this.exports.mc_error_name(code));
      name = c && c !== 'unknown' ? jsCode(c) : C_ERROR_NAMES[code] || `error_${code}`;
      this._names.set(code, name);
    }
    return name;
  }

  errorMessage(code) {
    return this.cstring(this.exports.mc_error_message(code));
  }

  /** A MemcomError for C code `code`; `detail` (a C detail string) wins over the generic message. */
  error(code, context, detail) {
    const name = this.errorName(code);
    const text = detail || this.errorMessage(code) || name;
    return new MemcomError(name, context ? `${context}: ${text}` : text, { cCode: code, detail: detail || undefined });
  }

  check(code, context) {
    if (code !== 0) throw this.error(code, context);
  }

  /** Decode the UTF-8 bytes at ptr..ptr+len (strict). */
  decodeUtf8(ptr, len) {
    return utf8Fatal.decode(this.u8.subarray(ptr, ptr + len));
  }

  /** Copy `bytes` to a new block of wasm memory; returns its pointer. */
  copyIn(bytes, what) {
    const ptr = this.alloc(bytes.length, what);
    this.u8.set(bytes, ptr);
    return ptr;
  }

  /** The UTF-8 bytes of a string, encoded into a new block; returns [ptr, len]. */
  stringIn(s) {
    const b = utf8Enc.encode(s);
    return [this.copyIn(b, 'an id string'), b.length];
  }
}

function makeImports(module, holder) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') {
      throw new MemcomError('wasm', `the WebAssembly module imports a ${imp.kind} ${imp.module}.${imp.name}; memcom's module imports only functions`);
    }
    let fn;
    if (imp.module === 'env' && imp.name === 'emscripten_notify_memory_growth') {
      fn = () => {}; // views are re-created lazily after every call
    } else if (imp.module === 'env' && imp.name === 'emscripten_memcpy_big') {
      fn = (dest, src, num) => {
        const u8 = new Uint8Array(holder.memory.buffer);
        u8.copyWithin(dest >>> 0, src >>> 0, (src >>> 0) + (num >>> 0));
        return dest;
      };
    } else if (imp.module.startsWith('wasi')) {
      fn = imp.name === 'proc_exit'
        ? (code) => { throw new MemcomError('wasm', `the WebAssembly module called exit(${code})`); }
        : () => 52; // ENOSYS
    } else {
      fn = () => { throw new MemcomError('wasm', `the WebAssembly module called the unsupported import ${imp.module}.${imp.name}`); };
    }
    (imports[imp.module] ||= {})[imp.name] = fn;
  }
  return imports;
}

async function instantiate(module) {
  const maxMemory = moduleMaxMemory.get(module) ?? FOUR_GIB;
  const holder = { memory: null };
  let instance;
  try {
    instance = await WebAssembly.instantiate(module, makeImports(module, holder));
  } catch (e) {
    if (e instanceof MemcomError) throw e;
    throw new MemcomError('wasm', `cannot instantiate the WebAssembly module: ${e.message}`, { cause: e });
  }
  holder.memory = instance.exports.memory;
  if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
  return new Runtime(instance, maxMemory);
}

/** Resolve options.simd ('auto' | true | false) to a boolean. */
export function wantSimd(simd) {
  if (simd === undefined || simd === 'auto') return hasSimd();
  if (simd === true) {
    if (!hasSimd()) throw new MemcomError('wasm', 'options.simd is true but this engine does not support WebAssembly SIMD');
    return true;
  }
  if (simd === false) return false;
  throw new MemcomError('invalid_argument', `options.simd must be 'auto', true or false, got ${String(simd)}`);
}

/**
 * The shared runtime for these options: { wasm, simd }.  options.wasm may be a
 * single module location/bytes/Module, or { simd, scalar } giving one per build.
 */
export async function getRuntime(options = {}) {
  const simd = wantSimd(options.simd);
  let wasm = options.wasm;
  if (wasm !== null && typeof wasm === 'object' && !(wasm instanceof URL) && !ArrayBuffer.isView(wasm) &&
      !(wasm instanceof ArrayBuffer) && !(wasm instanceof WebAssembly.Module) &&
      !(typeof Response === 'function' && wasm instanceof Response)) {
    if (!('simd' in wasm) && !('scalar' in wasm)) {
      throw new MemcomError('invalid_argument', 'options.wasm must be a URL, bytes, a Response, a WebAssembly.Module or { simd, scalar }');
    }
    wasm = simd ? wasm.simd : wasm.scalar;
  }
  const module = await getModule(wasm, simd);
  let p = runtimeCache.get(module);
  if (p === undefined) {
    p = instantiate(module);
    runtimeCache.set(module, p);
    p.catch(() => runtimeCache.delete(module));
  }
  return p;
}

/**
 * Upper bound on a file that this runtime could still hold: the memory's
 * maximum (4 GiB for wasm32, less if the module declares less) minus the
 * memory already reserved.
 */
export function memoryLimit(runtime) {
  return Math.max(0, runtime.maxMemory - runtime.memoryBytes - WASM_PAGE);
}
