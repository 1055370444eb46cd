import { makeWorkload, fullTable } from '../lib/workload.js';
import { reference, checkTopK } from '../lib/check.js';
import { timeQuery } from '../lib/timing.js';
import { fullTableGraph, memcomGraph } from '../onnx-graph.js';
import { ortEngine } from '../peers/ort.js';
const n = +process.argv[2] || 1000000, d = +process.argv[3] || 64;
let t = performance.now();
const wl = makeWorkload({ n, d });
console.log('workload', (performance.now()-t).toFixed(0), 'ms m=', wl.m);
t = performance.now();
const ref = reference(wl);
console.log('ref', (performance.now()-t).toFixed(0));
t = performance.now();
const E = fullTable(wl);
console.log('full', (performance.now()-t).toFixed(0));
const K = 10 + wl.history.length;
for (const layout of ['matmul', 'gemm']) {
  t = performance.now();
  const g = fullTableGraph({ E, bias: wl.bias, n, d, k: K, layout });
  console.log("graph", layout, (performance.now()-t).toFixed(0));
  t = performance.now();
  const eng = await ortEngine(g, { d, k: 10, exclude: ref.exclude });
  console.log('session', (performance.now()-t).toFixed(0));
  console.log(checkTopK(ref, await eng.query(wl.u)));
  console.log('full', layout, await timeQuery(() => eng.query(wl.u), { budgetMs: 1000 }));
  await eng.dispose();
}
for (const layout of ['matmul', 'gemm']) for (const indexType of ['int32', 'int64']) {
  const g = memcomGraph({ ...wl, k: K, layout, indexType });
  const eng = await ortEngine(g, { d, k: 10, exclude: ref.exclude });
  console.log(checkTopK(ref, await eng.query(wl.u)));
  console.log('memcom', layout, indexType, await timeQuery(() => eng.query(wl.u), { budgetMs: 1000 }));
  await eng.dispose();
}
console.log(process.memoryUsage().rss/1e6);
