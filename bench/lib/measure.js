// One row of a ranking table: check the engine's answer, then time it.
// Shared by the Node run (bench/ranking.js) and the browser page.

import { checkTopK } from './check.js';
import { timeQuery } from './timing.js';

/** Check one answer, then time the engine; never throws (errors become the row's status). */
export async function measure(row, make, ref, u, budgetMs) {
  let engine = null;
  try {
    engine = await make();
    const verdict = checkTopK(ref, await engine.query(u));
    if (!verdict.ok) return { ...row, status: 'wrong', why: verdict.why };
    const t = await timeQuery(() => engine.query(u), { budgetMs });
    const note = [row.note, engine.note].filter(Boolean).join('; ') || undefined;
    return { ...row, status: verdict.exact ? 'exact' : 'ties', ...t, note };
  } catch (e) {
    return { ...row, status: 'error', why: String(e?.message ?? e).split('\n')[0] };
  } finally {
    if (engine) await engine.dispose();
  }
}

/** Several equivalent forms of one engine: measure each, report the fastest correct one. */
export async function fastestOf(row, forms, ref, u, budgetMs) {
  const tried = [];
  for (const form of forms) tried.push(await measure({ ...row, form: form.label }, form.make, ref, u, budgetMs));
  const ok = tried.filter((r) => r.median !== undefined).sort((a, b) => a.median - b.median);
  const best = ok[0] ?? tried[0];
  const others = tried
    .filter((r) => r !== best)
    .map((r) => `${r.form} ${r.median !== undefined ? r.median.toFixed(2) + ' ms' : r.status}`);
  return { ...best, note: `form: ${best.form}${others.length ? ` (also tried: ${others.join(', ')})` : ''}` };
}
