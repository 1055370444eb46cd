// How `npm install memcom` users meet the package beyond Vite
// (tests/consumer/vite.test.js): the package is packed as it would be
// published, installed into a fresh app, then
//   - bundled by webpack 5 with no configuration, page and worker;
//   - bundled for the browser by esbuild and by Rollup with the README's
//     recipes (copy node_modules/memcom/dist/*.wasm beside the bundle,
//     setWasmBase), served under a strict CSP and run in a page and in a
//     module worker, SIMD and fallback, in each browser of
//     tests/browser/browsers.js; without the recipe the page gets the
//     MemcomError that names options.wasmBase;
//   - loaded from a CDN-style layout (the unpacked tarball under
//     /npm/memcom@VERSION/) on another loopback origin with CORS headers, and
//     its .wasm from an origin without them (the MemcomError explaining CORS);
//   - bundled for Node by esbuild (ESM and CommonJS), with and without the recipe;
//   - require()d from CommonJS (Node >= 20.19), 'memcom' and 'memcom/inline';
//   - type-checked by TypeScript in a Node-only project (lib es2022, types
//     node, no DOM lib, no skipLibCheck), subpath types included.
//   node --test tests/consumer/bundlers.test.js

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import webpack from 'webpack';
import { buildModel } from '../../web/index.js';
import { ENGINES, launch } from '../browser/browsers.js';
import {
  ROOT, BIN, run, requireBuilt, pack, makeApp, serve, csp, smallModelSpec, nodeRecommend, CHECK_JS, HISTORY,
  runPage, assertResults,
} from './helpers.js';

const KEEP = process.env.MEMCOM_KEEP_CONSUMER === '1';
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const WASM = ['memcom-simd.wasm', 'memcom.wasm', 'memcom-writer.wasm'];

let dir;
let app;
let packed;
let model;
let expected;
const browsers = new Map(); // engine -> browser
const servers = [];

before(async () => {
  requireBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memcom-bundlers-'));
  packed = pack(dir);
  app = makeApp(dir, 'app', packed.tarball);
  model = await buildModel(smallModelSpec());
  expected = await nodeRecommend(model);
  fs.writeFileSync(path.join(app, 'src/check.js'), CHECK_JS);
  for (const engine of ENGINES) browsers.set(engine, await launch(engine)); // fail early if a browser is missing
});

after(async () => {
  for (const b of browsers.values()) await b.close();
  for (const s of servers) await s.close();
  if (dir && !KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else if (dir) console.log(`kept ${dir}`);
});

async function serveHere(root, headers) {
  const s = await serve(root, headers);
  servers.push(s);
  return s;
}

/** The recipe's last step: the .wasm files of the installed package copied into `out`. */
function copyWasm(out) {
  for (const f of WASM) fs.copyFileSync(path.join(app, 'node_modules/memcom/dist', f), path.join(out, f));
}

test('the tarball ships the .wasm files without the executable bit, and installs them so', () => {
  for (const f of WASM) {
    const entry = packed.files.find((x) => x.path === `dist/${f}`);
    assert.ok(entry, `dist/${f} ships`);
    assert.equal(entry.mode & 0o111, 0, `dist/${f} is packed with mode ${entry.mode.toString(8)}, not executable`);
    assert.equal(fs.statSync(path.join(app, 'node_modules/memcom/dist', f)).mode & 0o111, 0, `dist/${f} is installed without x bits`);
  }
  for (const f of ['web/index.js', 'web/index.d.ts', 'web/inline.js', 'web/embedded.js', 'web/wasm-url.d.ts', 'README.md', 'LICENSE']) {
    assert.ok(packed.files.some((x) => x.path === f), `${f} ships`);
  }
  // Every relative link of the README reaches a file the package ships.
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const [, target] of readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue;
    assert.ok(packed.files.some((x) => x.path === target), `README links to ${target}, which the package ships`);
  }
});

