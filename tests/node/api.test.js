// api.test.js - the public API around the numbers: sources and options of
// loadModel/loadTable, the wasm loader, info, ids, argument errors, dispose,
// and memory growth while models are in use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { loadModel, loadTable, buildModel, MemcomError, hasSimd, init } from '../../web/index.js';
import * as R from './reference.js';
import {
  rng, requireWasm, BUILDS, WASM_SIMD, WASM_SCALAR, assertCode, assertRejects, assertTopK, assertScoresClose,
  assertVectorClose, tableSpec,
} from './helpers.js';

requireWasm();

const N = 50;
const D = 8;

async function smallModel({ ids = true, seed = 5, n = N } = {}) {
  const r = rng(seed);
  return await buildModel({
    input: { kind: 'memcom', n, m: 7, d: D, dtype: 'f16', rows: Float32Array.from({ length: 7 * D }, () => r.normal()),
      scalars: Float32Array.from({ length: n }, () => 1 + r.next()) },
    output: { kind: 'full', n, d: D, rows: Float32Array.from({ length: n * D }, () => r.normal()) },
    layers: [{ inDim: D, outDim: D, activation: 'tanh', weight: Float32Array.from({ length: D * D }, () => r.normal() * 0.5) }],
    outputBias: Float32Array.from({ length: n }, () => r.normal() * 0.1),
    ids: ids ? Array.from({ length: n }, (_, i) => `movie/${i}`) : undefined,
    metadata: { dataset: 'unit', metrics: { valid: { ndcg20: 0.25 } } },
  });
}

async function tableOnly() {
  const r = rng(8);
  return await buildModel({
    output: { kind: 'memcom', n: 40, m: 10, d: 4, dtype: 'i8', rows: Float32Array.from({ length: 40 }, () => r.normal()),
      scalars: Float32Array.from({ length: 40 }, () => r.normal()), bucket: { hash: 3 } },
  });
}

test('hasSimd() is true on Node 20 and both builds load', async () => {
  assert.equal(hasSimd(), true);
  const a = await loadModel(await smallModel(), { simd: true });
  const b = await loadModel(await smallModel(), { simd: false });
  const c = await loadModel(await smallModel()); // 'auto'
  assert.equal(a.info.simd, true);
  assert.equal(b.info.simd, false);
  assert.equal(c.info.simd, true);
  assert.equal(c.info.kernel, 'wasm_simd128');
  for (const m of [a, b, c]) m.dispose();
});

test('init(): compiles the module without a model; loads share it; bad options are MemcomErrors', async () => {
  const simd = await init();
  assert.deepEqual(Object.keys(simd).sort(), ['kernel', 'simd', 'version']);
  assert.equal(simd.simd, true);
  assert.equal(simd.kernel, 'wasm_simd128');
  assert.match(simd.version, /^\d+\.\d+\.\d+$/);
  const scalar = await init({ simd: false });
  assert.equal(scalar.simd, false);
  assert.equal(scalar.kernel, 'scalar');
  assert.equal((await init({ wasm: WASM_SCALAR })).kernel, 'scalar', 'one module whatever simd says');
  const m = await loadModel(await smallModel(), { simd: false });
  assert.equal(m.info.kernel, 'scalar');
  assert.equal(m.info.version, scalar.version);
  m.dispose();
  await assertRejects(init('fast'), 'invalid_argument');
  await assertRejects(init({ simd: 'yes' }), 'invalid_argument');
  await assertRejects(init({ wasm: new Uint8Array([0, 97, 115, 109]) }), 'wasm');
});

