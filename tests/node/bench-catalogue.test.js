// The user-facing benchmark's workload (bench/lib/catalogue.js, bench/native/
// dump_model.c): resampled catalogues keep every item's trained w, bias and
// bucket, the adversarial variants change what they say, and the dumper
// reads back what buildModel wrote.  Checked against small hand-made tables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildModel } from '../../web/index.js';
import { resample, signMixed, withDecoys, bucketsOf } from '../../bench/lib/catalogue.js';
import { referenceScores, int8Rows } from '../../bench/lib/workload.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// a "trained" table: 10 items, 3 rows, d = 2; row r = [r + 1, -(r + 1)]
function trainedTable(bucketMode) {
  const nS = 10, m = 3, d = 2;
  const rows = [1, -1, 2, -2, 3, -3];
  const w = Array.from({ length: nS }, (_, i) => (i % 2 ? -1 : 1) * (0.5 + i / 10));
  const buckets = bucketMode === 'mod' ? Array.from({ length: nS }, (_, i) => i % m) : [2, 0, 1, 1, 2, 0, 0, 2, 1, 0];
  return { out: { kind: 'memcom', n: nS, m, d, rowDtype: 'f32', bucketMode, rows, w, buckets }, bias: Array.from({ length: nS }, (_, i) => -i / 100) };
}

const rowOf = (cat, r) => Array.from(cat.U.subarray(r * cat.d, r * cat.d + cat.d));

for (const mode of ['explicit', 'mod']) {
  test(`resample (${mode} buckets): every item keeps its trained bias, bucket row and w (within 0.5%)`, () => {
    const { out, bias } = trainedTable(mode);
    const n = 47;
    const cat = resample(out, bias, { n });
    const C = Math.ceil(n / out.n);
    assert.equal(cat.m, C * out.m);
    assert.equal(cat.rowPeriod, out.m);
    assert.equal(cat.buckets === null, mode === 'mod');
    const bk = bucketsOf(cat);
    const copies = new Array(out.n).fill(0);
    for (let j = 0; j < n; j++) {
      const s = cat.source[j];
      copies[s]++;
      assert.equal(cat.bias[j], Math.fround(bias[s]));
      if (mode === 'mod') assert.equal(bk[j], j % cat.m);
      assert.equal(bk[j] % out.m, out.buckets[s], `item ${j}: its trained bucket`);
      assert.deepEqual(rowOf(cat, bk[j]), out.rows.slice(out.buckets[s] * 2, out.buckets[s] * 2 + 2));
      if (cat.copy[j] === 0) {
        assert.equal(cat.w[j], Math.fround(out.w[s]));
        assert.equal(cat.first[s], j);
      } else {
        assert.ok(Math.abs(cat.w[j] / out.w[s] - 1) <= 0.005 + 1e-7, `item ${j}: w ${cat.w[j]} vs trained ${out.w[s]}`);
      }
      if (mode === 'explicit' && j > 0) assert.ok(cat.source[j] >= cat.source[j - 1], 'popularity order kept');
    }
    // explicit: C slots per trained item, in popularity order; mod: the items of each row's bucket in turn
    for (let s = 0; s < out.n; s++) assert.ok(copies[s] >= 1 && (mode === 'mod' || copies[s] <= C), `trained item ${s}: ${copies[s]} copies`);
  });
}

test('the float64 reference dots each distinct row once when rows repeat, with the same scores', () => {
  const { out, bias } = trainedTable('explicit');
  const cat = resample(out, bias, { n: 40 });
  const u = new Float32Array([0.25, -1.5]);
  const a = referenceScores({ ...cat, u });
  const b = referenceScores({ ...cat, u, rowPeriod: undefined });
  assert.deepEqual(Array.from(a), Array.from(b));
  // by hand: item 0 is trained item 0's first copy: w 0.5, bucket 2 (row [3, -3]), bias 0
  assert.equal(a[0], 0.5 * (3 * 0.25 + -3 * -1.5));
});

test('signMixed flips the sign of w for every second item of each bucket, and nothing else', () => {
  const { out, bias } = trainedTable('explicit');
  const cat = resample(out, bias, { n: 40 });
  const mixed = signMixed(cat);
  const seen = new Map();
  for (let j = 0; j < cat.n; j++) {
    const b = cat.buckets[j];
    const k = seen.get(b) ?? 0;
    seen.set(b, k + 1);
    assert.equal(mixed.w[j], k % 2 ? -cat.w[j] : cat.w[j]);
  }
  assert.equal(mixed.buckets, cat.buckets);
  assert.equal(mixed.bias, cat.bias);
});

