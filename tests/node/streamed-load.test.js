// streamed-load.test.js - loading a model or table whose size is known before
// its bytes arrive (a Response or URL with Content-Length, a Blob, a Node
// file) writes the bytes straight into wasm memory, allocated first: results
// are those of a Uint8Array load of the same bytes; every failure (a body
// shorter or longer than declared, a stream that errors, an abort, limits)
// is the right MemcomError and leaves no wasm allocation behind; sources of
// unknown or encoded length fall back to gathering the bytes first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { loadModel, loadTable, buildModel } from '../../web/index.js';
import { rng, requireWasm, BUILDS, WASM_SIMD, WASM_SCALAR, assertRejects, tableSpec } from './helpers.js';

requireWasm();

// ------------------------------------------------------------------ files
/** A recommender (memcom input, full output, a layer, bias, ids): about 1.3 MB. */
async function modelBytes(seed = 3, n = 20000, d = 16) {
  const r = rng(seed);
  return await buildModel({
    input: tableSpec(r, { kind: 'memcom', dtype: 'f16', scalarDtype: 'f32', bucket: 'hash' }, { n, d, m: 500, dyadic: false }),
    output: tableSpec(r, { kind: 'full', dtype: 'f32' }, { n, d, dyadic: false }),
    layers: [{ inDim: d, outDim: d, activation: 'tanh', weight: Float32Array.from({ length: d * d }, () => r.normal() * 0.3) }],
    outputBias: Float32Array.from({ length: n }, () => r.normal() * 0.1),
    ids: Array.from({ length: n }, (_, i) => `item-${i}`),
    metadata: { test: 'streamed-load' },
  });
}

/** A table file (int8 memcom output, u16 buckets): a few hundred KB. */
async function tableBytes(seed = 4) {
  return await buildModel({ output: tableSpec(rng(seed), { kind: 'memcom', dtype: 'i8', scalarDtype: 'f16', bucket: 'u16' }, { n: 30000, d: 24, m: 700, dyadic: false }) });
}

const MODEL = await modelBytes();
const TABLE = await tableBytes();
const TINY = await buildModel({ output: { kind: 'full', n: 3, d: 2, rows: new Float32Array([1, 0, 0, 1, 0.5, 0.5]) } });

// ---------------------------------------------------------------- sources
/**
 * A Response whose body delivers `bytes` in chunks of random sizes (1 byte to
 * `maxChunk`), one per pull, with Content-Length `length` (the true length by
 * default; false: no header).  `tail` bytes are appended past the end,
 * `cutAt` stops the body early, `failAt` errors the stream once that many
 * bytes were delivered.  `stats` counts pulls and records a cancel.
 */
function chunkedResponse(bytes, { maxChunk = 65536, seed = 1, length, headers = {}, tail = null, cutAt = null, failAt = null, chunkType = null, stats = {}, onPull = null } = {}) {
  const body = tail ? concat(bytes, tail) : bytes;
  const end = cutAt ?? body.length;
  const r = rng(seed);
  let at = 0;
  stats.pulls = 0;
  const stream = new ReadableStream({
    pull(c) {
      stats.pulls++;
      if (onPull) onPull(at, end);
      if (failAt !== null && at >= failAt) { c.error(new Error('connection reset by peer')); return; }
      if (at >= end) { c.close(); return; }
      const n = Math.min(end - at, r.int(1, maxChunk));
      const chunk = body.slice(at, at + n); // a fresh buffer, as a network stack delivers
      c.enqueue(chunkType ? chunkType(chunk) : chunk);
      at += n;
    },
    cancel() { stats.cancelled = true; },
  }, { highWaterMark: 0 });
  const h = { ...headers };
  const len = length === undefined ? bytes.length : length;
  if (len !== false) h['content-length'] = String(len);
  return new Response(stream, { headers: h });
}

