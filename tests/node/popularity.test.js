// popularity.test.js - recommend(history, { popularity }) against the plain-JS
// reference (tests/node/reference.js popularityScores: E_out . (u - l u0)
// + (1 - l) bias, l = (1 - p) min(1, 5 / |H|)), in the SIMD and the scalar build,
// for histories of 1 to 11 items, for full, hash and memcom output
// tables; the default from the metadata (serving.popularity) and without it (1);
// bad values refused with a clear error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, buildModel } from '../../web/index.js';
import * as R from './reference.js';
import { rng, tableSpec, BUILDS, requireWasm, assertTopK, assertCode } from './helpers.js';

requireWasm();

const CONFIGS = [
  { kind: 'full', dtype: 'f32' },
  { kind: 'full', dtype: 'i8' },
  { kind: 'hash', dtype: 'f16', bucket: 'mod' },
  { kind: 'memcom', dtype: 'f32', scalarDtype: 'f16', bucket: 'u16' },
  { kind: 'memcom', dtype: 'f16', scalarDtype: 'f32', bucket: 'hash' },
];

async function model(cfg, seed, metadata) {
  const r = rng(seed);
  const n = 1500;
  const dIn = 12;
  const d = 16;
  const spec = {
    input: { kind: 'full', n, d: dIn, rows: Float32Array.from({ length: n * dIn }, () => r.normal() * 0.5) },
    output: tableSpec(r, cfg, { n, d, m: 60, dyadic: false }),
    // a tanh layer with a bias: the empty history's user vector u0 is not zero
    layers: [{ inDim: dIn, outDim: d, activation: 'tanh', weight: Float32Array.from({ length: d * dIn }, () => r.normal() * 0.3),
      bias: Float32Array.from({ length: d }, () => r.normal()) }],
    // popular (low-index) items get the large biases, most biases are negative
    outputBias: Float32Array.from({ length: n }, (_, i) => 2 * (1 - i / n) - 1.5 + 0.2 * r.normal()),
    biasDtype: seed % 2 ? 'f16' : 'f32',
    metadata,
  };
  return buildModel(spec);
}

for (const [ci, cfg] of CONFIGS.entries()) {
  test(`popularity ${cfg.kind} ${cfg.dtype}: recommend against the reference (SIMD and scalar)`, async () => {
    const bytes = await model(cfg, 50 + ci, { serving: { popularity: 0.4 } });
    const ref = R.parseModel(bytes);
    const r = rng(ci);
    for (const build of BUILDS) {
      const m = await loadModel(bytes, build.options);
      try {
        assert.equal(m.defaultPopularity, 0.4);
        for (let h = 0; h < 6; h++) {
          const hist = Array.from({ length: h * 2 + 1 }, () => r.int(0, ref.n - 1));
          for (const p of [0, 0.25, 0.4, 0.8, 1]) {
            const what = `${build.name} ${cfg.kind} p=${p} history ${hist}`;
            assertTopK(m.recommend(hist, { k: 20, popularity: p }), R.popularityScores(ref, hist, p), 20,
              { exclude: hist, what });
          }
          // the default: the metadata's 0.4, exactly as passing it
          assert.deepEqual(m.recommend(hist, { k: 20 }), m.recommend(hist, { k: 20, popularity: 0.4 }));
          // 1 is the model as trained: the scores of scores()
          const s = m.scores(hist);
          const top = m.recommend(hist, { k: 5, popularity: 1 });
          for (const t of top) assert.equal(t.score, s[t.index]);
        }
      } finally {
        m.dispose();
      }
    }
  });
}

test('popularity: lower values follow the history, 0 ranks every item alike for an empty history', async () => {
  const bytes = await model(CONFIGS[0], 7, {});
  const ref = R.parseModel(bytes);
  const m = await loadModel(bytes);
  try {
    assert.equal(m.defaultPopularity, 1); // no serving.popularity: as trained
    assert.deepEqual(m.recommend([3, 4], { k: 10 }), m.recommend([3, 4], { k: 10, popularity: 1 }));
    // empty history, p = 0: the vector u0 - u0 = 0 and no bias: all scores 0, ties to the lower index
    const z = m.recommend([], { k: 5, popularity: 0 });
    assert.deepEqual(z.map((x) => x.index), [0, 1, 2, 3, 4]);
    assert.ok(z.every((x) => x.score === 0));
    // the share of the 50 highest-bias items in the top 10 falls as p falls (reference and package agree on it)
    const popular = new Set(R.topK(ref.bias, 50).map((x) => x.index));
    const share = (p) => m.recommend([10, 700, 1200], { k: 10, popularity: p }).filter((x) => popular.has(x.index)).length;
    assert.ok(share(1) > share(0), `top-10 popular items: ${share(1)} at p = 1, ${share(0)} at p = 0`);
  } finally {
    m.dispose();
  }
});

test('popularity: bad values are refused with a clear error', async () => {
  const m = await loadModel(await model(CONFIGS[0], 8, { serving: { popularity: 'high' } }));
  try {
    assert.equal(m.defaultPopularity, 1); // a malformed recorded value is ignored
    for (const bad of [-0.1, 1.5, NaN, Infinity, '0.5', null, true]) {
      assertCode(() => m.recommend([1], { popularity: bad }), 'invalid_argument', /popularity must be a number in \[0, 1\]/);
    }
  } finally {
    m.dispose();
  }
});
