// bucket-bounds.test.js - ranking hash and memcom tables with per-bucket score
// bounds (the default: only buckets whose bound can reach the top k are
// scored) gives exactly the answers of a scan of every item (bucketBounds:
// false), index and score bit for bit, in both builds and with the int8 copy
// on and off; those answers are the float64 reference's top-k wherever the
// reference separates the k-th item from the next.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTable, loadModel, buildModel } from '../../web/index.js';
import { rng, requireWasm, BUILDS, assertRejects, tableSpec, assertSameRanking, assertReferenceTopK } from './helpers.js';
import { parseModel } from './reference.js';

requireWasm();

const CONFIGS = [
  { kind: 'memcom', dtype: 'f32', scalarDtype: 'f32', bucket: 'mod' },
  { kind: 'memcom', dtype: 'i8', scalarDtype: 'f32', bucket: 'mod' },
  { kind: 'memcom', dtype: 'f16', scalarDtype: 'f16', bucket: 'hash' },
  { kind: 'memcom', dtype: 'f32', scalarDtype: 'f16', bucket: 'u16' },
  { kind: 'hash', dtype: 'f32', bucket: 'u32' },
  { kind: 'hash', dtype: 'i8', bucket: 'mod' },
];
const N = 6000, D = 24, M = 300;

async function tableFile(cfg, seed) {
  const r = rng(seed);
  return await buildModel({
    output: tableSpec(r, cfg, { n: N, d: D, m: M, dyadic: false }),
    outputBias: Float32Array.from({ length: N }, () => r.normal() * 0.2),
  });
}

/** `queries` random queries (query q scaled by scale(q), with excluded(q)
 * random exclusions), each k of ks: every variant ranks as the first, and as
 * the float64 reference; returns how many queries separated their k-th item. */
function rankAlike(variants, ref, r, queries, ks, scale, excluded) {
  let separated = 0;
  for (let q = 0; q < queries; q++) {
    const u = Float32Array.from({ length: D }, () => r.normal() * scale(q));
    const exclude = Array.from({ length: excluded(q) }, () => Math.floor(r.next() * N));
    for (const k of ks) {
      const [a, ...others] = variants.map((t) => t.topK(u, { k, exclude }));
      for (const [v, b] of others.entries()) assertSameRanking(a, b, `variant ${v + 1} query ${q} k ${k}`);
      separated += assertReferenceTopK(ref, u, k, exclude, a, `query ${q} k ${k}`);
    }
  }
  return separated;
}

for (const build of BUILDS) {
  for (const [c, cfg] of CONFIGS.entries()) {
    test(`${build.name}: ${cfg.kind} ${cfg.dtype} ${cfg.bucket}: bucket bounds on and off rank alike`, async () => {
      const bytes = await tableFile(cfg, 300 + c);
      const ref = parseModel(bytes);
      const variants = [
        await loadTable(bytes, build.options),
        await loadTable(bytes, { ...build.options, bucketBounds: false }),
        await loadTable(bytes, { ...build.options, bucketBounds: true, int8Index: false }),
      ];
      const r = rng(17 + c);
      let separated = 0;
      try {
        separated = rankAlike(variants, ref, r, 12, [1, 10, 50], (q) => (q === 11 ? 1e-3 : 1), (q) => (q % 3 ? 8 : 0));
      } finally {
        for (const t of variants) t.dispose();
      }
      assert.ok(separated >= 20, `only ${separated} of 36 queries separated their k-th item`);
    });
  }
}

test('bucketBounds must be a boolean', async () => {
  const bytes = await tableFile(CONFIGS[0], 1);
  for (const bad of ['no', 0, []]) {
    await assertRejects(loadTable(bytes, { bucketBounds: bad }), 'invalid_argument', /bucketBounds/);
    await assertRejects(loadModel(bytes, { bucketBounds: bad }), 'invalid_argument', /bucketBounds/);
  }
});

// Sign-mixed buckets (the bounds are then taken per sign of w within each
// bucket) against the same table with w made positive: trained-like positive
// w, then the sign of every second item of each bucket flipped.  Every
// combination of the accelerators ranks alike, and as the float64 reference.
for (const build of BUILDS) {
  for (const cfg of [
    { kind: 'memcom', dtype: 'f32', scalarDtype: 'f32', bucket: 'u32' },
    { kind: 'memcom', dtype: 'i8', scalarDtype: 'f16', bucket: 'mod' },
  ]) {
    test(`${build.name}: sign-mixed buckets, ${cfg.dtype} rows, ${cfg.bucket} buckets: every accelerator setting ranks as the reference, k up to 100`, async () => {
      const r = rng(4242);
      const spec = tableSpec(r, cfg, { n: N, d: D, m: M, dyadic: false });
      const odd = new Uint8Array(M);
      for (let i = 0; i < N; i++) {
        const b = cfg.bucket === 'mod' ? i % M : spec.bucket[i];
        spec.scalars[i] = (Math.abs(spec.scalars[i]) + 0.1) * (odd[b] ? -1 : 1);
        odd[b] ^= 1;
      }
      const bytes = await buildModel({ output: spec, outputBias: Float32Array.from({ length: N }, () => r.normal() * 0.2) });
      const ref = parseModel(bytes);
      const variants = [
        await loadTable(bytes, build.options),
        await loadTable(bytes, { ...build.options, bucketBounds: false }),
        await loadTable(bytes, { ...build.options, int8Index: false }),
        await loadTable(bytes, { ...build.options, bucketBounds: false, int8Index: false }),
      ];
      let separated = 0;
      try {
        separated = rankAlike(variants, ref, r, 10, [1, 10, 100], () => 1, (q) => (q % 2 ? 8 : 0));
      } finally {
        for (const t of variants) t.dispose();
      }
      assert.ok(separated >= 15, `only ${separated} of 30 queries separated their k-th item`);
    });
  }
}