/** A Response whose body is `bytes` in one chunk, with Content-Length; onPull(at, end) as chunkedResponse's. */
function oneChunkResponse(bytes, onPull) {
  let at = 0;
  const stream = new ReadableStream({
    pull(c) {
      onPull(at, bytes.length);
      if (at === bytes.length) { c.close(); return; }
      c.enqueue(bytes.slice());
      at = bytes.length;
    },
  }, { highWaterMark: 0 });
  return new Response(stream, { headers: { 'content-length': String(bytes.length) } });
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A fresh runtime (its own wasm memory): a compiled module of its own. */
async function freshRuntime(simd) {
  const module = await WebAssembly.compile(await readFile(simd ? WASM_SIMD : WASM_SCALAR));
  const options = { wasm: module, simd };
  const probe = await loadTable(TINY, options);
  const rt = probe._rt;
  probe.dispose();
  return { options, rt };
}

/** Everything observable about a loaded model or table, for comparing two loads. */
function observe(m) {
  const isModel = typeof m.recommend === 'function' && !!m.info.input;
  const vec = Float32Array.from({ length: m.d }, (_, j) => Math.cos(j + 1));
  const out = {
    info: JSON.parse(JSON.stringify(m.info, (k, v) => (k === 'simd' || k === 'kernel' ? undefined : v))),
    topK: m.topK(vec, { k: 10 }),
    scoreVector: Array.from(m.scoreVector(vec)),
    similar: m.similarItems(5, { k: 5 }),
    lookup: Array.from(m.lookup([0, 1, m.n - 1])),
  };
  if (isModel) {
    out.recommend = m.recommend([1, 2, 'item-77'], { k: 10 });
    out.scores = Array.from(m.scores([3, 'item-4']));
    out.ids = [m.idOf(0), m.indexOf(`item-${m.n - 1}`)];
  }
  return out;
}

async function observeLoad(loader, source, options) {
  const m = await loader(source, options);
  try {
    return observe(m);
  } finally {
    m.dispose();
  }
}

// ------------------------------------------------------------------ tests
test('chunked Responses with Content-Length load exactly like a Uint8Array (models and tables, both builds)', async () => {
  for (const b of BUILDS) {
    for (const [name, bytes, loader] of [['model', MODEL, loadModel], ['table', TABLE, loadTable], ['model as table', MODEL, loadTable]]) {
      const want = await observeLoad(loader, bytes, b.options);
      const cases = [
        ['chunks up to 64 KiB', chunkedResponse(bytes, { seed: 11 })],
        ['chunks up to 300 bytes', chunkedResponse(bytes, { maxChunk: 300, seed: 12 })],
        ['one chunk', chunkedResponse(bytes, { maxChunk: bytes.length })],
        ['chunks as DataViews', chunkedResponse(bytes, { seed: 13, chunkType: (c) => new DataView(c.buffer) })],
        ['Blob (streamed from its size)', new Blob([bytes.subarray(0, 1000), bytes.subarray(1000)])],
        ['no Content-Length (gathered, then copied)', chunkedResponse(bytes, { seed: 14, length: false })],
      ];
      for (const [what, src] of cases) {
        assert.deepEqual(await observeLoad(loader, src, b.options), want, `[${b.name}] ${name}: ${what}`);
      }
    }
  }
});

test('the body goes straight into wasm memory: its first bytes are there before its last chunk arrives', async () => {
  for (const b of BUILDS) {
    const { options, rt } = await freshRuntime(b.name === 'simd');
    const header = MODEL.subarray(0, 64); // magic, sizes and the header CRC: unique in memory
    let seenAtLastChunk = null;
    const onPull = (at, end) => {
      if (at === 0 || at >= end || seenAtLastChunk !== null) return;
      if (end - at <= 65536) {
        // the last chunk is still to come: the block exists and holds the first bytes
        const u8 = new Uint8Array(rt.memory.buffer);
        let found = -1;
        for (let p = 0; p + 64 <= u8.length && found < 0; p += 64) {
          if (u8[p] === header[0] && u8.subarray(p, p + 64).every((x, j) => x === header[j])) found = p;
        }
        seenAtLastChunk = { found };
      }
    };
    const m = await loadModel(chunkedResponse(MODEL, { seed: 21, onPull }), options);
    assert.ok(seenAtLastChunk, `[${b.name}] the stream never reached its last chunk`);
    assert.ok(seenAtLastChunk.found > 0, `[${b.name}] the file's first bytes were not in wasm memory before the last chunk arrived`);
    assert.equal(m.info.fileBytes, MODEL.length);
    m.dispose();
  }
});

test('the memory mc_prepare takes is reserved while the body streams in: none grows after its last chunk (a body in one chunk: after it)', async () => {
  // a table prepare builds bounds and item lists for (explicit buckets, a bias): about 5 MB of it, more than the slack memory keeps
  const r = rng(31);
  const n = 1000000;
  const bytes = await buildModel({
    output: tableSpec(r, { kind: 'memcom', dtype: 'f32', scalarDtype: 'f32', bucket: 'u32' }, { n, d: 4, m: 20000, dyadic: false }),
    outputBias: Float32Array.from({ length: n }, () => r.normal() * 0.1),
  });
  const want = await observeLoad(loadTable, bytes, { simd: true });
  for (const b of BUILDS) {
    for (const oneChunk of [false, true]) {
      const { options, rt } = await freshRuntime(b.name === 'simd');
      // memory grows by a share of its size, which may leave room for what
      // prepare takes: once the file's block is allocated (the first pull),
      // all but 1 MB of the free memory is taken
      let filler = 0;
      let atLast = 0;
      const onPull = (at, end) => {
        if (at === 0) filler = rt.exports.mc_malloc(Math.max(0, rt.memoryBytes - rt.exports.mc_heap_used() - (2 << 20))) >>> 0;
        if (at < end) atLast = rt.memoryBytes;
      };
      const t = await loadTable(oneChunk ? oneChunkResponse(bytes, onPull) : chunkedResponse(bytes, { seed: 32, onPull }), options);
      const grew = rt.memoryBytes - atLast;
      if (oneChunk) assert.ok(grew > 0, `[${b.name}] one chunk: the memory did not grow after it (the test's table needs no memory from prepare?)`);
      else assert.equal(grew, 0, `[${b.name}] the memory grew by ${grew} bytes after the last chunk`);
      t.dispose();
      rt.free(filler);
      if (!oneChunk && b.name === 'simd') assert.deepEqual(await observeLoad(loadTable, chunkedResponse(bytes, { seed: 33 }), options), want);
    }
  }
});

test('file paths and file URLs load exactly like a Uint8Array; a file shorter than its size is an io error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'memcom-stream-'));
  try {
    for (const [name, bytes, loader] of [['model', MODEL, loadModel], ['table', TABLE, loadTable]]) {
      const path = join(dir, `${name}.memcom`);
      await writeFile(path, bytes);
      for (const b of BUILDS) {
        const want = await observeLoad(loader, bytes, b.options);
        for (const src of [path, pathToFileURL(path), pathToFileURL(path).href]) {
          assert.deepEqual(await observeLoad(loader, src, b.options), want, `[${b.name}] ${name} from ${src}`);
        }
      }
    }
    const empty = join(dir, 'empty.memcom');
    await writeFile(empty, new Uint8Array(0));
    await assertRejects(loadModel(empty), 'truncated');
  } finally {
    await rm(dir, { recursive: true });
  }
  // sysfs files claim 4096 bytes and hold fewer: the read ends early
  const sys = '/sys/kernel/mm/transparent_hugepage/enabled';
  if (existsSync(sys) && statSync(sys).size > 200) {
    await assertRejects(loadModel(sys), 'io', /file ended after \d+ of the \d+ bytes/);
  }
});

