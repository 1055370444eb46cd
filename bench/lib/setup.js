// One ranking workload as both the Node run (bench/ranking.js) and the
// browser page (bench/browser/page.js) use it: the seeded tables, the float64
// reference answer, and the memcom files at every storage type; plus the memcom
// rows (each table x SIMD / no-SIMD), measured the same way in both places.

import { makeWorkload, fullTable } from './workload.js';
import { reference } from './check.js';
import { measure } from './measure.js';
import { memcomFiles, memcomEngine } from '../engines/memcom.js';

export async function prepareRanking({ n, d, k }) {
  const wl = makeWorkload({ n, d });
  const ref = reference(wl, k);
  const E = fullTable(wl);
  const files = await memcomFiles(wl, E);
  return {
    wl, ref, E, files,
    u: wl.u,
    history: wl.history,
    exclude: ref.exclude,
    extra: wl.history.length,
    base: { n, d, m: wl.m },
    tables: [
      ['full', 'full f32', files.full],
      ['f32', '16x f32', files.f32],
      ['i8', '16x int8', files.i8],
    ],
  };
}

/** Measures memcom on every table, with and without SIMD; add(row) receives each row. */
export async function measureMemcom(setup, { k, budgetMs }, add) {
  const { base, tables, history, ref, u } = setup;
  for (const [key, label, bytes] of tables) {
    for (const simd of [true, false]) {
      add(await measure({ ...base, engine: `memcom ${label} ${simd ? 'SIMD' : 'no-SIMD'}`, group: 'memcom', table: key, simd, fileBytes: bytes.length },
        () => memcomEngine(bytes, { simd, k, history }), ref, u, budgetMs));
    }
    if (key !== 'full') { // the same without the bucket bounds: every item scored
      add(await measure({ ...base, engine: `memcom ${label} SIMD, bucketBounds off`, group: 'memcom-exact', table: key, simd: true, fileBytes: bytes.length },
        () => memcomEngine(bytes, { simd: true, k, history, bucketBounds: false }), ref, u, budgetMs));
    }
    if (key !== 'i8') { // the same without the int8 copy: one exact pass over the stored rows
      add(await measure({ ...base, engine: `memcom ${label} SIMD, int8Index off`, group: 'memcom-exact', table: key, simd: true, fileBytes: bytes.length },
        () => memcomEngine(bytes, { simd: true, k, history, int8Index: false }), ref, u, budgetMs));
    }
  }
}
