// ranker.test.js - a ranker (format 1.2: a head MLP over [u; e; u * e]) built
// by buildModel for every table kind x storage type, served by both builds
// against the plain-JS reference (reference.js rankerScores, float64): every
// item's score, recommend over all items and over candidates, rerank, the
// two-stage path against brute force over the module's own factorised scores;
// the SIMD and the scalar build return identical rankings; bad options and
// bad heads are refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, buildModel } from '../../web/index.js';
import * as R from './reference.js';
import { rng, tableSpec, allConfigs, configName, BUILDS, requireWasm, assertTopK, assertCode, assertRejects } from './helpers.js';

requireWasm();

const floats = (r, count, scale) => Float32Array.from({ length: count }, () => r.normal() * scale);

/** A ranker's head for output dimension d: 3d -> widths... -> 1, relu between, the last linear. */
function headSpec(r, d, widths) {
  const out = [];
  let inDim = 3 * d;
  widths.forEach((outDim, l) => {
    out.push({ inDim, outDim, activation: l + 1 < widths.length ? 'relu' : 'none',
      weight: floats(r, inDim * outDim, 0.4), bias: floats(r, outDim, 0.1) });
    inDim = outDim;
  });
  return out;
}

async function rankerModel(cfg, seed, widths = [16, 1]) {
  const r = rng(seed);
  const n = 157;
  const d = 12;
  const m = cfg.kind === 'qr' ? 13 : 19;
  const spec = {
    input: { kind: 'full', n, d, rows: floats(r, n * d, 0.5) },
    output: tableSpec(r, cfg, { n, d, m, dyadic: false }),
    head: headSpec(r, d, widths),
    outputBias: floats(r, n, 0.2),
    biasDtype: seed % 2 ? 'f16' : 'f32',
  };
  return buildModel(spec);
}

const strip = (list) => list.map(({ index, score }) => ({ index, score }));

for (const cfg of allConfigs()) {
  test(`ranker: ${configName(cfg)}`, async () => {
    const seed = 1000 + allConfigs().findIndex((c) => configName(c) === configName(cfg));
    const bytes = await rankerModel(cfg, seed, seed % 3 === 0 ? [10, 6, 1] : [16, 1]);
    const ref = R.parseModel(bytes);
    assert.equal(ref.head.length, seed % 3 === 0 ? 3 : 2);
    const results = [];
    for (const b of BUILDS) {
      const model = await loadModel(bytes, b.options);
      const where = `${configName(cfg)} (${b.name})`;
      assert.equal(model.info.ranker, true);
      assert.equal(model.info.formatVersion, '1.2');
      assert.equal(model.info.headLayers.length, ref.head.length);
      assert.deepEqual(model.info.headLayers[0], { inDim: 36, outDim: ref.head[0].outDim, activation: 'relu', weight: true, bias: true });
      assert.ok(model.info.bytes.head > 0);
      const r = rng(seed + 7);
      const out = [];
      for (let q = 0; q < 4; q++) {
        const hist = Array.from({ length: 1 + r.int(0, 5) }, () => r.int(0, model.n - 1));
        const rs = R.rankerScores(ref, hist);
        const all = Array.from({ length: model.n }, (_, i) => i);
        // every item's score: rerank of all items, nothing excluded
        const every = model.rerank(hist, all);
        assertTopK(every, rs, model.n, { candidates: all, rel: 1e-5, what: `${where}: rerank all` });
        const k = 1 + r.int(0, 14);
        const rec = model.recommend(hist, { k });
        assertTopK(rec, rs, k, { exclude: hist, rel: 1e-5, what: `${where}: recommend` });
        const cand = Array.from({ length: 30 }, () => r.int(0, model.n - 1));
        const recC = model.recommend(hist, { k, candidates: cand });
        assertTopK(recC, rs, k, { exclude: hist, candidates: cand, rel: 1e-5, what: `${where}: recommend candidates` });
        // scores agree across paths exactly: the module computes each item's s_i one way
        const byIndex = new Map(every.map((x) => [x.index, x.score]));
        for (const x of [...rec, ...recC]) assert.equal(x.score, byIndex.get(x.index), `${where}: item ${x.index} scores alike`);
        // two-stage: the module's factorised top R (brute force over its own scores), re-ranked by s_i
        const R2 = 1 + r.int(0, 40);
        const f = model.scores(hist);
        const firstStage = R.topK(f, Math.max(R2, k), { exclude: hist }).map((x) => x.index);
        const two = model.recommend(hist, { k, rerankDepth: R2 });
        assert.deepEqual(strip(two), strip(model.rerank(hist, firstStage, { k })), `${where}: two-stage R = ${R2}`);
        const twoRef = R.topK(rs.scores, k, { candidates: firstStage });
        assert.ok(two.length === twoRef.length, `${where}: two-stage length`);
        out.push(rec, recC, two, every);
      }
      results.push(out);
      model.dispose();
    }
    // the SIMD and the scalar build: identical rankings and scores
    assert.deepEqual(results[0].map(strip), results[1].map(strip), `${configName(cfg)}: simd and scalar builds agree`);
  });
}

