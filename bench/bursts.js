// npm run bench:bursts: the earlier benchmark, one fixed query repeated in
// bursts on the synthetic `i mod m` workload (memcom's cache stays warm, which
// flatters it; what users see is `npm run bench`, bench/run.js), with native
// C and the targets of issues 5 and 11; written to docs/BENCHMARKS-BURSTS.md.
//
//   node bench/bursts.js [--quick] [--no-browser] [--no-native] [--budget MS]
//
// Order: machine facts, .wasm sizes, model loading and memory (first, while
// the process is still small), the ranking benchmark per catalogue size,
// the browser run, then the targets and the report.

import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { machine, load, firstTouchCost } from './lib/machine.js';
import { renderReport, targetLines } from './lib/report.js';
import { loadingBenchmark } from './loading.js';
import { rankingBenchmark } from './ranking.js';
import { browserBenchmark } from './browser.js';
import { evaluateTargets } from './targets.js';
import { nativeAvailable, compileNative } from './native/native.js';
import { ortVersion } from './peers/ort.js';
import { tfjsVersion } from './peers/tfjs.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const budgetMs = args.includes('--budget') ? Number(args[args.indexOf('--budget') + 1]) : 400;
const quick = flag('--quick');
const log = (...a) => console.log(...a);

const CONFIGS = quick
  ? [{ n: 10_000, d: 64 }, { n: 100_000, d: 64 }]
  : [{ n: 10_000, d: 64 }, { n: 100_000, d: 64 }, { n: 1_000_000, d: 64 }, { n: 1_000_000, d: 32 }, { n: 1_000_000, d: 128 }];

function wasmSizes() {
  return ['memcom-simd.wasm', 'memcom.wasm'].map((f) => {
    const bytes = readFileSync(join(root, 'dist', f));
    return { file: `dist/${f}`, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

async function main() {
  const started = new Date();
  const t0 = performance.now();
  for (const f of ['web/index.js', 'dist/memcom-simd.wasm', 'dist/memcom.wasm']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`bash build.sh\` first`);
  }
  const mc = machine();
  const loadBefore = load();
  log(`memcom benchmark: ${mc.cpu}, ${mc.cores} cores, Node ${mc.node}, load ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  const touch = firstTouchCost();
  const wasm = wasmSizes();
  log(`wasm: ${wasm.map((w) => `${w.file} ${w.bytes} B`).join(', ')}`);

  log('loading and memory (1M items, 16x, d = 64):');
  const loading = quick ? [] : await loadingBenchmark({ samples: 5, log });

  const tmp = mkdtempSync(join(tmpdir(), 'memcom-bench-'));
  const versions = { ort: ortVersion(), tfjs: tfjsVersion() };
  let native = null;
  if (!flag('--no-native') && nativeAvailable()) {
    try {
      const { exe, exe128, compiler, flags } = compileNative();
      native = { exe, exe128, dir: tmp };
      versions.native = `${compiler}; build/libmemcom.a built as \`${flags || 'unknown flags'}\``;
    } catch (e) {
      versions.native = `not run: cannot compile bench/native/bench.c (${String(e.stderr ?? e.message).split('\n')[0]})`;
    }
  }

  const groups = [];
  try {
    for (const { n, d } of CONFIGS) {
      log(`ranking n = ${n}, d = ${d}:`);
      const { rows, paired } = await rankingBenchmark({ n, d, budgetMs, native, log });
      groups.push({ n, d, m: rows[0].m, rows, paired });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  versions.ort = ortVersion();

  let browser = { error: 'skipped (--no-browser)' };
  if (!flag('--no-browser')) {
    log('browser (Chromium):');
    try {
      browser = await browserBenchmark({ configs: quick ? [{ n: 100_000, d: 64 }] : [{ n: 1_000_000, d: 64 }], budgetMs, log });
    } catch (e) {
      browser = { error: String(e?.message ?? e).split('\n')[0] };
      log(`  not run: ${browser.error}`);
    }
  }

  const rows = groups.flatMap((g) => g.rows);
  const paired = groups.flatMap((g) => g.paired);
  const targets = evaluateTargets({ rows, paired, loading });
  log('\ntargets:');
  for (const line of targetLines(targets)) log(line);

  const report = renderReport({
    command: `npm run bench:bursts${args.length ? ' -- ' + args.join(' ') : ''}`,
    started, seconds: (performance.now() - t0) / 1e3, machine: mc, loadBefore, loadAfter: load(), touch,
    versions, groups, loading, wasm, browser, targets,
  });
  const out = join(root, 'docs', 'BENCHMARKS-BURSTS.md');
  writeFileSync(`${out}.tmp-${process.pid}`, report);
  renameSync(`${out}.tmp-${process.pid}`, out);
  log(`\nwrote docs/BENCHMARKS-BURSTS.md in ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
}

main().then(
  () => process.exit(0), // ORT and tfjs keep handles open
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
