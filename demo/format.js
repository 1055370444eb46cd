// How the page writes numbers and errors.

import { MemcomError } from '../web/index.js';

export function formatBytes(n) {
  // SI units (1 kB = 1000 B), as download sizes are usually quoted.
  if (!Number.isFinite(n)) return '–';
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${+(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  if (n < 1e9) return `${+(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;
  return `${+(n / 1e9).toFixed(2)} GB`;
}

export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 0.1) return `${Math.max(1, Math.round(ms * 1000))} µs`;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

// An error as one sentence; a MemcomError names its code.
export function describeError(err) {
  if (err instanceof MemcomError || (err && typeof err.code === 'string')) {
    return `${err.message} (error code: ${err.code})`;
  }
  return err && err.message ? err.message : String(err);
}
