// first-ranking.test.js - what a load leaves for the first ranking.  The
// first ranking after loadTable / loadModel should cost what later ones do:
// the C side builds the accelerators and touches its scratch at load
// (tests/c/test_model.c counts the page faults); the JavaScript side runs a
// ranking's own JavaScript once on one candidate (so that the first real
// ranking does not compile it, nor take the grown memory's new buffer).
// That warm-up must leave no trace: the answers after it are the plain-JS
// reference's, for tables and models with ids, n = 1, 2 and more; and a file
// too small for its n is not ranked (cost.test.js measures that loading it
// allocates nothing per item).

import { test } from 'node:test';
import { loadModel, loadTable, buildModel } from '../../web/index.js';
import { rng, requireWasm, BUILDS, tableSpec, assertTopK } from './helpers.js';
import * as R from './reference.js';

requireWasm();

/** A memcom table of n items (d = 8, m = 4), with an output bias. */
function memcomSpec(seed, n) {
  const r = rng(seed);
  const output = tableSpec(r, { kind: 'memcom', dtype: 'f32', scalarDtype: 'f32', bucket: 'u16' }, { n, d: 8, m: Math.min(4, n), dyadic: true });
  const outputBias = Float32Array.from({ length: n }, () => r.int(-8, 8) / 16);
  return { output, outputBias };
}

test('the warm-up ranking at load leaves the answers as the reference gives them (tables, models with ids, n = 1)', async () => {
  for (const build of BUILDS) {
    for (const n of [1, 2, 3000]) {
      const spec = memcomSpec(10 + n, n);
      const bytes = await buildModel(spec);
      const table = await loadTable(bytes, build.options);
      const refTable = R.parseModel(bytes);
      const r = rng(n);
      for (let q = 0; q < 3; q++) {
        const u = Float32Array.from({ length: 8 }, () => r.int(-4, 4) / 8);
        const exclude = n > 2 ? [0, 1] : [];
        assertTopK(table.topK(u, { k: 10, exclude }), R.scores(refTable, u), 10, { exclude, what: `${build.name} n=${n} query ${q}` });
      }
      table.dispose();
      // a model with ids, over the same output table (history: item ids)
      const ids = Array.from({ length: n }, (_, i) => `item-${i}`);
      const inp = { kind: 'full', n, d: 8, m: n, dtype: 'f32', rows: Float32Array.from({ length: n * 8 }, (_, j) => ((j * 7) % 9 - 4) / 8) };
      const modelBytes = await buildModel({ ...spec, input: inp, ids });
      const model = await loadModel(modelBytes, build.options);
      const ref = R.parseModel(modelBytes);
      const got = model.recommend([ids[n - 1]], { k: 5, popularity: 1 });
      assertTopK(got, R.scores(ref, R.userVector(ref, [n - 1])), 5, { exclude: [n - 1], ids, what: `${build.name} model n=${n}` });
      model.dispose();
    }
  }
});