test('sources: Uint8Array (also a subarray), ArrayBuffer, Blob, Response, file path, file URL, URL string', async () => {
  const bytes = await smallModel();
  const ref = R.parseModel(bytes);
  const expected = R.recommend(ref, [1, 2, 3], { k: 5 }).map((r) => r.index);
  const dir = await mkdtemp(join(tmpdir(), 'memcom-'));
  try {
    const path = join(dir, 'model.memcom');
    await writeFile(path, bytes);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const sources = [
      ['Uint8Array', bytes],
      ['a subarray at an odd offset', padded.subarray(3)],
      ['ArrayBuffer', bytes.slice().buffer],
      ['Node Buffer', await readFile(path)],
      ['Blob', new Blob([bytes])],
      ['Response', new Response(bytes)],
      ['file path', path],
      ['file URL', pathToFileURL(path)],
      ['file URL string', pathToFileURL(path).href],
    ];
    for (const [name, src] of sources) {
      const m = await loadModel(src);
      assert.deepEqual(m.recommend([1, 2, 3], { k: 5 }).map((r) => r.index), expected, name);
      assert.equal(m.info.fileBytes, bytes.length, name);
      m.dispose();
    }
    // the caller's bytes are not modified or retained
    assert.deepEqual(padded.subarray(3), bytes);
    await assertRejects(loadModel(join(dir, 'missing.memcom')), 'io', /missing\.memcom/);
    await assertRejects(loadModel(dir), 'io');
    await assertRejects(loadModel(''), 'invalid_argument');
    await assertRejects(loadModel(42), 'invalid_argument');
    await assertRejects(loadModel({}), 'invalid_argument');
  } finally {
    await rm(dir, { recursive: true });
  }
});

