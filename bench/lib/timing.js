// Timing of one query function: warm-up, then samples until a time budget is
// spent (bounded by min/max sample counts); the median is what we report.

const now = () => performance.now();
const settle = (r) => (r && typeof r.then === 'function' ? r : undefined);

/**
 * @param {() => any | Promise<any>} fn one query
 * @returns {Promise<{median: number, p10: number, p90: number, samples: number}>} milliseconds
 */
export async function timeQuery(fn, { warmup = 3, budgetMs = 400, minSamples = 7, maxSamples = 2000 } = {}) {
  const t0 = now();
  await settle(fn());
  const first = now() - t0;
  if (first > budgetMs / 4) {
    // a slow engine (plain JS over a large table): fewer warm-ups and samples
    warmup = 1;
    minSamples = first > budgetMs ? 3 : 5;
  }
  for (let i = 1; i < warmup || (i < 50 && now() - t0 < budgetMs / 4); i++) await settle(fn());
  const samples = [];
  const start = now();
  while (samples.length < maxSamples && (samples.length < minSamples || now() - start < budgetMs)) {
    const a = now();
    const r = fn();
    if (r && typeof r.then === 'function') await r; // no microtask for sync engines
    samples.push(now() - a);
  }
  samples.sort((x, y) => x - y);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), samples: samples.length };
}
