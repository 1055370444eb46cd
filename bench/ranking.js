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
import { runNative, runNativeAgain } from './native/native.js';
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
    // the library as built, then (when its kernels differ: x86-64 with AVX2)
    // kept to 128-bit SIMD, the width of wasm SIMD
    for (const [key, label, bytes] of tables) {
      const name = `${n}-${d}-${key}`;
      const timed = (row, run) => {
        try {
          const r = run();
          const verdict = checkTopK(ref, r.top);
          return verdict.ok ? { ...row, ...r, status: verdict.exact ? 'exact' : 'ties', note: `kernel ${r.kernel}` } : { ...row, status: 'wrong', why: verdict.why };
        } catch (e) {
          return { ...row, status: 'error', why: String(e?.stderr ?? e?.message ?? e).split('\n')[0] };
        }
      };
      const main = timed({ ...base, engine: `native C ${label}`, group: 'native', table: key },
        () => runNative(native.exe, native.dir, { modelBytes: bytes, name, u, history, k: K, budgetMs }));
      add(main);
      if (native.exe128 && main.kernel) {
        const r128 = timed({ ...base, engine: `native C ${label}, 128-bit SIMD`, group: 'native-128', table: key },
          () => runNativeAgain(native.exe128, native.dir, { name, k: K, budgetMs }));
        if (r128.kernel !== main.kernel) add(r128);
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
