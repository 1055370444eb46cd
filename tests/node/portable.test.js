// portable.test.js - static guards that keep web/ loadable unchanged in
// browsers, Web Workers and Node: no static Node built-ins, no eval, and
// declarations for every export.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import * as api from '../../web/index.js';

const WEB = new URL('../../web/', import.meta.url);

const DEMO = new URL('../../demo/', import.meta.url);

async function sources(dir = WEB) {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.js'));
  return Promise.all(names.map(async (f) => [f, await readFile(new URL(f, dir), 'utf8')]));
}

test('web/*.js: ES modules without Node built-ins, require, eval or new Function', async () => {
  for (const [name, text] of await sources()) {
    const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    assert.doesNotMatch(code, /from\s+['"](node:|fs|path|url|os|crypto)/, `${name}: static Node import`);
    assert.doesNotMatch(code, /\brequire\s*\(/, `${name}: require()`);
    assert.doesNotMatch(code, /\beval\s*\(|new\s+Function\b/, `${name}: eval`);
    assert.doesNotMatch(code, /\b__dirname\b|\b__filename\b/, `${name}: CommonJS globals`);
    for (const m of code.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      assert.match(m[1], /^\.\/[a-z]+\.js$/, `${name}: imports only sibling modules (${m[1]})`);
    }
  }
});

test('web/*.js and demo/*.js parse no .memcom bytes: the C reader and writer own the format (no DataView, no byte-offset reads)', async () => {
  for (const [name, text] of [...(await sources()), ...(await sources(DEMO))]) {
    const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    assert.doesNotMatch(code, /new\s+DataView\b|\.get(Big)?(Ui|I)nt(8|16|32|64)\(|\.getFloat(32|64)\(/, `${name}: reads bytes at offsets`);
    assert.doesNotMatch(code, /\.set(Big)?(Ui|I)nt(16|32|64)\(|\.setFloat(32|64)\(/, `${name}: writes bytes at offsets`);
  }
});

test('index.d.ts declares every export of index.js', async () => {
  const dts = await readFile(new URL('index.d.ts', WEB), 'utf8');
  for (const name of Object.keys(api)) {
    assert.match(dts, new RegExp(`export (declare )?(function|class|const) ${name}\\b`), `${name} declared`);
  }
});

test('package.json: ES module, exports map with types and the wasm subpaths', async () => {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.exports['.'].types, './web/index.d.ts');
  assert.equal(pkg.exports['.'].default, './web/index.js');
  for (const f of ['memcom.wasm', 'memcom-simd.wasm', 'memcom-writer.wasm']) {
    assert.deepEqual(pkg.exports[`./${f}`], { types: './web/wasm-url.d.ts', default: `./dist/${f}` }, `the ${f} subpath, with types`);
    assert.ok(pkg.files.includes(`dist/${f}`), `${f} ships`);
  }
  assert.deepEqual(pkg.exports['./inline'], { types: './web/index.d.ts', default: './web/inline.js' });
  assert.equal(pkg.sideEffects, false);
});