// The browser app, bundled by esbuild or Rollup: page and module worker.
const MAIN_JS = `import * as memcom from 'memcom';
import { pageAndWorker } from './check.js';
// The recipe: the .wasm files are copied beside the bundle.
memcom.setWasmBase(new URL('./', import.meta.url));
pageAndWorker(memcom, new URL('./worker.js', import.meta.url), new URL('./shop.memcom', import.meta.url));
`;
const WORKER_JS = `import * as memcom from 'memcom';
import { workerMain } from './check.js';
memcom.setWasmBase(new URL('./', import.meta.url));
workerMain(async () => memcom);
`;
// Without the recipe: what the issue saw (a 404 for ../dist/memcom-simd.wasm).
const BARE_JS = `import * as memcom from 'memcom';
import { check } from './check.js';
check(memcom, 'auto', new URL('./shop.memcom', import.meta.url))
  .then((r) => { document.body.dataset.result = JSON.stringify(r); })
  .catch((e) => { document.body.dataset.error = (e instanceof memcom.MemcomError ? 'MemcomError ' : '') + e.code + ': ' + e.message; });
`;
const HTML = (script) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>memcom</title><link rel="icon" href="data:,">
<script type="module" src="./${script}"></script></head><body><pre id="out"></pre></body></html>
`;

function writeSources() {
  fs.writeFileSync(path.join(app, 'src/main.js'), MAIN_JS);
  fs.writeFileSync(path.join(app, 'src/worker.js'), WORKER_JS);
  fs.writeFileSync(path.join(app, 'src/bare.js'), BARE_JS);
}

function finishOut(out) {
  fs.writeFileSync(path.join(out, 'index.html'), HTML('main.js'));
  fs.writeFileSync(path.join(out, 'bare.html'), HTML('bare.js'));
  fs.writeFileSync(path.join(out, 'shop.memcom'), model);
}

async function checkInBrowsers(out, what) {
  const server = await serveHere(out, () => ({ 'content-security-policy': csp() }));
  for (const [engine, browser] of browsers) {
    for (const simd of [true, false]) {
      const got = await runPage(browser, `${server.origin}/index.html${simd ? '' : '?simd=0'}`);
      assertResults(got, expected, simd, `${what} in ${engine}`);
      // (A request the page itself ended once it had every byte, net::ERR_ABORTED, is no problem.)
      assert.deepEqual(got.problems.filter((p) => !/net::ERR_ABORTED$/.test(p)), [], `${what} in ${engine}: no console errors under the strict CSP`);
    }
  }
  return server;
}

async function checkBare(out, server, what) {
  // The bare bundle, with the .wasm files not where memcom looks by default.
  for (const [engine, browser] of browsers) {
    const got = await runPage(browser, `${server.origin}/bare.html`);
    assert.match(got.error ?? '', /^MemcomError wasm: memcom: cannot fetch the WebAssembly module http:\/\/127\.0\.0\.1:\d+\/[^ ]*memcom-simd\.wasm: HTTP 404 \(not found\)\. .*options\.wasmBase or with setWasmBase\(\)/,
      `${what} in ${engine}: without the recipe, a MemcomError naming wasmBase`);
  }
}

test('esbuild: bundle page and worker (format esm), copy the .wasm beside them: loads in a page and a worker, SIMD and fallback', async () => {
  writeSources();
  const out = path.join(app, 'out-esbuild');
  await esbuild.build({
    absWorkingDir: app,
    entryPoints: ['src/main.js', 'src/worker.js', 'src/bare.js'],
    bundle: true, format: 'esm', outdir: out, logLevel: 'error',
  });
  copyWasm(out);
  finishOut(out);
  const server = await checkInBrowsers(out, 'esbuild');
  // Under a Content-Security-Policy without 'wasm-unsafe-eval' the error says what to add.
  const strict = await serveHere(out, () => ({ 'content-security-policy': csp().replace(" 'wasm-unsafe-eval'", '') }));
  for (const [engine, browser] of browsers) {
    const got = await runPage(browser, `${strict.origin}/index.html`);
    assert.match(got.error ?? '', /^wasm: memcom: cannot compile the WebAssembly module .*memcom-simd\.wasm: .*add 'wasm-unsafe-eval' to its script-src/,
      `esbuild in ${engine}, CSP without 'wasm-unsafe-eval': the error names the fix`);
  }
  fs.rmSync(path.join(out, 'memcom-simd.wasm'));
  await checkBare(out, server, 'esbuild');
});

test('Rollup (@rollup/plugin-node-resolve), copy the .wasm beside the output: loads in a page and a worker, SIMD and fallback', async () => {
  writeSources();
  const out = path.join(app, 'out-rollup');
  const bundle = await rollup({
    input: { main: path.join(app, 'src/main.js'), worker: path.join(app, 'src/worker.js'), bare: path.join(app, 'src/bare.js') },
    plugins: [nodeResolve({ browser: true, rootDir: app })],
    onwarn: (w) => { throw new Error(`rollup warned: ${w.message}`); },
  });
  await bundle.write({ dir: out, format: 'es' });
  await bundle.close();
  copyWasm(out);
  finishOut(out);
  const server = await checkInBrowsers(out, 'Rollup');
  fs.rmSync(path.join(out, 'memcom-simd.wasm'));
  await checkBare(out, server, 'Rollup');
});

test('webpack 5, no configuration: it emits the .wasm files and the worker; loads in a page and a worker, SIMD and fallback', async () => {
  writeSources();
  // No recipe: webpack follows memcom's new URL('../dist/...', import.meta.url) and new Worker(new URL(...)).
  fs.writeFileSync(path.join(app, 'src/webpack-main.js'), `import * as memcom from 'memcom';
