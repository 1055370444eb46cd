// How `npm install memcom` users meet the package: `npm pack` it, install the
// tarball into a fresh Vite 7 app in a temporary folder, `vite build` it, serve
// the build (with the strict CSP of demo/serve.js) and check in Chromium that
// it loads models and recommends, with and without SIMD; then the same app
// under the Vite dev server, with the README's recipe and without it.
//   node --test tests/consumer/
// Needs: npm, Debian's chromium, and vite 7 in the npm cache (npm ci of this
// repo puts it there) or a reachable npm registry.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../../demo/serve.js';
import { buildModel } from '../../web/index.js';
import { launch } from '../browser/chromium.js';
import { ROOT, NPM, run, smallModelSpec, nodeRecommend, HISTORY } from './helpers.js';

const KEEP = process.env.MEMCOM_KEEP_CONSUMER === '1';
const viteRange = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies.vite || '^7';

let dir;
let server;
let browser;
let app; // the Vite app, made by the first test
let expected; // its answers in Node

before(async () => {
  for (const f of ['web/index.js', 'dist/memcom-simd.wasm', 'dist/memcom.wasm']) {
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: build the package first (bash build.sh wasm)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memcom-consumer-'));
  browser = await launch(); // fail early if Chromium is missing
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir && !KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else if (dir) console.log(`kept ${dir}`);
});

test('npm pack -> fresh Vite 7 app -> vite build -> Chromium loads a model and recommends', async () => {
  // 1. Pack the package exactly as it would be published.
  const packOut = JSON.parse(run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT));
  const tarball = packOut[0].filename.replace(/^@.*\//, '');
  const files = packOut[0].files.map((f) => f.path);
  assert.ok(files.includes('dist/memcom-simd.wasm') && files.includes('dist/memcom.wasm'), 'both ranking .wasm files ship');
  assert.ok(files.includes('dist/memcom-writer.wasm'), 'the writer .wasm (buildModel) ships');
  assert.ok(files.includes('web/index.js') && files.includes('web/index.d.ts'), 'the module and its types ship');
  assert.ok(!files.some((f) => f.startsWith('demo/') || f.startsWith('tests/') || f.startsWith('src/')), `only what ships: ${files.join(', ')}`);

  // 2. A fresh Vite app that depends on the tarball.
  app = path.join(dir, 'app');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
    name: 'memcom-consumer-app',
    private: true,
    version: '0.0.0',
    type: 'module',
    scripts: { build: 'vite build' },
    dependencies: { memcom: `file:../${tarball}` },
    devDependencies: { vite: viteRange },
  }, null, 2));
  const spec = smallModelSpec();
  fs.writeFileSync(path.join(app, 'src', 'shop.memcom'), await buildModel(spec));
  fs.copyFileSync(path.join(ROOT, 'demo/models/memcom-16x.memcom'), path.join(app, 'src', 'movies.memcom'));
  fs.writeFileSync(path.join(app, 'index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>memcom consumer</title><link rel="icon" href="data:,">
<script type="module" src="/src/main.js"></script></head>
<body><h1>memcom in a Vite app</h1><pre id="out">loading…</pre></body></html>
`);
  fs.writeFileSync(path.join(app, 'src', 'main.js'), `import { loadModel, buildModel, MemcomError } from 'memcom';
import shopUrl from './shop.memcom?url';
import moviesUrl from './movies.memcom?url';

const simd = new URLSearchParams(location.search).get('simd') === '0' ? false : 'auto';
const out = document.getElementById('out');
async function main() {
  const shop = await loadModel(shopUrl, { simd });
  const shopRecs = shop.recommend(${JSON.stringify(HISTORY)}, { k: 10 });
  const movies = await loadModel(moviesUrl, { simd });
  const movieRecs = movies.recommend(['1', '2571', '6377'], { k: 10 });
  // buildModel works in the browser too (it fetches the writer module then).
  const rows = new Float32Array([1, 0, 0, 1, 1, 1]);
  const tiny = await loadModel(await buildModel({ input: { kind: 'full', n: 3, d: 2, rows }, output: { kind: 'full', n: 3, d: 2, rows }, ids: ['a', 'b', 'c'] }), { simd });
  const tinyTop = tiny.recommend(['a'], { k: 2 }).map((r) => r.id);
  let corrupt = null;
  try { await loadModel(new Uint8Array([1, 2, 3, 4]), { simd }); } catch (e) { corrupt = { isMemcomError: e instanceof MemcomError, code: e.code }; }
  const result = {
    kernel: shop.info.kernel ?? null,
    shop: shopRecs.map((r) => r.id),
    movies: movieRecs.map((r) => r.id),
    tiny: tinyTop,
    corrupt,
  };
  out.textContent = JSON.stringify(result, null, 2);
  document.body.dataset.result = JSON.stringify(result);
}
main().catch((e) => { out.textContent = 'ERROR ' + (e.code || '') + ' ' + e.message; document.body.dataset.error = e.message; });
`);

  // Offline first (the npm cache holds vite after npm ci of this repo), then the registry.
  try {
    run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  } catch (offlineErr) {
    run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  }
  const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules/vite/package.json'), 'utf8')).version;
  assert.match(installed, /^7\./, `vite 7 installed (${installed})`);
  assert.ok(fs.existsSync(path.join(app, 'node_modules/memcom/dist/memcom-simd.wasm')), 'memcom installed from the tarball');

  // 3. Build.
  run(process.execPath, [path.join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], app);
  const assets = fs.readdirSync(path.join(app, 'dist', 'assets'));
  assert.ok(assets.some((f) => /^memcom-simd-.*\.wasm$/.test(f)), `the SIMD .wasm was emitted: ${assets.join(', ')}`);
  assert.ok(assets.some((f) => /^memcom-.*\.wasm$/.test(f) && !/^memcom-(simd|writer)-/.test(f)), `the fallback .wasm was emitted: ${assets.join(', ')}`);
  assert.ok(assets.some((f) => /^memcom-writer-.*\.wasm$/.test(f)), `the writer .wasm was emitted: ${assets.join(', ')}`);

  // 4. Serve the build and open it in Chromium.
  server = await startServer({ port: 0, root: path.join(app, 'dist') });
  const base = `http://127.0.0.1:${server.port}/index.html`;
  expected = {
    shop: await nodeRecommend(await buildModel(spec), HISTORY),
    movies: await nodeRecommend(new Uint8Array(fs.readFileSync(path.join(ROOT, 'demo/models/memcom-16x.memcom'))), ['1', '2571', '6377']),
  };
  for (const q of ['', '?simd=0']) {
    const page = await browser.newPage();
    const wasm = [];
    page.on('response', (res) => { if (res.url().endsWith('.wasm')) wasm.push([new URL(res.url()).pathname, res.headers()['content-type']]); });
    await page.goto(base + q);
    await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 30_000 });
    const error = await page.evaluate(() => document.body.dataset.error);
    assert.equal(error, undefined, `the app ran without error (${q || 'SIMD'})`);
    const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
    assert.equal(result.shop.length, 10);
    assert.ok(!result.shop.some((id) => HISTORY.includes(id)), 'history excluded');
    assert.deepEqual(result.shop, expected.shop, 'same top-10 as the package in Node');
    assert.deepEqual(result.movies, expected.movies, 'same movie top-10 as the package in Node');
    assert.deepEqual(result.tiny, ['c', 'b'], 'a model built in the browser ranks correctly');
    assert.deepEqual(result.corrupt, { isMemcomError: true, code: result.corrupt?.code }, 'a bad file throws MemcomError');
    assert.ok(result.corrupt.code, 'with a code');
    const ranking = wasm.filter(([p]) => !/^\/assets\/memcom-writer-/.test(p));
    const writer = wasm.filter(([p]) => /^\/assets\/memcom-writer-/.test(p));
    assert.equal(ranking.length, 1, `one ranking .wasm fetched: ${JSON.stringify(wasm)}`);
    assert.match(ranking[0][0], q ? /^\/assets\/memcom-(?!simd|writer).*\.wasm$/ : /^\/assets\/memcom-simd-.*\.wasm$/);
    assert.equal(writer.length, 1, `the writer .wasm fetched once, for buildModel: ${JSON.stringify(wasm)}`);
    for (const [, type] of wasm) assert.equal(type, 'application/wasm');
    assert.deepEqual(page.problems, [], 'no console errors (the build runs under a strict CSP)');
    await page.close();
  }
});

