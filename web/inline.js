// memcom/inline - the same API as 'memcom', with the WebAssembly builds
// embedded (base64, web/embedded.js) instead of fetched: for setups that
// cannot serve a .wasm file beside the JavaScript.  It costs the size of all
// three builds in base64 (README.md, "One file, wasm included", gives it).
//
//   import { loadModel } from 'memcom/inline';
//
// Each build is decoded and compiled once, on first use (the SIMD one, or the
// fallback without SIMD; the writer on the first buildModel).  Options that
// locate a .wasm (`wasm`, `wasmBase`) still win when given; setWasmBase() does
// not apply here.

import * as memcom from './index.js';
import { getModule, wantSimd } from './compile.js';
import { SIMD, SCALAR, WRITER } from './embedded.js';

export { MemcomError, MemcomModel, MemcomTable, hasSimd, setWasmBase } from './index.js';

const EMBEDDED = { simd: SIMD, scalar: SCALAR, writer: WRITER };
const compiled = new Map(); // 'simd' | 'scalar' | 'writer' -> Promise<WebAssembly.Module>

function decode(b64) {
  const s = atob(b64);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function embedded(which) {
  let p = compiled.get(which);
  if (p === undefined) {
    p = Promise.resolve().then(() => getModule(decode(EMBEDDED[which]), `the embedded ${which} build`));
    compiled.set(which, p);
    p.catch(() => compiled.delete(which));
  }
  return p;
}

/** The options with the embedded module as `wasm`, unless they locate one themselves (or are not an object: the API reports that). */
async function withEmbedded(options, writer) {
  if (options === undefined || options === null) options = {};
  else if (typeof options !== 'object') return options;
  if ((options.wasm !== undefined && options.wasm !== null) || (options.wasmBase !== undefined && options.wasmBase !== null)) return options;
  const which = writer ? 'writer' : wantSimd(options.simd) ? 'simd' : 'scalar';
  return { ...options, wasm: await embedded(which) };
}

/** As loadModel of 'memcom' (web/index.d.ts), with the embedded module. */
export async function loadModel(source, options) {
  return memcom.loadModel(source, await withEmbedded(options, false));
}

/** As loadTable of 'memcom', with the embedded module. */
export async function loadTable(source, options) {
  return memcom.loadTable(source, await withEmbedded(options, false));
}

/** As buildModel of 'memcom', with the embedded writer module. */
export async function buildModel(spec, options) {
  return memcom.buildModel(spec, await withEmbedded(options, true));
}

/** As init of 'memcom', with the embedded module. */
export async function init(options) {
  return memcom.init(await withEmbedded(options, false));
}
