// The package in a module Web Worker, with the SIMD build and with the
// fallback, in each engine (browsers.js): the demo's worker (demo/worker.js)
// builds a seeded synthetic model with buildModel, loads it with
// { simd: true } or { simd: false } and ranks the whole catalogue.  The page
// is served by demo/serve.js with its strict CSP (worker-src 'self').
//   node --test tests/browser/worker.test.js

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../demo/serve.js';
import { ENGINES, LABEL, launch } from './browsers.js';

const JOB = { type: 'run', n: 100_000, d: 32, ratio: 8, history: [0, 7, 99_999], k: 25 };

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

  test(`${name}: a module worker ranks with the SIMD build and with the fallback, with the same results`, async () => {
    const page = await browser.newPage();
    try {
      await page.goto(new URL('/demo/models/manifest.json', server.url).href);
      const runs = await page.evaluate(async (job) => {
        const inWorker = (simd) => new Promise((resolve, reject) => {
          const w = new Worker('/demo/worker.js', { type: 'module' });
          const stop = (f, v) => { w.terminate(); f(v); };
          w.onmessage = (e) => {
            if (e.data.type === 'done') stop(resolve, e.data.result);
            else if (e.data.type === 'error') stop(reject, new Error(`worker: ${e.data.message}`));
          };
          w.onerror = (e) => stop(reject, new Error(`worker failed: ${e.message}`));
          w.postMessage({ ...job, simd });
        });
        return { simd: await inWorker(true), scalar: await inWorker(false) };
      }, JOB);
      assert.equal(runs.simd.kernel, 'wasm_simd128', `${name} runs the SIMD build in a worker`);
      assert.notEqual(runs.scalar.kernel, 'wasm_simd128', 'simd: false loads the fallback build');
      for (const [which, r] of Object.entries(runs)) {
        assert.equal(r.n, JOB.n, which);
        assert.equal(r.top.length, JOB.k, `${which}: k results`);
        for (let i = 1; i < r.top.length; i++) assert.ok(r.top[i - 1].score >= r.top[i].score, `${which}: sorted by score`);
        for (const h of JOB.history) assert.ok(!r.top.some((t) => t.index === h), `${which}: history excluded`);
        assert.ok(r.top.every((t) => Number.isInteger(t.index) && t.index >= 0 && t.index < JOB.n), `${which}: indices in range`);
      }
      assert.deepEqual(runs.scalar.top.map((t) => t.index), runs.simd.top.map((t) => t.index), 'the same top-k with and without SIMD');
      for (let i = 0; i < JOB.k; i++) {
        const a = runs.simd.top[i].score;
        const b = runs.scalar.top[i].score;
        assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a)), `score ${i}: ${a} (SIMD) vs ${b} (fallback)`);
      }
      assert.equal(runs.scalar.bytes, runs.simd.bytes, 'the same model bytes');
      // The workers' own requests: the SIMD module for the first, the fallback for the second
      // (each worker also asks for the writer module, for buildModel: fresh, 304, or from the cache unseen).
      const wasm = page.responses.filter((r) => r.url.endsWith('.wasm'))
        .map((r) => [new URL(r.url).pathname, r.status, r.headers['content-type']]);
      const writer = wasm.filter(([p]) => p === '/dist/memcom-writer.wasm');
      assert.ok(writer.length >= 1 && writer.length <= 2, `the writer module, at most once per worker: ${JSON.stringify(wasm)}`);
      for (const [, status] of writer) assert.ok(status === 200 || status === 304, `writer: HTTP ${status}`);
      assert.deepEqual(wasm.filter(([p]) => p !== '/dist/memcom-writer.wasm'),
        [['/dist/memcom-simd.wasm', 200, 'application/wasm'], ['/dist/memcom.wasm', 200, 'application/wasm']]);
      // (the browsers' own request for /favicon.ico, and Chromium's console line for its 404, are not the test's;
      // any other HTTP error still shows here as "HTTP <status>: <url>")
      assert.deepEqual(page.problems.filter((p) => !p.endsWith('/favicon.ico') && !p.includes('Failed to load resource')), []);
    } finally {
      await page.close();
    }
  });
});
