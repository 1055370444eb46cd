// The speed targets of `npm run bench` (bench/lib/user-targets.js): each
// verdict follows the rows it is given, at and around its threshold, on
// hand-made rows (no timing).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { evaluateUserTargets, SLOWER } from '../../bench/lib/user-targets.js';
import { rankerTable } from '../../bench/lib/user-report.js';

// one memcom/peer row as bench/lib/alternate.js's summarise makes it
const row = (key, median, extra = {}) => ({ key, engine: key === 'ort' ? 'onnxruntime-web, full f32 table' : `memcom, ${key}`, median, p95: median * 1.5, firstMs: median, queries: 200, ...extra });

/** A group whose memcom rows run `x` times faster than ORT (40 ms), with the off-forms `off` times slower than the defaults. */
function group(key, kind, x, { off = 1.2, k = 10, first = 1, afterPeers = 1, title = key } = {}) {
  const ort = 40;
  const m = ort / x;
  // first: the first ranking right after a load (the median of three loads) over the median; afterPeers: the in-run one
  const fresh = { freshFirstMs: m * first, freshFirstAll: [m, m * first, m * first * 3] };
  const rows = [
    row('f32', m, { vsOrt: x, vsOrtPerQuery: x, firstMs: m * afterPeers, ...fresh }),
    row('i8', m, { vsOrt: x, vsOrtPerQuery: x, firstMs: m * afterPeers, ...fresh }),
    row('f32-noindex', m * off), row('f32-nobounds', m * off * 2), row('i8-nobounds', m * off),
    row('ort', ort),
  ];
  return { key, kind, k, title, rows };
}

const find = (targets, part) => targets.filter((t) => t.name.includes(part));

test('16x, adversarial and 4x ratios: PASS at the threshold, MISS just below it', () => {
  const groups = [group('learned-16x', 'trained', 40), group('mod-16x', 'trained', 39.9), group('learned-16x-signs', 'adversarial', 10),
    group('learned-4x-signs', 'adversarial', 9.99), group('learned-4x', 'trained', 8), group('mod-4x', 'trained', 7.99), group('learned-40x', 'trained', 100)];
  const t = evaluateUserTargets({ groups, firstAnswer: [], browsers: [] });
  const verdict = (title, part) => t.filter((x) => x.name.startsWith(title) && x.name.includes(part)).map((x) => x.pass);
  assert.deepEqual(verdict('learned-16x,', '>= 40x'), [true, true]);
  assert.deepEqual(verdict('mod-16x,', '>= 40x'), [false, false]);
  assert.deepEqual(verdict('learned-16x-signs', '>= 10x'), [true, true]);
  assert.deepEqual(verdict('learned-4x-signs', '>= 10x'), [false, false]);
  assert.deepEqual(verdict('learned-4x,', '>= 8x'), [true, true]);
  assert.deepEqual(verdict('mod-4x,', '>= 8x'), [false, false]);
  // 40x has no ratio target of its own; the 16x ones judge p95 too (40 / 40 * 1.5 ms = 1.5 ms: over 1 ms)
  assert.equal(t.filter((x) => x.name.startsWith('learned-40x')).length, 0);
  assert.deepEqual(verdict('learned-16x,', 'p95 < 1 ms'), [false, false]);
});

