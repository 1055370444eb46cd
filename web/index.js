// memcom - compressed recommendation embeddings (MEmCom) in WebAssembly.
//
//   import { loadModel } from 'memcom';
//   const model = await loadModel('model.memcom');
//   model.recommend(['item-1', 'item-7'], { k: 10 });  // [{ id, index, score }]
//
// Works unchanged in browsers, Web Workers and Node >= 20.19 (an ES module;
// require() of it needs Node >= 20.19). Without a bundler that copies the
// .wasm files: setWasmBase() or options.wasmBase (README.md).

export { MemcomError } from './errors.js';
export { loadModel, MemcomModel } from './model.js';
export { loadTable, MemcomTable } from './table.js';
export { buildModel } from './build.js';
export { hasSimd } from './compile.js';
export { init, setWasmBase } from './runtime.js';
