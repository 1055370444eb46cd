// source.js - reading a model file from any source (URL, Response,
// ReadableStream, Blob, bytes, a Node file path) straight into a block of
// WebAssembly memory, with size limits checked before reading, and
// cancellation by an AbortSignal (options.signal).

import { MemcomError } from './errors.js';
import { IS_NODE, nodeFs, hasUrlScheme, describeSource } from './env.js';

// ---------------------------------------------------------------------------
// Reading bytes from a source, with a size limit checked before reading
// ---------------------------------------------------------------------------
function tooLarge(what, size, limit, reason) {
  return new MemcomError('too_large',
    `${what} is ${size} bytes, more than ${reason} (${limit} bytes); refused before reading it into memory`);
}

const READ_CHUNK = 8 << 20; // bytes per file read in Node
// The most memory reserved for prepare while a file streams in, per byte of
// the file: prepare's O(n) structures take up to ~10 bytes per stored byte (a
// memcom table with f16 scalars and i mod m buckets: 2 bytes per item in the
// file, ~20 in its sorted bucket lists and bounds); a header promising more
// than this is not reserved for (prepare still runs and reports any error).
const RESERVE_PER_FILE_BYTE = 16;

/**
 * A block of wasm memory that one file is written into, allocated once the
 * file's size is known (after every limit check), so the bytes are copied
 * once, chunk by chunk, and never gathered in JavaScript.  Views of memory
 * are re-taken for every write: another load may grow (and so detach) the
 * memory meanwhile.  The CRC32s of its 64 KiB blocks are taken as they fill
 * (mc_crc_update), which also validates each section of the file once its
 * bytes are in, so that opening the file does not read it all again after
 * its last byte.  `free()` gives the block back; after a successful read the
 * caller passes { ptr, size, crc } on to mc_open_ex, which takes ownership of
 * ptr, and then frees crc (mc_crc_free).
 */
class FileBlock {
  constructor(runtime, size, where, prepare = null) {
    const nowLimit = runtime.memoryLimit();
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
    /** { int8Index, bucketBounds, maxBytes } until the memory mc_prepare will take is reserved (or found not needed) */
    this.prepare = prepare;
  }

  /**
   * While more of the file is to come: once its header is in, the memory
   * mc_prepare will allocate (mc_prepare_bytes, from the header) is
   * allocated, written and freed, so that growing WebAssembly memory and
   * the first writes to its pages (in Node about 13 ms for a 1M-item 16x
   * model) happen while the file arrives, not after its last byte; prepare
   * then reuses that memory.  Only what the load would accept (within
   * maxBytes and the memory's maximum, and O(file): at most
   * RESERVE_PER_FILE_BYTE times the file's size).
   */
  _reserve() {
    const rt = this.runtime;
    const { int8Index, bucketBounds, maxBytes } = this.prepare;
    const bytes = rt.exports.mc_prepare_bytes(this.ptr, this.at, this.size, int8Index ? 1 : 0, bucketBounds ? 1 : 0);
    if (bytes < 0) return; // the header is not all there yet
    this.prepare = null;
    if (!(bytes > 0) || bytes > RESERVE_PER_FILE_BYTE * this.size || this.size + bytes > maxBytes || bytes > rt.memoryLimit()) return;
    const p = rt.exports.mc_malloc(bytes) >>> 0;
    if (p === 0) return;
    rt.u8.fill(0, p, p + bytes);
    rt.free(p);
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
    if (this.prepare && this.at < this.size) this._reserve();
  }

  free() {
    if (this.ptr) this.runtime.free(this.ptr);
    if (this.crc) this.runtime.exports.mc_crc_free(this.crc);
    this.ptr = 0;
    this.crc = 0;
  }
}

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

/** options.signal, checked: an AbortSignal (or anything with its `aborted`
 *  and `addEventListener`), or null when absent. */
