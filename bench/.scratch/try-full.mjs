import { readFileSync } from 'node:fs';
import { loadTable } from '../../web/index.js';
import { timeQuery } from '../lib/timing.js';
import { execFileSync } from 'node:child_process';
const dir = '/tmp/mb-perf';
const u = new Float32Array(new Uint8Array(readFileSync(`${dir}/u.vec`)).buffer);
const hist = new Uint32Array(new Uint8Array(readFileSync(`${dir}/h.hist`)).buffer);
for (const f of (process.argv[2] || 'full,f32,i8').split(',')) {
  const bytes = new Uint8Array(readFileSync(`${dir}/${f}.memcom`));
  const t = await loadTable(bytes, { simd: true });
  for (let rep = 0; rep < 2; rep++) {
    const w = await timeQuery(() => t.topK(u, { k: 10, exclude: hist }), { budgetMs: +(process.env.BUDGET || 1000) });
    const nat = JSON.parse(execFileSync(`${dir}/bench`, [`${dir}/${f}.memcom`, `${dir}/u.vec`, `${dir}/h.hist`, '10', '1000'], { encoding: 'utf8' }));
    console.log(f, 'wasm', w.median.toFixed(3), 'p10', w.p10.toFixed(3), 'native', nat.median.toFixed(3), 'p10', nat.p10.toFixed(3));
  }
  t.dispose();
}