test('over HTTP: Content-Length streams in, chunked and gzip-encoded bodies fall back, an abort is an io error', async () => {
  const gz = gzipSync(MODEL);
  const server = createServer((req, res) => {
    if (req.url === '/m.memcom') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(MODEL.length) });
      // in pieces, with pauses, as a network does
      let at = 0;
      const step = () => {
        if (at >= MODEL.length) { res.end(); return; }
        res.write(MODEL.subarray(at, at + 100_000));
        at += 100_000;
        setImmediate(step);
      };
      step();
    } else if (req.url === '/chunked.memcom') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked encoding
      res.end(MODEL);
    } else if (req.url === '/gz.memcom') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip', 'content-length': String(gz.length) });
      res.end(gz);
    } else if (req.url === '/hang.memcom') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(MODEL.length) });
      res.write(MODEL.subarray(0, 200_000)); // and never the rest
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    for (const b of BUILDS) {
      const want = await observeLoad(loadModel, MODEL, b.options);
      for (const src of [`${base}/m.memcom`, new URL(`${base}/m.memcom`), await fetch(`${base}/m.memcom`),
        `${base}/chunked.memcom`, `${base}/gz.memcom`]) {
        assert.deepEqual(await observeLoad(loadModel, src, b.options), want, `[${b.name}] ${src.url ?? src}`);
      }
      const { options, rt } = await freshRuntime(b.name === 'simd');
      const abortOnce = async () => {
        const ac = new AbortController();
        const res = await fetch(`${base}/hang.memcom`, { signal: ac.signal });
        const p = loadModel(res, options);
        setTimeout(() => ac.abort(), 20);
        await assertRejects(p, 'io', /cannot read the model/);
      };
      await abortOnce();
      // the memory a whole load takes: its file, then its working memory (built by the load)
      (await loadModel(`${base}/m.memcom`, options)).dispose();
      const grown = rt.memoryBytes;
      for (let i = 0; i < 6; i++) await abortOnce();
      assert.equal(rt.memoryBytes, grown, `[${b.name}] aborted loads kept wasm memory`);
      (await loadModel(`${base}/m.memcom`, options)).dispose();
      assert.equal(rt.memoryBytes, grown, `[${b.name}] a load after aborted ones grew memory`);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});

