// The first ranking after a load against a warm one, for a 1M-item 16x model
// (bench/loading.js's model: input and output MEmCom 16x, d = 64, one tanh
// layer, output bias), f32 and int8 rows, with and without ids, buckets i mod m
// or explicit (each item in a random bucket, as learned buckets are).  Each
// sample is a fresh wasm instance loading the file from a streamed Response
// (1 MiB chunks, Content-Length); it reports, medians over the samples:
//   ready  = last chunk delivered -> loadModel resolved,
//   first  = the first recommend() after that,
//   warm   = the same recommend() again (median of several),
//   answer = last chunk -> first answer (ready + first),
// each also as CPU time of the process (every thread), which a loaded
// machine inflates less than wall time,
// and the wasm memory after the load and after the first ranking.
//
//   node --expose-gc bench/first-query.js [samples=5] [filter, e.g. "i8 ids explicit"] [--shared-module]

import { readFileSync } from 'node:fs';
import { buildModel, loadModel } from '../web/index.js';
import { modelSpec, streamedResponse } from './loading.js';
import { rng } from './lib/workload.js';

const N = 1_000_000;
const D = 64;
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const mib = (b) => (b / 2 ** 20).toFixed(1);
/** CPU time of this process (every thread: compiling, GC) since `from`, in ms */
const cpuMs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** The model file (its spec, with a million id strings, is left for the collector). */
async function modelFile({ dtype, ids, bucket }) {
  const { spec, m } = modelSpec({ n: N, d: D, ratio: 16, dtype, ids });
  if (bucket === 'explicit') {
    const r = rng(11);
    const b = new Uint32Array(N);
    for (let i = 0; i < N; i++) b[i] = Math.floor(r() * m);
    spec.output.bucket = b;
  }
  return buildModel(spec);
}

async function measureConfig({ dtype, ids, bucket, samples, wasmBytes, sharedModule }) {
  const bytes = await modelFile({ dtype, ids, bucket });
  const r = rng(23);
  const rows = { ready: [], first: [], warm: [], answer: [], readyCpu: [], firstCpu: [], warmCpu: [] };
  let memLoaded = 0;
  let memRanked = 0;
  for (let s = 0; s < samples; s++) {
    const history = Array.from({ length: 5 + Math.floor(r() * 45) }, () => Math.floor(r() * N));
    // collect the previous samples' instances (tens of MiB of wasm memory
    // each) now, not during this one's load or first ranking (node --expose-gc)
    globalThis.gc?.();
    const module = sharedModule ?? await WebAssembly.compile(wasmBytes);
    // (streamedResponse sets marks.closed when the body closes: take the CPU time then too)
    const marks = {
      closedCpu: null,
      set closed(t) { this.at = t; this.closedCpu = process.cpuUsage(); },
      get closed() { return this.at; },
    };
    const model = await loadModel(streamedResponse(bytes, 1 << 20, marks), { wasm: module, simd: true });
    const ready = performance.now();
    const readyCpu = cpuMs(marks.closedCpu);
    memLoaded = model._rt.memoryBytes;
    const c0 = process.cpuUsage();
    const first = model.recommend(history, { k: 10 });
    const done = performance.now();
    rows.firstCpu.push(cpuMs(c0));
    memRanked = model._rt.memoryBytes;
    const warm = [];
    const warmCpu = [];
    for (let q = 0; q < 7; q++) {
      const t = performance.now();
      const c = process.cpuUsage();
      const again = model.recommend(history, { k: 10 });
      warm.push(performance.now() - t);
      warmCpu.push(cpuMs(c));
      if (JSON.stringify(again) !== JSON.stringify(first)) throw new Error('the first and a later ranking differ');
    }
    rows.ready.push(ready - marks.closed);
    rows.readyCpu.push(readyCpu);
    rows.first.push(done - ready);
    rows.warm.push(median(warm));
    rows.warmCpu.push(median(warmCpu));
    rows.answer.push(done - marks.closed);
    model.dispose();
  }
  const med = Object.fromEntries(Object.entries(rows).map(([key, v]) => [key, median(v)]));
  return { ...med, fileBytes: bytes.length, memLoaded, memRanked };
}

const args = process.argv.slice(2);
const shared = args.includes('--shared-module');
const [samplesArg, filterArg] = args.filter((a) => a !== '--shared-module');
const samples = Number(samplesArg ?? 5);
const filter = (filterArg ?? '').split(' ').filter(Boolean);
const wasmBytes = readFileSync(new URL('../dist/memcom-simd.wasm', import.meta.url));
// --shared-module: one compiled module for every sample (a page that has
// compiled and run it before: its code already optimised), else a fresh one each
const sharedModule = shared ? await WebAssembly.compile(wasmBytes) : null;
console.log(`1M items, d = ${D}, 16x, streamed in 1 MiB chunks, medians of ${samples} fresh instances (ms)`);
for (const bucket of ['mod', 'explicit']) {
  for (const dtype of ['f32', 'i8']) {
    for (const ids of [false, true]) {
      const name = `${dtype} ${ids ? 'ids' : 'no-ids'} ${bucket}`;
      if (!filter.every((w) => name.split(' ').includes(w))) continue;
      const x = await measureConfig({ dtype, ids, bucket, samples, wasmBytes, sharedModule });
      console.log(`${name.padEnd(22)} ${mib(x.fileBytes)} MiB  ready ${x.ready.toFixed(1)} (cpu ${x.readyCpu.toFixed(1)})  first ${x.first.toFixed(2)} (cpu ${x.firstCpu.toFixed(2)})  warm ${x.warm.toFixed(2)} (cpu ${x.warmCpu.toFixed(2)})  first/warm ${(x.first / x.warm).toFixed(1)}x  last byte->answer ${x.answer.toFixed(1)}  wasm memory ${mib(x.memLoaded)} -> ${mib(x.memRanked)} MiB`);
    }
  }
}