import { pageAndWorker } from './check.js';
pageAndWorker(memcom, () => new Worker(new URL('./webpack-worker.js', import.meta.url), { type: 'module' }), new URL('./shop.memcom', import.meta.url));
`);
  fs.writeFileSync(path.join(app, 'src/webpack-worker.js'), `import * as memcom from 'memcom';
import { workerMain } from './check.js';
workerMain(async () => memcom);
`);
  fs.writeFileSync(path.join(app, 'src/shop.memcom'), model);
  const out = path.join(app, 'out-webpack');
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production', context: app, entry: { main: './src/webpack-main.js' },
    output: { path: out, filename: '[name].js', publicPath: 'auto', clean: true },
    resolve: { modules: [path.join(app, 'node_modules')] },
    resolveLoader: { modules: [path.join(ROOT, 'node_modules')] },
    performance: { hints: false },
  }, (err, st) => (err ? reject(err) : resolve(st))));
  assert.ok(!stats.hasErrors(), stats.toString('errors-only'));
  assert.ok(!stats.hasWarnings(), stats.toString('errors-warnings'));
  const emitted = fs.readdirSync(out);
  assert.equal(emitted.filter((f) => f.endsWith('.wasm')).length, 3, `the three .wasm files emitted: ${emitted.join(', ')}`);
  fs.writeFileSync(path.join(out, 'index.html'), HTML('main.js'));
  await checkInBrowsers(out, 'webpack');
});

test('a CDN-style layout on another origin with CORS: page and worker import memcom from it; a .wasm origin without CORS gives the MemcomError that says so', async () => {
  // The CDN: the unpacked tarball under /npm/memcom@VERSION/, as jsDelivr and unpkg lay packages out.
  const cdnRoot = path.join(dir, 'cdn');
  const pkgDir = path.join(cdnRoot, 'npm', `memcom@${VERSION}`);
  fs.mkdirSync(path.dirname(pkgDir), { recursive: true });
  run('tar', ['xzf', path.join(dir, packed.tarball), '-C', path.dirname(pkgDir)], dir);
  fs.renameSync(path.join(path.dirname(pkgDir), 'package'), pkgDir);
  const cdn = await serveHere(cdnRoot, () => ({ 'access-control-allow-origin': '*' }));
  const noCors = await serveHere(cdnRoot);

  const site = path.join(dir, 'site');
  fs.mkdirSync(site);
  fs.writeFileSync(path.join(site, 'check.js'), CHECK_JS);
  fs.writeFileSync(path.join(site, 'shop.memcom'), model);
  fs.writeFileSync(path.join(site, 'index.html'), HTML('main.js'));
  fs.writeFileSync(path.join(site, 'main.js'), `import { pageAndWorker } from './check.js';
const q = new URLSearchParams(location.search);
const memcom = await import(q.get('cdn') + '/npm/memcom@${VERSION}/web/index.js');
if (q.get('wasmBase')) memcom.setWasmBase(q.get('wasmBase'));
pageAndWorker(memcom, new URL('./worker.js?cdn=' + encodeURIComponent(q.get('cdn')), import.meta.url), new URL('./shop.memcom', import.meta.url));
`);
  fs.writeFileSync(path.join(site, 'worker.js'), `import { workerMain } from './check.js';