async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Start `vite` (the dev server) in the app; resolves to { url, stop() } once it is ready. */
async function viteDev() {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(app, 'node_modules/vite/bin/vite.js'), '--port', String(port), '--strictPort', '--host', '127.0.0.1', '--force'],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite did not start:\n${out}`)), 30_000);
    const seen = (b) => { out += b; if (/ready in/.test(out)) { clearTimeout(timer); resolve(); } };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`vite exited (${code}):\n${out}`)); });
  });
  return { url: `http://127.0.0.1:${port}/`, stop: async () => { child.kill(); await exited; } };
}

test('the Vite dev server: with the README\'s optimizeDeps.exclude the page loads and ranks, SIMD and fallback; without it, a MemcomError that says where to look', async () => {
  assert.ok(app && expected, 'the vite build test made the app');
  const config = path.join(app, 'vite.config.js');
  for (const recipe of [false, true]) {
    if (recipe) fs.writeFileSync(config, "export default { optimizeDeps: { exclude: ['memcom'] } };\n");
    else fs.rmSync(config, { force: true });
    const dev = await viteDev();
    try {
      for (const q of recipe ? ['', '?simd=0'] : ['']) {
        const page = await browser.newPage();
        const wasm = [];
        page.on('response', (res) => { if (res.url().endsWith('.wasm')) wasm.push(new URL(res.url()).pathname); });
        await page.goto(dev.url + q);
        await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 30_000 });
        const error = await page.evaluate(() => document.body.dataset.error);
        if (!recipe) {
          // Pre-bundled into node_modules/.vite/deps/, the package looks for ../dist/ there and the server answers with the page.
          assert.match(error ?? '', /the server sent an HTML page, not WebAssembly.*options\.wasmBase or with setWasmBase\(\)/, 'without the recipe: the helpful error');
        } else {
          assert.equal(error, undefined, `the app ran without error (${q || 'SIMD'})`);
          const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
          assert.deepEqual(result.shop, expected.shop, 'same top-10 as the package in Node');
          assert.deepEqual(result.movies, expected.movies, 'same movie top-10 as the package in Node');
          assert.equal(result.kernel, q ? 'scalar' : 'wasm_simd128');
          assert.ok(wasm.includes(q ? '/node_modules/memcom/dist/memcom.wasm' : '/node_modules/memcom/dist/memcom-simd.wasm'), `the .wasm came from the package: ${wasm.join(', ')}`);
        }
        await page.close();
      }
    } finally {
      await dev.stop();
    }
  }
});