test('failures while streaming are MemcomErrors and leave no wasm allocation behind', async () => {
  const len = MODEL.length;
  const failures = [
    ['body shorter than declared', (o) => chunkedResponse(MODEL, { ...o, cutAt: len - 1000 }), {}, 'io', new RegExp(`ended after ${len - 1000} of the ${len} bytes its Content-Length declares`)],
    ['empty body', (o) => chunkedResponse(MODEL, { ...o, cutAt: 0 }), {}, 'io', new RegExp(`ended after 0 of the ${len} bytes`)],
    ['body longer than declared', (o) => chunkedResponse(MODEL, { ...o, tail: new Uint8Array(10) }), {}, 'io', new RegExp(`longer than the ${len} bytes its Content-Length declares`)],
    ['body longer than declared and maxBytes', (o) => chunkedResponse(MODEL, { ...o, tail: new Uint8Array(10) }), { maxBytes: len }, 'too_large', /at least \d+ bytes, more than options\.maxBytes/],
    ['stream errors midway', (o) => chunkedResponse(MODEL, { ...o, failAt: len >> 1 }), {}, 'io', /cannot read the model at \(response\): connection reset by peer/],
    ['a chunk that is not bytes', (o) => chunkedResponse(MODEL, { ...o, chunkType: (c) => (c.length > 100 ? 'text' : c) }), {}, 'io', /string chunk, not bytes/],
    ['maxBytes below the declared length', (o) => chunkedResponse(MODEL, o), { maxBytes: len - 1 }, 'too_large', new RegExp(`${len} bytes, more than options\\.maxBytes`)],
    ['Content-Length beyond wasm memory', (o) => chunkedResponse(MODEL, { ...o, length: 5 * 2 ** 30 }), {}, 'too_large', /WebAssembly memory can still hold/],
    ['a corrupt file (the block goes to mc_open, which frees it)', (o) => {
      const bad = MODEL.slice();
      bad[len - 5] ^= 0x10;
      return chunkedResponse(bad, o);
    }, {}, 'section_crc', null],
    // inside whole 64 KiB blocks of the output rows, checksummed as they arrived
    ['a corrupt byte inside a block checksummed while streaming', (o) => {
      const bad = MODEL.slice();
      bad[(len >> 1) + 3] ^= 0x01;
      return chunkedResponse(bad, o);
    }, {}, 'section_crc', /ROWS_A\[output\]: CRC32 mismatch/],
  ];
  for (const b of BUILDS) {
    const { options, rt } = await freshRuntime(b.name === 'simd');
    // grow memory to what one load of the model needs
    (await loadModel(MODEL, options)).dispose();
    const grown = rt.memoryBytes;
    for (const [what, make, extra, code, re] of failures) {
      for (const loader of [loadModel, loadTable]) {
        for (let i = 0; i < 4; i++) {
          const stats = {};
          const res = make({ stats, seed: i });
          await assertRejects(loader(res, { ...options, ...extra }), code, re ?? undefined);
          assert.equal(rt.memoryBytes, grown, `[${b.name}] ${what}: wasm memory grew from ${grown} to ${rt.memoryBytes}`);
          if (what.startsWith('maxBytes') || what.startsWith('Content-Length beyond')) {
            assert.ok(stats.pulls === undefined || stats.pulls <= 1, `[${b.name}] ${what}: the body was read before refusing`);
          }
        }
      }
    }
    // the memory freed by the failures is reused: 10 more rounds of each failure and then
    // 10 loads of the model neither grow memory nor fail
    for (let round = 0; round < 10; round++) {
      for (const [, make, extra] of failures) await loadModel(make({ seed: round }), { ...options, ...extra }).catch(() => {});
    }
    for (let i = 0; i < 10; i++) (await loadModel(chunkedResponse(MODEL, { seed: 40 + i }), options)).dispose();
    assert.equal(rt.memoryBytes, grown, `[${b.name}] wasm memory kept growing over failed streamed loads: ${grown} -> ${rt.memoryBytes}`);
  }
});

