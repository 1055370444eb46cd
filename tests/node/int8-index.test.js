// int8-index.test.js - ranking f32/f16 tables with the int8 copy (the default:
// integer pre-ranking, then the candidates scored exactly) gives exactly the
// answers of one exact pass (int8Index: false), index and score bit for bit,
// in both builds; those answers are the float64 reference's top-k wherever
// the reference separates the k-th item from the next.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTable, loadModel, buildModel } from '../../web/index.js';
import { rng, requireWasm, BUILDS, assertRejects, tableSpec, assertSameRanking, assertReferenceTopK } from './helpers.js';
import { parseModel } from './reference.js';

requireWasm();

const CONFIGS = [
  { kind: 'full', dtype: 'f32' },
  { kind: 'full', dtype: 'f16' },
  { kind: 'memcom', dtype: 'f32', scalarDtype: 'f32', bucket: 'mod' },
  { kind: 'memcom', dtype: 'f16', scalarDtype: 'f16', bucket: 'hash' },
  { kind: 'hash', dtype: 'f32', bucket: 'u32' },
];

async function tableFile(cfg, seed) {
  const r = rng(seed);
  const n = 6000, d = 24;
  return await buildModel({
    output: tableSpec(r, cfg, { n, d, m: 300, dyadic: false }),
    outputBias: Float32Array.from({ length: n }, () => r.normal() * 0.2),
  });
}

for (const build of BUILDS) {
  for (const [c, cfg] of CONFIGS.entries()) {
    test(`${build.name}: ${cfg.kind} ${cfg.dtype}${cfg.bucket ? ' ' + cfg.bucket : ''}: int8 copy on and off rank alike`, async () => {
      const bytes = await tableFile(cfg, 100 + c);
      const ref = parseModel(bytes);
      const withIndex = await loadTable(bytes, build.options);
      const without = await loadTable(bytes, { ...build.options, int8Index: false });
      const r = rng(7 + c);
      let separated = 0;
      try {
        for (let q = 0; q < 12; q++) {
          const u = Float32Array.from({ length: 24 }, () => r.normal() * (q === 11 ? 1e-3 : 1));
          const exclude = Array.from({ length: q % 3 ? 8 : 0 }, () => Math.floor(r.next() * 6000));
          for (const k of [1, 10, 50]) {
            const a = withIndex.topK(u, { k, exclude });
            assertSameRanking(a, without.topK(u, { k, exclude }), `query ${q} k ${k}`);
            // against float64 where the reference's k-th and (k+1)-th are apart
            separated += assertReferenceTopK(ref, u, k, exclude, a, `query ${q} k ${k}`);
          }
        }
      } finally {
        withIndex.dispose();
        without.dispose();
      }
      assert.ok(separated >= 20, `only ${separated} of 36 queries separated their k-th item`);
    });
  }
}

test('int8Index must be a boolean', async () => {
  const bytes = await tableFile(CONFIGS[0], 1);
  for (const bad of ['yes', 1, {}]) {
    await assertRejects(loadTable(bytes, { int8Index: bad }), 'invalid_argument', /int8Index/);
    await assertRejects(loadModel(bytes, { int8Index: bad }), 'invalid_argument', /int8Index/);
  }
});