const cdn = new URL(import.meta.url).searchParams.get('cdn');
workerMain(() => import(cdn + '/npm/memcom@${VERSION}/web/index.js'));
`);
  const page = await serveHere(site, () => ({ 'content-security-policy': csp([cdn.origin, noCors.origin]) }));
  for (const [engine, browser] of browsers) {
    for (const simd of [true, false]) {
      const got = await runPage(browser, `${page.origin}/index.html?cdn=${encodeURIComponent(cdn.origin)}${simd ? '' : '&simd=0'}`);
      assertResults(got, expected, simd, `CDN in ${engine}`);
      assert.deepEqual(got.problems.filter((p) => !/net::ERR_ABORTED$/.test(p)), [], `CDN in ${engine}: no console errors`);
      const wasm = got.responses.filter((r) => r.url.endsWith('.wasm') && r.url.startsWith(cdn.origin));
      assert.ok(wasm.length >= 1, `CDN in ${engine}: the .wasm came from the CDN origin`);
      for (const r of wasm) assert.equal(r.headers['content-type'], 'application/wasm');
    }
    const wasmBase = `${noCors.origin}/npm/memcom@${VERSION}/dist/`;
    const got = await runPage(browser, `${page.origin}/index.html?cdn=${encodeURIComponent(cdn.origin)}&wasmBase=${encodeURIComponent(wasmBase)}`);
    assert.match(got.error ?? '', /^wasm: memcom: cannot fetch the WebAssembly module http:\/\/127\.0\.0\.1:\d+\/npm\/memcom@[^/]+\/dist\/memcom-simd\.wasm: .*a network error: the file is on another origin, http:\/\/127\.0\.0\.1:\d+, than this code, http:\/\/127\.0\.0\.1:\d+: that server must send Access-Control-Allow-Origin.*The folder given to setWasmBase\(\)/,
      `CDN without CORS in ${engine}: the error says what to do`);
  }
});

test('esbuild for Node (ESM and CommonJS): with the recipe it ranks, SIMD and fallback; without it, a MemcomError naming wasmBase', async () => {
  const src = path.join(app, 'src/node-app.js');
  fs.writeFileSync(src, `import * as memcom from 'memcom';
const simd = process.env.MEMCOM_SIMD === '0' ? false : 'auto';
const here = typeof __dirname === 'string' ? __dirname : new URL('./', import.meta.url);
// The recipe: the .wasm files are copied beside the bundle.
if (process.env.MEMCOM_BARE !== '1') memcom.setWasmBase(here);
memcom.loadModel(process.argv[2], { simd })
  .then((m) => console.log(JSON.stringify({ simd: m.info.simd, shop: m.recommend(${JSON.stringify(HISTORY)}, { k: 10 }).map((r) => r.id) })))
  .catch((e) => console.log(JSON.stringify({ isMemcomError: e instanceof memcom.MemcomError, name: e.name, code: e.code, message: e.message })));
`);
  const modelFile = path.join(app, 'shop.memcom');
  fs.writeFileSync(modelFile, model);
  for (const [format, file] of [['esm', 'app.mjs'], ['cjs', 'app.cjs']]) {
    const out = path.join(app, `out-node-${format}`);
    await esbuild.build({ absWorkingDir: app, entryPoints: [src], bundle: true, platform: 'node', format, outfile: path.join(out, file), logLevel: 'silent' });
    const exec = (env) => JSON.parse(execFileSync(process.execPath, [path.join(out, file), modelFile], { encoding: 'utf8', env: { ...process.env, ...env } }));
    const bare = exec({ MEMCOM_BARE: '1' });
    assert.equal(bare.isMemcomError, true, `${format}: a MemcomError, not ${bare.name}: ${bare.message}`);
    assert.equal(bare.code, 'wasm');
    assert.match(bare.message, format === 'esm'
      ? /cannot read the WebAssembly module .*memcom-simd\.wasm: ENOENT.*options\.wasmBase or with setWasmBase\(\)/
      : /cannot locate memcom-simd\.wasm: memcom finds its \.wasm files from import\.meta\.url.*options\.wasmBase or with setWasmBase\(\)/);
    copyWasm(out);
    for (const simd of [true, false]) {
      const r = exec({ MEMCOM_SIMD: simd ? '1' : '0' });
      assert.deepEqual(r, { simd, shop: expected }, `${format} bundle, ${simd ? 'SIMD' : 'fallback'}`);
    }
  }
});

test('CommonJS: require("memcom") and require("memcom/inline") work (Node >= 20.19, as engines says)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(app, 'node_modules/memcom/package.json'), 'utf8'));
  assert.equal(pkg.engines.node, '>=20.19');
  const [major, minor] = process.versions.node.split('.').map(Number);
  assert.ok(major > 20 || (major === 20 && minor >= 19), `this Node (${process.version}) is one engines allows`);
  fs.writeFileSync(path.join(app, 'shop.memcom'), model);
  fs.writeFileSync(path.join(app, 'src/require.cjs'), `const memcom = require('memcom');
