// The passes of the user-facing benchmark over one group's engines ("sides"),
// shared by the Node run (bench/users.js) and the browser page:
//   checkPass  every side answers every query once, in order, and `verify`
//              judges each answer (the first query after a side's load is
//              timed: for memcom it builds what the accelerators need);
//   timedPass  query by query, each side that answered right once, in a
//              seeded random order per query, so a change of machine load hits
//              all alike and no side always follows the same one;
//   summarise  median, p95 and the ratios to onnxruntime-web per side.
// A side: { key, label, dtype, memcom, engine, loadMs }.  No Node imports.

import { rng } from './workload.js';

const now = () => performance.now();

/** One query on one side: memcom takes the exclusions as an array, the peers as a Set. */
export const ask = (s, q) => (s.memcom ? s.engine.query(q.u, q.exclude) : s.engine.query(q.u, q.excludeSet));

/** Records a verdict ({ ok, exact, why } as checkTopK's, or null: not judged here) on side s. */
export function record(s, qi, v) {
  if (v && !v.ok) s.wrong = `query ${qi + 1}: ${v.why}`;
  else if (!v || v.exact) s.exact = (s.exact ?? 0) + 1;
}

/** A later turn of the event loop (a task), in Node and in browsers. */
export const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * verify(side, queryIndex, answer) returns a verdict for record().  Each
 * side's first query starts on a turn of the event loop of its own, as a
 * page's first ranking does (on a later event than the load), after
 * `collect` (Node: a full garbage collection, bench/users.js): the collection
 * that loading the sides left pending (in Node 5-20 ms of scavenges and
 * mark-compacts after onnxruntime-web's 256 MB table, run at the next
 * allocation) then runs before it, not inside whichever side is timed next.
 */
export async function checkPass(sides, queries, verify, collect = () => {}) {
  for (const s of sides) s.exact = 0;
  for (let qi = 0; qi < queries.length; qi++) {
    for (const s of sides) {
      if (s.wrong) continue;
      if (qi === 0) {
        collect();
        await nextTurn();
      }
      const t = now();
      const got = await ask(s, queries[qi]);
      if (qi === 0) s.firstMs = now() - t;
      record(s, qi, verify(s, qi, got));
    }
  }
}

/** The sides in a seeded random order.  A fixed rotation keeps each side behind
 * the same neighbour on every query: the side after a full-table peer would
 * always find the caches full of the peer's table, and the side after a small
 * engine never would. */
export function shuffled(items, next) {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export async function timedPass(sides, queries, { seed = 1 } = {}) {
  const live = sides.filter((s) => !s.wrong);
  const next = rng(seed);
  for (const s of live) s.ms = new Float64Array(queries.length);
  for (let qi = 0; qi < queries.length; qi++) {
    const q = queries[qi];
    for (const s of shuffled(live, next)) {
      const t = now();
      const r = ask(s, q);
      if (r && typeof r.then === 'function') await r;
      s.ms[qi] = now() - t;
    }
  }
}

const sorted = (a) => Float64Array.from(a).sort();
export const median = (a) => {
  const s = sorted(a);
  return s.length ? s[s.length >> 1] : NaN;
};
export const quantile = (a, q) => {
  const s = sorted(a);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** One row per side; `base` is copied into every row. */
export function summarise(sides, queries, base) {
  const ort = sides.find((s) => s.key === 'ort' && s.ms);
  return sides.map((s) => {
    const row = {
      ...base, queries: queries.length, key: s.key, engine: s.label, dtype: s.dtype, memcom: s.memcom,
      fileBytes: s.fileBytes, compression: s.compression, loadMs: s.loadMs, firstMs: s.firstMs,
    };
    if (s.wrong) return { ...row, status: 'wrong', why: s.wrong };
    row.status = s.exact === queries.length ? 'exact' : 'ties';
    row.median = median(s.ms);
    row.p95 = quantile(s.ms, 0.95);
    if (s.aloneMs) row.aloneMedian = median(s.aloneMs);
    if (ort && s !== ort) {
      row.vsOrt = median(ort.ms) / row.median;
      row.vsOrtPerQuery = median(Array.from(s.ms, (x, i) => ort.ms[i] / x));
    }
    return row;
  });
}

export const rowLine = (r) => `${r.engine.padEnd(38)} ${r.median !== undefined
  ? `median ${r.median.toFixed(3)} ms, p95 ${r.p95.toFixed(3)} ms, first ${r.firstMs.toFixed(1)} ms` +
    (r.freshFirstMs !== undefined ? ` (right after a load ${r.freshFirstMs.toFixed(2)} ms)` : '') +
    (r.aloneMedian !== undefined ? `, alone ${r.aloneMedian.toFixed(3)} ms` : '') + (r.vsOrt ? `, ${r.vsOrt.toFixed(1)}x ORT` : '')
  : `${r.status}: ${r.why}`}`;
