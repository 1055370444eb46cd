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
