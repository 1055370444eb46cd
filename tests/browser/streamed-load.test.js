// Streamed loading in real browsers (Chromium and Firefox, see browsers.js): loadModel(url) and loadModel(Response)
// with a Content-Length write the body straight into wasm memory; the result
// is the model a Uint8Array load gives, and a body that breaks off frees its
// block.  The page is served by demo/serve.js (Content-Length, strict CSP).
//   node --test tests/browser/

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../demo/serve.js';
import { ENGINES, LABEL, launch } from './browsers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'demo/models/manifest.json'), 'utf8'));

let server;

before(async () => {
  server = await startServer({ port: 0 });
});

after(async () => {
  await server?.close();
});

for (const engine of ENGINES) describe(LABEL[engine], () => {
  const name = LABEL[engine];
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test(`${name}: models from a URL and from chunked Responses equal the Uint8Array load; failures free their memory`, async () => {
    const page = await browser.newPage();
    try {
      const res = await page.goto(new URL('/demo/models/manifest.json', server.url).href); // same origin, the server's CSP
      assert.equal(res.status(), 200);
      const out = await page.evaluate(async ({ files, history }) => {
        const { loadModel } = await import('/web/index.js');
        const summary = (m) => JSON.stringify({
          rec: m.recommend(history, { k: 20 }), scores: Array.from(m.scores(history)), n: m.info.n, bytes: m.info.bytes,
        });
        const chunked = (bytes, { size = 4093, length = bytes.length, cutAt = bytes.length } = {}) => {
          let at = 0;
          return new Response(new ReadableStream({
            pull(c) {
              if (at >= cutAt) { c.close(); return; }
              const end = Math.min(at + size, cutAt);
              c.enqueue(bytes.slice(at, end));
              at = end;
            },
          }), { headers: { 'content-length': String(length) } });
        };
        const results = [];
        for (const simd of [true, false]) {
          for (const file of files) {
            const url = `/demo/models/${file}`;
            const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
            const ref = await loadModel(bytes, { simd });
            const want = summary(ref);
            const rt = ref._rt;
            ref.dispose();
            const same = {};
            for (const [name, make] of [
              ['url', () => url],
              ['fetched Response', () => fetch(url)],
              ['chunked Response', () => chunked(bytes)],
              ['Blob', () => new Blob([bytes])],
            ]) {
              const m = await loadModel(await make(), { simd });
              same[name] = summary(m) === want;
              m.dispose();
            }
            const grown = rt.memory.buffer.byteLength;
            const errors = [];
            for (let i = 0; i < 5; i++) {
              for (const opts of [{ cutAt: bytes.length >> 1 }, { length: bytes.length - 1 }]) {
                try {
                  (await loadModel(chunked(bytes, opts), { simd })).dispose();
                  errors.push('accepted');
                } catch (e) {
                  errors.push(`${e.name}:${e.code}`);
                }
              }
            }
            results.push({ simd, file, same, errors: [...new Set(errors)], grew: rt.memory.buffer.byteLength - grown });
          }
        }
        return results;
      }, { files: manifest.models.map((m) => m.file), history: manifest.example });
      for (const r of out) {
        const tag = `[${r.simd ? 'simd' : 'scalar'}] ${r.file}`;
        for (const [name, ok] of Object.entries(r.same)) assert.ok(ok, `${tag} from ${name}: differs from the Uint8Array load`);
        assert.deepEqual(r.errors, ['MemcomError:io'], `${tag}: bodies shorter/longer than declared`);
        assert.equal(r.grew, 0, `${tag}: failed streamed loads grew wasm memory by ${r.grew} bytes`);
      }
      // (a page without an icon: the browser's own request for /favicon.ico is not the test's)
      assert.deepEqual(page.problems.filter((p) => !p.includes('Failed to load resource') && !p.includes('favicon.ico')), []);
    } finally {
      await page.close();
    }
  });
});
