// env.js - what the other modules need to know about the JavaScript
// environment: whether it is Node, and Node's file system (imported
// dynamically, through a specifier bundlers do not follow).

/** True when running in Node (or a runtime that offers Node's built-ins). */
export const IS_NODE = typeof process === 'object' && process !== null &&
  typeof process.versions === 'object' && process.versions !== null &&
  typeof process.versions.node === 'string';

let fsPromise = null;
/** node:fs/promises (Node only). */
export function nodeFs() {
  if (fsPromise === null) {
    const spec = 'node:fs/promises';
    fsPromise = import(/* webpackIgnore: true */ /* @vite-ignore */ spec);
  }
  return fsPromise;
}

/** "https://...", "file:...", "data:...", "blob:..." but not "C:\\x" (a drive letter). */
export function hasUrlScheme(s) {
  return /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(s);
}

/** A source for messages (long strings cut). */
export function describeSource(src) {
  if (typeof src === 'string') return src.length > 200 ? `${src.slice(0, 200)}...` : src;
  if (src instanceof URL) return src.href;
  return String(src);
}
