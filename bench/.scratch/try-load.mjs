import { loadingBenchmark } from '../loading.js';
const t = performance.now();
const r = await loadingBenchmark({ samples: 3, log: console.log });
console.log(r.map(x => ({...x, coldAll: x.coldAll.map(v => v.toFixed(1)).join(' ')})));
console.log('total', performance.now() - t);
