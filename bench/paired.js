// The pairs the targets compare, timed in alternation (bench/lib/paired.js)
// at n = 1M: memcom (full, 16x f32, 16x int8; wasm SIMD) against
// onnxruntime-web on the full table and on the memcom graph, and against
// native C on the same file (as built, and kept to 128-bit SIMD).  Each
// engine is rebuilt in the form that won its row and checked against the
// reference again before it is timed.

import { checkTopK } from './lib/check.js';
import { pairedRatio } from './lib/paired.js';
import { timeQuery } from './lib/timing.js';
import { memcomEngine } from './engines/memcom.js';
import { fullTableGraph, memcomGraph } from './onnx-graph.js';
import { ortEngine } from './peers/ort.js';
import { runNativeAgain } from './native/native.js';

const TURN_MS = 250;
const ROUNDS = 7;

async function checked(make, ref, u) {
  const e = await make();
  const v = checkTopK(ref, await e.query(u));
  if (!v.ok) {
    await e.dispose();
    throw new Error(`wrong answer: ${v.why}`);
  }
  return e;
}

const jsTurn = (e, u) => async () => (await timeQuery(() => e.query(u), { budgetMs: TURN_MS, warmup: 2 })).median;

export async function pairedTargets({ setup, rows, native, k, log }) {
  const { wl, ref, E, u, history, exclude, extra, tables } = setup;
  const { n, d } = wl;
  const best = (group) => rows.find((r) => r.group === group && r.median !== undefined);
  const engines = [];
  const out = [];
  try {
    const sides = {};
    for (const [key, label, bytes] of tables) {
      const e = await checked(() => memcomEngine(bytes, { simd: true, k, history }), ref, u);
      engines.push(e);
      sides[key] = { engine: `memcom ${label} SIMD`, turn: jsTurn(e, u) };
    }
    const ortFull = best('ort-full');
    if (ortFull) {
      const e = await checked(() => ortEngine(fullTableGraph({ E, bias: wl.bias, n, d, k: k + extra, layout: ortFull.form }), { d, k, exclude }), ref, u);
      engines.push(e);
      sides.ortFull = { engine: ortFull.engine, turn: jsTurn(e, u) };
    }
    const ortMemcom = best('ort-memcom');
    if (ortMemcom) {
      const [layout, indexType] = ortMemcom.form.split('/');
      const e = await checked(() => ortEngine(memcomGraph({ ...wl, k: k + extra, layout, indexType }), { d, k, exclude }), ref, u);
      engines.push(e);
      sides.ortMemcom = { engine: ortMemcom.engine, turn: jsTurn(e, u) };
    }
    if (native) {
      for (const [group, exe] of [['native', native.exe], ['native-128', native.exe128]]) {
        for (const [key] of tables) {
          const row = rows.find((r) => r.group === group && r.table === key && r.median !== undefined);
          if (!row) continue;
          sides[`${group}-${key}`] = {
            engine: row.engine,
            turn: () => runNativeAgain(exe, native.dir, { name: `${n}-${d}-${key}`, k, budgetMs: TURN_MS }).median,
          };
        }
      }
    }
    const pairs = [['full', 'ortFull'], ['f32', 'ortFull'], ['i8', 'ortFull'], ['f32', 'ortMemcom'],
      ['full', 'native-full'], ['f32', 'native-f32'], ['i8', 'native-i8'],
      ['full', 'native-128-full'], ['f32', 'native-128-f32'], ['i8', 'native-128-i8']];
    for (const [a, b] of pairs) {
      if (!sides[a] || !sides[b]) continue;
      const p = await pairedRatio(sides[a].turn, sides[b].turn, { rounds: ROUNDS });
      out.push({ n, d, a: sides[a].engine, b: sides[b].engine, ...p });
      log(`  paired ${sides[a].engine} / ${sides[b].engine}: ${p.ratio.toFixed(2)}x (rounds ${p.ratios.map((x) => x.toFixed(2)).join(' ')})`);
    }
  } finally {
    for (const e of engines) await e.dispose();
  }
  return out;
}
