// The ranking benchmark in a real browser: Chromium (headless, through
// playwright-core) opens bench/browser/page.html from a local server.  The
// page rebuilds the same seeded workload itself and runs memcom, plain JS,
// onnxruntime-web and tfjs-backend-wasm with the same answer check; the ONNX
// graphs (written here, in Node, by bench/onnx-graph.js) are served from memory.

import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { makeWorkload, fullTable } from './lib/workload.js';
import { fullTableGraph, memcomGraph } from './onnx-graph.js';

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
