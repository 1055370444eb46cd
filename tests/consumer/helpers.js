// What the consumer tests share: packing the package as it would be
// published, making a fresh app that installs the tarball, a small static
// server (with the headers a test asks for: CORS, CSP), the test model and
// the answers the package gives in Node to compare pages against.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../web/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
export const BIN = (name) => path.join(ROOT, 'node_modules', '.bin', name);

export function run(cmd, args, cwd, extraEnv = {}) {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extraEnv },
      timeout: 240_000,
    });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout || ''}\n${e.stderr || ''}`);
  }
}

export function requireBuilt() {
  for (const f of ['web/index.js', 'dist/memcom-simd.wasm', 'dist/memcom.wasm', 'dist/memcom-writer.wasm']) {
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: build the package first (bash build.sh wasm)`);
  }
}

/** `npm pack` into `dir`: { tarball (file name), files: [{ path, mode, size }], size, unpackedSize }. */
export function pack(dir) {
  const out = JSON.parse(run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT))[0];
  return { tarball: out.filename.replace(/^@.*\//, ''), files: out.files, size: out.size, unpackedSize: out.unpackedSize };
}

/**
 * A fresh app in `dir`/`name` depending on the tarball (and on `devDependencies`),
 * installed offline from the npm cache when it can be, else from the registry.
 */
export function makeApp(dir, name, tarball, { devDependencies = {}, type = 'module' } = {}) {
  const app = path.join(dir, name);
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
    name: `memcom-consumer-${name}`, private: true, version: '0.0.0', type,
    dependencies: { memcom: `file:../${tarball}` }, devDependencies,
  }, null, 2));
  try {
    run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  } catch {
    run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  }
  assert.ok(fs.existsSync(path.join(app, 'node_modules/memcom/dist/memcom-simd.wasm')), 'memcom installed from the tarball');
  return app;
}

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.memcom': 'application/octet-stream', '.json': 'application/json',
};

/**
 * Serve the files under `root` on a loopback port: { port, origin, close() }.
 * `headers(req)` gives extra response headers (CORS, CSP).  Unknown paths get
 * a 404 HTML page, as many servers answer.
 */
