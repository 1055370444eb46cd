// The speed targets of `npm run bench` (bench/lib/user-targets.js): each
// verdict follows the rows it is given, at and around its threshold, on
// hand-made rows (no timing).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { evaluateUserTargets, SLOWER } from '../../bench/lib/user-targets.js';

// one memcom/peer row as bench/lib/alternate.js's summarise makes it
const row = (key, median, extra = {}) => ({ key, engine: key === 'ort' ? 'onnxruntime-web, full f32 table' : `memcom, ${key}`, median, p95: median * 1.5, firstMs: median, queries: 200, ...extra });

/** A group whose memcom rows run `x` times faster than ORT (40 ms), with the off-forms `off` times slower than the defaults. */
function group(key, kind, x, { off = 1.2, k = 10, first = 1, title = key } = {}) {
  const ort = 40;
  const m = ort / x;
  const rows = [
    row('f32', m, { vsOrt: x, vsOrtPerQuery: x, firstMs: m * first }),
    row('i8', m, { vsOrt: x, vsOrtPerQuery: x, firstMs: m * first }),
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

test('first ranking within 2x of warm, on trained catalogues only', () => {
  const ok = evaluateUserTargets({ groups: [group('a-16x', 'trained', 40, { first: 2 }), group('b-16x', 'adversarial', 40, { first: 9 })], firstAnswer: [], browsers: [] });
  assert.deepEqual(find(ok, 'first ranking').map((x) => x.pass), [true, true]);
  const slow = evaluateUserTargets({ groups: [group('a-16x', 'trained', 40, { first: 2.01 })], firstAnswer: [], browsers: [] });
  assert.deepEqual(find(slow, 'first ranking').map((x) => x.pass), [false, false]);
  assert.match(find(slow, 'first ranking')[0].detail, /a-16x 2\.0x/);
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
