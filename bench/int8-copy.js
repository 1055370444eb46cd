// When does the int8 copy of f32 rows pay?  memcom (wasm, SIMD) ranks 1M-item
// memcom catalogues with f32 rows with and without its int8 copy (the
// int8Index option), alternated query by query, answers compared between the
// two, over a sweep of shared-row work per item (rows * d / n) at d = 32, 64
// and 128 on the synthetic workload, and on the trained 16x and 40x
// catalogues (learned and `i mod m` buckets, real user histories).  The rule
// of src/engine/prerank.c (mcc_prerank_copy_pays, used by mcc_prerank_plan) is set from it.
//
//   node bench/int8-copy.js [--queries N] [--no-trained]
//
// Each line: the ratio rows * d / n, median ms with and without the copy,
// and the median of the per-query ratios (> 1: the copy pays).

import { makeWorkload, memcomRows } from './lib/workload.js';
import { catalogueFile, syntheticQueries, makeQuery } from './users.js';
import { memcomEngine } from './engines/memcom.js';
import { timedPass } from './lib/alternate.js';
import { resample, catalogueHistory } from './lib/catalogue.js';
import { readHistories, historyIndices } from './lib/histories.js';
import { join } from 'node:path';
import { sourceFile, dumpModel, trainModel, MODELS } from './lib/trained.js';
import { loadModel } from '../web/index.js';

const args = process.argv.slice(2);
const Q = args.includes('--queries') ? Number(args[args.indexOf('--queries') + 1]) : 60;
const N = 1_000_000;
const K = 10;

const median = (xs) => {
  const s = Float64Array.from(xs).sort();
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function compare(title, cat, queries) {
  const bytes = await catalogueFile(cat, 'f32');
  const sides = [];
  for (const [key, int8Index] of [['copy', true], ['none', false]]) {
    sides.push({ key, memcom: true, engine: await memcomEngine(bytes, { simd: true, k: K, history: [], int8Index }) });
  }
  for (const q of queries.slice(0, 3)) { // warm, and the same answers
    const [a, b] = sides.map((s) => s.engine.query(q.u, q.exclude));
    if (a.join() !== b.join()) throw new Error(`${title}: answers differ with and without the copy`);
  }
  await timedPass(sides, queries);
  const [c, x] = sides;
  const ratio = median(Array.from(c.ms, (t, i) => x.ms[i] / t));
  console.log(`${title.padEnd(34)} rows*d/n ${((cat.m * cat.d) / cat.n).toFixed(2).padStart(5)}: copy ${median(c.ms).toFixed(3)} ms, none ${median(x.ms).toFixed(3)} ms, none/copy ${ratio.toFixed(2)}`);
  for (const s of sides) s.engine.dispose();
}

async function main() {
  for (const d of [32, 64, 128]) {
    for (const x of [0.5, 1, 1.5, 2, 3, 4]) {
      const ratio = d / (x + 1); // memcomRows: m * d ~ n * (d / ratio - 1)
      if (memcomRows(N, d, ratio) < 2) continue;
      const wl = makeWorkload({ n: N, d, ratio });
      const cat = { n: N, d, m: wl.m, U: wl.U, w: wl.w, bias: wl.bias, buckets: null };
      await compare(`synthetic d=${d}, ${ratio.toFixed(1)}x`, cat, syntheticQueries(cat, Q));
    }
  }
  if (args.includes('--no-trained')) return;
  const histories = readHistories({ count: Q });
  // the bench's trained catalogues, and models trained at ratios between them
  // (rows * d / n = 64 / ratio - 1)
  const files = ['learned-16x', 'mod-16x', 'learned-40x', 'mod-40x'].map((key) => [key, sourceFile(key, console.log)]);
  for (const ratio of [21, 25, 32]) {
    for (const kind of ['memcom', 'memcom-plain']) {
      const key = `${kind === 'memcom' ? 'learned' : 'mod'}-${ratio}x`;
      const file = join(MODELS, `sweep-${key}.memcom`);
      files.push([key, trainModel(kind, ratio, 'f32', file, key, console.log)]);
    }
  }
  for (const [key, file] of files) {
    const dump = dumpModel(file);
    const small = await loadModel(file);
    const cat = resample(dump.output, dump.bias);
    const queries = historyIndices(small, histories).map((h) => makeQuery(small.userVector(h), catalogueHistory(cat, h)));
    await compare(`trained ${key}`, cat, queries);
    small.dispose();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
