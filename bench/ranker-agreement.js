// ranker-agreement.js - the browser engine against the native evaluator on
// held-out users: for the first N users of a `memcom eval --top` file (their
// history and the native top 10, as model indices), model.recommend(history,
// { k: 10 }) in the wasm SIMD build and in the scalar fallback must return the
// same 10 items in the same order.
//
//   memcom eval MODEL.memcom DATA --top users.tsv
//   node bench/ranker-agreement.js MODEL.memcom users.tsv [N = 1000]
//
// Prints one line per build and exits 1 on any difference.
import { readFileSync } from 'node:fs';
import { loadModel } from '../web/index.js';

const [modelPath, topPath, nArg] = process.argv.slice(2);
if (!modelPath || !topPath) {
  console.error('usage: node bench/ranker-agreement.js MODEL.memcom TOP.tsv [N]');
  process.exit(2);
}
const want = nArg === undefined ? 1000 : Number(nArg);
if (!Number.isInteger(want) || want < 1) {
  console.error(`N must be a positive integer, got ${nArg}`);
  process.exit(2);
}
const parseList = (s) => (s.length ? s.split(' ').map(Number) : []);
const users = readFileSync(topPath, 'utf8').split('\n').filter((l) => l.length).slice(0, want).map((line) => {
  const [user, hist, top] = line.split('\t');
  return { user, hist: parseList(hist), top: parseList(top) };
});
if (users.length < want) console.error(`note: the file has ${users.length} users, fewer than ${want}`);
const bytes = readFileSync(modelPath);
let failed = 0;
for (const simd of [true, false]) {
  const model = await loadModel(new Uint8Array(bytes), { simd });
  const info = model.info;
  let same = 0, first = null;
  const t0 = process.hrtime.bigint();
  for (const u of users) {
    const got = model.recommend(u.hist, { k: 10 }).map((r) => r.index);
    if (got.length === u.top.length && got.every((x, q) => x === u.top[q])) same++;
    else if (!first) first = { user: u.user, native: u.top.join(' '), wasm: got.join(' ') };
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${simd ? 'wasm SIMD  ' : 'wasm scalar'}: ${same} of ${users.length} users the same top-10 as the native ` +
    `evaluator (${info.n} items, ${info.ranker ? `ranker, ${info.headLayers.length} head layers` : "no head"}; ` +
    `${(ms / users.length).toFixed(3)} ms per user)`);
  if (first) console.log(`  first difference: user ${first.user}: native ${first.native} / wasm ${first.wasm}`);
  if (same !== users.length) failed = 1;
  model.close?.();
}
process.exit(failed);