/** run(model, build) on the model in each build (SIMD and scalar); their results must be identical */
async function bothBuilds(bytes, run) {
  const got = [];
  for (const b of BUILDS) {
    const model = await loadModel(bytes, b.options);
    got.push(run(model, b));
    model.dispose();
  }
  assert.deepEqual(got[0], got[1]);
}

test('ranker: a large catalogue with a memcom table (row products cached per query), both builds agree', async () => {
  const r = rng(77);
  const n = 20000;
  const d = 16;
  const m = 400;
  const bytes = await buildModel({
    input: { kind: 'memcom', n, m, d, rows: floats(r, m * d, 0.5), scalars: floats(r, n, 1), dtype: 'f16' },
    output: { kind: 'memcom', n, m, d, rows: floats(r, m * d, 0.5), scalars: floats(r, n, 1), dtype: 'i8' },
    head: headSpec(r, d, [32, 1]),
    outputBias: floats(r, n, 0.1),
  });
  const ref = R.parseModel(bytes, { ids: false });
  await bothBuilds(bytes, (model, b) => {
    const hist = [3, 99, 1234, 19999];
    const rs = R.rankerScores(ref, hist);
    const rec = model.recommend(hist, { k: 20 });
    assertTopK(rec, rs, 20, { exclude: hist, rel: 1e-5, what: `large (${b.name})` });
    const two = model.recommend(hist, { k: 20, rerankDepth: 500 });
    return [strip(rec), strip(two)];
  });
});

test('ranker: two-stage over many shared rows with scalars of both signs, R = 500 and R >= n', async () => {
  // 5,000 shared rows of 4 items, w of both signs (bucket bounds on sign parts,
  // each part read in order of w), a deep first stage: the module's factorised
  // top R (brute force over its own scores) re-ranked by the reference s_i
  const r = rng(91);
  const n = 20000;
  const d = 16;
  const m = 5000;
  const bytes = await buildModel({
    input: { kind: 'full', n, d, rows: floats(r, n * d, 0.5) },
    output: { kind: 'memcom', n, m, d, rows: floats(r, m * d, 0.5), scalars: floats(r, n, 1) },
    head: headSpec(r, d, [32, 1]),
    outputBias: floats(r, n, 0.1),
  });
  const ref = R.parseModel(bytes, { ids: false });
  await bothBuilds(bytes, (model, b) => {
    const out = [];
    for (const hist of [[3, 99, 1234, 19999], [7], [500, 501, 502, 503, 504, 505]]) {
      const rs = R.rankerScores(ref, hist);
      const f = model.scores(hist);
      for (const R2 of [500, n + 5]) {
        const k = 10;
        const firstStage = R.topK(f, Math.max(R2, k), { exclude: hist }).map((x) => x.index);
        const two = model.recommend(hist, { k, rerankDepth: R2 });
        assertTopK(two, rs, k, { candidates: firstStage, rel: 1e-5, what: `two-stage R = ${R2} (${b.name})` });
        assert.deepEqual(strip(two), strip(model.rerank(hist, firstStage, { k })), `two-stage R = ${R2} (${b.name}): as rerank`);
        out.push(strip(two));
      }
    }
    return out;
  });
});

