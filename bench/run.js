// npm run bench: what users see, in one run, written to docs/BENCHMARKS.md.
//
//   node bench/run.js [--queries N] [--browser-queries N] [--tfjs-everywhere] [--no-browser] [--quick]
//
// TF.js runs beside onnxruntime-web on the headline catalogues (trained 16x
// and synthetic 16x, k = 10) and in the browsers; with --tfjs-everywhere on
// every catalogue (it runs the same dense product as onnxruntime-web, at
// 0.8-1.0x its speed, and doubles the peers' share of the run).
//
// 1M-item catalogues from the trained ml-latest-small models (bench/lib/
// catalogue.js; learned and `i mod m` buckets at 4x, 16x and 40x) and from
// the synthetic workload, plus adversarial variants; real user histories
// (bench/lib/histories.js); memcom alternated per query with onnxruntime-web
// and TF.js on the full table (bench/users.js); last byte to first answer of
// the 1M-item 16x model (bench/first-answer.js); the headline catalogue again
// in Chromium and Firefox (bench/browser.js); the pairwise ranker, wasm SIMD
// and scalar alternated with onnxruntime-web on the same MLP (bench/ranker.js;
// --quick: its two-stage table on 200,000 items); then the speed targets, PASS or
// MISS on this run's rows (bench/lib/user-targets.js).  A whole run (without
// --quick or --no-browser) also writes README.md's "Measured" section
// (bench/lib/readme-measured.js).  The earlier single-query burst
// benchmark is `npm run bench:bursts` (bench/bursts.js).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModel } from '../web/index.js';
import { machine, load } from './lib/machine.js';
import { compileNative } from './native/native.js';
import { resample, signMixed, withDecoys, catalogueHistory, CATALOGUE_N } from './lib/catalogue.js';
import { readHistories, historyIndices } from './lib/histories.js';
import { sourceFile, dumpModel, SOURCES } from './lib/trained.js';
import { runGroup, makeQuery, syntheticCatalogue, syntheticQueries } from './users.js';
import { firstAnswerBenchmark } from './first-answer.js';
import { rankerBenchmark } from './ranker.js';
import { browserUsers } from './browser.js';
import { renderUserReport } from './lib/user-report.js';
import { evaluateUserTargets } from './lib/user-targets.js';
import { targetLines } from './lib/report.js';
import { measuredSection, replaceMeasured } from './lib/readme-measured.js';
import { ortVersion } from './peers/ort.js';
import { tfjsVersion } from './peers/tfjs.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const USAGE = 'usage: node bench/run.js [--queries N] [--browser-queries N] [--tfjs-everywhere] [--no-browser] [--quick]';
const FLAGS = ['--tfjs-everywhere', '--no-browser', '--quick'];
const NUMBERS = ['--queries', '--browser-queries'];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--help' || a === '-h') {
    console.log(`${USAGE}\n(writes docs/BENCHMARKS.md, and README.md's "Measured" section unless --quick or --no-browser; --quick: 30 queries, 20 in the browsers)`);
    process.exit(0);
  }
  if (NUMBERS.includes(a)) {
    if (!/^[1-9][0-9]*$/.test(args[i + 1] ?? '')) {
      console.error(`bench/run.js: ${a} expects a positive whole number, got ${args[i + 1] ?? 'nothing'}\n${USAGE}`);
      process.exit(2);
    }
    i++;
  } else if (!FLAGS.includes(a)) {
    console.error(`bench/run.js: unknown option ${a}\n${USAGE}`);
    process.exit(2);
  }
}
const flag = (name) => args.includes(name);
const num = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const quick = flag('--quick');
const Q = num('--queries', quick ? 30 : 200);
const BQ = num('--browser-queries', quick ? 20 : 100);
const log = (...a) => console.log(...a);
const SIDE_PEERS = flag('--tfjs-everywhere') ? ['ort', 'tfjs'] : ['ort'];

/** A trained source model: its stored values, the small model (user vectors, ids) and the 1M catalogue. */
async function trained(key) {
  const file = sourceFile(key, log);
  const dump = dumpModel(file);
  const small = await loadModel(file);
  return { key, dump, small, cat: resample(dump.output, dump.bias) };
}

function userQueries(src, cat, histories) {
  return historyIndices(src.small, histories).map((h) => makeQuery(src.small.userVector(h), catalogueHistory(cat, h)));
}

const title = (src, extra = '') => {
  const s = SOURCES[src.key];
  const rows = s.dtype === 'i8' ? `, trained with int8 rows (the default: ${(src.cat.m / src.cat.n * 100).toFixed(1)} rows per 100 items)` : '';
  return `trained ${s.ratio}x, ${s.buckets === 'mod' ? '`i mod m`' : 'learned'} buckets${rows}${extra}`;
};

