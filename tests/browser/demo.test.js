// The demo page in real browsers, each test in Chromium (playwright-core +
// Debian's /usr/bin/chromium) and in Firefox (puppeteer-core over WebDriver
// BiDi + Debian's /usr/bin/firefox-esr), served by demo/serve.js on a free
// port with its strict CSP.
//   node --test tests/browser/

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../demo/serve.js';
import { loadModel } from '../../web/index.js';
import { ENGINES, LABEL, launch } from './browsers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODELS = path.join(ROOT, 'demo/models');
const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, 'manifest.json'), 'utf8'));
const PICKS = ['2571', '1', '6377']; // The Matrix, Toy Story, Finding Nemo

let server;

before(async () => {
  for (const f of ['dist/memcom-simd.wasm', 'dist/memcom.wasm']) {
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run bash build.sh wasm`);
  }
  server = await startServer({ port: 0 });
});

after(async () => {
  await server?.close();
});

async function openDemo(browser, query = '', { expectReady = true, viewport = null } = {}) {
  const page = await browser.newPage();
  if (viewport) await page.setViewport(viewport);
  // The .wasm responses the page has received so far.
  Object.defineProperty(page, 'wasm', {
    get: () => page.responses.filter((r) => r.url.endsWith('.wasm'))
      .map((r) => ({ url: new URL(r.url).pathname, type: r.headers['content-type'] })),
  });
  const response = await page.goto(`${server.url}${query}`);
  assert.equal(response.status(), 200);
  page.csp = response.headers()['content-security-policy'];
  if (expectReady) await page.waitForFunction(() => window.memcomDemo && window.memcomDemo.ready === true, null, { timeout: 30_000 });
  return page;
}

async function columnLists(page) {
  return page.$$eval('#columns .column', (cols) => cols.map((c) => ({
    key: c.dataset.key,
    ids: [...c.querySelectorAll('.reclist li.rec')].map((li) => li.dataset.id),
    titles: [...c.querySelectorAll('.reclist li.rec .title')].map((t) => t.textContent),
    years: [...c.querySelectorAll('.reclist li.rec')].map((li) => li.querySelector('.year')?.textContent ?? null),
    latency: c.querySelector('.latency').textContent,
  })));
}

// What the package itself recommends in Node for the same model and history;
// popularity: a function of the model (default: the model's default).
async function nodeRecommend(file, history, k = 10, popularity = (m) => m.defaultPopularity) {
  const model = await loadModel(new Uint8Array(fs.readFileSync(path.join(MODELS, file))));
  try {
    return model.recommend(history, { k, popularity: popularity(model) }).map((r) => String(r.id));
  } finally {
    model.dispose();
  }
}

// The manifest's models that are pairwise rankers (read from their files).
async function rankerSpecs() {
  const out = [];
  for (const spec of manifest.models) {
    const model = await loadModel(new Uint8Array(fs.readFileSync(path.join(MODELS, spec.file))));
    try {
      if (model.info.ranker) out.push(spec);
    } finally {
      model.dispose();
    }
  }
  return out;
}

// Movie ids by title, from movies.json (whose rows carry MovieLens's genres).
const MOVIES = JSON.parse(fs.readFileSync(path.join(MODELS, 'movies.json'), 'utf8')).movies;
function byTitle(t) {
  const row = MOVIES.find((m) => m[1] === t);
  assert.ok(row, `${t} is in movies.json`);
  return row[0];
}
const HORROR_PICKS = ['The Shining', 'The Exorcist', 'The Blair Witch Project'];
const CHILDREN_PICKS = ['Toy Story', 'The Lion King', 'Aladdin'];

for (const engine of ENGINES) describe(LABEL[engine], () => {
  const name = LABEL[engine];
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test(`${name}: the page loads under a strict CSP with no console errors`, async () => {
    const page = await openDemo(browser);
    try {
      assert.match(page.csp, /script-src 'self' 'wasm-unsafe-eval'/, 'serve.js sends the strict CSP');
      const cols = await page.$$eval('#columns .column', (c) => c.map((x) => x.dataset.key));
      assert.deepEqual(cols, manifest.models.map((m) => m.key), 'one column per model of the manifest');
      assert.equal(await page.isHidden('#error'), true, 'no error box');
      // Sizes and load times are shown for every model.
      const stats = await page.$$eval('#columns .column', (c) => c.map((x) => [x.querySelector('.size').textContent, x.querySelector('.load').textContent]));
      for (const [size, load] of stats) {
        assert.match(size, /\d.*(B|KB|MB)$/);
        assert.match(load, /^[\d.]+ (ms|µs)$/);
      }
      // The SIMD module was used and served as application/wasm.
      assert.ok(page.wasm.some((w) => w.url.endsWith('/dist/memcom-simd.wasm') && w.type === 'application/wasm'),
        `the SIMD module was fetched as application/wasm: ${JSON.stringify(page.wasm)}`);
      assert.ok(!page.wasm.some((w) => w.url.endsWith('/dist/memcom.wasm')), 'the fallback module was not needed');
      // The chart was drawn as inline SVG with at least one point per model.
      const points = await page.$$eval('#chart svg .pt', (p) => p.length);
      assert.ok(points >= 2, `chart has points (${points})`);
      assert.ok((await page.textContent('#quality-command')).trim().length > 0, 'the chart names its command');
      // The search box is ready and nothing is recommended yet.
      assert.equal(await page.isEnabled('#search'), true);
      assert.equal(await page.$$eval('.reclist li.rec', (l) => l.length), 0);
      assert.deepEqual(page.problems, [], 'no console errors, exceptions or failed requests');
    } finally {
      await page.close();
    }
  });

  test(`${name}: adding three movies by search gives 10 recommendations per model that exclude them`, async () => {
    const page = await openDemo(browser);
    try {
      // Keyboard: the most popular "toy story" is Toy Story (1995); Enter adds it.
      await page.fill('#search', 'toy story');
      await page.waitForSelector('#search-results li.hit');
      assert.equal(await page.getAttribute('#search-results li.hit.active', 'data-id'), '1');
      assert.equal(await page.getAttribute('#search', 'aria-expanded'), 'true');
      // Arrow keys move the active option (announced through aria-activedescendant).
      await page.press('#search', 'ArrowDown');
      assert.equal(await page.getAttribute('#search', 'aria-activedescendant'), 'hit-1');
      await page.press('#search', 'ArrowUp');
      assert.equal(await page.getAttribute('#search', 'aria-activedescendant'), 'hit-0');
      await page.press('#search', 'Enter');
      assert.equal(await page.inputValue('#search'), '', 'the box clears after adding');
      // Mouse: pick by title from the list (accents and case do not matter to the search).
      await page.fill('#search', 'MATRIX');
      await page.click('#search-results li.hit[data-id="2571"]');
      await page.fill('#search', 'finding nemo');
      await page.click('#search-results li.hit[data-id="6377"]');

      const chips = await page.$$eval('#chosen li.chip', (l) => l.map((x) => x.dataset.id));
      assert.deepEqual(chips, ['1', '2571', '6377']);
      assert.equal(await page.textContent('#chosen-count'), '3');

      const lists = await columnLists(page);
      assert.equal(lists.length, manifest.models.length);
      for (const col of lists) {
        assert.equal(col.ids.length, 10, `${col.key}: 10 recommendations`);
        for (const id of ['1', '2571', '6377']) assert.ok(!col.ids.includes(id), `${col.key} never recommends a chosen movie`);
        assert.equal(new Set(col.ids).size, 10, `${col.key}: no duplicates`);
        for (const t of col.titles) assert.ok(t.length > 0 && !/^Item /.test(t), `${col.key}: has a title (${t})`);
        assert.ok(col.years.filter((y) => /^\d{4}$/.test(y ?? '')).length >= 9, `${col.key}: titles come with years`);
        assert.match(col.latency, /^[\d.]+ (ms|µs)$/, `${col.key}: per-query latency shown`);
        // The page shows exactly what the package computes for this model in Node.
        const spec = manifest.models.find((m) => m.key === col.key);
        assert.deepEqual(col.ids, await nodeRecommend(spec.file, ['1', '2571', '6377']), `${col.key}: same as loadModel().recommend() in Node`);
      }
      // Removing a pick updates the lists at once.
      await page.click('#chosen li.chip[data-id="2571"] button.remove');
      const after1 = await columnLists(page);
      assert.deepEqual(after1[0].ids, await nodeRecommend(manifest.models[0].file, ['1', '6377']));
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
  });

  test(`${name}: the non-SIMD fallback (?simd=0) gives the same lists as the SIMD build`, async () => {
    const q = `?picks=${PICKS.join(',')}`;
    const simd = await openDemo(browser, q);
    const scalar = await openDemo(browser, `${q}&simd=0`);
    try {
      const a = await columnLists(simd);
      const b = await columnLists(scalar);
      assert.equal(a.length, manifest.models.length);
      for (let i = 0; i < a.length; i++) {
        assert.equal(a[i].ids.length, 10);
        assert.deepEqual(b[i].ids, a[i].ids, `${a[i].key}: identical top-10 with and without SIMD`);
        for (const id of PICKS) assert.ok(!a[i].ids.includes(id));
      }
      assert.ok(scalar.wasm.some((w) => w.url.endsWith('/dist/memcom.wasm')), 'the fallback module was loaded');
      assert.ok(!scalar.wasm.some((w) => w.url.endsWith('/dist/memcom-simd.wasm')), 'the SIMD module was not loaded');
      assert.match(await scalar.textContent('#engine'), /without SIMD/);
      assert.deepEqual(simd.problems, []);
      assert.deepEqual(scalar.problems, []);
    } finally {
      await simd.close();
      await scalar.close();
    }
  });

  test(`${name}: a corrupt or missing model shows a readable error on the page`, async () => {
    // The committed corrupt example (one byte flipped: its section CRC fails).
    const corrupt = await openDemo(browser, '?model=corrupt');
    try {
      assert.equal(await corrupt.isVisible('#error'), true);
      const text = await corrupt.textContent('#error');
      assert.match(text, /damaged/);
      assert.match(text, /corrupt\.memcom/);
      assert.match(text, /error code: section_crc/);
      assert.deepEqual(corrupt.problems, [], 'a corrupt file is reported on the page, not as a console error');
    } finally {
      await corrupt.close();
    }
    // A missing file: the HTTP status is named.
    const missing = await openDemo(browser, '?model=missing');
    try {
      const text = await missing.textContent('#error');
      assert.match(text, /could not be downloaded/);
      assert.match(text, /HTTP 404/);
      assert.match(text, /missing\.memcom/);
      // The only problems are the expected 404 itself.
      assert.ok(missing.problems.length > 0 && missing.problems.every((p) => /missing\.memcom|Failed to load resource/.test(p)), missing.problems.join('\n'));
    } finally {
      await missing.close();
    }
    // A real model damaged in transit: truncated by the network. The other columns still work.
    const page = await browser.newPage();
    try {
      const victim = manifest.models[manifest.models.length - 1];
      const bytes = fs.readFileSync(path.join(MODELS, victim.file));
      await page.fulfill(`/demo/models/${victim.file}`, {
        status: 200, contentType: 'application/octet-stream', body: bytes.subarray(0, Math.floor(bytes.length / 2)),
      });
      await page.goto(`${server.url}?picks=${PICKS.join(',')}`);
      await page.waitForFunction(() => window.memcomDemo?.ready === true);
      const text = await page.textContent('#error');
      assert.match(text, new RegExp(`${victim.label} is damaged`));
      assert.match(text, /error code: truncated/);
      const lists = await columnLists(page);
      assert.equal(lists.length, manifest.models.length - 1, 'the damaged model has no column');
      for (const col of lists) assert.equal(col.ids.length, 10);
    } finally {
      await page.close();
    }
  });

  test(`${name}: on a 1280x800 screen the recommendations show without scrolling, their marks and figures explained`, async () => {
    const page = await openDemo(browser, `?picks=${PICKS.join(',')}`, { viewport: { width: 1280, height: 800 } });
    try {
      const seen = await page.evaluate(() => {
        const cols = [...document.querySelectorAll('#columns .column')];
        return {
          scrollY: window.scrollY,
          height: window.innerHeight,
          firstBottoms: cols.map((c) => c.querySelector('.reclist li.rec').getBoundingClientRect().bottom),
          columnsVisible: cols.map((c) => getComputedStyle(c).display !== 'none'),
          keyColour: getComputedStyle(document.querySelector('#recs-help .rank-key')).color,
          sharedColours: [...document.querySelectorAll('.reclist li.shared .rank')].map((r) => getComputedStyle(r).color),
          plainColour: getComputedStyle(document.querySelector('#columns .column .reclist li.rec .rank')).color,
          help: document.querySelector('#recs-help').textContent.replace(/\s+/g, ' '),
          text: document.body.innerText,
        };
      });
      assert.equal(seen.scrollY, 0);
      assert.ok(seen.columnsVisible.every(Boolean), 'all columns side by side');
      for (const b of seen.firstBottoms) assert.ok(b <= seen.height, `the first recommendation of each column is on the first screen (bottom ${b} of ${seen.height})`);
      // The green rank numbers are explained next to them, in the colour they have.
      assert.match(seen.help, /rank number in green: the full model recommends that movie too/);
      assert.ok(seen.sharedColours.length > 0, 'the compressed columns share items with the full model for these picks');
      for (const c of seen.sharedColours) assert.equal(c, seen.keyColour, 'the explanation shows the marks\' colour');
      assert.notEqual(seen.plainColour, seen.keyColour, 'unshared ranks are not green');
      // No trainer jargon; the accuracy figure is explained where it is shown.
      assert.doesNotMatch(seen.text, /learned-pop|memcom-plain/);
      assert.match(seen.help, /Accuracy: how high a model ranked the movies that test users went on to watch \(NDCG@20/);
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
  });

  test(`${name}: three horror picks and three children's-film picks give different lists, each in its picks' genres`, async () => {
    const genres = new Map(MOVIES.map((m) => [m[0], (m[3] || '').split('|')]));
    const horror = HORROR_PICKS.map(byTitle);
    const children = CHILDREN_PICKS.map(byTitle);
    const count = (ids, re) => ids.filter((id) => genres.get(id).some((g) => re.test(g))).length;
    const HORROR = /^(Horror|Thriller)$/;
    const KIDS = /^(Children|Animation)$/;
    const lists = [];
    for (const picks of [horror, children]) {
      const page = await openDemo(browser, `?picks=${picks.join(',')}`);
      try {
        lists.push(await columnLists(page));
        assert.deepEqual(page.problems, []);
      } finally {
        await page.close();
      }
    }
    // The genres are judged at each model's default balance (the popularity shift
    // its trainer chose on held-out users), the pairwise ranker's included.
    for (const [c, col] of lists[0].entries()) {
      const h = col.ids;
      const k = lists[1][c].ids;
      assert.equal(h.length, 10, `${col.key}: 10 recommendations for the horror picks`);
      assert.equal(k.length, 10, `${col.key}: 10 recommendations for the children's films`);
      const shared = h.filter((id) => k.includes(id)).length;
      const jaccard = shared / (h.length + k.length - shared);
      assert.ok(jaccard < 0.2, `${col.key}: the two lists overlap with Jaccard ${jaccard.toFixed(2)} (${shared} shared)`);
      // each list in its picks' genres, more than the other list is
      assert.ok(count(h, HORROR) >= 5, `${col.key}: ${count(h, HORROR)} of 10 horror-pick recommendations are horror or thrillers: ${col.titles}`);
      assert.ok(count(h, HORROR) > count(k, HORROR), `${col.key}: horror and thrillers, ${count(h, HORROR)} for the horror picks, ${count(k, HORROR)} for the children's films`);
      assert.ok(count(k, KIDS) >= 2 && count(k, KIDS) > count(h, KIDS),
        `${col.key}: children's or animated films, ${count(k, KIDS)} for the children's films, ${count(h, KIDS)} for the horror picks: ${lists[1][c].titles}`);
      // what the page shows is the package's recommend at the model's default popularity
      const spec = manifest.models.find((m) => m.key === col.key);
      assert.deepEqual(h, await nodeRecommend(spec.file, horror), `${col.key}: the page's list is the package's`);
    }
  });

  test(`${name}: the pairwise ranker's column re-ranks for the picks, with its size, latency and what it shares with the full model`, async () => {
    const rankers = await rankerSpecs();
    assert.equal(rankers.length, 1, 'the manifest has one pairwise ranker');
    const [spec] = rankers;
    const full = manifest.models[0];
    for (const titles of [HORROR_PICKS, CHILDREN_PICKS]) {
      const picks = titles.map(byTitle);
      const page = await openDemo(browser, `?picks=${picks.join(',')}`);
      try {
        const col = (await columnLists(page)).find((c) => c.key === spec.key);
        assert.ok(col, `a column for ${spec.key}`);
        assert.equal(col.ids.length, 10, `${titles}: 10 recommendations`);
        assert.equal(new Set(col.ids).size, 10, 'no duplicates');
        for (const id of picks) assert.ok(!col.ids.includes(id), `${titles}: never a pick`);
        // the package's recommend for the same file and picks, computed here
        assert.deepEqual(col.ids, await nodeRecommend(spec.file, picks), `${titles}: the page's list is the package's`);
        const [shown] = await page.$$eval(`#columns .column[data-key="${spec.key}"]`, (cs) => cs.map((c) => ({
          text: c.textContent,
          size: c.querySelector('.size').textContent,
          overlap: c.querySelector('.overlap').textContent,
          green: [...c.querySelectorAll('.reclist li.shared')].map((li) => li.dataset.id),
        })));
        assert.match(shown.text, /re-ranked by a pairwise ranker/);
        assert.match(shown.size, /^[\d.]+ (kB|MB)$/, 'its file size');
        assert.match(col.latency, /^[\d.]+ (ms|µs)$/, 'its latency per query');
        // agreement: the items the full model recommends too, marked and counted
        const fullIds = await nodeRecommend(full.file, picks);
        const common = col.ids.filter((id) => fullIds.includes(id));
        assert.deepEqual(shown.green, common, 'green marks on the items the full model recommends too');
        assert.equal(shown.overlap, `${common.length} of 10 shared with the ${full.label.toLowerCase()} (green)`);
        assert.deepEqual(page.problems, []);
      } finally {
        await page.close();
      }
    }
  });

  test(`${name}: "Lean on" ranks with popularity 1, each model's default, or half of it`, async () => {
    const picks = ['1258', '1997', '2710']; // The Shining, The Exorcist, The Blair Witch Project
    const page = await openDemo(browser, `?picks=${picks.join(',')}`);
    try {
      assert.equal(await page.getAttribute('.lean [data-lean=default]', 'aria-pressed'), 'true');
      const seen = {};
      for (const [lean, popularity] of [['popular', () => 1], ['personal', (m) => m.defaultPopularity / 2],
        ['default', (m) => m.defaultPopularity]]) {
        await page.click(`.lean [data-lean=${lean}]`);
        assert.equal(await page.getAttribute(`.lean [data-lean=${lean}]`, 'aria-pressed'), 'true');
        const cols = await columnLists(page);
        seen[lean] = cols[0].ids;
        for (const col of cols) {
          const spec = manifest.models.find((m) => m.key === col.key);
          assert.deepEqual(col.ids, await nodeRecommend(spec.file, picks, 10, popularity), `${lean}, ${col.key}`);
        }
      }
      assert.notDeepEqual(seen.popular, seen.default, 'the choice changes the lists');
      assert.match(await page.textContent('#recs-help'), /“Lean on” sets how much the models favour movies almost everyone watches/);
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
  });

  test(`${name}: the quality chart shows the page's own models, with the figures in their files`, async () => {
    const page = await openDemo(browser);
    try {
      const rows = await page.$$eval('#chart-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      assert.equal(await page.$$eval('#chart svg .pt', (p) => p.length), manifest.models.length, 'one point per model of the page');
      assert.deepEqual(rows.map((r) => r[1]), manifest.models.map((m) => m.label));
      for (const [i, spec] of manifest.models.entries()) {
        const model = await loadModel(new Uint8Array(fs.readFileSync(path.join(MODELS, spec.file))));
        try {
          // at the default popularity the page ranks with (the trainer's figure for it)
          const md = model.info.metadata;
          assert.equal(model.defaultPopularity, md.serving.popularity);
          const test = md.serving.test;
          assert.equal(rows[i][3], test['ndcg@20'].toFixed(4), `${spec.key}: the trainer's test NDCG@20`);
        } finally {
          model.dispose();
        }
        assert.equal(rows[i][2], spec.bytes.toLocaleString('en-US'), `${spec.key}: the file's size`);
      }
      assert.equal(await page.isVisible('#more-quality'), true, 'the larger data sets are one click away');
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
  });

  test(`${name}: on a 390 px phone one column shows at a time behind tabs, nothing overflows, tap targets are 40 px`, async () => {
    const page = await openDemo(browser, `?picks=${PICKS.join(',')}`, { viewport: { width: 390, height: 844 } });
    try {
      await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
      const shown = () => page.$$eval('#columns .column', (cs) => cs.filter((c) => getComputedStyle(c).display !== 'none').map((c) => c.dataset.key));
      assert.deepEqual(await shown(), [manifest.models[0].key], 'only the first column at first');
      assert.equal(await page.isVisible('#column-tabs'), true);
      await page.click('#column-tabs [role=tab]:nth-child(3)');
      assert.deepEqual(await shown(), [manifest.models[2].key], 'the third tab shows the third column');
      assert.equal(await page.getAttribute('#column-tabs [role=tab]:nth-child(3)', 'aria-selected'), 'true');
      assert.equal(await page.$$eval('#columns .column.active .reclist li.rec', (l) => l.length), 10);
      const layout = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const scrolls = (el) => { for (let e = el.parentElement; e; e = e.parentElement) if (/auto|scroll/.test(getComputedStyle(e).overflowX)) return e; return null; };
        const overflowing = [...document.querySelectorAll('table, svg, pre, .column, section')].filter((e) => {
          const box = (scrolls(e) || e).getBoundingClientRect();
          return box.width > 0 && (box.left < 0 || box.right > width + 0.5);
        }).map((e) => e.tagName + (e.id ? `#${e.id}` : ''));
        // Tap targets: every control, and links that are not words inside a sentence.
        const targets = [...document.querySelectorAll('button, input, summary, [role=tab], a')].filter((e) => {
          const box = e.getBoundingClientRect();
          if (box.width === 0 || box.right <= 0 || getComputedStyle(e).visibility !== 'visible') return false; // the skip link waits off screen
          return !(e.tagName === 'A' && e.closest('p'));
        });
        const small = targets.filter((e) => e.getBoundingClientRect().height < 40)
          .map((e) => `${e.tagName} "${e.textContent.trim().slice(0, 30)}" ${e.getBoundingClientRect().height.toFixed(1)} px`);
        return { width, scrollWidth: document.documentElement.scrollWidth, overflowing, small, targets: targets.length, text: document.documentElement.textContent };
      });
      assert.equal(layout.scrollWidth, layout.width, 'the page does not scroll sideways');
      assert.deepEqual(layout.overflowing, [], 'no table, chart or section runs past the screen');
      assert.ok(layout.targets >= 10, `${layout.targets} tap targets checked`);
      assert.deepEqual(layout.small, [], 'every tap target is at least 40 px high');
      assert.doesNotMatch(layout.text, /hover/i, 'nothing asks to hover on a touch screen');
      // The search's options are tap targets too.
      await page.fill('#search', 'toy');
      await page.waitForSelector('#search-results li.hit');
      const heights = await page.$$eval('#search-results li.hit', (l) => l.map((x) => x.getBoundingClientRect().height));
      assert.ok(heights.length > 0 && heights.every((h) => h >= 40), `search options ${heights.join(', ')} px`);
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
  });

  test(`${name}: large-catalogue mode ranks 1,000,000 items in a Web Worker`, async () => {
    const page = await openDemo(browser, `?picks=${PICKS.join(',')}`);
    try {
      await page.click('#large-run');
      await page.waitForFunction(() => window.memcomDemo.large || window.memcomDemo.errors.length, null, { timeout: 90_000 });
      const large = await page.evaluate(() => window.memcomDemo.large);
      const errors = await page.evaluate(() => window.memcomDemo.errors);
      assert.deepEqual(errors, []);
      assert.equal(large.n, 1_000_000);
      assert.equal(large.top.length, 10);
      for (let i = 1; i < large.top.length; i++) {
        assert.ok(large.top[i - 1].score >= large.top[i].score, 'sorted by score');
      }
      for (const h of large.history) assert.ok(!large.top.some((t) => t.index === h), 'history excluded');
      assert.ok(large.queryMs > 0 && large.bytes > 10_000_000, `a real 1M-item model (${large.bytes} bytes)`);
      assert.ok(large.frames > 0, 'the page kept drawing frames while the worker ran');
      assert.equal(await page.$$eval('#large-results li', (l) => l.length), 10);
      assert.match(await page.textContent('#large-status'), /ranked 1,000,000 items/);
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
  });
});
