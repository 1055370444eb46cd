// The first rankings after a load, one by one, on a trained catalogue
// (bench/lib/catalogue.js), in this process: does the first cost more than
// the later ones, and why (run under V8 flags such as --no-liftoff to see
// whether compilation tiers explain it), and the wasm memory before and
// after them (the table's private runtime handle: a bench tool only).
//
//   node [V8 flags] bench/first-ranking.js [learned-16x|learned-4x|...] [f32|i8] [queries=8]

import { loadTable, loadModel } from '../web/index.js';
import { catalogueFile, makeQuery } from './users.js';
import { resample, catalogueHistory } from './lib/catalogue.js';
import { readHistories, historyIndices } from './lib/histories.js';
import { sourceFile, dumpModel } from './lib/trained.js';

const [key = 'learned-16x', dtype = 'f32', count = '8'] = process.argv.slice(2);
const file = sourceFile(key, console.log);
const dump = dumpModel(file);
const small = await loadModel(file);
const cat = resample(dump.output, dump.bias);
const queries = historyIndices(small, readHistories({ count: Number(count) + 5 })).map((h) => makeQuery(small.userVector(h), catalogueHistory(cat, h)));
const bytes = await catalogueFile(cat, dtype);
let t = performance.now();
const table = await loadTable(bytes, { simd: true });
const load = performance.now() - t;
const ms = [];
const mem = () => `${(table._rt.memoryBytes / 2 ** 20).toFixed(1)} MiB`;
const before = mem();
for (const q of queries.slice(0, Number(count))) {
  t = performance.now();
  table.topK(q.u, { k: 10, exclude: q.exclude });
  ms.push(performance.now() - t);
}
console.log(`${key} ${dtype}: load ${load.toFixed(1)} ms; rankings ${ms.map((x) => x.toFixed(2)).join(' ')} ms; wasm memory ${before} -> ${mem()}`);
process.exit(0);
