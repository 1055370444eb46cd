// cost.test.js - the CPU and working-memory cost of a load is bounded
// (issue 12, point 8).  A file of a few hundred bytes may declare
// n = 2^31 - 1 items (a hash table stores nothing per item), and every
// ranking costs O(n) time and O(n) working memory.  So: opening costs O(file)
// (nothing per item is allocated before the first ranking); options.maxItems
// refuses a model of more items (default 2^24 for a model fetched from a URL
// or Response, none for local sources); options.maxBytes bounds the file
// plus info.workingBytes, the most wasm memory ranking it may allocate
// (computed by the C core, memcom_info.working_bytes, plus the call
// scratch); and workingBytes really bounds what every method allocates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { loadModel, loadTable, buildModel } from '../../web/index.js';
import { DEFAULT_MAX_ITEMS_REMOTE } from '../../web/open.js';
import { rng, requireWasm, BUILDS, WASM_SIMD, WASM_SCALAR, assertRejects, tableSpec } from './helpers.js';

requireWasm();

const N_MAX = 2 ** 31 - 1;

/** A hash table of n items over m = 1 row of d = 1: a few hundred bytes whatever n. */
function hashTable(n) {
  return buildModel({ output: { kind: 'hash', n, m: 1, d: 1, rows: new Float32Array([1]) } });
}

/** A fresh runtime (its own memory and heap) with its scratch made: { options, rt, heap() }. */
async function freshRuntime(simd) {
  const module = await WebAssembly.compile(await readFile(simd ? WASM_SIMD : WASM_SCALAR));
  const options = { wasm: module, simd };
  const probe = await loadTable(await hashTable(3), options);
  const rt = probe._rt;
  probe.dispose();
  return { options, rt, heap: () => rt.exports.mc_heap_used() };
}