async function main() {
  const started = new Date();
  const t0 = performance.now();
  const mc = machine();
  const loadBefore = load();
  log(`memcom user-facing benchmark: ${mc.cpu}, ${mc.cores} cores, Node ${mc.node}, load ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  log('(the machine may be shared: compare engines by their ratios, which the alternated timing keeps fair, more than by their milliseconds)');
  compileNative(); // build/bench/dump_model
  const histories = readHistories({ count: Q });
  log(`${histories.length} user histories from ml-latest-small (5-50 items each); ${Q} queries per catalogue`);

  const groups = [];
  const run = async (g) => {
    const rows = await runGroup({ peers: SIDE_PEERS, ...g }, { log });
    groups.push({ key: g.key, title: g.title, kind: g.kind, note: g.note, k: g.k, rows });
    log(`  [${((performance.now() - t0) / 1e3).toFixed(0)} s]`);
  };

  // the headline: trained 16x, learned buckets, then its adversarial variants
  const l16 = await trained('learned-16x');
  const q16 = userQueries(l16, l16.cat, histories);
  await run({ key: 'learned-16x', kind: 'trained', title: title(l16), cat: l16.cat, k: 10, queries: q16, peers: ['ort', 'tfjs'] });
  await run({ key: 'learned-16x-k100', kind: 'adversarial', title: title(l16, ', k = 100'), cat: l16.cat, k: 100, queries: q16 });
  await run({ key: 'learned-16x-signs', kind: 'adversarial', title: title(l16, ', sign-mixed buckets'), note: 'the sign of w flipped for every second item of each bucket', cat: signMixed(l16.cat), k: 10, queries: q16 });
  const dec = withDecoys(l16.cat);
  await run({ key: 'learned-16x-decoys', kind: 'adversarial', title: title(l16, ', decoy rows'), note: `${dec.decoys.toLocaleString('en-US')} items turned into near-copies of the 100 most popular (bias lowered by 1e-4)`, cat: dec, k: 10, queries: q16 });

  log('last byte to first answer:');
  const firstAnswer = await firstAnswerBenchmark({ cat: l16.cat, dump: l16.dump, sourceIds: l16.small.ids(), histories: historyIndices(l16.small, histories), samples: quick ? 2 : 5, log });

  let browsers = [];
  if (!flag('--no-browser')) {
    const h16 = historyIndices(l16.small, histories);
    browsers = await browserUsers({ cat: l16.cat, queries: q16.slice(0, BQ), title: title(l16), models: firstAnswer, histories: h16.slice(0, quick ? 2 : 5), sourceIds: l16.small.ids(), log });
  }
  l16.small.dispose();

  for (const key of ['learned-16x-i8', 'learned-4x', 'learned-40x', 'mod-16x', 'mod-4x', 'mod-40x']) {
    if (quick && key !== 'learned-4x') continue;
    const src = await trained(key);
    const q = userQueries(src, src.cat, histories);
    await run({ key, kind: 'trained', title: title(src), cat: src.cat, k: 10, queries: q });
    if (key === 'learned-4x') {
      await run({ key: 'learned-4x-signs', kind: 'adversarial', title: title(src, ', sign-mixed buckets'), note: 'the sign of w flipped for every second item of each bucket', cat: signMixed(src.cat), k: 10, queries: q });
    }
    src.small.dispose();
  }
  const syn = syntheticCatalogue(CATALOGUE_N);
  await run({ key: 'synthetic-16x', kind: 'synthetic', title: 'synthetic 16x, `i mod m` buckets (w in [0.5, 1.5])', cat: syn, k: 10, queries: syntheticQueries(syn, Q), peers: ['ort', 'tfjs'] });

  log('pairwise ranker:');
  const ranker = await rankerBenchmark({ quick, log });
  log(`  [${((performance.now() - t0) / 1e3).toFixed(0)} s]`);

  const targets = evaluateUserTargets({ groups, firstAnswer, browsers, ranker });
  log('\ntargets:');
  for (const line of targetLines(targets)) log(line);

  const report = renderUserReport({
    command: `npm run bench${args.length ? ' -- ' + args.join(' ') : ''}`,
    started, seconds: (performance.now() - t0) / 1e3, machine: mc, loadBefore, loadAfter: load(),
    versions: { ort: ortVersion(), tfjs: tfjsVersion() }, queries: Q, groups, firstAnswer, browsers, ranker, targets,
  });
  mkdirSync(join(root, 'docs'), { recursive: true });
  const out = join(root, 'docs', 'BENCHMARKS.md');
  writeFileSync(`${out}.tmp-${process.pid}`, report);
  renameSync(`${out}.tmp-${process.pid}`, out);
  log(`\nwrote docs/BENCHMARKS.md in ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
  // README.md's "Measured" section: the same run's figures, from a whole run only
  const readme = join(root, 'README.md');
  const partial = quick || flag('--no-browser');
  const text = partial ? null : replaceMeasured(readFileSync(readme, 'utf8'), measuredSection({ groups, browsers, firstAnswer, ranker, queries: Q }));
  if (partial) {
    log('README.md: not updated (--quick or --no-browser: its "Measured" section takes a whole run)');
  } else if (text === null) {
    log('README.md: its "Measured" markers are missing or repeated (bench/lib/readme-measured.js): not updated');
  } else {
    writeFileSync(`${readme}.tmp-${process.pid}`, text);
    renameSync(`${readme}.tmp-${process.pid}`, readme);
    log('wrote README.md\'s "Measured" section');
  }
}

main().then(
  () => process.exit(0), // ORT and tfjs keep handles open
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
