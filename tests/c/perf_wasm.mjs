// perf_wasm.mjs - quick Node timings of dist/*.wasm: open (copy into wasm
// memory + validate) and the top-10 scan.  Usage: node perf_wasm.mjs FILE [simd|scalar]
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? '/tmp/perf.memcom';
const flavour = process.argv[3] ?? 'simd';
const wasmPath = fileURLToPath(new URL(`../../dist/${flavour === 'simd' ? 'memcom-simd' : 'memcom'}.wasm`, import.meta.url));
const mod = new WebAssembly.Module(fs.readFileSync(wasmPath));
const stub = () => 52;
const imports = { env: { emscripten_notify_memory_growth: () => {} }, wasi_snapshot_preview1: new Proxy({}, { get: () => stub }) };
const inst = new WebAssembly.Instance(mod, imports);
const x = inst.exports;
if (x._initialize) x._initialize();
const u8 = () => new Uint8Array(x.memory.buffer);
const u32 = () => new Uint32Array(x.memory.buffer);
const f32 = () => new Float32Array(x.memory.buffer);
const cstr = (p) => { const b = u8(); let e = p; while (b[e]) e++; return new TextDecoder().decode(b.subarray(p, e)); };
console.log('kernels', cstr(x.mc_kernel_name()), 'version', cstr(x.mc_version()));

const bytes = fs.readFileSync(file);
let best = 1e9, h = 0;
for (let it = 0; it < 5; it++) {
  if (h) x.mc_close(h);
  const t0 = performance.now();
  const p = x.mc_malloc(bytes.length);
  u8().set(bytes, p);
  const t1 = performance.now();
  const scratch = x.mc_malloc(1024);
  const rc = x.mc_open_ex(p, bytes.length, 0, scratch, scratch + 8, 512);
  const t2 = performance.now();
  if (rc) throw new Error(`open: ${cstr(x.mc_error_name(rc))}: ${cstr(scratch + 8)}`);
  h = u32()[scratch >> 2];
  x.mc_free(scratch);
  console.log(`open: copy ${(t1 - t0).toFixed(1)} ms, validate ${(t2 - t1).toFixed(1)} ms`);
  best = Math.min(best, t2 - t1);
}
const info = x.mc_malloc(176);
x.mc_info(h, info);
const n = u32()[(info + 8) >> 2], d = u32()[(info + 24) >> 2];
console.log(`n=${n} d=${d} file ${(bytes.length / 1e6).toFixed(1)} MB, validate best ${best.toFixed(1)} ms`);

const vec = x.mc_malloc(4 * d), oi = x.mc_malloc(40), os = x.mc_malloc(40), no = x.mc_malloc(4);
let tb = 1e9;
for (let it = 0; it < 40; it++) {
  const v = f32();
  for (let j = 0; j < d; j++) v[(vec >> 2) + j] = Math.random() * 2 - 1;
  const t0 = performance.now();
  const rc = x.mc_topk(h, vec, d, 10, 0, 0, 0, 0, 1, oi, os, no);
  const t = performance.now() - t0;
  if (rc) throw new Error('topk ' + rc);
  tb = Math.min(tb, t);
}
console.log(`top-10 (bias): best ${tb.toFixed(3)} ms = ${(n / tb / 1e3).toFixed(0)} M items/s`);
const scores = x.mc_malloc(4 * n);
tb = 1e9;
for (let it = 0; it < 10; it++) {
  const t0 = performance.now();
  x.mc_score_vector(h, vec, d, scores);
  tb = Math.min(tb, performance.now() - t0);
}
console.log(`score all: best ${tb.toFixed(3)} ms`);