test('maxBytes below the declared length is refused before the body is read', async () => {
  const stats = {};
  const res = chunkedResponse(MODEL, { stats });
  await assertRejects(loadModel(res, { maxBytes: MODEL.length - 1 }), 'too_large', /refused before reading it into memory/);
  assert.ok(stats.pulls <= 1, `${stats.pulls} pulls before refusing`);
  assert.equal(stats.cancelled, true, 'the body was cancelled');
  // maxBytes bounds the file plus its working memory: exactly that is allowed
  const probe = await loadModel(MODEL);
  const need = probe.info.fileBytes + probe.info.workingBytes;
  probe.dispose();
  (await loadModel(chunkedResponse(MODEL), { maxBytes: need })).dispose();
  await assertRejects(loadModel(chunkedResponse(MODEL), { maxBytes: need - 1 }), 'too_large', /working memory/);
});

test('concurrent streamed loads into one runtime (memory grows mid-stream) all load right', async () => {
  for (const b of BUILDS) {
    const { options, rt } = await freshRuntime(b.name === 'simd');
    const start = rt.memoryBytes;
    const files = [MODEL, TABLE, await modelBytes(9, 40000, 12), await tableBytes(10), await modelBytes(11, 5000, 8)];
    const wants = [];
    for (const f of files) wants.push(await observeLoad(loadTable, f, b.options));
    const dir = await mkdtemp(join(tmpdir(), 'memcom-stream-'));
    try {
      const paths = await Promise.all(files.map(async (f, i) => {
        const p = join(dir, `f${i}.memcom`);
        await writeFile(p, f);
        return p;
      }));
      // Responses with small chunks, file paths and bytes, all at once: each block is allocated
      // before its body arrives, so later loads grow (and detach) memory under earlier ones
      const loads = files.flatMap((f, i) => [
        loadTable(chunkedResponse(f, { maxChunk: 8192, seed: 50 + i }), options),
        loadTable(paths[i], options),
        loadTable(f, options),
      ]);
      const tables = await Promise.all(loads);
      assert.ok(rt.memoryBytes > start, 'memory grew');
      for (const [j, t] of tables.entries()) {
        assert.deepEqual(observe(t), wants[Math.floor(j / 3)], `[${b.name}] file ${Math.floor(j / 3)}, source ${j % 3}`);
      }
      for (const t of tables) t.dispose();
    } finally {
      await rm(dir, { recursive: true });
    }
  }
});
