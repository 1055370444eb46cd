// Answer check: an engine's time only counts if its top-10 is the true top-10.
//
// Engines compute in f32 with their own summation order, so two items whose
// exact scores differ by less than the rounding noise may legitimately swap.
// An answer is accepted when every position holds a distinct, non-excluded
// item whose reference score equals the reference score at that rank within
// `tol` (and it is reported as exact when the indices are identical).

import { referenceScores, topKPlain } from './workload.js';

export function reference(wl, k = 10) {
  return referenceFrom(referenceScores(wl), k, wl.history);
}

/** The reference for float64 scores of every item, with `history` excluded. */
export function referenceFrom(scores, k, history) {
  const exclude = new Set(history);
  const top = topKPlain(scores, k, exclude);
  let scale = 1;
  for (const i of top) scale = Math.max(scale, Math.abs(scores[i]));
  return { k, scores, top, tol: 1e-5 * scale, exclude };
}

/** @returns {{ok: boolean, exact: boolean, why?: string}} */
export function checkTopK(ref, got) {
  const idx = Array.from(got, Number);
  if (idx.length !== ref.k) return { ok: false, exact: false, why: `returned ${idx.length} items, want ${ref.k}` };
  const seen = new Set();
  for (let p = 0; p < idx.length; p++) {
    const i = idx[p];
    if (!(i >= 0 && i < ref.scores.length)) return { ok: false, exact: false, why: `index ${i} out of range` };
    if (seen.has(i)) return { ok: false, exact: false, why: `index ${i} twice` };
    if (ref.exclude.has(i)) return { ok: false, exact: false, why: `excluded item ${i} returned` };
    seen.add(i);
    const want = ref.scores[ref.top[p]];
    if (Math.abs(ref.scores[i] - want) > ref.tol) {
      return { ok: false, exact: false, why: `rank ${p + 1}: item ${i} (score ${ref.scores[i].toFixed(6)}) where item ${ref.top[p]} (score ${want.toFixed(6)}) belongs` };
    }
  }
  const exact = idx.every((i, p) => i === ref.top[p]);
  return { ok: true, exact };
}

/** Peers return top-(k + |history|) without exclusion; drop history items. */
export function dropExcluded(indices, exclude, k) {
  const out = [];
  for (const i of indices) {
    const v = Number(i);
    if (!exclude.has(v)) out.push(v);
    if (out.length === k) break;
  }
  return out;
}
