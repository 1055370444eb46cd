// demo/serve.js: MIME types, headers, only what the demo page needs, no way
// out of the repository root and no redirect that leaves the server.
//   node --test tests/browser/serve.test.js

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, resolveRequestPath, DEMO_PATHS } from '../../demo/serve.js';

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

// Issue 12 point 6: "/.//docs" resolved to the directory docs/ and was answered
// with "301 Location: //docs/", which a browser follows to the host "docs".
test('no redirect leaves the server: never a protocol-relative Location', async () => {
  const origin = `http://127.0.0.1:${server.port}`;
  for (const p of ['/.//docs', '/demo/..//docs', '/%2e//docs', '//docs', '//docs/', '/.//docs/', '/%2E//docs',
    '/demo/%2e%2e//docs', '///docs', '/.//demo', '//demo', '/%2e//demo', '//demo/models', '/.//web', '//%2e/docs',
    '/.//\\docs', '/./%5cdocs', '/.//%2fdocs', '//127.0.0.1/demo', '//demo?x=//evil']) {
    const res = await get(p);
    const loc = res.headers.location;
    if (loc === undefined) continue;
    assert.ok(res.status >= 300 && res.status < 400, `${p}: Location on a ${res.status}`);
    assert.match(loc, /^\/(?![/\\])/, `${p}: ${res.status} Location ${loc} is not a path on this server`);
    assert.equal(new URL(loc, origin + '/x/').origin, origin, `${p}: Location ${loc} leaves the server`);
  }
  // The three reproductions: docs/ is not part of the demo, so not found, and
  // a path that climbs (..) is refused: no redirect at all.
  for (const [p, want] of [['/.//docs', 404], ['/demo/..//docs', 403], ['/%2e//docs', 404]]) {
    const res = await get(p);
    assert.equal(res.status, want, `${p}: ${res.status} ${res.headers.location ?? ''}`);
    assert.equal(res.headers.location, undefined, p);
  }
  // A directory of the demo reached through empty or dot segments redirects to its canonical path.
  for (const [p, want] of [['/.//demo', '/demo/'], ['//demo', '/demo/'], ['//demo/models', '/demo/models/'], ['/demo/./models?x=1', '/demo/models/?x=1']]) {
    const res = await get(p);
    assert.ok(res.status === 301 || res.status === 302, `${p}: ${res.status}`);
    assert.equal(res.headers.location, want, p);
  }
  assert.equal((await get('//demo/app.js')).status, 200, 'empty segments are ignored for files');
});

// Issue 12 point 6: the server answered for the whole repository (sources,
// build/, the committed V8 logs). It serves the demo, the package and the
// WebAssembly modules only.
test('serves only what the demo page needs', async () => {
  const made = [];
  const make = (rel) => {
    const file = path.join(ROOT, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `serve.test.js marker ${process.pid}\n`);
    made.push(file);
    return rel;
  };
  try {
    const logRoot = make(`serve-test-${process.pid}.log`);
    const logBuild = make(`build/serve-test-${process.pid}.log`);
    const distOther = make(`dist/serve-test-${process.pid}.txt`);
    for (const p of ['/package.json', '/README.md', '/LICENSE', '/build.sh', '/docs/FORMAT.md', '/docs/', '/src/memcom.h',
      '/tests/browser/serve.test.js', '/bench/', '/demo/../package.json', '/demo/%2e%2e/build.sh', '/web/../src/memcom.h',
      `/${logRoot}`, `/${logBuild}`, `/build/`, `/${distOther}`, '/dist/', '/dist', '/favicon.ico']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await get(p, method);
        assert.equal(res.status, p.includes('..') || p.includes('%2e%2e') ? 403 : 404, `${method} ${p}: ${res.status}`);
        assert.ok(!res.body.toString().includes('marker') && !res.body.toString().includes('"name"'), `${method} ${p}: leaked`);
      }
    }
    assert.equal(resolveRequestPath(ROOT, '/package.json', DEMO_PATHS), null);
    assert.equal(resolveRequestPath(ROOT, `/${logBuild}`, DEMO_PATHS), null);
    assert.equal(resolveRequestPath(ROOT, '/dist/memcom.wasm', DEMO_PATHS), path.join(ROOT, 'dist/memcom.wasm'));
  } finally {
    for (const f of made) fs.rmSync(f, { force: true });
  }
  // Everything the page loads is there: the page, its modules and styles, the
  // worker, the models and titles, the licence, the package, both .wasm builds.
  const page = (await get('/demo/')).body.toString();
  const wanted = new Set(['/demo/', '/demo/worker.js', '/demo/models/manifest.json', '/demo/models/movies.json',
    '/demo/models/quality.json', '/demo/models/ml-latest-small-README.txt', '/dist/memcom-simd.wasm', '/dist/memcom.wasm']);
  for (const m of page.matchAll(/(?:src|href)="([^"#?:]+)"/g)) wanted.add(new URL(m[1], 'http://x/demo/').pathname);
  // the ES modules, followed through their static imports
  const queue = [...wanted].filter((p) => p.endsWith('.js'));
  while (queue.length) {
    const mod = queue.pop();
    const text = (await get(mod)).body.toString();
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      const dep = new URL(m[1], `http://x${mod}`).pathname;
      if (!wanted.has(dep)) { wanted.add(dep); queue.push(dep); }
    }
  }
  for (const m of JSON.parse(fs.readFileSync(path.join(ROOT, 'demo/models/manifest.json'), 'utf8')).models) wanted.add(`/demo/models/${m.file}`);
  assert.ok([...wanted].some((p) => p.startsWith('/web/')), 'the package is among what the page loads');
  for (const p of wanted) assert.equal((await get(p, 'HEAD')).status, 200, p);
});
