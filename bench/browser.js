// The ranking benchmarks in a real browser: the page bench/browser/page.html,
// served from a local server.
// - browserBenchmark (npm run bench:bursts): Chromium (headless, through
//   playwright-core); the page rebuilds the same seeded workload itself and
//   runs memcom, plain JS, onnxruntime-web and tfjs-backend-wasm with the same
//   answer check; the ONNX graphs (written here, in Node, by
//   bench/onnx-graph.js) are served from memory.
// - browserUsers (npm run bench): the user-facing headline catalogue in
//   Chromium and Firefox, launched as the browser tests launch them
//   (tests/browser/browsers.js); the files, the full table and the queries
//   are served from memory, and the page's answers are checked here.

import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { makeWorkload, fullTable } from './lib/workload.js';
import { fullTableGraph, memcomGraph } from './onnx-graph.js';
import { summarise, rowLine, record } from './lib/alternate.js';
import { catalogueFile, verifier, EXTRA, MEMCOM_FORMS, PEERS } from './users.js';
import { launch, LABEL } from '../tests/browser/browsers.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const STATIC = ['/web/', '/dist/', '/bench/lib/', '/bench/engines/', '/bench/peers/', '/bench/browser/', '/node_modules/'];
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm', '.json': 'application/json' };
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Static files of the repository (a fixed allow-list of folders) plus in-memory /data/ blobs. */
function serve(data) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    // cross-origin isolation: performance.now() at 5 us resolution instead of 100 us
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    let body = data.get(path);
    let type = 'application/octet-stream';
    if (!body && STATIC.some((p) => path.startsWith(p)) && !normalize(path).includes('..')) {
      const file = join(root, normalize(path));
      try {
        if (statSync(file).isFile()) {
          body = readFileSync(file);
          type = TYPES[extname(file)] ?? type;
        }
      } catch {}
    }
    if (path === '/favicon.ico') {
      res.writeHead(204, headers).end();
      return;
    }
    if (!body) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': body.byteLength });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The ONNX graphs of one catalogue, in the forms that won in Node, as /data/ blobs. */
function graphsFor({ n, d, k, extra, fullLayout, memcomForm }, data) {
  const wl = makeWorkload({ n, d });
  const graphs = {
    full: fullTableGraph({ E: fullTable(wl), bias: wl.bias, n, d, k: k + extra, layout: fullLayout }),
    memcom: memcomGraph({ ...wl, k: k + extra, ...memcomForm }),
  };
  const manifest = {};
  for (const [name, g] of Object.entries(graphs)) {
    const base = `/data/${n}-${d}/${name}`;
    data.set(`${base}.onnx`, g.model);
    for (const x of g.externalData) data.set(`${base}/${x.path}`, x.data);
    manifest[name] = { model: `${base}.onnx`, external: g.externalData.map((x) => ({ path: x.path, url: `${base}/${x.path}` })) };
  }
  return manifest;
}

/**
 * @param {{configs: {n: number, d: number, fullLayout?: string, memcomForm?: object}[], budgetMs: number, log: Function}} opts
 */
