// The trained ml-latest-small models the user-facing benchmark resamples:
// the demo's committed memcom 4x and 16x (learned buckets), and the ones the
// demo does not ship, trained here once with build/memcom and the demo's
// options (bench/quality-args.sh, as demo/make-models.sh) into build/bench/models/: learned 40x, learned
// 16x with the trainer's default int8 rows, and `i mod m` buckets (--kind
// memcom-plain) at 4x, 16x and 40x.  About 15 s each
// on this machine; later runs reuse them.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA } from './histories.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const MODELS = join(root, 'build', 'bench', 'models');

// The demo's data and training options (bench/quality-args.sh owns them; demo/make-models.sh reads
// them too), so that these models are trained as the demo's are
let demoArgs = null;
function demoOptions() {
  if (!demoArgs) {
    const out = execFileSync('bash', ['-c', '. bench/quality-args.sh && data_args mlsmall && hyper_args mlsmall'],
      { cwd: root, env: { ...process.env, MLSMALL: DATA }, encoding: 'utf8' });
    demoArgs = [...out.trim().split(/\s+/), '--threads', '2', '--quiet'];
  }
  return demoArgs;
}

/** key -> { file, kind, ratio, buckets, dtype }: dtype the rows' storage as
 * trained (f32 as the demo's models; 'i8' is what --ratio gives by default:
 * the same bytes in about 3.8 times as many int8 rows). */
export const SOURCES = {
  'learned-4x': { file: join(root, 'demo', 'models', 'memcom-4x.memcom'), ratio: 4, buckets: 'learned', dtype: 'f32' },
  'learned-16x': { file: join(root, 'demo', 'models', 'memcom-16x.memcom'), ratio: 16, buckets: 'learned', dtype: 'f32' },
  'learned-16x-i8': { file: join(MODELS, 'memcom-16x-i8.memcom'), kind: 'memcom', ratio: 16, buckets: 'learned', dtype: 'i8' },
  'learned-40x': { file: join(MODELS, 'memcom-40x.memcom'), kind: 'memcom', ratio: 40, buckets: 'learned', dtype: 'f32' },
  'mod-4x': { file: join(MODELS, 'plain-4x.memcom'), kind: 'memcom-plain', ratio: 4, buckets: 'mod', dtype: 'f32' },
  'mod-16x': { file: join(MODELS, 'plain-16x.memcom'), kind: 'memcom-plain', ratio: 16, buckets: 'mod', dtype: 'f32' },
  'mod-40x': { file: join(MODELS, 'plain-40x.memcom'), kind: 'memcom-plain', ratio: 40, buckets: 'mod', dtype: 'f32' },
};

/** The model file of `key`, trained first when it is one of ours and missing or trained with other options. */
export function sourceFile(key, log) {
  const s = SOURCES[key];
  if (!s.kind) {
    if (existsSync(s.file)) return s.file;
    throw new Error(`${s.file} is missing (a demo model: bash demo/make-models.sh)`);
  }
  return trainModel(s.kind, s.ratio, s.dtype, s.file, key, log);
}

/** Trains a model of `kind` ('memcom' or 'memcom-plain') at `ratio` with rows of `dtype` into `file` (in
 * build/bench/models/), with the demo's options; a file trained before with the same command (recorded in
 * FILE.args) is reused. */
export function trainModel(kind, ratio, dtype, file, key, log) {
  const memcom = join(root, 'build', 'memcom');
  if (!existsSync(memcom)) throw new Error(`${memcom} is missing: bash build.sh native`);
  mkdirSync(MODELS, { recursive: true });
  const args = ['train', ...demoOptions(), '--kind', kind, '--ratio', String(ratio), '--dtype', dtype, '-o', `${file}.part`];
  const command = args.join(' ');
  if (existsSync(file) && existsSync(`${file}.args`) && readFileSync(`${file}.args`, 'utf8') === command) return file;
  log(`  training ${key} once (cached in build/bench/models/): build/memcom ${command}`);
  const t = performance.now();
  execFileSync(memcom, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(`${file}.part`, file);
  writeFileSync(`${file}.args`, command);
  log(`  trained ${key} in ${((performance.now() - t) / 1e3).toFixed(0)} s`);
  return file;
}

/** The stored values of a model file (bench/native/dump_model.c, built by `build.sh bench`). */
export function dumpModel(file) {
  const exe = join(root, 'build', 'bench', 'dump_model');
  if (!existsSync(exe)) throw new Error(`${exe} is missing: bash build.sh bench`);
  return JSON.parse(execFileSync(exe, [file], { encoding: 'utf8', maxBuffer: 1 << 30 }));
}

export const readModelBytes = (file) => new Uint8Array(readFileSync(file));
