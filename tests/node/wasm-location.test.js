// Where the .wasm files come from: options.wasmBase and setWasmBase() (the
// folder holding the three builds), and what a failure to fetch, read or
// compile one says: the problem and which option to set.  The browser side
// (CORS, a CDN on another origin) is in tests/consumer/cdn.test.js.
//   node --test tests/node/wasm-location.test.js

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModel, buildModel, init, setWasmBase, MemcomError } from '../../web/index.js';
import { ROOT, requireWasm } from './helpers.js';

const FILES = ['memcom-simd.wasm', 'memcom.wasm', 'memcom-writer.wasm'];
let dir; // a folder holding copies of the three builds
let empty; // a folder holding none
let server;
let base; // http://127.0.0.1:port/
let model;

// What the test server answers, by path.
const ROUTES = new Map();

before(async () => {
  requireWasm();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memcom-wasmbase-'));
  empty = fs.mkdtempSync(path.join(os.tmpdir(), 'memcom-nowasm-'));
  for (const f of FILES) fs.copyFileSync(path.join(ROOT, 'dist', f), path.join(dir, f));
  const rows = new Float32Array([1, 0, 0, 1, 1, 1]);
  model = await buildModel({ input: { kind: 'full', n: 3, d: 2, rows }, output: { kind: 'full', n: 3, d: 2, rows }, ids: ['a', 'b', 'c'] });
  const wasm = fs.readFileSync(path.join(ROOT, 'dist/memcom.wasm'));
  ROUTES.set('/ok/memcom.wasm', ['application/wasm', wasm]);
  ROUTES.set('/plain/memcom.wasm', ['application/octet-stream', wasm]); // a server that does not know .wasm
  ROUTES.set('/html/memcom.wasm', ['text/html', Buffer.from('<!doctype html><html><body>Not here</body></html>')]);
  ROUTES.set('/html-as-wasm/memcom.wasm', ['application/wasm', Buffer.from('<!DOCTYPE html><title>app</title>')]);
  ROUTES.set('/junk/memcom.wasm', ['application/octet-stream', Buffer.from('PK\x03\x04 not wasm')]);
  server = http.createServer((req, res) => {
    const r = ROUTES.get(req.url);
    if (!r) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found'); return; }
    res.writeHead(200, { 'content-type': r[0], 'content-length': r[1].length });
    res.end(r[1]);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}/`;
});

after(async () => {
  setWasmBase(null);
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(empty, { recursive: true, force: true });
});

async function rejects(promise, re, code = 'wasm') {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof MemcomError, `a MemcomError, not ${e && e.name}: ${e && e.message}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('options.wasmBase: a folder (path, file: URL, trailing separator or not) serves both builds and the writer', async () => {
  for (const wasmBase of [dir, `${dir}/`, pathToFileURL(dir), pathToFileURL(`${dir}/`)]) {
    for (const simd of [true, false]) {
      const m = await loadModel(model, { wasmBase, simd });
      assert.equal(m.info.simd, simd);
      assert.deepEqual(m.recommend(['a'], { k: 2 }).map((r) => r.id), ['c', 'b']);
      m.dispose();
    }
    assert.deepEqual(await buildModel({ output: { kind: 'full', n: 1, d: 1, rows: [1] } }, { wasmBase }),
      await buildModel({ output: { kind: 'full', n: 1, d: 1, rows: [1] } }));
  }
  assert.deepEqual(await init({ wasmBase: dir, simd: false }), await init({ simd: false }));
});

test('options.wasm wins over options.wasmBase', async () => {
  const m = await loadModel(model, { wasmBase: empty, wasm: path.join(dir, 'memcom.wasm') });
  assert.equal(m.info.simd, false);
  m.dispose();
});

test('a folder without the files: MemcomError wasm naming the file, the problem and options.wasmBase', async () => {
  await rejects(loadModel(model, { wasmBase: empty, simd: true }),
    /cannot read the WebAssembly module .*memcom-simd\.wasm: ENOENT.*options\.wasmBase \(.*memcom-nowasm-.*\) must be the folder that holds memcom's memcom-simd\.wasm, memcom\.wasm, memcom-writer\.wasm/);
  await rejects(buildModel({ output: { kind: 'full', n: 1, d: 1, rows: [1] } }, { wasmBase: empty }),
    /memcom-writer\.wasm: ENOENT.*options\.wasmBase/);
  await rejects(loadModel(model, { wasm: path.join(empty, 'memcom.wasm') }), /ENOENT.*It was given as options\.wasm/);
});

test('setWasmBase(): the default folder for later loads; null goes back to the package\'s own', async () => {
  setWasmBase(empty);
  try {
    await rejects(loadModel(model, { simd: false }), /memcom\.wasm: ENOENT.*setWasmBase\(\)/);
    await rejects(init({ simd: true }), /memcom-simd\.wasm: ENOENT.*setWasmBase\(\)/);
    const m = await loadModel(model, { simd: false, wasmBase: dir }); // the option wins
    m.dispose();
    setWasmBase(pathToFileURL(dir));
    const m2 = await loadModel(model, { simd: false });
    assert.deepEqual(m2.recommend(['a'], { k: 1 }).map((r) => r.id), ['c']);
    m2.dispose();
  } finally {
    setWasmBase(null);
  }
  const m3 = await loadModel(model);
  m3.dispose();
});

test('wasmBase and setWasmBase refuse what is not a folder location', async () => {
  for (const bad of ['', 5, {}, true]) {
    await rejects(loadModel(model, { wasmBase: bad }), /options\.wasmBase must be a URL or a non-empty string/, 'invalid_argument');
    assert.throws(() => setWasmBase(bad), (e) => e instanceof MemcomError && e.code === 'invalid_argument' && /setWasmBase\(base\)/.test(e.message));
  }
});

test('over HTTP: served with or without application/wasm, it loads', async () => {
  for (const folder of ['ok/', 'plain/']) {
    const m = await loadModel(model, { wasmBase: base + folder, simd: false });
    assert.deepEqual(m.recommend(['a'], { k: 2 }).map((r) => r.id), ['c', 'b']);
    m.dispose();
  }
});

test('over HTTP: 404, an HTML page, junk and a refused connection each say what is wrong and what to set', async () => {
  await rejects(loadModel(model, { wasmBase: `${base}missing/`, simd: false }),
    /cannot fetch the WebAssembly module http:\/\/127\.0\.0\.1:\d+\/missing\/memcom\.wasm: HTTP 404 \(not found\)\. options\.wasmBase/);
  await rejects(loadModel(model, { wasmBase: `${base}html`, simd: false }),
    /\/html\/memcom\.wasm: the server sent an HTML page, not WebAssembly \(it starts with "<!doctype html><html"\).*options\.wasmBase/);
  await rejects(loadModel(model, { wasm: `${base}html-as-wasm/memcom.wasm`, simd: false }),
    /cannot compile .*html-as-wasm\/memcom\.wasm: the server sent an HTML page, not WebAssembly \(it starts with "<!DOCTYPE html><titl"\).*It was given as options\.wasm/);
  await rejects(loadModel(model, { wasm: new URL('junk/memcom.wasm', base), simd: false }),
    /it is not a WebAssembly module \(it starts with 50 4b 03 04, not 00 61 73 6d\)/);
  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  await rejects(loadModel(model, { wasmBase: `http://127.0.0.1:${port}/x/`, simd: false }),
    /cannot fetch .*: fetch failed \(a network error: .*\)\. options\.wasmBase/);
});

test('bytes that are not WebAssembly: the first bytes named', async () => {
  await rejects(loadModel(model, { wasm: new TextEncoder().encode('<!doctype html>') }), /the server sent an HTML page|not WebAssembly/);
  await rejects(loadModel(model, { wasm: new Uint8Array(0) }), /it is empty/);
});