test('first ranking within 2x of warm, on trained catalogues only, judged right after a load', () => {
  const ok = evaluateUserTargets({ groups: [group('a-16x', 'trained', 40, { first: 2 }), group('b-16x', 'adversarial', 40, { first: 9 })], firstAnswer: [], browsers: [] });
  assert.deepEqual(find(ok, 'first ranking').map((x) => x.pass), [true, true]);
  const slow = evaluateUserTargets({ groups: [group('a-16x', 'trained', 40, { first: 2.01 })], firstAnswer: [], browsers: [] });
  assert.deepEqual(find(slow, 'first ranking').map((x) => x.pass), [false, false]);
  assert.match(find(slow, 'first ranking')[0].detail, /a-16x 2\.0x/);
  // the first ranking after the peers' loads is reported beside it, not judged
  const peers = evaluateUserTargets({ groups: [group('a-16x', 'trained', 40, { first: 1.5, afterPeers: 4.7 })], firstAnswer: [], browsers: [] });
  assert.deepEqual(find(peers, 'first ranking').map((x) => x.pass), [true, true]);
  assert.match(find(peers, 'first ranking')[0].detail, /median of 3 loads.*after the peers loaded \(one sample\) the worst is 4\.7x \(a-16x\)/);
  // a row without the right-after-load figure cannot be judged
  const none = group('a-16x', 'trained', 40);
  for (const r of none.rows) delete r.freshFirstMs;
  assert.deepEqual(find(evaluateUserTargets({ groups: [none], firstAnswer: [], browsers: [] }), 'first ranking').map((x) => x.pass), [false, false]);
});

test('defaults never slower than an accelerator-off form, beyond the stated margin', () => {
  const at = (off) => find(evaluateUserTargets({ groups: [group('learned-16x', 'trained', 40, { off })], firstAnswer: [], browsers: [] }), 'never slower');
  assert.deepEqual(at(1 / SLOWER).map((x) => x.pass), [true, true]); // slower by exactly the margin
  assert.deepEqual(at(1 / (SLOWER + 0.01)).map((x) => x.pass), [false, false]);
  assert.deepEqual(at(0.5).map((x) => x.pass), [false, false]);
});

test('last byte to first answer and Chromium against Node', () => {
  const fa = (dtype, toAnswer, check = 'exact') => ({ dtype, toAnswer, toReady: toAnswer - 2, toAnswerAll: [toAnswer], check });
  const head = group('learned-16x', 'trained', 40);
  const chromium = { browser: 'Chromium', rows: [row('f32', 1.3, { vsOrt: 30 }), row('i8', 1.31, { vsOrt: 30 })], firstAnswer: [fa('f32', 49)] };
  const t = evaluateUserTargets({ groups: [head], firstAnswer: [fa('f32', 50), fa('i8', 50.1), fa('i8', 10, 'WRONG: got 1 want 2')], browsers: [chromium, { browser: 'Firefox', error: 'not installed' }] });
  assert.deepEqual(find(t, '(Node)').map((x) => x.pass), [true, false, false]);
  assert.deepEqual(find(t, '(Chromium)').map((x) => x.pass), [true]);
  assert.equal(find(t, 'Firefox').length, 0);
  // Node's rows take 1 ms (40 ms / 40): 1.3 ms passes, 1.31 ms does not
  assert.deepEqual(find(t, 'within 1.3x of Node').map((x) => x.pass), [true, false]);
});

test('a missing or wrong row is a MISS, never a PASS', () => {
  const g = group('learned-16x', 'trained', 40);
  g.rows[0] = { key: 'f32', engine: 'memcom, f32', status: 'wrong', why: 'query 1' };
  const t = evaluateUserTargets({ groups: [g], firstAnswer: [], browsers: [] });
  const f32 = t.filter((x) => x.name.includes('f32 rows') && x.name.startsWith('learned-16x'));
  assert.ok(f32.length >= 2 && f32.every((x) => !x.pass && x.value === 'n/a'));
});