test('ranker: info, errors and bad heads', async () => {
  const r = rng(5);
  const n = 30;
  const d = 4;
  const base = {
    input: { kind: 'full', n, d, rows: floats(r, n * d, 1) },
    output: { kind: 'hash', n, m: 7, d, rows: floats(r, 7 * d, 1) },
  };
  const plain = await loadModel(await buildModel(base));
  assert.equal(plain.info.ranker, false);
  assert.deepEqual(plain.info.headLayers, []);
  assert.equal(plain.info.bytes.head, 0);
  assert.equal(plain.info.formatVersion, '1.0');
  // without a head, rerank orders by the factorised score
  const fs = plain.scores([1]);
  assert.deepEqual(plain.rerank([1], [5, 2, 9]).map((x) => x.index), [5, 2, 9].sort((a, b) => (fs[b] - fs[a]) || (a - b)));
  plain.dispose();

  const model = await loadModel(await buildModel({ ...base, head: headSpec(r, d, [8, 1]) }));
  for (const bad of [0, -1, 1.5, 'x', null, Infinity, 2 ** 40]) {
    assertCode(() => model.recommend([1], { rerankDepth: bad }), 'invalid_argument');
  }
  assertCode(() => model.rerank([1], [0, 30]), 'index');
  assertCode(() => model.rerank([1], [0, 'x']), 'no_ids');
  assertCode(() => model.rerank([1], [0, 1], { k: 0 }), 'k');
  assertCode(() => model.rerank([1], 'abc'), 'invalid_argument');
  assertCode(() => model.recommend([1], { candidates: [31] }), 'index');
  assert.deepEqual(model.rerank([1], []), []);
  assert.equal(model.rerank([1], [3, 3, 4, 3]).length, 2);
  assert.equal(model.rerank([1], [3, 4, 5], { k: 2 }).length, 2);
  // k beyond the catalogue and a depth beyond it: clipped
  assert.equal(model.recommend([1], { k: 100, rerankDepth: 1000 }).length, n - 1);
  model.dispose();

  const head = headSpec(r, d, [8, 1]);
  await assertRejects(buildModel({ ...base, head: [{ ...head[0], inDim: 11, weight: floats(r, 88, 1) }, head[1]] }), 'invalid_argument', /head\[0\]\.inDim/);
  await assertRejects(buildModel({ ...base, head: [head[0], { ...head[1], activation: 'relu' }] }), 'invalid_argument', /linear/);
  await assertRejects(buildModel({ ...base, head: [head[0]] }), 'invalid_argument', /must be 1/);
  await assertRejects(buildModel({ output: base.output, head }), 'invalid_argument', /no head/);
  await assertRejects(buildModel({ ...base, head: 'x' }), 'invalid_argument', /head/);
});

test('ranker: the popularity control ranks by s_i(u) - l s_i(u0); with rerankDepth only as trained', async () => {
  const r = rng(9);
  const n = 40;
  const d = 6;
  const base = {
    input: { kind: 'full', n, d, rows: floats(r, n * d, 1) },
    output: { kind: 'memcom', n, m: 9, d, rows: floats(r, 9 * d, 1), scalars: floats(r, n, 1) },
    outputBias: floats(r, n, 0.5),
    metadata: { serving: { popularity: 0.3 } },
  };
  const all = Array.from({ length: n }, (_, i) => i);
  for (const head of [headSpec(r, d, [8, 1]), null]) {
    const model = await loadModel(await buildModel(head ? { ...base, head } : base));
    const what = head ? 'ranker' : 'model without a head';
    assert.equal(model.defaultPopularity, 0.3, `${what}: the metadata's default`);
    const history = [1, 2];
    // s_i for the history and for the empty history, from rerank over every item
    const scoresOf = (h) => {
      const out = new Float64Array(n);
      for (const x of model.rerank(h, all)) out[x.index] = x.score;
      return out;
    };
    const s = scoresOf(history);
    const s0 = scoresOf([]);
    for (const p of [0.3, 0.5, 0]) {
      const l = Math.fround(1 - p);
      const want = all.filter((i) => !history.includes(i))
        .map((i) => ({ index: i, score: Math.fround(s[i] - Math.fround(l * s0[i])) }))
        .sort((a, b) => (b.score - a.score) || (a.index - b.index)).slice(0, 5);
      const got = model.recommend(history, { k: 5, popularity: p });
      if (head) assert.deepEqual(strip(got), want, `${what}, popularity ${p}`);
      else assert.deepEqual(got.map((x) => x.index), want.map((x) => x.index), `${what}, popularity ${p}`);
    }
    assert.deepEqual(model.recommend(history, { k: 5 }), model.recommend(history, { k: 5, popularity: 0.3 }));
    // rerankDepth ranks as trained unless a popularity is given, which it refuses
    assert.deepEqual(model.recommend(history, { k: 5, rerankDepth: n }).map((x) => x.index),
      model.recommend(history, { k: 5, popularity: 1 }).map((x) => x.index));
    assertCode(() => model.recommend(history, { popularity: 0.5, rerankDepth: 7 }), 'invalid_argument');
    model.dispose();
  }
});