export async function browserBenchmark({ configs, budgetMs, log }) {
  const data = new Map();
  // last byte to first answer (bench/first-answer.js's models): the first histories, as ids
  const modelUrls = models.map((r) => put(`model-${r.dtype}.memcom`, r.bytes));
  const historyIds = histories.map((h) => Array.from(h, (i) => sourceIds[i]));
  const server = await serve(data);
  const userDir = mkdtempSync(join(tmpdir(), 'memcom-bench-chromium-'));
  let context = null;
  try {
    // a fresh user-data-dir (playwright passes it as --user-data-dir)
    context = await chromium.launchPersistentContext(userDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
    const page = await context.newPage();
    page.on('pageerror', (e) => log(`  page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') log(`  console: ${m.text()}`); });
    const { port } = server.address();
    await page.goto(`http://127.0.0.1:${port}/bench/browser/page.html`);
    await page.waitForFunction(() => window.benchReady === true || window.benchError, null, { timeout: 30_000 });
    const err = await page.evaluate(() => window.benchError ?? null);
    if (err) throw new Error(`the page failed to start: ${err}`);
    const isolated = await page.evaluate(() => window.crossOriginIsolated);
    const groups = [];
    for (const c of configs) {
      const cfg = { k: 10, extra: 20, fullLayout: 'matmul', memcomForm: { layout: 'gemm', indexType: 'int32' }, ...c };
      const manifest = graphsFor(cfg, data);
      log(`  n = ${c.n}, d = ${c.d}`);
      const rows = await page.evaluate((arg) => window.runBench(arg), { ...cfg, manifest, budgetMs });
      for (const r of rows) log(`  ${r.engine.padEnd(40)} ${r.median !== undefined ? r.median.toFixed(3).padStart(9) + ' ms' : r.status + ': ' + r.why}`);
      groups.push({ n: c.n, d: c.d, rows });
      for (const key of [...data.keys()]) data.delete(key);
    }
    const ua = await page.evaluate(() => navigator.userAgent);
    const version = `Chromium ${ua.match(/Chrome\/([\d.]+)/)?.[1] ?? ua}${isolated ? ' (cross-origin isolated)' : ''}`;
    return { version, groups, rows: groups.flatMap((g) => g.rows) };
  } finally {
    if (context) await context.close();
    server.close();
    rmSync(userDir, { recursive: true, force: true });
  }
}

/**
 * The catalogue `cat` with `queries` in each browser: memcom's defaults (f32
 * and int8 rows), onnxruntime-web and TF.js on the full f32 table, alternated
 * per query.  Returns [{ browser, version, rows } or { browser, error }].
 */
export async function browserUsers({ cat, queries, title, k = 10, engines = ['chromium', 'firefox'], models = [], histories = [], sourceIds, log }) {
  const data = new Map();
  const base = '/data/users';
  const put = (name, bytes) => {
    data.set(`${base}/${name}`, bytes);
    return `${base}/${name}`;
  };
  const asBytes = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const E = fullTable(cat);
  const graph = fullTableGraph({ E, bias: cat.bias, n: cat.n, d: cat.d, k: k + EXTRA, layout: 'matmul' });
  const files = {
    f32: put('f32.memcom', await catalogueFile(cat, 'f32')),
    i8: put('i8.memcom', await catalogueFile(cat, 'i8')),
    E: put('E.f32', asBytes(E)),
    bias: put('bias.f32', asBytes(cat.bias)),
    queries: put('queries.json', Buffer.from(JSON.stringify(queries.map((q) => ({ u: Array.from(q.u), exclude: Array.from(q.exclude) }))))),
    ort: { model: put('full.onnx', graph.model), external: graph.externalData.map((x) => ({ path: x.path, url: put(`full/${x.path}`, x.data) })) },
  };
  // last byte to first answer (bench/first-answer.js's models): the first histories, as ids
  const modelUrls = models.map((r) => put(`model-${r.dtype}.memcom`, r.bytes));
  const historyIds = histories.map((h) => Array.from(h, (i) => sourceIds[i]));
  const server = await serve(data);
  const labels = Object.fromEntries([...MEMCOM_FORMS, ...PEERS].map((f) => [f.key, f.label]));
  const out = [];
  try {
    for (const engine of engines) {
      let browser = null;
      try {
        log(`${LABEL[engine]}: ${title}, ${queries.length} queries`);
        browser = await launch(engine);
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${server.address().port}/bench/browser/page.html`);
        await page.waitForFunction(() => window.benchReady === true || window.benchError, null, { timeout: 60_000 });
        const ua = await page.evaluate(() => navigator.userAgent);
        const t = performance.now();
        const res = await page.evaluate((arg) => window.runUsers(arg), { files, n: cat.n, d: cat.d, k, extra: EXTRA });
        const sides = res.sides.map((s) => ({ ...s, label: labels[s.key], dtype: s.key === 'i8' ? 'i8' : 'f32', memcom: s.key === 'f32' || s.key === 'i8' }));
        const verify = verifier(cat, queries, k);
        for (let qi = 0; qi < queries.length; qi++) {
          for (const s of sides) if (!s.wrong) record(s, qi, verify(s, qi, res.answers[s.key][qi]));
        }
        for (const s of sides) if (s.wrong) delete s.ms;
        const rows = summarise(sides, queries, { group: 'browser', title, k, n: cat.n, d: cat.d, m: cat.m });
        for (const r of rows) log(`  ${rowLine(r)}`);
        const version = engine === 'firefox' ? `Firefox ${ua.match(/Firefox\/([\d.]+)/)?.[1] ?? ua}` : `Chromium ${ua.match(/Chrome\/([\d.]+)/)?.[1] ?? ua}`;
        const firstAnswer = [];
        for (const [i, r] of models.entries()) {
          const got = await page.evaluate((arg) => window.firstAnswer(arg), { url: modelUrls[i], histories: historyIds, k });
          const verdicts = got.map((g, j) => r.verify(histories[j], g.answer));
          const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
          const fa = { dtype: r.dtype, fileBytes: r.bytes.length, toReady: med(got.map((g) => g.toReady)), toAnswer: med(got.map((g) => g.toAnswer)), toAnswerAll: got.map((g) => g.toAnswer), check: verdicts.find((v) => v.startsWith('WRONG')) ?? verdicts[0] };
          log(`  1M-item 16x model with ids, ${r.dtype}: last byte -> ready ${fa.toReady.toFixed(1)} ms, -> first answer ${fa.toAnswer.toFixed(1)} ms (${fa.check})`);
          firstAnswer.push(fa);
        }
        out.push({ browser: LABEL[engine], version: `${version}${res.isolated ? ' (cross-origin isolated)' : ''}`, rows, firstAnswer, seconds: (performance.now() - t) / 1e3 });
      } catch (e) {
        const error = String(e?.message ?? e).split('\n')[0];
        log(`  ${LABEL[engine]} not run: ${error}`);
        out.push({ browser: LABEL[engine], error });
      } finally {
        if (browser) await browser.close();
      }
    }
  } finally {
    server.close();
  }
  return out;
}
