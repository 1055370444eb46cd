// memcom through its public JS API: buildModel -> loadTable -> table.topK.
// The model files hold the output table and the output bias (a "table file"),
// so the query is exactly the ranking stage the peers run: top-10 of E·u + b
// with the history excluded.

import { buildModel, loadTable } from '../../web/index.js';

/** The three table files of the benchmark for one workload (buildModel is async). */
export async function memcomFiles(wl, E) {
  const { n, d, m, U, w, bias } = wl;
  const memcom = (dtype) => buildModel({
    output: { kind: 'memcom', n, m, d, dtype, rows: U, scalars: w },
    outputBias: bias,
  });
  return {
    full: E ? await buildModel({ output: { kind: 'full', n, d, dtype: 'f32', rows: E }, outputBias: bias }) : null,
    f32: await memcom('f32'),
    i8: await memcom('i8'),
  };
}

/** The int8 copy an f32/f16 output table is pre-ranked on (web/index.d.ts, int8Index): its bytes. */
function indexNote({ output, simd }, int8Index, bucketBounds) {
  if (!bucketBounds) return '; bucketBounds: false (every item scored)' + indexNote({ output, simd }, int8Index, true);
  if (!simd) return '; one exact pass (the build without SIMD does not pre-rank)';
  if (output.dtype === 'i8') return '; pre-ranked on its own int8 rows';
  if (!int8Index) return '; int8Index: false (one exact pass)';
  const rows = output.kind === 'full' ? output.n : output.m;
  return `; + int8 copy of the rows ${((rows * (output.d + 4)) / 2 ** 20).toFixed(1)} MiB`;
}

/** The per-bucket bounds of a hash/memcom output table (web/index.d.ts, bucketBounds): their bytes. */
function boundsNote({ output }, bucketBounds) {
  if (!bucketBounds || output.kind === 'full' || output.n < 2 * output.m) return '';
  const bytes = output.m * (output.kind === 'memcom' ? 12 : 4) + 4 * output.m + (output.bucket === 'mod' ? 0 : 4 * (output.n + output.m + 1));
  return `; + bucket bounds ${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** @returns {Promise<{query(u: Float32Array, exclude?: ArrayLike<number>): number[], dispose(): void, info: object}>} */
export async function memcomEngine(bytes, { simd, k, history, int8Index = true, bucketBounds = true }) {
  const table = await loadTable(bytes, { simd, int8Index, bucketBounds });
  if (table.info.simd !== simd) throw new Error(`asked for simd=${simd}, got kernel ${table.info.kernel}`);
  const { info } = table;
  return {
    info,
    note: `${info.kernel}, ${(info.fileBytes / 2 ** 20).toFixed(1)} MiB file, compression ${info.compressionRatio.toFixed(1)}x` + indexNote(info, int8Index, bucketBounds) + boundsNote(info, bucketBounds),
    /** exclude: the items to leave out of this query (default: `history`) */
    query(u, exclude = history) {
      const res = table.topK(u, { k, exclude });
      const out = new Array(res.length);
      for (let i = 0; i < res.length; i++) out[i] = res[i].index;
      return out;
    },
    dispose() {
      table.dispose();
    },
  };
}
