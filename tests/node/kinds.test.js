// kinds.test.js - every table kind x storage type x scalar type x bucket mode,
// in both the SIMD and the scalar build, against the plain-JS reference:
// lookups, user vectors, scores, recommend, topK, similarItems.
//
// Two models per configuration:
//  - dyadic: values are multiples of powers of two small enough that float32
//    computes every score exactly in any order (checked by assertExactData),
//    so scores must be identical and ties are real: top-k must be identical,
//    ties broken by the lower index;
//  - random: normal values, a tanh and a relu layer, an f16 bias; scores within
//    1e-5 of the terms' magnitude, top-k identical wherever the reference ranking
//    is not within that tolerance of a tie.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, loadTable, buildModel } from '../../web/index.js';
import * as R from './reference.js';
import {
  rng, tableSpec, allConfigs, configName, BUILDS, requireWasm, assertExactData, assertVectorClose,
  assertScoresClose, assertTopK, tieKeys,
} from './helpers.js';

requireWasm();

const CONFIGS = allConfigs();

async function dyadicModel(cfg, seed) {
  const r = rng(seed);
  const n = 37;
  const d = 8;
  const m = cfg.kind === 'qr' ? 6 : 5;
  const ids = Array.from({ length: n }, (_, i) => `i${(i * 7919) % 1000}-${i}`);
  const spec = {
    // a coarse full f32 input table, no layers: u = sum / sqrt(|H|) stays dyadic
    input: { kind: 'full', n, d, rows: Float32Array.from({ length: n * d }, () => r.int(-8, 8) / 8) },
    output: tableSpec(r, cfg, { n, d, m, dyadic: true }),
    outputBias: Float32Array.from({ length: n }, () => r.int(-4, 4) / 16),
    biasDtype: seed % 2 ? 'f16' : 'f32',
    ids,
  };
  return { spec, bytes: await buildModel(spec), ids };
}

async function randomModel(cfg, seed) {
  const r = rng(seed);
  const n = 301;
  const dIn = 19;
  const d = 24;
  const m = cfg.kind === 'qr' ? 17 : 23;
  const inCfg = cfg; // the input table is of the same configuration
  const spec = {
    input: tableSpec(r, inCfg, { n, d: dIn, m: cfg.kind === 'qr' ? 18 : 29, dyadic: false }),
    output: tableSpec(r, cfg, { n, d, m, dyadic: false }),
    layers: [
      { inDim: dIn, outDim: 32, activation: 'tanh', weight: Float32Array.from({ length: 32 * dIn }, () => r.normal() * 0.3),
        bias: Float32Array.from({ length: 32 }, () => r.normal() * 0.1) },
      { inDim: 32, outDim: 32, activation: 'relu', bias: Float32Array.from({ length: 32 }, () => r.normal() * 0.1) },
      { inDim: 32, outDim: d, activation: 'none', weight: Float32Array.from({ length: 32 * d }, () => r.normal() * 0.3) },
    ],
    outputBias: Float32Array.from({ length: n }, () => r.normal() * 0.2),
    biasDtype: 'f16',
  };
  return { spec, bytes: await buildModel(spec) };
}

const HISTORIES = [[], [3], [0, 5, 9, 36], [36, 1, 2, 20], [7, 7, 7, 7]];

