// The native C row: `build.sh bench` builds bench/native/bench.c against
// build/libmemcom.a (sources and flags from src/sources.sh, once per run),
// then memcom_topk_vector is timed on the same model file, vector and history.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const nativeAvailable = () => existsSync(join(root, 'src', 'sources.sh'));

/**
 * Build the timing programs; returns { exe, exe128, compiler, flags }: exe on
 * the library as built (the widest SIMD this processor has), exe128 on the
 * library with its kernels kept to 128-bit SIMD, the width of wasm SIMD.
 */
export function compileNative() {
  execFileSync('bash', [join(root, 'build.sh'), 'bench'], { stdio: 'pipe' });
  const exe = join(root, 'build', 'bench', 'bench');
  const exe128 = join(root, 'build', 'bench', 'bench-128');
  const compiler = execFileSync(process.env.CC || 'cc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  let flags = '';
  try {
    flags = readFileSync(join(root, 'build', '.flags'), 'utf8').trim(); // written by build.sh
  } catch {}
  return { exe, exe128, compiler, flags };
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
