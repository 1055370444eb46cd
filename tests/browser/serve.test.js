// demo/serve.js: MIME types, headers, and no way out of the repository root.
//   node --test tests/browser/serve.test.js

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, resolveRequestPath } from '../../demo/serve.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let server;

before(async () => { server = await startServer({ port: 0 }); });
after(async () => { await server?.close(); });

// A raw request: the path is sent exactly as given (no client-side normalisation).
function get(rawPath, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: rawPath, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the page, the package and the .wasm with the right types and a strict CSP', async () => {
  const page = await get('/demo/');
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.match(page.headers['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const js = await get('/web/index.js');
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript/);
  for (const f of ['memcom-simd.wasm', 'memcom.wasm']) {
    const wasm = await get(`/dist/${f}`);
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.deepEqual(wasm.body, fs.readFileSync(path.join(ROOT, 'dist', f)));
  }
  const model = await get('/demo/models/manifest.json');
  assert.match(model.headers['content-type'], /^application\/json/);
  const head = await get('/demo/style.css', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers['content-length']), fs.statSync(path.join(ROOT, 'demo/style.css')).size);
  const root = await get('/');
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/demo/');
  assert.equal((await get('/demo/nope.js')).status, 404);
  assert.equal((await get('/demo/', 'POST')).status, 405);
});

test('refuses traversal, dot-files and node_modules', async () => {
  const secret = fs.readFileSync('/etc/hostname', 'utf8').trim();
  for (const p of [
    '/../../../../etc/hostname',
    '/demo/../../../etc/hostname',
    '/demo/%2e%2e/%2e%2e/%2e%2e/etc/hostname',
    '/demo/..%2f..%2f..%2fetc/hostname',
    '/demo/..%5c..%5cetc/hostname',
    '/%2e%2e%2f%2e%2e%2fetc%2fhostname',
    '/demo/%00.html',
    '/.git/config',
    '/.git/HEAD',
    '/node_modules/vite/package.json',
    '/demo/%E0%A4%A',
  ]) {
    const res = await get(p);
    assert.ok(res.status === 403 || res.status === 404 || res.status === 400, `${p}: ${res.status}`);
    if (secret) assert.ok(!res.body.toString().includes(secret) || res.status !== 200, `${p} leaked a file outside the root`);
  }
  assert.equal(resolveRequestPath(ROOT, '/demo/../../etc/passwd'), null);
  assert.equal(resolveRequestPath(ROOT, '/.git/config'), null);
  assert.equal(resolveRequestPath(ROOT, '/demo/app.js'), path.join(ROOT, 'demo/app.js'));
});
