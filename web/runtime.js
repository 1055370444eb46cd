// runtime.js - one instance of a memcom WebAssembly module (one linear
// memory, shared by every model loaded from the same module), its imports,
// and what the JavaScript side asks the module rather than knowing itself:
// error names, enum names and the layout of the structs it fills.
//
// Any call into wasm may grow memory, which detaches typed-array views: views
// are taken from the getters (u8/u32/f32) after the last call, never kept.

import { MemcomError, jsCode, describe } from './errors.js';
import { describeSource } from './env.js';
import { RANKING_EXPORTS, WRITER_EXPORTS } from './exports.js';
import { getModule, maxMemoryOf, wantSimd } from './compile.js';
import { checkSignal, raceAbort } from './source.js';

const FOUR_GIB = 2 ** 32;
const WASM_PAGE = 65536;

/** memcom.h memcom_name_set and memcom_struct_id (the ABI's enum arguments). */
export const NAMES = Object.freeze({ kind: 0, dtype: 1, bucketMode: 2, activation: 3, idEncoding: 4 });
export const STRUCTS = Object.freeze({ info: 0, layerInfo: 1 });

const utf8 = new TextDecoder('utf-8');
const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

export class Runtime {
  constructor(instance, maxMemory, required) {
    this.exports = instance.exports;
    /** Bytes the linear memory may grow to (from the module's memory section when known). */
    this.maxMemory = maxMemory;
    for (const name of ['memory', ...required]) {
      if (!(name in this.exports)) throw new MemcomError('wasm', `the WebAssembly module does not export ${name}: not memcom's module?`);
    }
    /** @type {WebAssembly.Memory} */
    this.memory = this.exports.memory;
    this._buffer = null;
    this._u8 = null;
    this._u32 = null;
    this._f32 = null;
    this._errorNames = new Map();
    this._enums = new Map();
    this._layouts = new Map();
    this._scratchPtr = 0;
    this._scratchCap = 0;
    this.version = this.cstring(this.exports.mc_version());
    this.kernel = typeof this.exports.mc_kernel_name === 'function' ? this.cstring(this.exports.mc_kernel_name()) : null;
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

  /** Upper bound on a file this runtime could still hold: the memory's maximum minus what is reserved. */
  memoryLimit() {
    return Math.max(0, this.maxMemory - this.memoryBytes - WASM_PAGE);
  }

  alloc(size, what) {
    if (size >= FOUR_GIB) throw new MemcomError('too_large', `${what}: needs ${size} bytes of WebAssembly memory`);
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

  /**
   * The persistent scratch area, carved into 8-byte aligned parts of these
   * sizes: returns their pointers.  It lives until a larger request replaces
   * it, so the parts are valid only until the next scratch() call: callers
   * convert every argument first (which may run the caller's code, and so
   * other calls), then take the scratch, call wasm and copy the results out.
   */
  scratch(sizes, what) {
    const ptrs = [];
    let total = 0;
    for (const s of sizes) {
      ptrs.push(total);
      total += Math.ceil(Math.max(s, 4) / 8) * 8;
    }
    if (total > this._scratchCap) {
      if (total >= FOUR_GIB) throw new MemcomError('too_large', `${what}: needs ${total} bytes of scratch memory`);
      const cap = Math.min(Math.max(total, 2 * this._scratchCap, 4096), FOUR_GIB - 8);
      // the old area first (its contents are dead), so both never take memory at once
      this.free(this._scratchPtr);
      this._scratchPtr = 0;
      this._scratchCap = 0;
      this._scratchPtr = this.alloc(cap, what);
      this._scratchCap = cap;
    }
    for (let i = 0; i < ptrs.length; i++) ptrs[i] += this._scratchPtr;
    return ptrs;
  }

  cstring(ptr) {
    ptr >>>= 0;
    if (ptr === 0) return '';
    const u8 = this.u8;
    let end = ptr;
    while (end < u8.length && u8[end] !== 0) end++;
    return utf8.decode(u8.subarray(ptr, end));
  }

  /** The JavaScript code of C error `code`: the module's name (mc_error_name), two spelt out in full. */
  errorName(code) {
    let name = this._errorNames.get(code);
    if (name === undefined) {
      const c = this.cstring(this.exports.mc_error_name(code));
      name = c && c !== 'unknown' ? jsCode(c) : `error_${code}`;
      this._errorNames.set(code, name);
    }
    return name;
  }

  /** Every C error name of the module, by code (code 0, "ok", excluded). */
  errorNames() {
    const out = new Map();
    for (let code = 1; code < 256; code++) {
      const c = this.cstring(this.exports.mc_error_name(code));
      if (c && c !== 'unknown') out.set(code, c);
    }
    return out;
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

  /** The names of enum `set` (NAMES.*) by value, from the module (mc_enum_name). */
  enumNames(set) {
    let names = this._enums.get(set);
    if (names === undefined) {
      names = [];
      for (let v = 0; ; v++) {
        const p = this.exports.mc_enum_name(set, v) >>> 0;
        if (p === 0) break;
        names.push(this.cstring(p));
      }
      Object.freeze(names);
      this._enums.set(set, names);
    }
    return names;
  }

  /** The value of name `name` in enum `set`, or -1. */
  enumValue(set, name) {
    return this.enumNames(set).indexOf(name);
  }

  /** The fields of struct `which` (STRUCTS.*): [{ name, offset, size }], from the module (mc_struct_field). */
  layout(which) {
    let fields = this._layouts.get(which);
    if (fields === undefined) {
      fields = [];
      for (let i = 0; ; i++) {
        const [np, op, sp] = this.scratch([4, 4, 4], 'a struct layout');
        if (this.exports.mc_struct_field(which, i, np, op, sp) !== 0) break;
        const u32 = this.u32;
        const f = { offset: u32[op >>> 2], size: u32[sp >>> 2] };
        f.name = this.cstring(u32[np >>> 2]);
        fields.push(Object.freeze(f));
      }
      if (fields.length === 0) throw new MemcomError('wasm', `the WebAssembly module describes no struct ${which}`);
      Object.freeze(fields);
      this._layouts.set(which, fields);
    }
    return fields;
  }

  /** The size in bytes of struct `which`. */
  structSize(which) {
    let end = 0;
    for (const f of this.layout(which)) end = Math.max(end, f.offset + f.size);
    return end;
  }

  /** Decode struct `which` at ptr: { name: number } (8-byte fields as bigint). */
  readStruct(which, ptr) {
    const out = {};
    const u32 = this.u32;
    for (const f of this.layout(which)) {
      const w = (ptr + f.offset) >>> 2;
      out[f.name] = f.size === 8 ? BigInt(u32[w]) | (BigInt(u32[w + 1]) << 32n) : u32[w];
    }
    return out;
  }

  /** Decode the UTF-8 bytes at ptr..ptr+len (strict). */
  decodeUtf8(ptr, len) {
    return utf8Fatal.decode(this.u8.subarray(ptr, ptr + len));
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

async function instantiate(module, required) {
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
  const rt = new Runtime(instance, maxMemoryOf(module), required);
  // the ranking module: run its ranking code once on small built-in tables
  // (memcom_warm_up), so that the engine has optimised it (WebAssembly engines
  // compile in tiers) before the first real ranking, while the file arrives;
  // optional (it may fail only for memory, which the load then reports)
  if (required.includes('mc_warm_up')) rt.exports.mc_warm_up();
  return rt;
}

const runtimeCache = new WeakMap(); // WebAssembly.Module -> Promise<Runtime>

function runtimeOf(module, required) {
  let p = runtimeCache.get(module);
  if (p === undefined) {
    p = instantiate(module, required);
    runtimeCache.set(module, p);
    p.catch(() => runtimeCache.delete(module));
  }
  return p;
}

function isWasmSource(wasm) {
  return typeof wasm === 'string' || wasm instanceof URL || ArrayBuffer.isView(wasm) || wasm instanceof ArrayBuffer ||
    wasm instanceof WebAssembly.Module || (typeof Response === 'function' && wasm instanceof Response);
}

/** The file names of the three builds in the package's dist/ folder (and in any folder given as wasmBase). */
export const WASM_FILES = Object.freeze({ simd: 'memcom-simd.wasm', scalar: 'memcom.wasm', writer: 'memcom-writer.wasm' });

// Where memcom's .wasm files are when no option says: beside its own code.
// Literal `new URL('...', import.meta.url)` expressions, so bundlers that
// follow them (Vite, webpack 5, Parcel) see and copy each file.  Without
// import.meta (a CommonJS bundle), there is no such place.
function defaultUrl(which) {
  try {
    if (which === 'simd') return new URL('../dist/memcom-simd.wasm', import.meta.url);
    if (which === 'scalar') return new URL('../dist/memcom.wasm', import.meta.url);
    return new URL('../dist/memcom-writer.wasm', import.meta.url);
  } catch (e) {
    throw new MemcomError('wasm',
      `cannot locate ${WASM_FILES[which]}: memcom finds its .wasm files from import.meta.url, which this code does not have ` +
      `(${e.message}; memcom was bundled into CommonJS or a classic script?). ${BASE_ADVICE}`, { cause: e });
  }
}

const BASE_ADVICE = 'Copy the .wasm files of node_modules/memcom/dist/ to a folder your site (or your bundle) serves ' +
  'and give that folder as options.wasmBase or with setWasmBase(); see "Where the .wasm files are" in memcom\'s README';

let globalBase = null; // setWasmBase()

function checkBase(base, option) {
  if ((typeof base === 'string' && base !== '') || base instanceof URL) return base;
  throw new MemcomError('invalid_argument',
    `${option} must be a URL or a non-empty string (the folder that holds memcom's .wasm files), got ${describe(base)}`);
}

/** `file` in folder `base` (a URL, a URL string or, in Node, a directory path). */
function inFolder(base, file) {
  if (base instanceof URL) {
    const u = new URL(base.href);
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    return new URL(file, u);
  }
  return /[\\/]$/.test(base) ? base + file : `${base}/${file}`;
}

/**
 * Set the folder every later load takes memcom's .wasm files from when its
 * options give neither `wasm` nor `wasmBase` (null: back to the default,
 * beside the package's code).  For bundlers that do not copy the files and
 * for a CDN: the folder must hold memcom-simd.wasm, memcom.wasm and
 * memcom-writer.wasm as the package ships them.
 */
export function setWasmBase(base) {
  globalBase = base === null || base === undefined ? null : checkBase(base, 'setWasmBase(base)');
}

/**
 * Where build `which` ('simd' | 'scalar' | 'writer') comes from under these
 * options: [source for getModule, the option it came from, advice for failures].
 * options.wasm wins, then options.wasmBase, then setWasmBase(), then the default.
 */
function locate(options, which, given) {
  const file = WASM_FILES[which];
  if (given !== undefined && given !== null) {
    return [given, 'options.wasm', `It was given as options.wasm: point that at memcom's ${file} (node_modules/memcom/dist/${file}), or give the folder holding the .wasm files as options.wasmBase instead`];
  }
  const folderAdvice = (opt, base) => `${opt} (${describeSource(base)}) must be the folder that holds memcom's ${Object.values(WASM_FILES).join(', ')}, ` +
    'copied from node_modules/memcom/dist/ (and served with an Access-Control-Allow-Origin header when on another origin)';
  if (options.wasmBase !== undefined && options.wasmBase !== null) {
    const base = checkBase(options.wasmBase, 'options.wasmBase');
    return [inFolder(base, file), 'options.wasmBase', folderAdvice('options.wasmBase', base)];
  }
  if (globalBase !== null) {
    return [inFolder(globalBase, file), 'setWasmBase()', folderAdvice('The folder given to setWasmBase()', globalBase)];
  }
  return [defaultUrl(which), 'the default location',
    `memcom looks for ${file} beside its own code unless told where it is; a bundler that does not copy it (esbuild, Rollup, a Node bundle) or a CDN leaves it elsewhere. ${BASE_ADVICE}`];
}

/**
 * The shared ranking runtime for these options: { wasm, wasmBase, simd }.
 * options.wasm may be a single module location/bytes/Module, or { simd, scalar }
 * giving one per build.
 */
export async function getRuntime(options = {}) {
  if (typeof WebAssembly !== 'object') throw new MemcomError('wasm', 'this JavaScript engine has no WebAssembly');
  const simd = wantSimd(options.simd);
  let wasm = options.wasm;
  if (wasm !== undefined && wasm !== null && !isWasmSource(wasm)) {
    if (typeof wasm !== 'object' || (!('simd' in wasm) && !('scalar' in wasm))) {
      throw new MemcomError('invalid_argument',
        'options.wasm must be a URL, a URL string, a file path (Node), bytes, a Response, a WebAssembly.Module or { simd, scalar }');
    }
    wasm = simd ? wasm.simd : wasm.scalar;
  }
  const [source, option, advice] = locate(options, simd ? 'simd' : 'scalar', wasm);
  return runtimeOf(await getModule(source, option, advice), RANKING_EXPORTS);
}

/** The shared writer runtime (buildModel): options.wasm is the writer module's location, bytes or Module; or options.wasmBase its folder. */
export async function getWriterRuntime(options = {}) {
  if (typeof WebAssembly !== 'object') throw new MemcomError('wasm', 'this JavaScript engine has no WebAssembly');
  const wasm = options.wasm;
  if (wasm !== undefined && wasm !== null && !isWasmSource(wasm)) {
    throw new MemcomError('invalid_argument', 'options.wasm must be a URL, a URL string, a file path (Node), bytes, a Response or a WebAssembly.Module');
  }
  const [source, option, advice] = locate(options, 'writer', wasm);
  return runtimeOf(await getModule(source, option, advice), WRITER_EXPORTS);
}

/**
 * Compile and instantiate the ranking module for these options ({ wasm, wasmBase, simd },
 * as loadModel takes them) ahead of the first load; resolves to what was
 * loaded: { simd, kernel, version }.  options.signal stops the waiting
 * ('aborted'); the compilation, shared with later loads, goes on.
 */
export async function init(options) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new MemcomError('invalid_argument', `init: options must be an object, got ${typeof options}`);
  }
  const signal = checkSignal(options?.signal, 'init');
  const rt = await raceAbort(getRuntime(options ?? {}), signal, 'init');
  return { simd: rt.simd, kernel: rt.kernel, version: rt.version };
}
