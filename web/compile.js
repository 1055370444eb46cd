// compile.js - compiling WebAssembly modules, from any source, once each
// (cached by location), and the SIMD probe that picks the build.

import { MemcomError } from './errors.js';
import { IS_NODE, nodeFs, hasUrlScheme, describeSource } from './env.js';

const FOUR_GIB = 2 ** 32;
const WASM_PAGE = 65536;

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

const moduleCache = new Map(); // `${location}` -> Promise<WebAssembly.Module>
const moduleMaxMemory = new WeakMap(); // WebAssembly.Module -> bytes its memory may grow to

/** Bytes the memory of a module compiled here may grow to (4 GiB when unknown). */
export function maxMemoryOf(module) {
  return moduleMaxMemory.get(module) ?? FOUR_GIB;
}

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

// Where a module came from, for messages: `what` names it ("the WebAssembly
// module https://.../memcom-simd.wasm"), `advice` says what to do when it cannot
// be loaded (which option to set).
function where(what, advice = '') {
  return { what, advice };
}

/** A MemcomError ('wasm') for a module that cannot be loaded: the problem, then what to do. */
function failure(ctx, verb, problem, cause) {
  const msg = `cannot ${verb} ${ctx.what}: ${problem}${ctx.advice ? `. ${ctx.advice}` : ''}`;
  return new MemcomError('wasm', msg, cause !== undefined ? { cause } : {});
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Why `bytes` cannot be a WebAssembly module, judged from its first bytes (null if it may be one). */
function notWasm(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  if (b.length >= 4 && MAGIC.every((x, i) => b[i] === x)) return null;
  if (b.length === 0) return 'it is empty, not a WebAssembly module';
  const head = b.subarray(0, 64);
  let text = '';
  for (const x of head) text += x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : x === 9 || x === 10 || x === 13 ? ' ' : '\u0000';
  const t = text.trimStart().toLowerCase();
  if (t.startsWith('<!doctype') || t.startsWith('<html') || t.startsWith('<head') || t.startsWith('<body') || t.startsWith('<')) {
    return `the server sent an HTML page, not WebAssembly (it starts with ${JSON.stringify(text.trim().slice(0, 20))}): ` +
      'the .wasm file is not at that address and the server answered with its fallback or error page';
  }
  return `it is not a WebAssembly module (it starts with ${hex(b.subarray(0, 4))}, not 00 61 73 6d)`;
}

/** Extra advice for an engine's compile error (a Content-Security-Policy that forbids WebAssembly). */
function compileHint(e) {
  const m = String(e && e.message);
  return /unsafe-eval|Content.Security.Policy|CSP/i.test(m)
    ? " (the page's Content-Security-Policy forbids compiling WebAssembly: add 'wasm-unsafe-eval' to its script-src)"
    : '';
}

async function compileBytes(bytes, ctx) {
  const bad = notWasm(bytes);
  if (bad !== null) throw failure(ctx, 'compile', bad);
  let module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw failure(ctx, 'compile', `${e.message}${compileHint(e)}`, e);
  }
  moduleMaxMemory.set(module, wasmMemoryMax(bytes));
  return module;
}

async function compileResponse(res, ctx) {
  if (!res.ok) {
    throw failure(ctx, 'fetch', `HTTP ${res.status}${res.status === 404 ? ' (not found)' : res.statusText ? ` ${res.statusText}` : ''}`);
  }
  // Streaming compilation needs the MIME type application/wasm; any other
  // type (a server that does not know .wasm) is read whole and compiled, so a
  // wrong type costs a copy, never a failure.  Not when the body may be an
  // HTML page: that is read and reported as such.
  const type = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  if (typeof WebAssembly.compileStreaming === 'function' && type === 'application/wasm') {
    // A copy of the body, read only on failure, to tell what was sent instead (a ~100 KB module).
    const copy = typeof res.clone === 'function' && !res.bodyUsed ? res.clone() : null;
    try {
      return await WebAssembly.compileStreaming(res);
    } catch (e) {
      let bad = null;
      try {
        if (copy !== null) bad = notWasm(new Uint8Array(await copy.arrayBuffer()));
      } catch {
        // the copy could not be read either: report the engine's message
      }
      throw failure(ctx, 'compile', bad ?? `${e.message}${compileHint(e)}`, e);
    }
  }
  let ab;
  try {
    ab = await res.arrayBuffer();
  } catch (e) {
    throw failure(ctx, 'fetch', e.message, e);
  }
  return compileBytes(ab, ctx);
}

