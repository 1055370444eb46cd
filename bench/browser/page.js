// The browser side of bench/browser.js: the same workload, engines and
// answer check as the Node run, inside the page.

import { measure } from '../lib/measure.js';
import { prepareRanking, measureMemcom } from '../lib/setup.js';
import { plainFullEngine, plainMemcomEngine } from '../engines/plainjs.js';

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function ortGraph(entry) {
  const externalData = [];
  for (const x of entry.external) externalData.push({ path: x.path, data: await fetchBytes(x.url) });
  return { model: await fetchBytes(entry.model), externalData };
}

async function runBench({ n, d, k, manifest, budgetMs }) {
  const setup = await prepareRanking({ n, d, k });
  const { wl, ref, E, u, exclude, extra, base } = setup;
  const rows = [];
  await measureMemcom(setup, { k, budgetMs }, (r) => rows.push(r));
  const { ortEngine } = await import('../peers/ort.js');
  rows.push(await measure({ ...base, engine: 'onnxruntime-web full f32', group: 'ort-full' },
    async () => ortEngine(await ortGraph(manifest.full), { d, k, exclude }), ref, u, budgetMs));
  rows.push(await measure({ ...base, engine: 'onnxruntime-web memcom graph', group: 'ort-memcom' },
    async () => ortEngine(await ortGraph(manifest.memcom), { d, k, exclude }), ref, u, budgetMs));
  let tfjs = null;
  try {
    tfjs = await import('../peers/tfjs.js');
  } catch (e) {
    rows.push({ ...base, engine: 'tfjs-backend-wasm full f32', group: 'tfjs', status: 'error', why: `cannot load in the page: ${e.message}` });
  }
  if (tfjs) {
    rows.push(await measure({ ...base, engine: 'tfjs-backend-wasm full f32', group: 'tfjs', note: 'form: pretransposed' },
      () => tfjs.tfjsEngine({ E, bias: wl.bias, n, d, k, exclude, extra, layout: 'pretransposed' }), ref, u, budgetMs));
  }
  rows.push(await measure({ ...base, engine: 'plain JS full f32', group: 'js-full' },
    () => plainFullEngine({ E, bias: wl.bias, n, d, k, exclude }), ref, u, budgetMs));
  rows.push(await measure({ ...base, engine: 'plain JS memcom 16x f32', group: 'js-memcom' },
    () => plainMemcomEngine({ ...wl, k, exclude }), ref, u, budgetMs));
  return rows;
}

window.runBench = runBench;
window.benchReady = true;

// The user-facing benchmark's headline catalogue (bench/browser.js,
// browserUsers): memcom's defaults, onnxruntime-web and TF.js on the full
// table, bench/lib/alternate.js's passes; every answer goes back to Node,
// which checks it against the float64 reference.
async function runUsers({ files, n, d, k, extra }) {
  const { memcomEngine } = await import('../engines/memcom.js');
  const { ortEngine } = await import('../peers/ort.js');
  const { tfjsEngine } = await import('../peers/tfjs.js');
  const { checkPass, timedPass } = await import('../lib/alternate.js');
  const raw = await (await fetch(files.queries)).json();
  const queries = raw.map((q) => ({ u: Float32Array.from(q.u), exclude: Uint32Array.from(q.exclude), excludeSet: new Set(q.exclude) }));
  const sides = [];
  const add = async (side, make) => {
    const t = performance.now();
    const engine = await make();
    sides.push({ ...side, engine, loadMs: performance.now() - t });
  };
  for (const dtype of ['f32', 'i8']) {
    const bytes = await fetchBytes(files[dtype]);
    await add({ key: dtype, dtype, memcom: true, fileBytes: bytes.length }, () => memcomEngine(bytes, { simd: true, k, history: [] }));
  }
  await add({ key: 'ort', dtype: 'f32', memcom: false }, async () => ortEngine(await ortGraph(files.ort), { d, k, exclude: new Set() }));
  const E = new Float32Array((await fetchBytes(files.E)).buffer);
  const bias = new Float32Array((await fetchBytes(files.bias)).buffer);
  await add({ key: 'tfjs', dtype: 'f32', memcom: false }, () => tfjsEngine({ E, bias, n, d, k, exclude: new Set(), extra, layout: 'pretransposed' }));
  const answers = Object.fromEntries(sides.map((s) => [s.key, []]));
  await checkPass(sides, queries, (s, qi, got) => {
    answers[s.key][qi] = Array.from(got, Number);
    return null;
  });
  await timedPass(sides, queries);
  for (const s of sides) await s.engine.dispose();
  return {
    answers,
    sides: sides.map((s) => ({ key: s.key, loadMs: s.loadMs, firstMs: s.firstMs, fileBytes: s.fileBytes, ms: Array.from(s.ms) })),
    isolated: self.crossOriginIsolated,
  };
}

/** Last byte to first answer: the model fetched from the server (streamed,
 * with its Content-Length) into a fresh instance of the module, compiled
 * beforehand; "last byte" is when the body reported its end. */
async function firstAnswer({ url, histories, k }) {
  const { loadModel } = await import('../../web/index.js');
  const out = [];
  for (const ids of histories) {
    const module = await WebAssembly.compileStreaming(fetch('/dist/memcom-simd.wasm'));
    const res = await fetch(url);
    const reader = res.body.getReader();
    let last = NaN;
    const body = new ReadableStream({
      async pull(c) {
        const { done, value } = await reader.read();
        if (done) {
          last = performance.now();
          c.close();
        } else c.enqueue(value);
      },
    });
    const streamed = new Response(body, { headers: { 'content-length': res.headers.get('content-length'), 'content-type': 'application/octet-stream' } });
    const model = await loadModel(streamed, { wasm: module, simd: true });
    const ready = performance.now();
    const answer = model.recommend(ids, { k });
    const answered = performance.now();
    model.dispose();
    out.push({ toReady: ready - last, toAnswer: answered - last, answer: answer.map((r) => ({ index: r.index })) });
  }
  return out;
}

window.runUsers = runUsers;
window.firstAnswer = firstAnswer;
