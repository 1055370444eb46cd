// source.js - reading a model file from any source (URL, Response, Blob,
// bytes, a Node file path) straight into a block of WebAssembly memory, with
// size limits checked before reading.

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