const inline = require('memcom/inline');
(async () => {
  const out = {};
  for (const [name, api] of [['memcom', memcom], ['inline', inline]]) {
    const m = await api.loadModel(require('node:path').join(__dirname, '..', 'shop.memcom'));
    out[name] = m.recommend(${JSON.stringify(HISTORY)}, { k: 10 }).map((r) => r.id);
    out[name + 'Error'] = await api.loadModel(new Uint8Array(4)).catch((e) => e instanceof api.MemcomError);
  }
  console.log(JSON.stringify(out));
})();
`);
  const out = JSON.parse(run(process.execPath, [path.join(app, 'src/require.cjs')], app));
  assert.deepEqual(out, { memcom: expected, memcomError: true, inline: expected, inlineError: true });
});

test('TypeScript: the shipped types compile in a Node-only project (no DOM lib, no skipLibCheck), nodenext and bundler resolution', () => {
  const tsc = BIN('tsc');
  assert.ok(fs.existsSync(tsc), 'typescript is a devDependency (npm ci)');
  fs.mkdirSync(path.join(app, 'node_modules/@types'), { recursive: true });
  const typesNode = path.join(app, 'node_modules/@types/node');
  if (!fs.existsSync(typesNode)) fs.symlinkSync(path.join(ROOT, 'node_modules/@types/node'), typesNode, 'dir');
  const ts = path.join(app, 'ts');
  fs.mkdirSync(ts, { recursive: true });
  fs.writeFileSync(path.join(ts, 'use.mts'), `import { loadModel, loadTable, buildModel, init, setWasmBase, hasSimd, MemcomError, type MemcomModel, type LoadOptions } from 'memcom';
import * as inline from 'memcom/inline';
import simd from 'memcom/memcom-simd.wasm';
import scalar from 'memcom/memcom.wasm';
import writer from 'memcom/memcom-writer.wasm';

const urls: string[] = [simd, scalar, writer];
setWasmBase(new URL('file:///opt/wasm/'));
setWasmBase('/wasm/');
setWasmBase(null);
const options: LoadOptions = { wasm: { simd, scalar }, wasmBase: new URL('https://cdn.example/memcom/dist/'), simd: 'auto', maxBytes: 1 << 20 };
export async function main(): Promise<string[]> {
  const info = await init({ wasmBase: '/wasm/' });
  const model: MemcomModel = await loadModel('model.memcom', options);
  const table = await inline.loadTable(new Uint8Array(await buildModel({ output: { kind: 'full', n: 1, d: 1, rows: [1] } }, { wasmBase: '/wasm/' })));
  const mod: WebAssembly.Module | undefined = undefined;
  await loadModel(new ArrayBuffer(8), { wasm: mod });
  try { await loadTable('x'); } catch (e) { if (e instanceof MemcomError && e.code === 'wasm') return [e.message]; }
  return [info.kernel, String(hasSimd()), String(table.n), ...urls, ...model.recommend(['a'], { k: 3 }).map((r) => r.id ?? '')];
}
`);
  const base = { strict: true, noEmit: true, target: 'es2022', lib: ['es2022'], types: ['node'], skipLibCheck: false };
  for (const [name, opts] of [['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }], ['bundler', { module: 'esnext', moduleResolution: 'bundler' }]]) {
    fs.writeFileSync(path.join(ts, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...opts }, files: ['use.mts'] }, null, 2));
    run(process.execPath, [tsc, '-p', path.join(ts, `tsconfig.${name}.json`)], ts);
  }
});
