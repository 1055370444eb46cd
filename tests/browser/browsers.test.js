// The browser tests' harness (browsers.js) in each engine: what the other
// tests assert about a page (no problems, which .wasm was fetched) means
// something only if the harness sees a page's errors and responses, so this
// checks that it does.
//   node --test tests/browser/browsers.test.js

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../demo/serve.js';
import { ENGINES, LABEL, launch } from './browsers.js';

let server;

before(async () => {
  server = await startServer({ port: 0 });
});

after(async () => {
  await server?.close();
});

async function until(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const engine of ENGINES) describe(LABEL[engine], () => {
  const name = LABEL[engine];
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test(`${name}: the harness reports console errors, uncaught exceptions and HTTP errors, and records responses`, async () => {
    const page = await browser.newPage();
    try {
      assert.equal(page.engine, engine);
      const res = await page.goto(new URL('/demo/models/manifest.json', server.url).href);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-type'], /^application\/json/);
      assert.deepEqual(page.problems, [], 'a clean page has no problems');
      const status = await page.evaluate(async (missing) => {
        console.log('not a problem');
        console.error('harness check');
        setTimeout(() => { throw new Error('harness boom'); });
        return (await fetch(missing)).status;
      }, '/demo/models/no-such-model.memcom');
      assert.equal(status, 404);
      await until(() => page.problems.length >= 3, `three problems (have: ${page.problems.join(' | ')})`);
      assert.ok(page.problems.includes('console.error: harness check'), page.problems.join('\n'));
      assert.ok(page.problems.some((p) => /^uncaught: .*harness boom/.test(p)), page.problems.join('\n'));
      assert.ok(page.problems.some((p) => /^HTTP 404: .*\/demo\/models\/no-such-model\.memcom$/.test(p)), page.problems.join('\n'));
      assert.ok(!page.problems.some((p) => p.includes('not a problem')), 'console.log is not a problem');
      const got = page.responses.map((r) => [new URL(r.url).pathname, r.status]);
      assert.deepEqual(got.filter(([p]) => p.startsWith('/demo/models/')),
        [['/demo/models/manifest.json', 200], ['/demo/models/no-such-model.memcom', 404]]);
    } finally {
      await page.close();
    }
  });

  test(`${name}: keyboard, mouse, DOM readings and answers from the test`, async () => {
    const page = await browser.newPage();
    try {
      await page.fulfill('/demo/models/answered-by-the-test.bin', { status: 200, contentType: 'application/octet-stream', body: Buffer.from([1, 2, 3]) });
      await page.goto(new URL('/demo/models/manifest.json', server.url).href);
      const bytes = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())),
        '/demo/models/answered-by-the-test.bin');
      assert.deepEqual(bytes, [1, 2, 3], 'fulfill() answers in place of the server');
      await page.evaluate(() => {
        document.body.innerHTML = '<input id="box" value="old"><button id="go" disabled>go</button><p id="gone">x</p><ul id="log"></ul>';
        document.getElementById('gone').style.display = 'none'; // (the server's CSP drops inline style attributes)
        const box = document.getElementById('box');
        const log = (t) => document.getElementById('log').insertAdjacentHTML('beforeend', `<li>${t}</li>`);
        box.addEventListener('input', () => { document.getElementById('go').disabled = box.value === ''; });
        box.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === 'ArrowDown') log(`${e.key}:${box.value}`); });
        document.getElementById('go').addEventListener('click', () => log(`click:${box.value}`));
      });
      assert.equal(await page.inputValue('#box'), 'old');
      assert.equal(await page.isEnabled('#go'), false);
      await page.fill('#box', 'toy story');
      assert.equal(await page.inputValue('#box'), 'toy story', 'fill() replaces the value');
      assert.equal(await page.isEnabled('#go'), true, 'fill() fires input events');
      await page.press('#box', 'ArrowDown');
      await page.press('#box', 'Enter');
      await page.click('#go');
      assert.deepEqual(await page.$$eval('#log li', (l) => l.map((x) => x.textContent)),
        ['ArrowDown:toy story', 'Enter:toy story', 'click:toy story']);
      assert.equal(await page.getAttribute('#box', 'id'), 'box');
      assert.equal(await page.textContent('#go'), 'go');
      assert.equal(await page.isVisible('#go'), true);
      assert.equal(await page.isHidden('#gone'), true);
      assert.equal(await page.isHidden('#not-there'), true);
      const png = Buffer.from(await page.screenshot());
      assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'screenshot() gives a PNG');
      assert.ok(png.length > 1000, `a PNG of the page (${png.length} bytes)`);
      await page.fill('#box', '');
      assert.equal(await page.inputValue('#box'), '');
      assert.equal(await page.isEnabled('#go'), false);
      // (Firefox asks for /favicon.ico once the page holds HTML: the browser's request, not the test's)
      assert.deepEqual(page.problems.filter((p) => !p.endsWith('/favicon.ico')), []);
    } finally {
      await page.close();
    }
  });
});
