// ranker-agreement.js - the browser engine against the native evaluator on
// held-out users: for the first N users of a `memcom eval --top` file (their
// history and the native top 10, as model indices), model.recommend(history,
// { k: 10 }) in the wasm SIMD build and in the scalar fallback must return the
// same 10 items in the same order: in Node, or with --browser in real
// browsers (Debian's Chromium and firefox-esr, as the browser tests start
// them; the package and the model served by demo/serve.js's server).
//
//   memcom eval MODEL.memcom DATA --top users.tsv
//   node bench/ranker-agreement.js MODEL.memcom users.tsv [N = 1000] [--browser chromium,firefox]
//
// Prints one line per build (and browser) and exits 1 on any difference.
import { readFileSync } from 'node:fs';

const USAGE = 'usage: node bench/ranker-agreement.js MODEL.memcom TOP.tsv [N] [--browser chromium,firefox]';
const args = process.argv.slice(2);
let browsers = null;
const at = args.indexOf('--browser');
if (at >= 0) {
  browsers = (args[at + 1] ?? '').split(',').filter(Boolean);
  args.splice(at, 2);
  const bad = browsers.filter((b) => b !== 'chromium' && b !== 'firefox');
  if (!browsers.length || bad.length) {
    console.error(`--browser expects chromium, firefox or both (comma-separated), got '${bad.join(',')}'\n${USAGE}`);
    process.exit(2);
  }
}
const [modelPath, topPath, nArg] = args;
if (!modelPath || !topPath) {
  console.error(USAGE);
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
const histories = users.map((u) => u.hist);

/** One engine's answers against the native ones: prints its line, returns 1 on any difference. */
function judge(label, run) {
  let same = 0, first = null;
  users.forEach((u, q) => {
    const got = run.tops[q];
    if (got.length === u.top.length && got.every((x, j) => x === u.top[j])) same++;
    else if (!first) first = { user: u.user, native: u.top.join(' '), wasm: got.join(' ') };
  });
  const { info } = run;
  console.log(`${label}: ${same} of ${users.length} users the same top-10 as the native ` +
    `evaluator (${info.n} items, ${info.ranker ? `ranker, ${info.headLayers} head layers` : 'no head'}, kernel ${info.kernel}; ` +
    `${(run.ms / users.length).toFixed(3)} ms per user)`);
  if (first) console.log(`  first difference: user ${first.user}: native ${first.native} / wasm ${first.wasm}`);
  return same === users.length ? 0 : 1;
}

/** Every history's top 10 by one build.  Self-contained (no outer names):
 * run as it is in Node and, passed to page.evaluate, in the page. */
async function topTens({ url, source, hs, simd }) {
  const { loadModel } = await import(url);
  const bytes = typeof source === 'string' ? new Uint8Array(await (await fetch(source)).arrayBuffer()) : source;
  const model = await loadModel(bytes, { simd });
  const t0 = performance.now();
  const tops = hs.map((h) => model.recommend(h, { k: 10 }).map((r) => r.index));
  const ms = performance.now() - t0;
  const i = model.info;
  const info = { n: i.n, ranker: !!i.ranker, headLayers: i.headLayers?.length ?? 0, kernel: i.kernel ?? (simd ? 'simd' : 'scalar') };
  model.dispose?.();
  return { tops, ms, info };
}

let failed = 0;
if (!browsers) {
  for (const simd of [true, false]) {
    const url = new URL('../web/index.js', import.meta.url).href;
    failed |= judge(simd ? 'wasm SIMD  ' : 'wasm scalar', await topTens({ url, source: new Uint8Array(bytes), hs: histories, simd }));
  }
} else {
  const { startServer } = await import('../demo/serve.js');
  const { launch, LABEL } = await import('../tests/browser/browsers.js');
  const server = await startServer({ port: 0 });
  try {
    for (const engine of browsers) {
      const browser = await launch(engine);
      try {
        const page = await browser.newPage();
        await page.fulfill('/agreement/model.memcom', { contentType: 'application/octet-stream', body: bytes });
        await page.goto(new URL('/demo/models/manifest.json', server.url).href);
        for (const simd of [true, false]) {
          const run = await page.evaluate(topTens, { url: '/web/index.js', source: '/agreement/model.memcom', hs: histories, simd });
          failed |= judge(`${LABEL[engine]}, wasm ${simd ? 'SIMD  ' : 'scalar'}`, run);
        }
        await page.close();
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }
}
process.exit(failed);