export async function serve(root, headers = () => ({})) {
  const server = http.createServer((req, res) => {
    const extra = headers(req);
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.join(root, rel.endsWith('/') ? `${rel}index.html` : rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', ...extra });
      res.end('<!doctype html><title>404</title><h1>Not found</h1>');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] || 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-store', ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/** A strict Content-Security-Policy for a page whose scripts, workers and fetches come from its origin and `others`. */
export function csp(others = []) {
  const o = others.join(' ');
  return [
    "default-src 'self'", `script-src 'self' ${o} 'wasm-unsafe-eval'`, `connect-src 'self' ${o}`,
    `worker-src 'self' ${o}`, "style-src 'self'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
  ].join('; ');
}

// A small deterministic model, made with the package's own buildModel: 500
// items, memcom output table, full input table, one tanh layer, ids and bias.
export function smallModelSpec() {
  let s = 12345;
  const r = () => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296 - 0.5; };
  const n = 500, d = 16, m = 40;
  const fill = (len) => Float32Array.from({ length: len }, r);
  return {
    input: { kind: 'full', n, d, rows: fill(n * d) },
    layers: [{ inDim: d, outDim: d, activation: 'tanh', weight: fill(d * d), bias: fill(d) }],
    output: { kind: 'memcom', n, m, d, rows: fill(m * d), scalars: fill(n), bucket: 'mod' },
    outputBias: fill(n),
    ids: Array.from({ length: n }, (_, i) => `sku-${i}`),
    metadata: { dataset: 'consumer test' },
  };
}

export const HISTORY = ['sku-1', 'sku-7', 'sku-42'];

/** The top-10 ids the package gives in Node for `history`. */
export async function nodeRecommend(bytes, history = HISTORY) {
  const model = await loadModel(bytes);
  try {
    return model.recommend(history, { k: 10 }).map((r) => r.id);
  } finally {
    model.dispose();
  }
}

/**
 * The app code every browser consumer test runs, in the page and in a module
 * worker: load shop.memcom (beside the script), recommend, build a tiny model
 * with buildModel and rank it, and check that a bad file is a MemcomError.
 * `api` is the package's exports.
 */
export const CHECK_JS = `export async function check(api, simd, modelUrl) {
  const shop = await api.loadModel(modelUrl, { simd });
  const recs = shop.recommend(${JSON.stringify(HISTORY)}, { k: 10 }).map((r) => r.id);
  const rows = new Float32Array([1, 0, 0, 1, 1, 1]);
  const tiny = await api.loadModel(await api.buildModel({ input: { kind: 'full', n: 3, d: 2, rows }, output: { kind: 'full', n: 3, d: 2, rows }, ids: ['a', 'b', 'c'] }), { simd });
  let corrupt = null;
  try { await api.loadModel(new Uint8Array([1, 2, 3, 4]), { simd }); } catch (e) { corrupt = { isMemcomError: e instanceof api.MemcomError, code: e.code }; }
  return { simd: shop.info.simd, kernel: shop.info.kernel, shop: recs, tiny: tiny.recommend(['a'], { k: 2 }).map((r) => r.id), corrupt };
}

/**
 * Run check() in the page, then in a module worker started from workerUrl (or
 * made by it, when a function); the results go to document.body.dataset.
 */
export async function pageAndWorker(api, workerUrl, modelUrl) {
  const simd = new URLSearchParams(location.search).get('simd') === '0' ? false : 'auto';
  try {
    const page = await check(api, simd, modelUrl);
    const worker = await new Promise((resolve, reject) => {
      const w = typeof workerUrl === 'function' ? workerUrl() : new Worker(workerUrl, { type: 'module' });
      w.onmessage = (e) => { w.terminate(); e.data.error ? reject(new Error('worker: ' + e.data.error)) : resolve(e.data.result); };
      w.onerror = (e) => { w.terminate(); reject(new Error('worker: ' + (e.message || 'failed to start'))); };
      w.postMessage({ simd, modelUrl: String(modelUrl) });
    });
    document.body.dataset.result = JSON.stringify({ page, worker });
  } catch (e) {
    document.body.dataset.error = (e.code ? e.code + ': ' : '') + e.message;
  }
}

/** The worker side: answer one message with check()'s result; getApi() gives the package's exports. */
export function workerMain(getApi) {
  self.onmessage = async (e) => {
    try {
      self.postMessage({ result: await check(await getApi(), e.data.simd, e.data.modelUrl) });
    } catch (err) {
      self.postMessage({ error: (err.code ? err.code + ': ' : '') + err.message });
    }
  };
}
`;

/** Open `url` (?simd=0 for the fallback) and return { page, worker } results; fails on a page error. */
export async function runPage(browser, url, { timeout = 30_000 } = {}) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.body && (document.body.dataset.result || document.body.dataset.error), null, { timeout });
    const error = await page.evaluate(() => document.body.dataset.error);
    const result = error === undefined ? JSON.parse(await page.evaluate(() => document.body.dataset.result)) : null;
    return { error, result, problems: page.problems, responses: page.responses };
  } finally {
    await page.close();
  }
}

/** Assert the page and worker results against the Node answers, for SIMD (`simd` true) or the fallback. */
export function assertResults(got, expectedShop, simd, where) {
  assert.equal(got.error, undefined, `${where}: the app ran without error`);
  for (const side of ['page', 'worker']) {
    const r = got.result[side];
    const w = `${where}, ${side}`;
    assert.equal(r.simd, simd, `${w}: ${simd ? 'the SIMD build' : 'the fallback build'}`);
    assert.equal(r.kernel, simd ? 'wasm_simd128' : 'scalar', w);
    assert.deepEqual(r.shop, expectedShop, `${w}: the same top-10 as the package in Node`);
    assert.deepEqual(r.tiny, ['c', 'b'], `${w}: a model built with buildModel ranks correctly`);
    assert.equal(r.corrupt?.isMemcomError, true, `${w}: a bad file throws MemcomError`);
    assert.ok(r.corrupt.code, `${w}: with a code`);
  }
}
