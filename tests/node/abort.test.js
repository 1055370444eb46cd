// abort.test.js - loads can be cancelled (issue 12, point 7).  loadModel and
// loadTable (and init, and buildModel while it fetches the writer) take an
// AbortSignal, options.signal, for every source kind: URL (HTTP and file:),
// Response, ReadableStream, Blob, Node path and bytes.  An abort rejects the
// promise with MemcomError 'aborted' (the signal's reason as its cause) even
// while a body stalls, cancels what it was reading, and frees every byte of
// wasm memory the load had allocated: the heap in use (mc_heap_used) is back
// where it was.  An already-aborted signal rejects at once, reading nothing;
// an abort after the load has no effect, and the signal keeps no listener.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer } from 'node:http';
import { loadModel, loadTable, buildModel, init, MemcomError } from '../../web/index.js';
import { rng, requireWasm, BUILDS, WASM_SIMD, WASM_SCALAR, assertRejects, tableSpec } from './helpers.js';

requireWasm();

/** A recommender of about 1.3 MB (memcom input, full output, a layer, bias, ids). */
async function modelBytes(n = 20000, d = 16) {
  const r = rng(71);
  return await buildModel({
    input: tableSpec(r, { kind: 'memcom', dtype: 'f16', scalarDtype: 'f32', bucket: 'hash' }, { n, d, m: 500, dyadic: false }),
    output: tableSpec(r, { kind: 'full', dtype: 'f32' }, { n, d, dyadic: false }),
    layers: [{ inDim: d, outDim: d, activation: 'tanh', weight: Float32Array.from({ length: d * d }, () => r.normal() * 0.3) }],
    outputBias: Float32Array.from({ length: n }, () => r.normal() * 0.1),
    ids: Array.from({ length: n }, (_, i) => `item-${i}`),
  });
}

const MODEL = await modelBytes();
const TINY = await buildModel({ output: { kind: 'full', n: 3, d: 2, rows: new Float32Array([1, 0, 0, 1, 0.5, 0.5]) } });

/** A fresh runtime (its own wasm memory and heap), its memory grown and its
 *  scratch area made by one load of MODEL: { options, rt, heap() }. */
async function freshRuntime(simd) {
  const module = await WebAssembly.compile(await readFile(simd ? WASM_SIMD : WASM_SCALAR));
  const options = { wasm: module, simd };
  const probe = await loadModel(MODEL, options);
  probe.recommend([1, 2], { k: 5 });
  const rt = probe._rt;
  probe.dispose();
  return { options, rt, heap: () => rt.exports.mc_heap_used() };
}

/** A ReadableStream delivering `bytes` in 64 KiB chunks up to `stallAt` bytes,
 *  then never again (until cancelled); `stats` records pulls and the cancel reason. */
function stallingStream(bytes, stallAt, stats = {}) {
  let at = 0;
  stats.pulls = 0;
  return new ReadableStream({
    pull(c) {
      stats.pulls++;
      if (at >= stallAt) return new Promise(() => {}); // stalls
      const n = Math.min(65536, stallAt - at);
      c.enqueue(bytes.slice(at, at + n));
      at += n;
      return undefined;
    },
    cancel(reason) { stats.cancelled = true; stats.reason = reason; },
  }, { highWaterMark: 0 });
}

/** A Blob whose stream() stalls after `stallAt` bytes (its size is the whole file). */
class StallingBlob extends Blob {
  constructor(bytes, stallAt, stats) {
    super([bytes]);
    this._bytes = bytes;
    this._stallAt = stallAt;
    this._stats = stats;
  }

  stream() { return stallingStream(this._bytes, this._stallAt, this._stats); }
}

/** An AbortSignal that counts its live 'abort' listeners. */
function countingSignal() {
  const ac = new AbortController();
  const s = ac.signal;
  const live = new Set();
  return {
    controller: ac,
    live,
    signal: {
      get aborted() { return s.aborted; },
      get reason() { return s.reason; },
      addEventListener(type, fn, opts) { if (type === 'abort') live.add(fn); s.addEventListener(type, fn, opts); },
      removeEventListener(type, fn, opts) { live.delete(fn); s.removeEventListener(type, fn, opts); },
    },
  };
}

/** How soon an abort must take effect: generous for a loaded machine (it
 *  takes a few milliseconds); the point is that nothing waits for the stalled body. */
const PROMPT_MS = 5000;