/** A local server answering /<name> with files[name]. */
async function serve(files) {
  const server = createServer((req, res) => {
    const body = files[req.url.slice(1)];
    if (!body) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    async close() { server.closeAllConnections(); await new Promise((ok) => server.close(ok)); },
  };
}

test('a few hundred bytes declaring n = 2^31 - 1 items: opening allocates nothing per item; maxItems (default for URLs) and maxBytes refuse it', async () => {
  const tiny = await hashTable(N_MAX);
  assert.ok(tiny.length < 400, `the file is ${tiny.length} bytes`);
  const srv = await serve({ 'huge.memcom': tiny });
  try {
    for (const b of BUILDS) {
      const { options, rt, heap } = await freshRuntime(b.name === 'simd');
      const h0 = heap();
      const m0 = rt.memoryBytes;
      // from bytes (no default item limit): opens in O(file)
      const t = await loadTable(tiny, options);
      assert.equal(t.n, N_MAX);
      assert.ok(heap() - h0 < 64 * 1024, `[${b.name}] opening allocated ${heap() - h0} bytes`);
      assert.equal(rt.memoryBytes, m0, `[${b.name}] opening grew wasm memory`);
      // what ranking it would take: the n-bit marks, hash-free (mod) so no
      // buckets, norms 4n, and the call scratch 8n at least
      assert.ok(t.info.workingBytes >= N_MAX / 8 + 4 * N_MAX + 8 * N_MAX, `workingBytes ${t.info.workingBytes}`);
      t.dispose();
      assert.equal(heap(), h0);
      // refused: an explicit maxItems, the default of a URL or Response, maxBytes counting working memory
      const refusals = [
        ['bytes, maxItems 2^24', () => loadTable(tiny, { ...options, maxItems: 2 ** 24 }), new RegExp(`n = ${N_MAX} items, more than options\\.maxItems \\(16777216\\)`)],
        ['URL (default maxItems)', () => loadTable(`${srv.base}/huge.memcom`, options), /more than options\.maxItems \(16777216, its default for a model fetched from a URL\).*pass a larger options\.maxItems/],
        ['URL object (default)', () => loadModel(new URL(`${srv.base}/huge.memcom`), options), /options\.maxItems \(16777216, its default/],
        ['Response (default)', () => loadTable(new Response(tiny), options), /options\.maxItems \(16777216, its default/],
        ['bytes, maxBytes 100 MB', () => loadTable(tiny, { ...options, maxBytes: 100e6 }), /needs \d+ bytes of WebAssembly memory \(its file \d+, working memory \d+ for n = 2147483647 items\), more than options\.maxBytes \(100000000\)/],
      ];
      for (const [what, load, re] of refusals) {
        await assertRejects(load(), 'too_large', re);
        assert.equal(heap(), h0, `[${b.name}] ${what}: nothing stays allocated`);
        assert.equal(rt.memoryBytes, m0, `[${b.name}] ${what}: wasm memory did not grow`);
      }
      // the caller may raise the limit for a URL it trusts
      const ok = await loadTable(`${srv.base}/huge.memcom`, { ...options, maxItems: N_MAX });
      assert.equal(ok.n, N_MAX);
      // ... and then whole-catalogue calls that need more than wasm32 memory fail cleanly,
      // while candidate rankings work (the marks, n/8 = 256 MiB, are made on first use)
      assert.deepEqual(ok.topK([2], { k: 2, candidates: [7, 3, N_MAX - 1] }).map((x) => x.index), [3, 7]);
      const e = (() => { try { ok.scoreVector([1]); return null; } catch (err) { return err; } })();
      assert.ok(e && ['too_large', 'nomem'].includes(e.code), `scoreVector: ${e}`);
      ok.dispose();
    }
  } finally {
    await srv.close();
  }
});

test('maxItems: exactly n is allowed and n - 1 refused, from every source; the URL default applies to fetched sources only; bad values refused', async () => {
  const n = 5000;
  const bytes = await hashTable(n);
  const over = await hashTable(DEFAULT_MAX_ITEMS_REMOTE + 1);
  const atDefault = await hashTable(DEFAULT_MAX_ITEMS_REMOTE);
  const srv = await serve({ 'm.memcom': bytes, 'over.memcom': over, 'at.memcom': atDefault });
  const dir = await mkdtemp(join(tmpdir(), 'memcom-cost-'));
  try {
    const path = join(dir, 'm.memcom');
    await writeFile(path, bytes);
    const overPath = join(dir, 'over.memcom');
    await writeFile(overPath, over);
    const sources = [
      ['bytes', () => bytes], ['Blob', () => new Blob([bytes])], ['ReadableStream', () => new Blob([bytes]).stream()],
      ['Response', () => new Response(bytes)], ['Node path', () => path], ['URL', () => `${srv.base}/m.memcom`],
    ];
    for (const [what, src] of sources) {
      for (const loader of [loadModel, loadTable]) {
        const t = await loader(src(), { maxItems: n });
        assert.equal(t.n, n, what);
        t.dispose();
        await assertRejects(loader(src(), { maxItems: n - 1 }), 'too_large', new RegExp(`n = ${n} items, more than options\\.maxItems \\(${n - 1}\\)`));
      }
    }
    // the default: 2^24 items from a URL or Response, none from local sources
    assert.equal(DEFAULT_MAX_ITEMS_REMOTE, 2 ** 24);
    (await loadTable(`${srv.base}/at.memcom`)).dispose();
    await assertRejects(loadTable(`${srv.base}/over.memcom`), 'too_large', /its default for a model fetched from a URL/);
    await assertRejects(loadTable(new Response(over)), 'too_large', /its default/);
    for (const local of [over, new Blob([over]), overPath, new Blob([over]).stream()]) {
      const t = await loadTable(local);
      assert.equal(t.n, DEFAULT_MAX_ITEMS_REMOTE + 1);
      t.dispose();
    }
    (await loadTable(`${srv.base}/over.memcom`, { maxItems: Infinity })).dispose();
    for (const bad of [-1, 1.5, NaN, '100', true]) {
      await assertRejects(loadModel(bytes, { maxItems: bad }), 'invalid_argument', /options\.maxItems must be a non-negative integer/);
    }
  } finally {
    await srv.close();
    await rm(dir, { recursive: true });
  }
});

test('info.workingBytes bounds the wasm memory every method allocates (each table kind, both builds, with and without the accelerators)', async () => {
  const r = rng(17);
  const n = 6000;
  const d = 16;
  const specs = [
    ['full f32 model with bias and ids', {
      input: tableSpec(r, { kind: 'memcom', dtype: 'f16', scalarDtype: 'f32', bucket: 'hash' }, { n, d, m: 200, dyadic: false }),
      output: tableSpec(r, { kind: 'full', dtype: 'f32' }, { n, d, dyadic: false }),
      outputBias: Float32Array.from({ length: n }, () => r.normal()),
      ids: Array.from({ length: n }, (_, i) => `i${i}`),
    }],
    ['hash table, hash buckets', { output: tableSpec(r, { kind: 'hash', dtype: 'f16', bucket: { hash: 5 } }, { n, d, m: 150, dyadic: false }) }],
    ['memcom table, explicit buckets', { output: tableSpec(r, { kind: 'memcom', dtype: 'f32', scalarDtype: 'f16', bucket: 'u16' }, { n, d, m: 150, dyadic: false }) }],
    ['memcom i8 table, mod buckets', { output: tableSpec(r, { kind: 'memcom', dtype: 'i8', scalarDtype: 'f32', bucket: 'mod' }, { n, d, m: 150, dyadic: false }) }],
    ['qr table', { output: tableSpec(r, { kind: 'qr', dtype: 'f32' }, { n, d, m: 80, dyadic: false }) }],
  ];
  // rankers (format 1.2): a head 3d -> 12 -> 1 over a memcom and a full output table
  const head = () => [
    { inDim: 3 * d, outDim: 12, activation: 'relu', weight: Float32Array.from({ length: 36 * d }, () => r.normal() * 0.2) },
    { inDim: 12, outDim: 1, weight: Float32Array.from({ length: 12 }, () => r.normal()) },
  ];
  for (const kind of ['memcom', 'full']) {
    specs.push([`${kind} ranker`, {
      input: tableSpec(r, { kind: 'hash', dtype: 'f32', bucket: 'mod' }, { n, d, m: 100, dyadic: false }),
      output: tableSpec(r, { kind, dtype: 'f16', scalarDtype: 'f32', bucket: 'mod' }, { n, d, m: 150, dyadic: false }),
      head: head(),
    }]);
  }
  for (const [what, spec] of specs) {
    const bytes = await buildModel(spec);
    for (const b of BUILDS) {
      for (const accel of [true, false]) {
        const { options, heap } = await freshRuntime(b.name === 'simd');
        const h0 = heap();
        const m = await loadModel(bytes, { ...options, int8Index: accel, bucketBounds: accel });
        const vec = Float32Array.from({ length: d }, (_, j) => Math.cos(j));
        // every method, with whole-catalogue calls at k = 10, 4096 and n
        for (const k of [10, 4096, n]) {
          m.topK(vec, { k });
          m.topK(vec, { k, cosine: true });
          m.topK(vec, { k, exclude: [1, 2, 3] });
        }
        m.topK(vec, { k: 5, candidates: [4, 5, 6] });
        m.similarItems(7, { k: 10 });
        m.scoreVector(vec);
        m.lookup([0, 1, n - 1]);
        if (m.info.input) {
          m.recommend([1, 2, 3], { k: 10 });
          m.recommend(m.info.hasIds ? ['i4'] : [4], { k: n });
          m.scores([5, 6]);
          m.userVector([8]);
          m.ids();
        }
        if (m.info.ranker) {
          const all = Array.from({ length: n }, (_, i) => i);
          m.recommend([1, 2, 3], { k: 10, rerankDepth: 500 });
          m.recommend([1, 2, 3], { k: 10, candidates: [...all, ...all] });
          m.rerank([1], all);
        }
        const used = heap() - h0;
        const bound = m.info.fileBytes + m.info.workingBytes;
        if (process.env.MEMCOM_COST_VERBOSE) console.log(what, b.name, accel, used, bound);
        assert.ok(used <= bound, `[${b.name}] ${what} (accelerators ${accel}): ${used} bytes in use, more than file + workingBytes = ${bound}`);
        m.dispose();
      }
    }
  }
});

test('loadModel builds what ranking needs once n is accepted: the first whole-catalogue ranking (k <= 128) allocates nothing; a table storing nothing per item is left to its first ranking', async () => {
  const r = rng(29);
  const n = 6000;
  const d = 16;
  const specs = [
    ['memcom f32, explicit buckets, bias', true, {
      input: tableSpec(r, { kind: 'memcom', dtype: 'f32', scalarDtype: 'f32', bucket: 'mod' }, { n, d, m: 200, dyadic: false }),
      output: tableSpec(r, { kind: 'memcom', dtype: 'f32', scalarDtype: 'f16', bucket: 'u32' }, { n, d, m: 150, dyadic: false }),
      outputBias: Float32Array.from({ length: n }, () => r.normal()),
    }],
    ['memcom i8, mod buckets', true, { output: tableSpec(r, { kind: 'memcom', dtype: 'i8', scalarDtype: 'f32', bucket: 'mod' }, { n, d, m: 150, dyadic: false }) }],
    ['full f16', true, { output: tableSpec(r, { kind: 'full', dtype: 'f16' }, { n, d, dyadic: false }) }],
    ['hash f32, hash buckets, no bias (nothing per item)', false, { output: tableSpec(r, { kind: 'hash', dtype: 'f32', bucket: 'hash' }, { n, d, m: 150, dyadic: false }) }],
  ];
  for (const [what, perItem, spec] of specs) {
    const bytes = await buildModel(spec);
    for (const b of BUILDS) {
      const { options, heap } = await freshRuntime(b.name === 'simd');
      const h0 = heap();
      const m = await loadModel(bytes, options);
      const loaded = heap();
      if (!perItem) assert.ok(loaded - h0 - bytes.length < 64 * 1024, `[${b.name}] ${what}: the load allocated ${loaded - h0 - bytes.length} bytes besides the file`);
      const vec = Float32Array.from({ length: d }, (_, j) => Math.sin(j + 1));
      const first = m.topK(vec, { k: 10, exclude: [3, 4] });
      m.topK(vec, { k: 128 });
      if (m.info.input) m.recommend([1, 2, 3], { k: 20 });
      const grown = heap() - loaded;
      if (perItem) assert.equal(grown, 0, `[${b.name}] ${what}: the first rankings allocated ${grown} bytes`);
      else assert.ok(grown >= n / 8, `[${b.name}] ${what}: the first ranking builds the marks (${grown} bytes)`);
      // and the answers are those of a model ranked without being prepared first (the accelerators off)
      const plain = await loadModel(bytes, { ...options, int8Index: false, bucketBounds: false });
      assert.deepEqual(first, plain.topK(vec, { k: 10, exclude: [3, 4] }), `[${b.name}] ${what}`);
      plain.dispose();
      m.dispose();
    }
  }
});
