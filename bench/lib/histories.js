// Real user histories for the user-facing benchmark: MovieLens
// ml-latest-small's ratings >= 3.5 (what the demo's models were trained on),
// one history per user with 5 to 50 of them, in rating-time order; a seeded
// choice of `count` users.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from './workload.js';

export const DATA = process.env.MEMCOM_ML_SMALL ?? join(new URL('../../../shared/datasets/ml-latest-small', import.meta.url).pathname);
export const MIN_ITEMS = 5;
export const MAX_ITEMS = 50;

/** @returns {string[][]} movie ids per user, `count` users (fewer if the data has fewer) */
export function readHistories({ count, seed = 3, dir = DATA } = {}) {
  const file = join(dir, 'ratings.csv');
  if (!existsSync(file)) throw new Error(`${file} not found: set MEMCOM_ML_SMALL to the ml-latest-small folder`);
  const byUser = new Map();
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 1; i < lines.length; i++) {
    const [user, movie, rating, time] = lines[i].split(',');
    if (!time || Number(rating) < 3.5) continue;
    if (!byUser.has(user)) byUser.set(user, []);
    byUser.get(user).push([Number(time), movie]);
  }
  const users = [...byUser.values()].filter((h) => h.length >= MIN_ITEMS && h.length <= MAX_ITEMS);
  const r = rng(seed);
  for (let i = users.length - 1; i > 0; i--) { // seeded shuffle
    const j = Math.floor(r() * (i + 1));
    [users[i], users[j]] = [users[j], users[i]];
  }
  return users.slice(0, count).map((h) => h.sort((a, b) => a[0] - b[0]).map((x) => x[1]));
}

/** A model's item indices for each history (ids it does not know are dropped; histories left with < 5 are dropped). */
export function historyIndices(model, histories) {
  const out = [];
  for (const h of histories) {
    const idx = [...new Set(h.map((id) => model.indexOf(id)).filter((i) => i >= 0))];
    if (idx.length >= MIN_ITEMS) out.push(Uint32Array.from(idx));
  }
  return out;
}
