// The ranking benchmark for one catalogue (n items, dimension d): every
// engine answers the same query (top-10 of E·u + bias, history excluded),
// its answer is checked against the float64 reference, and only then timed.

import { checkTopK } from './lib/check.js';
import { measure, fastestOf } from './lib/measure.js';
import { prepareRanking, measureMemcom } from './lib/setup.js';
import { plainFullEngine, plainMemcomEngine } from './engines/plainjs.js';
import { fullTableGraph, memcomGraph } from './onnx-graph.js';
import { ortEngine } from './peers/ort.js';
import { tfjsEngine, TFJS_LAYOUTS } from './peers/tfjs.js';
import { runNative } from './native/native.js';
import { pairedTargets } from './paired.js';

const K = 10;
const PAIRED_N = 1_000_000; // the targets' catalogue size
const ORT_FULL_LAYOUTS = ['matmul', 'gemm'];
// int64 indices were tried during development: never faster than int32
const ORT_MEMCOM_FORMS = [
  { layout: 'matmul', indexType: 'int32' },
  { layout: 'gemm', indexType: 'int32' },
];

/**
 * @param {{n: number, d: number, budgetMs: number, native?: {exe: string, dir: string}, log: Function}} cfg
 * @returns {Promise<{rows: object[], paired: object[]}>} the rows, and at n = 1M the pairs the targets compare
 */
export async function rankingBenchmark({ n, d, budgetMs, native, log }) {
  const t0 = performance.now();
  const setup = await prepareRanking({ n, d, k: K });
  const { wl, ref, E, u, history, exclude, extra, base, tables } = setup;
  const rows = [];
  const add = (r) => {
    rows.push(r);
    log(`  ${r.engine.padEnd(40)} ${r.median !== undefined ? r.median.toFixed(3).padStart(9) + ' ms' : r.status + ': ' + r.why}`);
  };

  await measureMemcom(setup, { k: K, budgetMs }, add);
  if (native) {
    for (const [key, label, bytes] of tables) {
      const row = { ...base, engine: `native C ${label}`, group: 'native', table: key };
      try {
        const r = runNative(native.exe, native.dir, { modelBytes: bytes, name: `${n}-${d}-${key}`, u, history, k: K, budgetMs });
        const verdict = checkTopK(ref, r.top);
        add(verdict.ok ? { ...row, ...r, status: verdict.exact ? 'exact' : 'ties', note: `kernel ${r.kernel}` } : { ...row, status: 'wrong', why: verdict.why });
      } catch (e) {
        add({ ...row, status: 'error', why: String(e?.stderr ?? e?.message ?? e).split('\n')[0] });
      }
    }
  }

  add(await fastestOf({ ...base, engine: 'onnxruntime-web full f32', group: 'ort-full' },
    ORT_FULL_LAYOUTS.map((layout) => ({
      label: layout,
      make: () => ortEngine(fullTableGraph({ E, bias: wl.bias, n, d, k: K + extra, layout }), { d, k: K, exclude }),
    })), ref, u, budgetMs));
  add(await fastestOf({ ...base, engine: 'onnxruntime-web memcom graph', group: 'ort-memcom' },
    ORT_MEMCOM_FORMS.map((f) => ({
      label: `${f.layout}/${f.indexType}`,
      make: () => ortEngine(memcomGraph({ ...wl, k: K + extra, ...f }), { d, k: K, exclude }),
    })), ref, u, budgetMs));
  add(await fastestOf({ ...base, engine: 'tfjs-backend-wasm full f32', group: 'tfjs' },
    TFJS_LAYOUTS.map((layout) => ({
      label: layout,
      make: () => tfjsEngine({ E, bias: wl.bias, n, d, k: K, exclude, extra, layout }),
    })), ref, u, budgetMs));

  add(await measure({ ...base, engine: 'plain JS full f32', group: 'js-full' },
    () => plainFullEngine({ E, bias: wl.bias, n, d, k: K, exclude }), ref, u, budgetMs));
  add(await measure({ ...base, engine: 'plain JS memcom 16x f32', group: 'js-memcom' },
    () => plainMemcomEngine({ ...wl, k: K, exclude }), ref, u, budgetMs));
  const paired = n === PAIRED_N ? await pairedTargets({ setup, rows, native, k: K, log }) : [];
  log(`  (${((performance.now() - t0) / 1e3).toFixed(1)} s with setup)`);
  return { rows, paired };
}