export function checkSignal(signal, where) {
  if (signal === undefined || signal === null) return null;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' ||
      typeof signal.addEventListener !== 'function' || typeof signal.removeEventListener !== 'function') {
    throw new MemcomError('invalid_argument', `${where}: options.signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  }
  return signal;
}

/** The MemcomError 'aborted' of `signal`, its reason as the cause. */
export function abortError(signal, where) {
  const r = signal.reason;
  const why = r instanceof Error ? ` (${r.name}: ${r.message})` : r !== undefined ? ` (${String(r)})` : '';
  return new MemcomError('aborted', `${where}: aborted by options.signal${why}`, { cause: r });
}

/** Throw 'aborted' when `signal` (may be null) has aborted. */
export function throwIfAborted(signal, where) {
  if (signal && signal.aborted) throw abortError(signal, where);
}

/**
 * `promise`, or a rejection with 'aborted' as soon as `signal` aborts (at
 * once when it already has).  The work behind `promise` is not stopped: only
 * use this where that is safe (no write into wasm memory pending), and
 * cancel what can be cancelled in the caller's catch.  The listener is
 * removed either way, so a long-lived signal keeps no reference to the load.
 */
export function raceAbort(promise, signal, where) {
  if (!signal) return promise;
  if (signal.aborted) {
    Promise.resolve(promise).catch(() => {}); // settles unobserved
    return Promise.reject(abortError(signal, where));
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, where));
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}

/** A failure of a read as a MemcomError: 'aborted' once the signal has
 *  aborted (fetch and streams report an abort as their own AbortError),
 *  else 'io' unless it is a MemcomError already. */
function cannotRead(ctx, what, e) {
  if (ctx.signal && ctx.signal.aborted && !(e instanceof MemcomError && e.code !== 'io')) return abortError(ctx.signal, ctx.where);
  if (e instanceof MemcomError) return e;
  return new MemcomError('io', `cannot read ${what}: ${e && e.message ? e.message : String(e)}`, { cause: e });
}

/** The next chunk of `reader`, or 'aborted' as soon as the signal aborts
 *  (safe: a chunk is copied by us, nothing writes into wasm memory meanwhile;
 *  the caller cancels the reader). */
function readChunk(reader, ctx) {
  return raceAbort(reader.read(), ctx.signal, ctx.where);
}

// A read's context: { limit, limitReason, sink (size -> FileBlock), signal
// (null or an AbortSignal), where (the caller, for messages) }.

/** Read a fetch Response body into a FileBlock from ctx.sink, refusing more
 * than ctx.limit bytes.  With a trustworthy Content-Length the body goes
 * straight into the block; otherwise it is gathered in JavaScript first.
 * Failures of the body itself (a download cut short, a body already used)
 * become MemcomError 'io'; an abort, 'aborted'. */
async function readResponse(res, what, ctx) {
  try {
    return await readResponseBody(res, what, ctx);
  } catch (e) {
    throw cannotRead(ctx, what, e);
  }
}

async function readResponseBody(res, what, ctx) {
  if (!res.ok) {
    throw new MemcomError('io', `cannot fetch ${what}: HTTP ${res.status} ${res.statusText || ''}`.trim());
  }
  const { limit, limitReason } = ctx;
  const lenHeader = res.headers && res.headers.get('content-length');
  const declared = lenHeader !== null && lenHeader !== undefined && /^\d+$/.test(lenHeader) ? Number(lenHeader) : -1;
  const encoded = res.headers && res.headers.get('content-encoding');
  if (declared > limit && !encoded) {
    if (res.body && typeof res.body.cancel === 'function') res.body.cancel().catch(() => {});
    throw tooLarge(what, declared, limit, limitReason);
  }
  if (!res.body || typeof res.body.getReader !== 'function') {
    const ab = await raceAbort(res.arrayBuffer(), ctx.signal, ctx.where);
    if (ab.byteLength > limit) throw tooLarge(what, ab.byteLength, limit, limitReason);
    return new Uint8Array(ab);
  }
  const reader = res.body.getReader();
  if (declared >= 0 && !encoded) return readStreamInto(reader, declared, 'its Content-Length declares', what, ctx);
  return readStreamGathered(reader, what, ctx);
}

/** A stream of unknown (or encoded) length: gather the chunks, then copy them
 *  into a block once their total is known.  On failure the stream is cancelled. */
async function readStreamGathered(reader, what, ctx) {
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await readChunk(reader, ctx);
      if (done) break;
      const chunk = chunkBytes(value, what);
      total += chunk.length;
      if (total > ctx.limit) throw tooLarge(what, `at least ${total}`, ctx.limit, ctx.limitReason);
      chunks.push(chunk);
    }
  } catch (e) {
    reader.cancel(ctx.signal && ctx.signal.aborted ? ctx.signal.reason : undefined).catch(() => {});
    throw cannotRead(ctx, what, e);
  }
  throwIfAborted(ctx.signal, ctx.where);
  const block = ctx.sink(total);
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
 * shorter or longer than `size` is an 'io' error (longer than the limit:
 * 'too_large'); an abort is 'aborted' at once, even while a read is pending;
 * on any failure the block is freed and the stream cancelled.
 */
async function readStreamInto(reader, size, sizeSource, what, ctx) {
  let block = null;
  try {
    throwIfAborted(ctx.signal, ctx.where);
    block = ctx.sink(size);
    for (;;) {
      const { done, value } = await readChunk(reader, ctx);
      if (done) break;
      const chunk = chunkBytes(value, what);
      const total = block.at + chunk.length;
      if (total > size) {
        if (total > ctx.limit) throw tooLarge(what, `at least ${total}`, ctx.limit, ctx.limitReason);
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
    reader.cancel(ctx.signal && ctx.signal.aborted ? ctx.signal.reason : undefined).catch(() => {});
    throw cannotRead(ctx, what, e);
  }
}

/**
 * A Node file, read straight into wasm memory.  The signal is checked
 * between reads, never raced against one: a pending fs read writes into the
 * block, which must not be freed (and reused) before it completes.  A read is
 * at most READ_CHUNK bytes of a regular file, so an abort takes effect after
 * at most one such read.
 */
async function readFileNode(pathOrUrl, what, ctx) {
  const { limit, limitReason } = ctx;
  const fs = await nodeFs();
  throwIfAborted(ctx.signal, ctx.where);
  let st;
  try {
    st = await fs.stat(pathOrUrl); // before opening: a FIFO would block open()
  } catch (e) {
    throw cannotRead(ctx, what, e);
  }
  if (!st.isFile()) throw new MemcomError('io', `cannot read ${what}: not a regular file`);
  if (st.size > limit) throw tooLarge(what, st.size, limit, limitReason);
  throwIfAborted(ctx.signal, ctx.where);
  let fh;
  try {
    fh = await fs.open(pathOrUrl, 'r');
  } catch (e) {
    throw cannotRead(ctx, what, e);
  }
  let block = null;
  try {
    const fst = await fh.stat(); // the file as opened (it may have changed since stat)
    if (!fst.isFile()) throw new MemcomError('io', `cannot read ${what}: not a regular file`);
    if (fst.size > limit) throw tooLarge(what, fst.size, limit, limitReason);
    throwIfAborted(ctx.signal, ctx.where);
    block = ctx.sink(fst.size);
    // Read straight into wasm memory.  If memory grew during a read (another
    // load), that chunk is read again into a fresh view: V8 grows wasm32
    // memory in place on 64-bit hosts, but the old view is detached either way.
    while (block.at < block.size) {
      throwIfAborted(ctx.signal, ctx.where);
      const view = block.next(Math.min(block.size - block.at, READ_CHUNK));
      const { bytesRead } = await fh.read(view, 0, view.length, block.at);
      if (view.buffer !== block.runtime.memory.buffer) continue;
      if (bytesRead === 0) {
        throw new MemcomError('io', `cannot read ${what}: the file ended after ${block.at} of the ${block.size} bytes it had when opened`);
      }
      block.advance(bytesRead);
    }
    throwIfAborted(ctx.signal, ctx.where);
    return block;
  } catch (e) {
    if (block) block.free();
    throw cannotRead(ctx, what, e);
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * fetch() under the signal: an abort stops the request and its body.  fetch
 * gets a signal of its own, which the caller's aborts (through a listener
 * removed when the load ends): fetch may keep its listener on the signal it
 * is given, and a caller's long-lived signal must not keep finished loads.
 */
async function fetchUrl(url, what, ctx) {
  if (typeof fetch !== 'function') throw new MemcomError('io', `cannot fetch ${what}: no fetch() in this environment`);
  const outer = ctx.signal;
  const inner = outer && typeof AbortController === 'function' ? new AbortController() : null;
  const forward = () => inner.abort(outer.reason);
  if (inner) outer.addEventListener('abort', forward, { once: true });
  try {
    let res;
    try {
      res = await raceAbort(fetch(url, inner ? { signal: inner.signal } : undefined), outer, ctx.where);
    } catch (e) {
      if (outer && outer.aborted) throw abortError(outer, ctx.where);
      if (e instanceof MemcomError) throw e;
      throw new MemcomError('io', `cannot fetch ${what}: ${e.message}`, { cause: e });
    }
    return await readResponse(res, what, ctx);
  } finally {
    if (inner) outer.removeEventListener('abort', forward);
  }
}

/** A ReadableStream as a source (its length unknown): gathered, then copied in once. */
function isReadableStream(v) {
  return (typeof ReadableStream === 'function' && v instanceof ReadableStream) ||
    (v !== null && typeof v === 'object' && typeof v.getReader === 'function' && typeof v.cancel === 'function' &&
      typeof v.tee === 'function');
}

/**
 * A model file from any supported source: a URL (string or URL), a Response,
 * a ReadableStream of bytes, a Blob, an ArrayBuffer or typed array, or (in
 * Node) a file path.  Refuses more than ctx.limit bytes before reading them
 * where the size is known.  Sources whose size is known before their bytes
 * arrive (a Response or URL with Content-Length and no Content-Encoding, a
 * Blob, a Node file) are read straight into a FileBlock from ctx.sink (size
 * -> FileBlock), bodies and streams of unknown or encoded length are gathered
 * and then copied into one; the block is returned.  Bytes in memory already
 * (typed arrays, ArrayBuffers) are returned as a Uint8Array.
 */
async function readSource(source, ctx) {
  const { limit, limitReason } = ctx;
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
    return readResponse(source, `the model at ${source.url || '(response)'}`, ctx);
  }
  if (isReadableStream(source)) {
    let reader;
    try {
      reader = source.getReader();
    } catch (e) {
      throw cannotRead(ctx, 'the model stream', e);
    }
    return readStreamGathered(reader, 'the model stream', ctx);
  }
  if (typeof Blob === 'function' && source instanceof Blob) {
    if (source.size > limit) throw tooLarge('the model blob', source.size, limit, limitReason);
    if (typeof source.stream === 'function') {
      let reader;
      try {
        reader = source.stream().getReader();
      } catch (e) {
        throw cannotRead(ctx, 'the model blob', e);
      }
      return readStreamInto(reader, source.size, 'its size declares', 'the model blob', ctx);
    }
    try {
      return new Uint8Array(await raceAbort(source.arrayBuffer(), ctx.signal, ctx.where));
    } catch (e) {
      throw cannotRead(ctx, 'the model blob', e);
    }
  }
  if (source instanceof URL || typeof source === 'string') {
    if (typeof source === 'string' && source.length === 0) {
      throw new MemcomError('invalid_argument', 'the model source is an empty string');
    }
    const what = `the model ${describeSource(source)}`;
    if (IS_NODE) {
      if (source instanceof URL) {
        return source.protocol === 'file:' ? readFileNode(source, what, ctx) : fetchUrl(source, what, ctx);
      }
      if (hasUrlScheme(source)) {
        let u;
        try {
          u = new URL(source);
        } catch (e) {
          throw new MemcomError('invalid_argument', `${what} is not a valid URL (${e.message})`, { cause: e });
        }
        return u.protocol === 'file:' ? readFileNode(u, what, ctx) : fetchUrl(u, what, ctx);
      }
      return readFileNode(source, what, ctx);
    }
    return fetchUrl(source, what, ctx);
  }
  throw new MemcomError('invalid_argument',
    'the model source must be a URL, a URL string, a file path (Node), a Response, a ReadableStream, a Blob, an ArrayBuffer or a Uint8Array');
}

/** Whether `source` is fetched over the network (a URL, a URL string outside
 *  Node file paths, or a Response): where options.maxItems has a default. */
export function isRemoteSource(source) {
  if (typeof Response === 'function' && source instanceof Response) return true;
  if (source instanceof URL) return !(IS_NODE && source.protocol === 'file:');
  if (typeof source === 'string' && source.length > 0) {
    if (!IS_NODE) return true;
    return hasUrlScheme(source) && !/^file:/i.test(source);
  }
  return false;
}

/**
 * Read `source` into a new block of the runtime's wasm memory: { ptr, size,
 * crc }, ptr from mc_malloc and crc from mc_crc_new (or 0), for mc_open_ex
 * (which takes ownership of ptr; the caller frees crc).  Limits are checked
 * before allocating; sizes known up front are streamed in (no copy of the
 * whole file in JavaScript), the rest (typed arrays, ArrayBuffers, bodies of
 * unknown or encoded length) is copied in once.  `where` prefixes errors;
 * `signal` (null or an AbortSignal) cancels the read: the promise rejects
 * with 'aborted' and nothing stays allocated.
 */
export async function readSourceInto(runtime, source, limit, limitReason, where, signal = null, prepare = null) {
  const ctx = { limit, limitReason, where, signal, sink: (size) => new FileBlock(runtime, size, where, prepare) };
  throwIfAborted(signal, where);
  const got = await readSource(source, ctx);
  if (got instanceof FileBlock) {
    if (signal && signal.aborted) {
      got.free();
      throw abortError(signal, where);
    }
    return { ptr: got.ptr, size: got.size, crc: got.crc };
  }
  throwIfAborted(signal, where);
  const block = ctx.sink(got.length); // another load may have grown memory while we read
  block.write(got);
  return { ptr: block.ptr, size: block.size, crc: block.crc };
}
