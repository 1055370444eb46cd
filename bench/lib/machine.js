// What the numbers were measured on: CPU, cores, memory, load, Node, and one
// property of this machine that matters for load times: the cost of touching
// fresh memory (first-touch page faults; large on some virtual machines).

import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuinfo() {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

function field(text, name) {
  const m = text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'));
  return m ? m[1].trim() : null;
}

/** Milliseconds per MiB to touch fresh memory, and for already-touched memory. */
export function firstTouchCost(mib = 32) {
  const a = new Uint8Array(mib << 20);
  let t = performance.now();
  a.fill(1);
  const first = performance.now() - t;
  t = performance.now();
  a.fill(2);
  const second = performance.now() - t;
  return { firstMsPerMiB: first / mib, againMsPerMiB: second / mib };
}

export function machine() {
  const info = cpuinfo();
  const cpus = os.cpus();
  const flags = field(info, 'flags') ?? '';
  return {
    cpu: field(info, 'model name') ?? cpus[0]?.model ?? 'unknown',
    family: field(info, 'cpu family'),
    model: field(info, 'model'),
    mhz: field(info, 'cpu MHz'),
    cores: cpus.length,
    simdFlags: ['avx2', 'avx512f', 'fma'].filter((f) => flags.split(/\s+/).includes(f)),
    memGiB: os.totalmem() / 2 ** 30,
    kernel: `${os.type()} ${os.release()}`,
    hypervisor: flags.split(/\s+/).includes('hypervisor'),
    node: process.version,
    v8: process.versions.v8,
  };
}

export const load = () => os.loadavg();
