import { browserBenchmark } from '../browser.js';
const r = await browserBenchmark({ configs: [{ n: 100000, d: 64 }], budgetMs: 300, log: console.log });
console.log(r.version);
process.exit(0);
