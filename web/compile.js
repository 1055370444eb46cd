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

/** Compile (or fetch from the cache) the module described by `wasm` (`defaultUrl` when undefined or null). */
export function getModule(wasm, defaultUrl) {
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
    const loc = wasm === undefined || wasm === null ? defaultUrl : toUrl(wasm);
    const key = loc.path !== undefined ? `path:${loc.path}` : loc.href;
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