/** Settles within `ms`, or fails the test naming `what` (no test may hang). */
function within(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A local HTTP server: /m (the model, in 100 KB pieces), /slow (64 KiB
 *  every 15 ms), /stall (headers and 200 KB, then nothing), /stall-chunked
 *  (the same without Content-Length), /silent (no response at all).  It
 *  counts requests per path and records when a response's connection closes. */
async function startServer() {
  const requests = new Map();
  const closed = new Map();
  const wrote = new Map(); // path -> resolve function for "the partial body was sent"
  const sent = (path) => new Promise((ok) => wrote.set(path, ok));
  const server = createServer((req, res) => {
    const path = req.url;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    res.on('close', () => closed.set(path, (closed.get(path) ?? 0) + 1));
    const head = (len = true) => res.writeHead(200, { 'content-type': 'application/octet-stream', ...(len ? { 'content-length': String(MODEL.length) } : {}) });
    if (path === '/m') {
      head();
      let at = 0;
      const step = () => {
        if (at >= MODEL.length) { res.end(); return; }
        res.write(MODEL.subarray(at, at + 100_000));
        at += 100_000;
        setImmediate(step);
      };
      step();
    } else if (path === '/slow') {
      head();
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed) { clearInterval(timer); return; }
        if (at >= MODEL.length) { clearInterval(timer); res.end(); return; }
        res.write(MODEL.subarray(at, at + 65536));
        at += 65536;
      }, 15);
    } else if (path === '/stall' || path === '/stall-chunked') {
      head(path === '/stall');
      res.write(MODEL.subarray(0, 200_000), () => wrote.get(path)?.());
    } else if (path === '/silent' || path === '/silent.wasm') {
      wrote.get(path)?.();
      // never answers
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    requests,
    closed,
    sent,
    async close() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

test('an already-aborted signal rejects at once, for every source kind, reading nothing and allocating nothing', async () => {
  const srv = await startServer();
  const dir = await mkdtemp(join(tmpdir(), 'memcom-abort-'));
  try {
    const path = join(dir, 'm.memcom');
    await writeFile(path, MODEL);
    for (const b of BUILDS) {
      const { options, rt, heap } = await freshRuntime(b.name === 'simd');
      const reason = new Error('not wanted any more');
      const ac = new AbortController();
      ac.abort(reason);
      const stats = {};
      const sources = [
        ['bytes', MODEL],
        ['ArrayBuffer', MODEL.slice().buffer],
        ['Blob', new Blob([MODEL])],
        ['Response', new Response(stallingStream(MODEL, MODEL.length, stats), { headers: { 'content-length': String(MODEL.length) } })],
        ['ReadableStream', stallingStream(MODEL, MODEL.length, stats)],
        ['Node path', path],
        ['file: URL', pathToFileURL(path)],
        ['HTTP URL', `${srv.base}/m`],
        ['HTTP URL object', new URL(`${srv.base}/m`)],
      ];
      const h0 = heap();
      const m0 = rt.memoryBytes;
      for (const [what, src] of sources) {
        for (const loader of [loadModel, loadTable]) {
          const t0 = performance.now();
          const e = await assertRejects(loader(src, { ...options, signal: ac.signal }), 'aborted', /aborted by options\.signal \(Error: not wanted any more\)/);
          assert.equal(e.cause, reason, `[${b.name}] ${what}: the reason is the cause`);
          assert.equal(e.category, 'resource');
          assert.ok(performance.now() - t0 < PROMPT_MS, `[${b.name}] ${what}: rejected at once`);
          assert.equal(heap(), h0, `[${b.name}] ${what}: nothing stays allocated`);
        }
      }
      assert.equal(stats.pulls ?? 0, 0, 'no stream was read');
      assert.equal(srv.requests.get('/m') ?? 0, 0, 'no request was made');
      assert.equal(rt.memoryBytes, m0, 'wasm memory did not grow');
      // an abort reason that is not an Error, and none (the default AbortError)
      const ac2 = new AbortController();
      ac2.abort('tab closed');
      await assertRejects(loadModel(MODEL, { ...options, signal: ac2.signal }), 'aborted', /\(tab closed\)/);
      const ac3 = new AbortController();
      ac3.abort();
      const e3 = await assertRejects(loadModel(MODEL, { ...options, signal: ac3.signal }), 'aborted', /AbortError/);
      assert.equal(e3.cause, ac3.signal.reason);
      // init and buildModel too
      await assertRejects(init({ ...options, signal: ac.signal }), 'aborted');
      await assertRejects(buildModel({ output: { kind: 'full', n: 1, d: 1, rows: [1] } }, { signal: ac.signal }), 'aborted');
      assert.equal(heap(), h0);
    }
  } finally {
    await srv.close();
    await rm(dir, { recursive: true });
  }
});

test('options.signal must be an AbortSignal', async () => {
  for (const bad of [true, 'abort', 5, {}, { aborted: false }, { aborted: 'no', addEventListener() {}, removeEventListener() {} }]) {
    await assertRejects(loadModel(TINY, { signal: bad }), 'invalid_argument', /options\.signal must be an AbortSignal/);
    await assertRejects(loadTable(TINY, { signal: bad }), 'invalid_argument', /options\.signal/);
    await assertRejects(init({ signal: bad }), 'invalid_argument', /options\.signal/);
    await assertRejects(buildModel({ output: { kind: 'full', n: 1, d: 1, rows: [1] } }, { signal: bad }), 'invalid_argument', /options\.signal/);
  }
  // null and undefined mean no signal
  for (const none of [null, undefined]) (await loadModel(TINY, { signal: none })).dispose();
});

test('a stalled HTTP download (with and without Content-Length, or no response at all) is aborted mid-stream: rejected, freed, connection closed', async () => {
  const srv = await startServer();
  try {
    for (const b of BUILDS) {
      const { options, rt, heap } = await freshRuntime(b.name === 'simd');
      const h0 = heap();
      const m0 = rt.memoryBytes;
      for (const path of ['/stall', '/stall-chunked', '/silent']) {
        for (const loader of [loadModel, loadTable]) {
          const before = srv.closed.get(path) ?? 0;
          const ac = new AbortController();
          const partial = srv.sent(path);
          const p = loader(`${srv.base}${path}`, { ...options, signal: ac.signal });
          await partial; // the server sent what it will send
          await sleep(30); // and the client has read it, then waits for more
          const reason = new Error('user navigated away');
          ac.abort(reason);
          const e = await within(assertRejects(p, 'aborted', /user navigated away/), PROMPT_MS, `[${b.name}] ${path}`);
          assert.equal(e.cause, reason);
          assert.equal(heap(), h0, `[${b.name}] ${path}: the block for the body was freed`);
          await within((async () => { while ((srv.closed.get(path) ?? 0) === before) await sleep(5); })(), PROMPT_MS, `${path}: connection closed`);
        }
      }
      // a timeout signal (AbortSignal.timeout) on a stalled body: 'aborted', the TimeoutError as cause
      const e = await within(assertRejects(loadModel(`${srv.base}/stall`, { ...options, signal: AbortSignal.timeout(80) }), 'aborted', /TimeoutError/), PROMPT_MS, 'timeout');
      assert.equal(e.cause.name, 'TimeoutError');
      assert.equal(heap(), h0);
      // an HTTP Response handed over by the caller (fetched without our signal), its body stalled
      const res = await fetch(`${srv.base}/stall`);
      const ac = new AbortController();
      const p = loadModel(res, { ...options, signal: ac.signal });
      await sleep(30);
      ac.abort();
      await within(assertRejects(p, 'aborted'), PROMPT_MS, 'Response');
      assert.equal(heap(), h0);
      // memory did not grow over all of that beyond one model's block (taken and given back)
      assert.ok(rt.memoryBytes <= m0 + 2 * MODEL.length + (1 << 20), `wasm memory ${m0} -> ${rt.memoryBytes}`);
    }
  } finally {
    await srv.close();
  }
});

test('stalled Response, ReadableStream and Blob sources: aborted at once, the stream cancelled with the reason, everything freed', async () => {
  for (const b of BUILDS) {
    const { options, heap } = await freshRuntime(b.name === 'simd');
    const h0 = heap();
    const half = MODEL.length >> 1;
    const makers = [
      ['Response with Content-Length', half, (s) => new Response(stallingStream(MODEL, half, s), { headers: { 'content-length': String(MODEL.length) } })],
      ['Response without Content-Length', half, (s) => new Response(stallingStream(MODEL, half, s))],
      ['ReadableStream', half, (s) => stallingStream(MODEL, half, s)],
      ['Blob whose stream stalls', half, (s) => new StallingBlob(MODEL, half, s)],
      ['stream stalled before its first byte', 0, (s) => stallingStream(MODEL, 0, s)],
    ];
    for (const [what, stallAt, make] of makers) {
      for (const loader of [loadModel, loadTable]) {
        const stats = {};
        const ac = new AbortController();
        const p = loader(make(stats), { ...options, signal: ac.signal });
        // wait until the reader has taken everything there is and waits on the stalled pull
        await within((async () => { while (!(stats.pulls > Math.ceil(stallAt / 65536))) await sleep(2); })(), PROMPT_MS, what);
        await sleep(10);
        const reason = new Error(`stop ${what}`);
        ac.abort(reason);
        const e = await within(assertRejects(p, 'aborted', new RegExp(`stop ${what}`)), PROMPT_MS, `[${b.name}] ${what}`);
        assert.equal(e.cause, reason);
        assert.equal(stats.cancelled, true, `[${b.name}] ${what}: the stream was cancelled`);
        assert.equal(stats.reason, reason, `[${b.name}] ${what}: ... with the signal's reason`);
        assert.equal(heap(), h0, `[${b.name}] ${what}: heap back to where it was`);
      }
    }
  }
});

test('slow bodies load when not aborted, and aborted at any point mid-stream they reject and free everything', async () => {
  const srv = await startServer();
  try {
    for (const b of BUILDS) {
      const { options, heap } = await freshRuntime(b.name === 'simd');
      const want = (await loadModel(MODEL, options));
      const vec = Float32Array.from({ length: want.d }, (_, j) => Math.sin(j + 1));
      const ref = { top: want.topK(vec, { k: 20 }), rec: want.recommend(['item-3', 5], { k: 10 }) };
      want.dispose();
      const h0 = heap();
      // a slow HTTP body (about 21 pieces of 64 KiB, 15 ms apart) with a signal that never fires
      const never = new AbortController();
      const slow = await loadModel(`${srv.base}/slow`, { ...options, signal: never.signal });
      assert.deepEqual({ top: slow.topK(vec, { k: 20 }), rec: slow.recommend(['item-3', 5], { k: 10 }) }, ref);
      slow.dispose();
      assert.equal(heap(), h0);
      // the same body aborted after 10, 60 and 150 ms: mid-stream each time
      for (const ms of [10, 60, 150]) {
        const ac = new AbortController();
        const p = loadModel(`${srv.base}/slow`, { ...options, signal: ac.signal });
        setTimeout(() => ac.abort(new Error(`after ${ms} ms`)), ms);
        await within(assertRejects(p, 'aborted', new RegExp(`after ${ms} ms`)), PROMPT_MS, `slow HTTP, ${ms} ms`);
        assert.equal(heap(), h0, `[${b.name}] slow HTTP aborted after ${ms} ms`);
      }
      // a slow in-memory stream, aborted at random points (some before the first byte)
      const r = rng(5);
      for (let i = 0; i < 12; i++) {
        const stats = {};
        let at = 0;
        const stream = new ReadableStream({
          async pull(c) {
            stats.pulls = (stats.pulls ?? 0) + 1;
            await sleep(1);
            if (at >= MODEL.length) { c.close(); return; }
            const n = Math.min(MODEL.length - at, r.int(1, 65536));
            c.enqueue(MODEL.slice(at, at + n));
            at += n;
          },
          cancel() { stats.cancelled = true; },
        }, { highWaterMark: 0 });
        const withLength = i % 2 === 0;
        const src = withLength ? new Response(stream, { headers: { 'content-length': String(MODEL.length) } }) : stream;
        const ac = new AbortController();
        const p = loadModel(src, { ...options, signal: ac.signal });
        const ms = r.int(0, 25);
        setTimeout(() => ac.abort(), ms);
        let e = null;
        try { (await p).dispose(); } catch (err) { e = err; }
        assert.ok(e instanceof MemcomError && e.code === 'aborted', `[${b.name}] stream ${i} (${ms} ms): ${e}`);
        assert.equal(stats.cancelled, true, `[${b.name}] stream ${i}: cancelled`);
        assert.equal(heap(), h0, `[${b.name}] stream ${i}: heap`);
      }
    }
  } finally {
    await srv.close();
  }
});

test('Node files and bytes: an abort during the load rejects and frees; an abort after it has no effect', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'memcom-abort-'));
  try {
    // a 20 MB table file: read in 8 MiB pieces, so an abort can land between them
    const r = rng(9);
    const bigBytes = await buildModel({ output: tableSpec(r, { kind: 'full', dtype: 'f32' }, { n: 80000, d: 64, dyadic: false }) });
    const big = join(dir, 'big.memcom');
    await writeFile(big, bigBytes);
    for (const b of BUILDS) {
      const { options, heap } = await freshRuntime(b.name === 'simd');
      (await loadTable(big, options)).dispose(); // memory for one big load
      const h0 = heap();
      let aborted = 0;
      let loaded = 0;
      // abort after 0, 1, 2, ... turns of the event loop: each outcome is a
      // correct table or 'aborted', and nothing stays allocated
      for (let turns = 0; turns < 40 && loaded < 3; turns++) {
        const ac = new AbortController();
        const p = loadTable(turns % 2 ? pathToFileURL(big) : big, { ...options, signal: ac.signal });
        (async () => { for (let t = 0; t < turns; t++) await new Promise((ok) => setImmediate(ok)); ac.abort(); })();
        try {
          const t = await p;
          assert.equal(t.n, 80000);
          assert.equal(t.topK(new Float32Array(64).fill(1), { k: 1 }).length, 1);
          t.dispose();
          loaded++;
        } catch (e) {
          assert.ok(e instanceof MemcomError && e.code === 'aborted', `[${b.name}] ${turns} turns: ${e}`);
          aborted++;
        }
        assert.equal(heap(), h0, `[${b.name}] ${turns} turns: heap`);
      }
      assert.ok(aborted >= 2, `[${b.name}] ${aborted} loads were aborted`);
      // bytes: an abort right after the call (while the runtime is awaited) rejects
      const ac = new AbortController();
      const p = loadModel(MODEL, { ...options, signal: ac.signal });
      ac.abort();
      await assertRejects(p, 'aborted');
      assert.equal(heap(), h0);
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('an abort after the load has no effect, and the signal keeps no listener (every source kind)', async () => {
  const srv = await startServer();
  const dir = await mkdtemp(join(tmpdir(), 'memcom-abort-'));
  try {
    const path = join(dir, 'm.memcom');
    await writeFile(path, MODEL);
    const sources = [
      ['bytes', () => MODEL],
      ['Blob', () => new Blob([MODEL])],
      ['Response', () => new Response(MODEL)],
      ['ReadableStream', () => new Blob([MODEL]).stream()],
      ['Node path', () => path],
      ['HTTP URL', () => `${srv.base}/m`],
    ];
    const vec = new Float32Array(16).fill(0.25);
    for (const [what, make] of sources) {
      const c = countingSignal();
      const m = await loadModel(make(), { signal: c.signal });
      assert.equal(c.live.size, 0, `${what}: no listener left on the signal`);
      const before = m.topK(vec, { k: 5 });
      c.controller.abort();
      assert.equal(m.disposed, false);
      assert.deepEqual(m.topK(vec, { k: 5 }), before, `${what}: the model works after the abort`);
      m.dispose();
    }
    // the same signal may serve many loads
    const shared = countingSignal();
    const models = await Promise.all([loadModel(MODEL, { signal: shared.signal }), loadTable(`${srv.base}/m`, { signal: shared.signal })]);
    assert.equal(shared.live.size, 0);
    for (const m of models) m.dispose();
  } finally {
    await srv.close();
    await rm(dir, { recursive: true });
  }
});

test('init and buildModel: waiting for a stalled WebAssembly download is aborted', async () => {
  const srv = await startServer();
  try {
    for (const [what, call] of [
      ['init', (signal) => init({ wasm: `${srv.base}/silent.wasm`, signal })],
      ['loadModel', (signal) => loadModel(TINY, { wasm: `${srv.base}/silent.wasm`, signal })],
      ['buildModel', (signal) => buildModel({ output: { kind: 'full', n: 1, d: 1, rows: [1] } }, { wasm: `${srv.base}/silent.wasm`, signal })],
    ]) {
      const ac = new AbortController();
      const p = call(ac.signal);
      setTimeout(() => ac.abort(new Error(`${what} stopped`)), 50);
      await within(assertRejects(p, 'aborted', new RegExp(`${what} stopped`)), PROMPT_MS, what);
    }
    // with a signal that does not fire, init still works
    const ac = new AbortController();
    const got = await init({ signal: ac.signal });
    assert.equal(typeof got.version, 'string');
  } finally {
    await srv.close();
  }
});
