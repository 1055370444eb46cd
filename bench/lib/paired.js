// Paired timing for the targets.  Timed one after the other, two engines can
// see different machines: on this shared VM the load changes from minute to
// minute, and a memory-bound scan over a 244 MiB table swings by 30%.  So the
// pairs a target compares are timed in alternation (A B, then B A, ...), each
// turn a short budgeted median, and the verdict uses the median of the
// per-round ratios: a change in load between rounds hits both sides.

/**
 * @param {() => Promise<number>|number} turnA one turn of A: its median ms
 * @param {() => Promise<number>|number} turnB the same for B
 * @returns {Promise<{ratio: number, ratios: number[], aMs: number[], bMs: number[]}>} ratio = B ms / A ms
 *   per round (how many times A's items/s B's is), its median over rounds
 */
export async function pairedRatio(turnA, turnB, { rounds = 7 } = {}) {
  const aMs = [], bMs = [], ratios = [];
  for (let r = 0; r < rounds; r++) {
    let ta, tb;
    if (r % 2 === 0) { ta = await turnA(); tb = await turnB(); } else { tb = await turnB(); ta = await turnA(); }
    aMs.push(ta);
    bMs.push(tb);
    ratios.push(tb / ta);
  }
  const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
  return { ratio: med(ratios), ratios, aMs, bMs };
}
