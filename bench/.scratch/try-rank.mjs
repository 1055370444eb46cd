import { rankingBenchmark } from '../ranking.js';
import { compileNative } from '../native/native.js';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/mb-');
const { exe } = compileNative(dir);
const n = +process.argv[2] || 1e6, d = +process.argv[3] || 64;
const rows = await rankingBenchmark({ n, d, budgetMs: 400, native: { exe, dir }, log: console.log });
for (const r of rows) if (r.note) console.log(r.engine, r.note);
process.exit(0);