for (const [ci, cfg] of CONFIGS.entries()) {
  test(`dyadic ${configName(cfg)}: exact lookups, scores and top-k (SIMD and scalar)`, async () => {
    const { bytes, ids } = await dyadicModel(cfg, 1000 + ci);
    const ref = R.parseModel(bytes);
    for (const build of BUILDS) {
      const model = await loadModel(bytes, build.options);
      try {
        assert.equal(model.info.simd, build.name === 'simd', 'info.simd');
        assert.equal(model.info.kernel, build.name === 'simd' ? 'wasm_simd128' : 'scalar');
        const what = `${build.name} ${configName(cfg)}`;
        // lookups, one by one and all at once
        const all = model.lookup(Array.from({ length: ref.n }, (_, i) => i));
        for (let i = 0; i < ref.n; i++) {
          const e = R.embedding(ref.output, i);
          assertVectorClose(model.itemEmbedding(i), e, { exact: true, what: `${what} output embedding ${i}` });
          assertVectorClose(all.subarray(i * 8, i * 8 + 8), e, { exact: true, what: `${what} lookup ${i}` });
          assertVectorClose(model.itemEmbedding(ids[i], { table: 'input' }), R.embedding(ref.input, i),
            { exact: true, what: `${what} input embedding ${i}` });
        }
        for (const hist of HISTORIES) {
          // |H| is 0, 1 or 4 distinct items: u is exact (sqrt 1 or 2)
          const distinct = [...new Set(hist)];
          if (distinct.length !== 0 && distinct.length !== 1 && distinct.length !== 4) continue;
          const u = R.userVector(ref, hist);
          assertExactData(ref, u);
          assertVectorClose(model.userVector(hist), u, { exact: true, what: `${what} userVector ${hist}` });
          const s = R.scores(ref, u);
          assertScoresClose(model.scores(hist), s, { exact: true, what: `${what} scores ${hist}` });
          for (const k of [1, 5, 37, 1000]) {
            assertTopK(model.recommend(hist, { k }), s, k, { exclude: hist, exact: true, ids, what: `${what} recommend k=${k}` });
          }
          // history given as ids, mixed with indices
          const mixed = hist.map((i, j) => (j % 2 ? ids[i] : i));
          assertTopK(model.recommend(mixed, { k: 10 }), s, 10, { exclude: hist, exact: true, ids, what: `${what} mixed` });
          // exclude nothing; explicit exclusions; candidates
          assertTopK(model.recommend(hist, { k: 10, exclude: [] }), s, 10, { exact: true, ids, what: `${what} exclude []` });
          assertTopK(model.recommend(hist, { k: 6, exclude: [ids[0], 1, 2, 3] }), s, 6,
            { exclude: [0, 1, 2, 3], exact: true, ids, what: `${what} exclude` });
          const cands = [30, 2, 11, 12, 13, 5, 5, 0];
          assertTopK(model.recommend(hist, { k: 4, candidates: cands }), s, 4,
            { exclude: hist, candidates: cands, exact: true, ids, what: `${what} candidates` });
          // the same vector through topK, with and without bias
          const vec = Float32Array.from(u);
          assertTopK(model.topK(vec, { k: 9 }), s, 9, { exact: true, ids, what: `${what} topK` });
          assertTopK(model.topK(vec, { k: 9, bias: false }), R.scores(ref, u, { bias: false }), 9,
            { exact: true, ids, what: `${what} topK no bias` });
          assertScoresClose(model.scoreVector(vec), s, { exact: true, what: `${what} scoreVector` });
        }
        // similar items: cosines are not exact; compare within tolerance
        const tieKey = tieKeys(ref, { bias: false });
        for (const i of [0, 4, 36]) {
          const c = R.cosines(ref, R.embedding(ref.output, i));
          assertTopK(model.similarItems(i, { k: 8 }), c, 8, { exclude: [i], ids, tieKey, what: `${what} similar ${i}` });
          assertTopK(model.topK(R.embedding(ref.output, i), { k: 8, cosine: true }), c, 8, { ids, tieKey, what: `${what} cosine topK ${i}` });
        }
      } finally {
        model.dispose();
      }
    }
  });

  test(`random ${configName(cfg)}: input and output tables, layers (SIMD and scalar)`, async () => {
    const { bytes } = await randomModel(cfg, 2000 + ci);
    const ref = R.parseModel(bytes);
    const r = rng(ci);
    const tieKey = tieKeys(ref);
    const tieKeyNoBias = tieKeys(ref, { bias: false });
    for (const build of BUILDS) {
      const model = await loadModel(bytes, build.options);
      const table = await loadTable(bytes, build.options);
      try {
        const what = `${build.name} ${configName(cfg)}`;
        for (let i = 0; i < ref.n; i += 7) {
          assertVectorClose(model.itemEmbedding(i), R.embedding(ref.output, i), { what: `${what} output ${i}` });
          assertVectorClose(model.itemEmbedding(i, { table: 'input' }), R.embedding(ref.input, i), { what: `${what} input ${i}` });
          assertVectorClose(table.lookup(i), R.embedding(ref.output, i), { what: `${what} table ${i}` });
        }
        for (let h = 0; h < 6; h++) {
          const hist = Array.from({ length: h * 3 }, () => r.int(0, ref.n - 1));
          const { vector: u, magnitude } = R.userVectorWithMagnitude(ref, hist);
          assertVectorClose(model.userVector(hist), u, { rel: 1e-5, magnitude, what: `${what} userVector` });
          const s = R.scores(ref, u);
          assertScoresClose(model.scores(hist), s, { what: `${what} scores` });
          assertTopK(model.recommend(hist, { k: 10 }), s, 10, { exclude: hist, tieKey, what: `${what} recommend` });
          const vec = model.userVector(hist);
          const s32 = R.scores(ref, vec);
          assertTopK(table.topK(vec, { k: 25 }), s32, 25, { tieKey, what: `${what} table topK` });
          assertTopK(table.topK(vec, { k: 5, bias: false, exclude: [1, 2] }), R.scores(ref, vec, { bias: false }), 5,
            { exclude: [1, 2], tieKey: tieKeyNoBias, what: `${what} table topK no bias` });
          assertScoresClose(table.scoreVector(vec), s32, { what: `${what} table scoreVector` });
        }
        const i = r.int(0, ref.n - 1);
        assertTopK(table.similarItems(i, { k: 10 }), R.cosines(ref, R.embedding(ref.output, i)), 10,
          { exclude: [i], tieKey: tieKeyNoBias, what: `${what} similar` });
      } finally {
        model.dispose();
        table.dispose();
      }
    }
  });
}