/** The origin of the code running now (a page or worker), or null (Node). */
function ownOrigin() {
  try {
    return typeof location === 'object' && location !== null && location.origin && location.origin !== 'null' ? location.origin : null;
  } catch {
    return null;
  }
}

/** Why a fetch() of `url` that threw may have failed, for the message. */
function networkHint(url) {
  const mine = ownOrigin();
  if (mine !== null && url.origin !== mine && /^https?:$/.test(url.protocol)) {
    return ` (a network error: the file is on another origin, ${url.origin}, than this code, ${mine}: ` +
      'that server must send Access-Control-Allow-Origin with it (CORS), and a Content-Security-Policy must allow it in connect-src)';
  }
  return ' (a network error: the server is unreachable, or a Content-Security-Policy connect-src blocks the request)';
}

async function compileUrl(url, ctx) {
  if (IS_NODE && url.protocol === 'file:') {
    const fs = await nodeFs();
    let b;
    try {
      b = await fs.readFile(url);
    } catch (e) {
      throw failure(ctx, 'read', e.message, e);
    }
    return compileBytes(b, ctx);
  }
  if (typeof fetch !== 'function') throw failure(ctx, 'fetch', 'no fetch() in this environment');
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw failure(ctx, 'fetch', `${e.message}${networkHint(url)}`, e);
  }
  return compileResponse(res, ctx);
}

function toUrl(s, option) {
  if (s instanceof URL) return s;
  if (IS_NODE && !hasUrlScheme(s)) {
    // a file path: let fs resolve it relative to the working directory
    return { path: s };
  }
  const base = typeof location === 'object' && location !== null && location.href ? location.href : undefined;
  try {
    return new URL(s, base);
  } catch (e) {
    throw new MemcomError('invalid_argument', `${option}: ${describeSource(s)} is not a valid URL (${e.message})`, { cause: e });
  }
}

/**
 * Compile (or fetch from the cache) the module described by `wasm`, a URL, a
 * URL string, a file path (Node), bytes, a Response or a Module.  `option`
 * names the option it came from and `advice` says what to do if it cannot be
 * loaded (both for messages).
 */
export function getModule(wasm, option = 'options.wasm', advice = '') {
  if (typeof WebAssembly !== 'object') {
    return Promise.reject(new MemcomError('wasm', 'this JavaScript engine has no WebAssembly'));
  }
  if (wasm instanceof WebAssembly.Module) return Promise.resolve(wasm);
  if (wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) {
    return compileBytes(wasm, where(`the WebAssembly bytes given as ${option}`));
  }
  if (typeof Response === 'function' && wasm instanceof Response) {
    return compileResponse(wasm, where(`the WebAssembly module at ${wasm.url || '(response)'}`, advice));
  }
  if (typeof wasm === 'string' || wasm instanceof URL) {
    let loc;
    try {
      loc = toUrl(wasm, option);
    } catch (e) {
      return Promise.reject(e);
    }
    const key = loc.path !== undefined ? `path:${loc.path}` : loc.href;
    let p = moduleCache.get(key);
    if (p === undefined) {
      const ctx = where(`the WebAssembly module ${loc.path !== undefined ? loc.path : loc.href}`, advice);
      p = loc.path !== undefined ? readPathModule(loc.path, ctx) : compileUrl(loc, ctx);
      moduleCache.set(key, p);
      p.catch(() => moduleCache.delete(key)); // do not cache failures
    }
    return p;
  }
  return Promise.reject(new MemcomError('invalid_argument',
    `${option} must be a URL, a URL string, a file path (Node), bytes, a Response or a WebAssembly.Module`));
}

async function readPathModule(path, ctx) {
  const fs = await nodeFs();
  let b;
  try {
    b = await fs.readFile(path);
  } catch (e) {
    throw failure(ctx, 'read', e.message, e);
  }
  return compileBytes(b, ctx);
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