// bench/ranker.js's result, hand-made: the 20,000-item table with onnxruntime-web
// on two of its cases (two forms each), and the two-stage table
function ranker({ scoring = 2, twoStage = 1.5, concat = 6, split = 8, wrong = null } = {}) {
  const r = (c, engine, median, extra = {}) => ({ case: c, engine, median, alone: median, kb: 100, ok: true, exact: true, simd: engine === 'wasm SIMD' ? true : engine === 'wasm scalar' ? false : undefined, peer: engine.startsWith('onnx'), ...extra });
  const scoringRows = [];
  for (const c of ['full f32', 'memcom 32x', 'hash']) {
    scoringRows.push(r(c, 'wasm SIMD', c === wrong ? undefined : scoring, c === wrong ? { ok: false, exact: false, why: 'query 2: position 3' } : {}));
    scoringRows.push(r(c, 'wasm scalar', 50)); // slow, and not judged
    if (c !== 'hash') scoringRows.push(r(c, 'onnxruntime-web, concat', concat), r(c, 'onnxruntime-web, split', split));
  }
  return {
    hidden: 64, d: 64, k: 10,
    tables: [
      { key: 'scoring', title: 'every item', n: 20_000, queries: 20, rows: scoringRows },
      { key: 'two-stage', title: 'two-stage', n: 1_000_000, depth: 500, queries: 20, rows: [r('memcom 32x, R = 500', 'wasm SIMD', twoStage), r('memcom 32x, R = 500', 'wasm scalar', 9)] },
    ],
  };
}
const rankerVerdicts = (opts) => {
  const t = evaluateUserTargets({ groups: [], firstAnswer: [], browsers: [], ranker: ranker(opts) }).filter((x) => x.name.startsWith('ranker'));
  return {
    all: t,
    scoring: find(t, 'every item scored').filter((x) => x.name.endsWith('ms per query')).map((x) => x.pass),
    twoStage: find(t, 'two-stage').map((x) => x.pass),
    vsOrt: find(t, 'onnxruntime-web items/s').map((x) => x.pass),
  };
};

test('ranker: 2 ms scoring 20,000 items and 1.5 ms two-stage in wasm SIMD, >= 3x onnxruntime-web, at and just past the limits', () => {
  const at = rankerVerdicts();
  assert.deepEqual(at.scoring, [true, true, true], 'one per SIMD case; the scalar rows are not judged');
  assert.deepEqual(at.twoStage, [true]);
  assert.deepEqual(at.vsOrt, [true, true], 'judged where onnxruntime-web ran the case: 6 ms / 2 ms = 3.0x');
  assert.ok(at.all.every((x) => x.name.includes('wasm SIMD')));
  assert.match(find(at.all, 'onnxruntime-web items/s')[0].detail, /concat/, 'against the faster onnxruntime-web form');
  const past = rankerVerdicts({ scoring: 2.001, twoStage: 1.501, concat: 9, split: 6.0 });
  assert.deepEqual(past.scoring, [false, false, false]);
  assert.deepEqual(past.twoStage, [false]);
  assert.deepEqual(past.vsOrt, [false, false], '6.0 ms / 2.001 ms is just under 3x, the faster form being split');
  assert.match(find(past.all, 'onnxruntime-web items/s')[0].detail, /split/);
});

test('ranker: a wrong answer is a MISS, never a PASS; no ranker run, no ranker targets', () => {
  const t = rankerVerdicts({ wrong: 'memcom 32x' });
  const bad = t.all.filter((x) => x.name.includes(', memcom 32x, wasm'));
  assert.equal(bad.length, 2);
  assert.ok(bad.every((x) => !x.pass && x.value === 'n/a' && /query 2/.test(x.detail)));
  assert.deepEqual(t.scoring, [true, false, true]);
  assert.equal(evaluateUserTargets({ groups: [], firstAnswer: [], browsers: [] }).filter((x) => x.name.startsWith('ranker')).length, 0);
});

test('ranker: the report\'s table gives each row its time and its items/s over the faster onnxruntime-web form', () => {
  const lines = rankerTable(ranker().tables[0]).split('\n');
  const line = (c, engine) => lines.find((l) => l.startsWith(`| ${c} | ${engine} |`));
  assert.match(line('full f32', 'wasm SIMD'), /\| \*\*2\.00\*\* \| 2\.00 \| \*\*3\.0x\*\* \| same top-10, every query \|$/);
  assert.match(line('full f32', 'wasm scalar'), /\| \*\*0\.1x\*\* \|/, '6 ms / 50 ms');
  assert.match(line('hash', 'wasm SIMD'), /\| — \| same top-10/, 'no peer on this case');
  const wrong = rankerTable(ranker({ wrong: 'hash' }).tables[0]).split('\n').find((l) => l.startsWith('| hash | wasm SIMD |'));
  assert.match(wrong, /\*\*WRONG\*\*: query 2/);
});
