// node bench/native/kernels.js [--n N] [--d D] [--budget MS] [--table f32|i8|full]...
// Only the rows that compare the kernel sets: memcom SIMD and no-SIMD (wasm)
// against native C (as built, and kept to 128-bit SIMD when that differs) on
// the ranking benchmark's workload (1M items, d = 64, 16x f32 by default),
// each answer checked against the float64 reference first.
// A quick check after a kernel change; `npm run bench` is the full run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkTopK } from '../lib/check.js';
import { measure } from '../lib/measure.js';
import { prepareRanking } from '../lib/setup.js';
import { memcomEngine } from '../engines/memcom.js';
import { compileNative, nativeAvailable, runNative, runNativeAgain } from './native.js';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const n = Number(opt('--n', 1_000_000));
const d = Number(opt('--d', 64));
const budgetMs = Number(opt('--budget', 400));
const keys = args.flatMap((a, i) => (args[i - 1] === '--table' ? [a] : []));
const K = 10;

const setup = prepareRanking({ n, d, k: K });
const { ref, u, history, base } = setup;
const tables = setup.tables.filter(([key]) => (keys.length ? keys : ['f32']).includes(key));
const tmp = mkdtempSync(join(tmpdir(), 'memcom-kbench-'));
const show = (r) => console.log(`${r.engine.padEnd(34)} ${r.median !== undefined ? r.median.toFixed(3).padStart(8) + ' ms' : `${r.status}: ${r.why}`}${r.kernel ? `  (${r.kernel})` : ''}`);
try {
  if (!nativeAvailable()) throw new Error('src/sources.sh is missing');
  const native = compileNative();
  console.log(`n = ${n}, d = ${d}; native: ${native.flags}`);
  for (const [key, label, bytes] of tables) {
    for (const simd of [true, false]) {
      show(await measure({ ...base, engine: `wasm ${label} ${simd ? 'SIMD' : 'no-SIMD'}` }, () => memcomEngine(bytes, { simd, k: K, history }), ref, u, budgetMs));
    }
    const r = runNative(native.exe, tmp, { modelBytes: bytes, name: key, u, history, k: K, budgetMs });
    const verdict = checkTopK(ref, r.top);
    show(verdict.ok ? { engine: `native C ${label}`, ...r } : { engine: `native C ${label}`, status: 'wrong', why: verdict.why });
    const r128 = runNativeAgain(native.exe128, tmp, { name: key, k: K, budgetMs });
    if (r128.kernel !== r.kernel) {
      const v128 = checkTopK(ref, r128.top);
      const engine = `native C ${label}, 128-bit SIMD`;
      show(v128.ok ? { engine, ...r128 } : { engine, status: 'wrong', why: v128.why });
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
