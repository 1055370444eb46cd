// Types of the package's .wasm subpaths ('memcom/memcom-simd.wasm',
// 'memcom/memcom.wasm', 'memcom/memcom-writer.wasm'), imported through a
// bundler that turns a .wasm import into the URL of the emitted file (esbuild
// --loader:.wasm=file, webpack `type: 'asset/resource'`, @rollup/plugin-url):
//   import simd from 'memcom/memcom-simd.wasm';
//   import scalar from 'memcom/memcom.wasm';
//   await loadModel(url, { wasm: { simd, scalar } });
declare const url: string;
export default url;