/** A local HTTP server serving the model and the wasm files. */
async function withServer(routes, fn) {
  const server = createServer((req, res) => {
    const route = routes[req.url];
    if (!route) { res.writeHead(404); res.end(); return; }
    if (route.hang) {
      // announces a huge body, sends a little of it and never finishes
      res.writeHead(200, { 'content-type': route.type, 'content-length': String(route.length) });
      res.write(route.body);
      return;
    }
    const headers = { 'content-type': route.type };
    if (route.length !== false) headers['content-length'] = String(route.length ?? route.body.length);
    res.writeHead(200, headers);
    res.end(route.body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await fn(base);
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
}

test('over HTTP: model URL, streaming wasm compile, Content-Length checked before reading', async () => {
  const bytes = await smallModel();
  const wasm = await readFile(WASM_SIMD);
  const wasmScalar = await readFile(WASM_SCALAR);
  await withServer({
    '/m.memcom': { type: 'application/octet-stream', body: bytes },
    '/chunked.memcom': { type: 'application/octet-stream', body: bytes, length: false },
    '/x.wasm': { type: 'application/wasm', body: wasm },
    '/y.wasm': { type: 'application/octet-stream', body: wasmScalar },
    '/huge.memcom': { type: 'application/octet-stream', body: bytes.subarray(0, 100), length: 5e9, hang: true },
  }, async (base) => {
    // refused from the Content-Length alone, without waiting for the body
    await assertRejects(loadModel(`${base}/huge.memcom`, { maxBytes: 1e6 }), 'too_large', /5000000000 bytes.*maxBytes/);
    await assertRejects(loadModel(`${base}/huge.memcom`), 'too_large', /WebAssembly memory/);
    const a = await loadModel(`${base}/m.memcom`, { wasm: `${base}/x.wasm` });
    assert.equal(a.info.simd, true);
    const b = await loadModel(new URL(`${base}/chunked.memcom`), { wasm: new URL(`${base}/y.wasm`) });
    assert.equal(b.info.simd, false);
    assert.deepEqual(a.recommend([0]).map((x) => x.index), b.recommend([0]).map((x) => x.index));
    const c = await loadModel(await fetch(`${base}/m.memcom`), { wasm: await fetch(`${base}/x.wasm`) });
    assert.equal(c.info.fileBytes, bytes.length);
    for (const m of [a, b, c]) m.dispose();
    await assertRejects(loadModel(`${base}/m.memcom`, { maxBytes: bytes.length - 1 }), 'too_large', /maxBytes/);
    await assertRejects(loadModel(`${base}/chunked.memcom`, { maxBytes: 100 }), 'too_large');
    await assertRejects(loadModel(`${base}/nothing.memcom`), 'io', /404/);
    await assertRejects(loadModel(bytes, { wasm: `${base}/nothing.wasm` }), 'wasm', /404/);
  });
});

test('maxBytes: refused before allocation for bytes, files, Blobs and Responses; exact size allowed', async () => {
  const bytes = await smallModel();
  const dir = await mkdtemp(join(tmpdir(), 'memcom-'));
  try {
    const path = join(dir, 'model.memcom');
    await writeFile(path, bytes);
    for (const src of [bytes, path, new Blob([bytes]), new Response(bytes), bytes.slice().buffer]) {
      await assertRejects(loadModel(src, { maxBytes: bytes.length - 1 }), 'too_large', new RegExp(`${bytes.length} bytes`));
    }
    // maxBytes bounds the file plus its working memory (info.workingBytes):
    // exactly that is allowed, one byte less refused once the file is open
    const probeInfo = (await loadModel(bytes)).info;
    const need = probeInfo.fileBytes + probeInfo.workingBytes;
    for (const src of [bytes, path, new Blob([bytes]), new Response(bytes)]) {
      const m = await loadModel(src, { maxBytes: need });
      m.dispose();
      await assertRejects(loadModel(src === bytes ? bytes : src instanceof Response ? new Response(bytes) : src, { maxBytes: need - 1 }),
        'too_large', new RegExp(`needs ${need} bytes .*working memory ${probeInfo.workingBytes}.*options\\.maxBytes`));
    }
    // more than WebAssembly memory can hold: refused before anything is copied
    // (wasm32 memory stops at 4 GiB; the zero-filled 4 GiB buffer is never touched)
    const huge = new Uint8Array(2 ** 32);
    const probe = await loadModel(bytes);
    const rt = probe._rt;
    const before = rt.memoryBytes;
    await assertRejects(loadModel(huge), 'too_large', /4294967296 bytes.*WebAssembly memory/);
    // 4 GiB - 1 also cannot fit beside the memory already in use
    await assertRejects(loadModel(huge.subarray(0, 2 ** 32 - 1)), 'too_large', /WebAssembly memory/);
    assert.equal(rt.memoryBytes, before, 'no wasm memory was allocated');
    probe.dispose();
    for (const bad of [-1, 1.5, NaN, '100']) {
      await assertRejects(loadModel(bytes, { maxBytes: bad }), 'invalid_argument', /maxBytes/);
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('wasm option: Module, bytes, path, URL, { simd, scalar }; bad modules are refused', async () => {
  const bytes = await smallModel();
  const simdBytes = await readFile(WASM_SIMD);
  const scalarBytes = await readFile(WASM_SCALAR);
  const module = await WebAssembly.compile(scalarBytes);
  const cases = [
    [module, false],
    [simdBytes, true],
    [new Uint8Array(scalarBytes).buffer.slice(scalarBytes.byteOffset, scalarBytes.byteOffset + scalarBytes.length), false],
    [fileURLToPath(WASM_SCALAR), false],
    [WASM_SIMD, true],
    [{ simd: WASM_SIMD, scalar: WASM_SCALAR }, true],
  ];
  for (const [wasm, simd] of cases) {
    const m = await loadModel(bytes, { wasm });
    assert.equal(m.info.simd, simd);
    m.dispose();
  }
  const s = await loadModel(bytes, { wasm: { simd: WASM_SIMD, scalar: module }, simd: false });
  assert.equal(s.info.simd, false);
  s.dispose();
  // the same module is instantiated once: models share its memory
  const m1 = await loadModel(bytes, { wasm: module });
  const m2 = await loadModel(bytes, { wasm: module });
  assert.equal(m1._rt, m2._rt);
  const d1 = await loadModel(bytes);
  const d2 = await loadModel(bytes, { simd: 'auto' });
  assert.equal(d1._rt, d2._rt, 'default module cached per (url, simd)');
  for (const m of [m1, m2, d1, d2]) m.dispose();

  await assertRejects(loadModel(bytes, { wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]) }), 'wasm');
  await assertRejects(loadModel(bytes, { wasm: new Uint8Array([1, 2, 3]) }), 'wasm');
  // a valid module that is not memcom's
  const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  await assertRejects(loadModel(bytes, { wasm: empty }), 'wasm', /mc_malloc|memory/);
  await assertRejects(loadModel(bytes, { wasm: '/nonexistent/memcom.wasm' }), 'wasm');
  await assertRejects(loadModel(bytes, { wasm: 42 }), 'invalid_argument');
  await assertRejects(loadModel(bytes, { simd: 'maybe' }), 'invalid_argument', /simd/);
  await assertRejects(loadModel(bytes, 'options'), 'invalid_argument');
});

test('info: sizes, kinds, layers, bytes per group, compression ratio (docs/METHOD.md 1.4), metadata', async () => {
  const bytes = await smallModel();
  const ref = R.parseModel(bytes);
  const m = await loadModel(bytes);
  const info = m.info;
  assert.equal(info.n, N);
  assert.equal(info.d, D);
  assert.equal(info.formatVersion, '1.0');
  assert.deepEqual({ ...info.input, bytes: 0 }, { kind: 'memcom', n: N, m: 7, d: D, dtype: 'f16', scalarDtype: 'f32', bucket: 'mod',
    bucketDtype: null, hashSeed: null, bytes: 0 });
  assert.deepEqual({ ...info.output, bytes: 0 }, { kind: 'full', n: N, m: N, d: D, dtype: 'f32', scalarDtype: null, bucket: null,
    bucketDtype: null, hashSeed: null, bytes: 0 });
  assert.deepEqual(info.layers, [{ inDim: D, outDim: D, activation: 'tanh', weight: true, bias: false }]);
  assert.equal(info.biasDtype, 'f32');
  assert.equal(info.hasIds, true);
  const size = (name) => ref.sections.filter((s) => s.name === name).reduce((a, s) => a + s.size, 0);
  const inputBytes = 7 * D * 2 + N * 4;
  const outputBytes = N * D * 4;
  assert.equal(info.bytes.input, inputBytes);
  assert.equal(info.bytes.output, outputBytes);
  assert.equal(info.bytes.bias, N * 4);
  assert.equal(info.bytes.layers, size('LAYERS') + size('LAYER_WEIGHT') + size('LAYER_BIAS'));
  assert.equal(info.bytes.ids, size('ID_OFFSETS') + size('ID_BYTES') + size('ID_SORTED'));
  assert.equal(info.bytes.metadata, size('METADATA'));
  assert.equal(info.fileBytes, bytes.length);
  assert.equal(info.bytes.file, bytes.length);
  assert.equal(info.fullF32Bytes, 2 * N * D * 4);
  assert.equal(info.compressionRatio, (2 * N * D * 4) / (inputBytes + outputBytes));
  // the whole file with both tables full f32 (the bias is f32 already)
  assert.equal(info.fullFileBytes, bytes.length - inputBytes - outputBytes + 2 * N * D * 4);
  assert.equal(info.fileCompressionRatio, info.fullFileBytes / bytes.length);
  assert.deepEqual(info.metadata, { dataset: 'unit', metrics: { valid: { ndcg20: 0.25 } } });
  assert.ok(Object.isFrozen(info) && Object.isFrozen(info.output) && Object.isFrozen(info.metadata));
  assert.equal(typeof info.version, 'string');
  JSON.stringify(info); // serialisable (no bigint)
  m.dispose();

  // the 16x memcom table of docs/METHOD.md 1.4: m = n (d/16 - 1) / d
  const n = 4096;
  const d = 64;
  const mm = (n * (d / 16 - 1)) / d;
  const t = await loadTable(await buildModel({ output: { kind: 'memcom', n, m: mm, d, rows: new Float32Array(mm * d), scalars: new Float32Array(n),
    bucket: { hash: '18446744073709551615' } } }));
  assert.equal(t.info.compressionRatio, 16);
  assert.equal(t.info.input, null);
  assert.equal(t.info.output.hashSeed, '18446744073709551615');
  assert.deepEqual(t.info.metadata, {});
  assert.equal(t.info.biasDtype, null);
  assert.equal(t.info.hasIds, false);
  t.dispose();
  // int8 with explicit u16 buckets: scales and bucket indices count as stored table bytes
  const q = await loadTable(await buildModel({ output: { kind: 'hash', n: 100, m: 10, d: 16, dtype: 'i8', rows: new Float32Array(160),
    bucket: new Uint16Array(100) } }));
  assert.equal(q.info.output.bucketDtype, 'u16');
  assert.equal(q.info.output.bytes, 10 * 16 + 10 * 4 + 100 * 2);
  assert.equal(q.info.compressionRatio, (100 * 16 * 4) / (10 * 16 + 10 * 4 + 100 * 2));
  q.dispose();
});

test('ids: idOf, indexOf, ids(), Unicode ids, and models without ids', async () => {
  const ids = ['b', 'a', '\u{1F600}', '\uFFFD', 'ab', 'é', 'Ä', 'a\u0000b', 'x'.repeat(300)];
  const n = ids.length;
  const r = rng(3);
  const bytes = await buildModel({ output: { kind: 'full', n, d: 3, rows: Float32Array.from({ length: n * 3 }, () => r.normal()) }, ids });
  for (const build of BUILDS) {
    const t = await loadTable(bytes, build.options);
    assert.deepEqual(t.ids(), ids);
    for (let i = 0; i < n; i++) {
      assert.equal(t.idOf(i), ids[i]);
      assert.equal(t.indexOf(ids[i]), i);
    }
    assert.equal(t.indexOf('c'), -1);
    assert.equal(t.indexOf(''), -1);
    assert.equal(t.indexOf('a\u0000'), -1);
    assertCode(() => t.indexOf(3), 'invalid_argument');
    assertCode(() => t.idOf(n), 'index');
    assertCode(() => t.idOf(-1), 'index');
    assertCode(() => t.idOf(1.5), 'invalid_argument');
    assert.deepEqual(Array.from(t.lookup(['\u{1F600}', 'é'])), [...t.lookup(2), ...t.lookup(5)]);
    const res = t.topK(new Float32Array([1, 0, 0]), { k: n });
    for (const x of res) assert.equal(x.id, ids[x.index]);
    t.dispose();
  }
  const noIds = await loadModel(await smallModel({ ids: false }));
  assertCode(() => noIds.lookup([1], { table: 'middle' }), 'invalid_argument');
  assertVectorClose(noIds.lookup([1, 2], { table: 'input' }).subarray(8), noIds.itemEmbedding(2, { table: 'input' }), { exact: true });
  assert.equal(noIds.hasIds, false);
  assert.equal(noIds.ids(), null);
  assert.equal(noIds.idOf(3), null);
  assert.equal(noIds.indexOf('movie/3'), -1);
  assert.ok(noIds.recommend([1], { k: 3 }).every((x) => x.id === null));
  assertCode(() => noIds.recommend(['movie/1']), 'no_ids', /movie\/1/);
  noIds.dispose();
  assertCode(() => noIds.idOf(1), 'disposed');
});

test('argument errors: unknown ids, bad indices, wrong dimension, NaN, bad k, bad options', async () => {
  const bytes = await smallModel();
  const m = await loadModel(bytes);
  assertCode(() => m.recommend(['movie/1', 'nope']), 'unknown_id', /"nope"/);
  assertCode(() => m.scores(['movie/999']), 'unknown_id', /movie\/999/);
  assertCode(() => m.itemEmbedding('zzz'), 'unknown_id', /zzz/);
  assertCode(() => m.similarItems('zzz'), 'unknown_id', /zzz/);
  assertCode(() => m.recommend([1], { exclude: ['zzz'] }), 'unknown_id', /zzz/);
  assertCode(() => m.recommend([1], { candidates: [1, 'zzz'] }), 'unknown_id', /zzz/);
  assertCode(() => m.recommend([N]), 'index', new RegExp(`${N}`));
  assertCode(() => m.recommend([-1]), 'index');
  assertCode(() => m.recommend([1.5]), 'invalid_argument', /1\.5/);
  assertCode(() => m.recommend([NaN]), 'invalid_argument', /NaN/);
  assertCode(() => m.recommend([Infinity]), 'invalid_argument');
  assertCode(() => m.recommend([null]), 'invalid_argument');
  assertCode(() => m.recommend([1n]), 'invalid_argument');
  assertCode(() => m.recommend('movie/1'), 'invalid_argument');
  assertCode(() => m.recommend(7), 'invalid_argument');
  assertCode(() => m.recommend(new DataView(new ArrayBuffer(8))), 'invalid_argument');
  assertCode(() => m.lookup(new DataView(new ArrayBuffer(8))), 'invalid_argument');
  assertCode(() => m.recommend(new BigUint64Array([1n])), 'invalid_argument');
  assertCode(() => m.recommend([1], { exclude: new DataView(new ArrayBuffer(4)) }), 'invalid_argument');
  assertCode(() => m.lookup([0, N + 5]), 'index');
  assertCode(() => m.itemEmbedding(0, { table: 'middle' }), 'invalid_argument');
  assertCode(() => m.itemEmbedding([0]), 'invalid_argument');
  for (const k of [0, -1, 1.5, NaN, '3', Infinity, null]) {
    assertCode(() => m.recommend([1], { k }), 'k', /k must be a positive integer/);
    assertCode(() => m.topK(new Float32Array(D), { k }), 'k');
    assertCode(() => m.similarItems(1, { k }), 'k');
  }
  assertCode(() => m.topK(new Float32Array(D - 1)), 'dimension', /7 elements.*dimension 8/);
  assertCode(() => m.topK(new Float32Array(D + 1)), 'dimension');
  assertCode(() => m.scoreVector([]), 'dimension');
  assertCode(() => m.topK('abc'), 'invalid_argument');
  assertCode(() => m.topK(new Int8Array(D)), 'invalid_argument');
  const v = new Float32Array(D);
  v[3] = NaN;
  assertCode(() => m.topK(v), 'nonfinite_input', /element 3/);
  v[3] = Infinity;
  assertCode(() => m.scoreVector(v), 'nonfinite_input');
  assertCode(() => m.recommend([1], 'k'), 'invalid_argument');
  m.dispose();

  const t = await loadModel(await tableOnly());
  assertCode(() => t.recommend([1]), 'no_table');
  assertCode(() => t.scores([1]), 'no_table');
  assertCode(() => t.userVector([]), 'no_table');
  assertCode(() => t.itemEmbedding(1, { table: 'input' }), 'no_table');
  t.dispose();
});

test('k: huge k is clipped to the eligible items; candidates and exclusions combine', async () => {
  const bytes = await smallModel();
  const ref = R.parseModel(bytes);
  const m = await loadModel(bytes);
  const s = R.scores(ref, R.userVector(ref, [4]));
  assertTopK(m.recommend([4], { k: 1e9 }), s, N, { exclude: [4], ids: ref.ids });
  assert.equal(m.recommend([4], { k: 2 ** 32 + 5 }).length, N - 1);
  assert.equal(m.recommend([4], { k: Number.MAX_SAFE_INTEGER }).length, N - 1);
  assert.equal(m.recommend([], { k: 1000 }).length, N);
  assert.deepEqual(m.recommend([4], { candidates: [] }), []);
  assert.deepEqual(m.recommend([4], { candidates: [4] }), []);
  assert.deepEqual(m.recommend([4], { candidates: [4, 5], k: 10 }).map((r) => r.index), [5]);
  const all = Array.from({ length: N }, (_, i) => i);
  assert.deepEqual(m.recommend([4], { exclude: all, k: 5 }), []);
  assertTopK(m.recommend([4], { exclude: null }), s, 10, { ids: ref.ids });
  // history duplicates count once; a Set or a typed array works as a history
  assert.deepEqual(m.recommend([4, 4, 'movie/4']), m.recommend([4]));
  assert.deepEqual(m.recommend(new Set([4, 9])), m.recommend([9, 4]));
  assert.deepEqual(m.recommend(new Uint32Array([4, 9])), m.recommend(['movie/4', 9]));
  assertScoresClose(m.scores(new Int32Array([4])), s);
  m.dispose();
});

test('scores() and userVector() return copies, not views of wasm memory', async () => {
  const m = await loadModel(await smallModel());
  const s = m.scores([1, 2]);
  const u = m.userVector([1, 2]);
  const e = m.itemEmbedding(3);
  for (const a of [s, u, e]) assert.notEqual(a.buffer, m._rt.memory.buffer);
  const copy = Float32Array.from(s);
  s.fill(0);
  u.fill(0);
  assert.deepEqual(m.scores([1, 2]), copy);
  m.dispose();
  assert.deepEqual(Float32Array.from(copy), copy);
});

test('dispose: later use throws disposed, a second dispose is harmless, other models keep working', async () => {
  const bytes = await smallModel();
  const a = await loadModel(bytes);
  const b = await loadModel(bytes);
  const before = b.recommend([1, 2]);
  assert.equal(a.disposed, false);
  a.dispose();
  assert.equal(a.disposed, true);
  a.dispose();
  const v = new Float32Array(D);
  const uses = [
    () => a.recommend([1]), () => a.scores([1]), () => a.userVector([1]), () => a.itemEmbedding(1), () => a.lookup([1]),
    () => a.topK(v), () => a.scoreVector(v), () => a.similarItems(1), () => a.idOf(1), () => a.indexOf('movie/1'),
    () => a.ids(), () => a.info, () => a.recommend(['movie/1']),
  ];
  for (const use of uses) assertCode(use, 'disposed', /disposed/);
  assert.deepEqual(b.recommend([1, 2]), before);
  b.dispose();
  const t = await loadTable(await tableOnly());
  t.dispose();
  assertCode(() => t.topK(new Float32Array(4)), 'disposed', /table was disposed/);
  t.dispose();
});

test('load/dispose cycles reuse wasm memory (no leak)', async () => {
  const bytes = await smallModel({ n: 20000 });
  const first = await loadModel(bytes);
  const rt = first._rt;
  first.recommend([1]);
  first.dispose();
  const grown = rt.memoryBytes;
  for (let i = 0; i < 30; i++) {
    const m = await loadModel(bytes);
    m.scores([1, 2, 3]);
    m.recommend([5], { k: 100 });
    m.dispose();
  }
  assert.ok(rt.memoryBytes <= grown + (bytes.length * 2), `memory grew from ${grown} to ${rt.memoryBytes}`);
});

test('memory growth: loading more models grows memory; earlier models and results stay right', async () => {
  for (const build of BUILDS) {
    const bytes = await smallModel();
    const ref = R.parseModel(bytes);
    const first = await loadModel(bytes, build.options);
    const rt = first._rt;
    const s1 = first.scores([1, 2]);
    const rec1 = first.recommend([1, 2], { k: 7 });
    const start = rt.memoryBytes;
    const others = [];
    const r = rng(77);
    // ~12 MB each: memory must grow several times
    for (let i = 0; i < 4; i++) {
      const n = 100000;
      const spec = { output: tableSpec(r, { kind: 'full', dtype: 'f32' }, { n, d: 30, m: n, dyadic: false }) };
      others.push(await loadTable(await buildModel(spec), build.options));
      // use the first model between loads
      assertScoresClose(first.scores([1, 2]), R.scores(ref, R.userVector(ref, [1, 2])), { rel: 1e-5 });
    }
    assert.ok(rt.memoryBytes > start + 40e6, `memory grew: ${start} -> ${rt.memoryBytes}`);
    assert.deepEqual(first.scores([1, 2]), s1);
    assert.deepEqual(first.recommend([1, 2], { k: 7 }), rec1);
    assert.deepEqual(s1.length, N); // results taken before growth are still usable
    assertVectorClose(first.itemEmbedding(7), R.embedding(ref.output, 7), { rel: 1e-6 });
    // a call that itself grows memory (scores of a large table) returns correct data
    const big = others[3];
    const vec = new Float32Array(30).fill(0.1);
    const sc = big.scoreVector(vec);
    assert.equal(sc.length, 100000);
    assert.deepEqual(big.topK(vec, { k: 3 }).map((x) => x.score), Array.from(sc).sort((a, b) => b - a).slice(0, 3));
    for (const o of others) o.dispose();
    first.dispose();
  }
});

test('errors are MemcomError instances with stable codes and categories', async () => {
  const err = await assertRejects(loadModel(new Uint8Array(300)), 'magic');
  assert.ok(err instanceof MemcomError);
  assert.ok(err instanceof Error);
  assert.equal(err.category, 'bad_file');
  assert.equal(err.cCode, 21);
  assert.match(err.message, /^memcom: header: bad magic/);
  const crc = await buildModel({ output: { kind: 'full', n: 2, d: 2, rows: new Float32Array(4) } });
  crc[crc.length - 1] ^= 1;
  const e2 = await assertRejects(loadModel(crc), 'section_crc', /^memcom: section ROWS_A\[output\]: CRC32 mismatch/);
  assert.equal(e2.detail, e2.message.slice('memcom: '.length));
  const m = await loadModel(await smallModel());
  try {
    m.recommend(['nope']);
  } catch (e) {
    assert.equal(e.category, 'usage');
  }
  m.dispose();
});

test('concurrent loads into one runtime (memory grows between reads and copies) all work', async () => {
  const r = rng(12);
  const files = await Promise.all(Array.from({ length: 6 }, (_, i) => buildModel({
    output: tableSpec(r, { kind: 'memcom', dtype: 'f16', scalarDtype: 'f16', bucket: 'mod' }, { n: 30000 + i, d: 24, m: 1000, dyadic: false }),
    ids: Array.from({ length: 30000 + i }, (_, j) => `f${i}-${j}`),
  })));
  for (const build of BUILDS) {
    const tables = await Promise.all(files.map((b) => loadTable(b, build.options)));
    const vec = Float32Array.from({ length: 24 }, (_, j) => Math.sin(j));
    for (const [i, t] of tables.entries()) {
      assert.equal(t.n, 30000 + i);
      const ref = R.parseModel(files[i], { ids: false });
      const ids = Array.from({ length: t.n }, (_, j) => `f${i}-${j}`);
      assertTopK(t.topK(vec, { k: 5 }), R.scores(ref, vec), 5, { ids, what: `table ${i}` });
      assert.equal(t.indexOf(`f${i}-777`), 777);
    }
    for (const t of tables) t.dispose();
  }
});
