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

/**
 * Resolves on a later turn of the event loop: a task, not a microtask
 * (setImmediate in Node, a MessageChannel message elsewhere, else setTimeout),
 * so that work the engine has scheduled meanwhile (a garbage collection) runs
 * before the caller goes on.
 */
export function nextTurn() {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
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
