// The native C row: compile bench.c against build/libmemcom.a (once per run)
// and time memcom_topk_vector on the same model file, vector and history.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const lib = join(root, 'build', 'libmemcom.a');

export const nativeAvailable = () => existsSync(lib);

/** Compile the timing program into `dir`; returns { exe, compiler }. */
export function compileNative(dir) {
  const exe = join(dir, 'memcom-native-bench');
  const args = ['-O2', '-std=c11', `-I${join(root, 'src')}`, join(root, 'bench', 'native', 'bench.c'), lib, '-lm', '-o', exe];
  try {
    execFileSync('cc', args, { stdio: 'pipe' });
  } catch (e) {
    // the library may carry the trainer, which can need BLAS and threads
    execFileSync('cc', [...args, '-lopenblas', '-lpthread'], { stdio: 'pipe' });
  }
  const compiler = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  let flags = '';
  try {
    flags = readFileSync(join(root, 'build', '.flags'), 'utf8').trim(); // written by build.sh
  } catch {}
  return { exe, compiler, flags };
}

/** Time one model file natively; returns { median, p10, p90, samples, top, kernel }. */
export function runNative(exe, dir, { modelBytes, name, u, history, k, budgetMs }) {
  const model = join(dir, `${name}.memcom`);
  const vec = join(dir, `${name}.vec`);
  const hist = join(dir, `${name}.hist`);
  writeFileSync(model, modelBytes);
  writeFileSync(vec, new Uint8Array(u.buffer, u.byteOffset, u.byteLength));
  writeFileSync(hist, new Uint8Array(history.buffer, history.byteOffset, history.byteLength));
  return runNativeAgain(exe, dir, { name, k, budgetMs });
}

/** Time again a model file that runNative wrote (same name). */
export function runNativeAgain(exe, dir, { name, k, budgetMs }) {
  const file = (ext) => join(dir, `${name}.${ext}`);
  const out = execFileSync(exe, [file('memcom'), file('vec'), file('hist'), String(k), String(budgetMs)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out);
}
