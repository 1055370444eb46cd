// recommend.mjs - the npm package's top-k for histories, for test_node.py:
//   node tests/python/recommend.mjs MODEL HISTORIES.json K
// prints { simd: [[id, ...], ...], scalar: [[id, ...], ...], kernels: [..] } (the SIMD and the fallback build).
import { readFileSync } from 'node:fs';
import { loadModel } from '../../web/index.js';

const [path, histFile, k] = process.argv.slice(2);
const histories = JSON.parse(readFileSync(histFile, 'utf8'));
const out = { kernels: [] };
for (const [name, simd] of [['simd', true], ['scalar', false]]) {
  const model = await loadModel(path, { simd });
  out.kernels.push(model.info.kernel);
  out[name] = histories.map((h) => model.recommend(h, { k: Number(k) }).map((r) => r.id));
  model.dispose?.();
}
process.stdout.write(JSON.stringify(out));
