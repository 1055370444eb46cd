// large.test.js - the done criterion of issue 2: a model of 1,000,000 items,
// d = 64, with a memcom output table at 16x (m = n (d/16 - 1) / d = 46875
// rows), built with buildModel, loads in Node and returns the same top-10 as
// a plain-JS brute force over the reconstructed table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, buildModel } from '../../web/index.js';
import * as R from './reference.js';
import { rng, requireWasm, BUILDS } from './helpers.js';

requireWasm();

const n = 1_000_000;
const d = 64;
const m = (n * (d / 16 - 1)) / d;

test('1,000,000 items, d = 64, memcom output table at 16x: same top-10 as a brute force', { timeout: 120_000 }, async () => {
  assert.equal(m, 46875);
  const t0 = Date.now();
  const r = rng(2026);
  const randn = (len, s) => { const a = new Float32Array(len); for (let i = 0; i < len; i++) a[i] = r.normal() * s; return a; };
  const bytes = await buildModel({
    input: { kind: 'memcom', n, m, d, rows: randn(m * d, 0.3), scalars: randn(n, 1) },
    output: { kind: 'memcom', n, m, d, rows: randn(m * d, 0.3), scalars: randn(n, 1) },
    layers: [{ inDim: d, outDim: d, activation: 'tanh', weight: randn(d * d, 0.3), bias: randn(d, 0.1) }],
    outputBias: randn(n, 0.1),
    ids: Array.from({ length: n }, (_, i) => `item${i}`),
    metadata: { dataset: 'synthetic-1M' },
  });
  const tBuild = Date.now();
  const history = [3, 17, 999_999, 123_456, 500_000, 42];
  const ref = R.parseModel(bytes, { ids: false });
  // brute force: reconstruct every output embedding, dot with the user vector
  const u = R.userVector(ref, history);
  const t = ref.output;
  const scores = new Float64Array(n);
  const e = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const b = t.bucket[i];
    for (let j = 0; j < d; j++) e[j] = t.w[i] * t.A[b * d + j];
    let s = 0;
    for (let j = 0; j < d; j++) s += e[j] * u[j];
    scores[i] = s + ref.bias[i];
  }
  const expected = R.topK(scores, 10, { exclude: history });
  const tRef = Date.now();
  // the reference ranking is unambiguous at float32 precision
  const eleventh = R.topK(scores, 11, { exclude: history });
  for (let p = 1; p < 11; p++) assert.ok(eleventh[p - 1].score - eleventh[p].score > 1e-5, 'test data without near-ties');

  for (const build of BUILDS) {
    const tl = Date.now();
    const model = await loadModel(bytes, build.options);
    const tLoad = Date.now() - tl;
    assert.equal(model.info.n, n);
    assert.equal(model.info.output.m, 46875);
    assert.equal(model.info.compressionRatio, 16);
    const tr = Date.now();
    const got = model.recommend(history, { k: 10 });
    const tRec = Date.now() - tr;
    assert.deepEqual(got.map((x) => x.index), expected.map((x) => x.index), `${build.name}: top-10`);
    for (const [p, x] of got.entries()) {
      assert.equal(x.id, `item${x.index}`);
      assert.ok(Math.abs(x.score - expected[p].score) <= 1e-5 * Math.max(1, Math.abs(expected[p].score)), `${build.name}: score ${p}`);
    }
    // by id, too
    const byId = model.recommend(history.map((i) => `item${i}`), { k: 10 });
    assert.deepEqual(byId, got);
    model.dispose();
    console.log(`# ${build.name}: load ${tLoad} ms, recommend ${tRec} ms`);
  }
  console.log(`# build ${tBuild - t0} ms, reference ${tRef - tBuild} ms, file ${bytes.length} bytes`);
});