test('withDecoys: every 100th item copies a popular item\'s bucket and w, with a lower bias; first copies stay', () => {
  const { out, bias } = trainedTable('explicit');
  const cat = resample(out, bias, { n: 1000 });
  const dec = withDecoys(cat, { every: 100, top: 3 });
  let changed = 0;
  for (let j = 0; j < cat.n; j++) {
    if (dec.bias[j] === cat.bias[j] && dec.w[j] === cat.w[j] && dec.buckets[j] === cat.buckets[j]) continue;
    changed++;
    assert.equal(j % 100, 50);
    const p = [0, 1, 2].map((s) => cat.first[s]).find((q) => dec.w[j] === cat.w[q] && dec.buckets[j] === cat.buckets[q]);
    assert.notEqual(p, undefined, `decoy ${j} copies one of the 3 most popular items`);
    assert.ok(dec.bias[j] < cat.bias[p] && cat.bias[p] - dec.bias[j] < 2e-4 * (1 + Math.abs(cat.bias[p])));
  }
  assert.equal(changed, dec.decoys);
  assert.ok(changed >= 8);
  for (const j of cat.first) assert.equal(dec.bias[j], cat.bias[j]);
});

test('bench/native/dump_model reads back what buildModel wrote (explicit and mod buckets, f32 / f16 scalars, int8 rows)', async () => {
  const exe = join(ROOT, 'build', 'bench', 'dump_model');
  if (!existsSync(exe)) execFileSync('bash', [join(ROOT, 'build.sh'), 'bench'], { cwd: ROOT, stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'memcom-dump-'));
  try {
    const n = 7, m = 3, d = 4;
    const rows = Float32Array.from({ length: m * d }, (_, i) => (i % 5) - 2.25);
    const scalars = Float32Array.from({ length: n }, (_, i) => 0.5 + i / 4); // f16-exact
    const buckets = Uint16Array.from([2, 0, 1, 1, 2, 0, 0]);
    const outputBias = Float32Array.from({ length: n }, (_, i) => i / 8);
    const weight = Float32Array.from({ length: d * d }, (_, i) => i / 16);
    const cases = [
      { input: { kind: 'memcom', n, m, d, rows, scalars, bucket: buckets, scalarDtype: 'f16' }, output: { kind: 'memcom', n, m, d, rows, scalars, dtype: 'i8' } },
      { input: null, output: { kind: 'memcom', n, m, d, rows, scalars, bucket: buckets } },
    ];
    for (const [c, spec] of cases.entries()) {
      const file = join(dir, `${c}.memcom`);
      const layers = spec.input ? [{ inDim: d, outDim: d, activation: 'tanh', weight }] : [];
      writeFileSync(file, await buildModel({ ...spec, layers, outputBias }));
      const j = JSON.parse(execFileSync(exe, [file], { encoding: 'utf8' }));
      assert.equal(j.n, n);
      for (const side of ['input', 'output']) {
        const t = spec[side];
        if (!t) {
          assert.equal(j[side], null);
          continue;
        }
        assert.equal(j[side].kind, 'memcom');
        assert.equal(j[side].m, m);
        assert.equal(j[side].bucketMode, t.bucket ? 'explicit' : 'mod');
        // printed with 9 significant digits: back to the same f32
        assert.deepEqual(j[side].rows.map(Math.fround), Array.from(t.dtype === 'i8' ? int8Rows(rows, m, d) : rows));
        assert.deepEqual(j[side].w.map(Math.fround), Array.from(scalars));
        assert.deepEqual(j[side].buckets, Array.from({ length: n }, (_, i) => (t.bucket ? buckets[i] : i % m)));
      }
      assert.deepEqual(j.bias.map(Math.fround), Array.from(outputBias));
      assert.equal(j.layers.length, layers.length);
      if (layers.length) {
        assert.deepEqual(j.layers[0].weight.map(Math.fround), Array.from(weight));
        assert.equal(j.layers[0].bias, null);
        assert.equal(j.layers[0].activation, 'tanh');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
