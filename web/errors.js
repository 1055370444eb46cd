// errors.js - MemcomError: every failure of the memcom package is one of these,
// with a stable string `code` (for programs) and a message naming the problem
// (for people).
//
// Codes reported by the C core are its memcom_error_name() strings ("truncated",
// "section_crc", "unknown_id", ...; the module is asked, no table is kept
// here), except two spelt out in full: the core's "arg" is 'invalid_argument'
// and its "dim" is 'dimension'.  The JavaScript layer raises some of the same
// codes for problems it catches before calling the core, and three of its own
// ('disposed', 'wasm', 'aborted'):
//   invalid_argument  a bad option or argument (names the field)
//   index             an item index out of range
//   unknown_id        an item id string not stored in the model
//   dimension         a vector of the wrong length
//   k                 k is not a positive integer
//   disposed          the model or table was disposed
//   too_large         a file (or file plus working memory) larger than maxBytes or
//                     than wasm memory can hold, or more items than maxItems
//   nomem             wasm memory could not be allocated
//   io                the source could not be read or fetched
//   aborted           options.signal aborted the load (its reason is the cause)
//   wasm              the WebAssembly module could not be loaded or is not memcom's
//   metadata          the metadata section is not a JSON object

/** Codes only the JavaScript layer raises; every other code is a C error name
 *  of the module (mc_error_name, owned by src/base/errors.c), renamed by
 *  JS_ALIASES.  tests/node/errors.test.js checks both against the module. */
export const JS_ONLY_CODES = Object.freeze(['disposed', 'wasm', 'aborted']);

/** C names that the JavaScript API spells out in full (the only renames). */
export const JS_ALIASES = Object.freeze({ arg: 'invalid_argument', dim: 'dimension' });

/** The JavaScript code for a C error name. */
export function jsCode(cName) {
  return Object.prototype.hasOwnProperty.call(JS_ALIASES, cName) ? JS_ALIASES[cName] : cName;
}

/** The broad class of a code: 'bad_file' for every defect of a model file,
 *  'usage' for a caller's mistake, 'resource' for limits, I/O and cancelled
 *  loads, 'state' for use after dispose, 'internal' otherwise. */
export function categoryOf(code, cCode) {
  if (typeof cCode === 'number' && cCode >= 20 && cCode < 60) return 'bad_file';
  switch (code) {
    case 'invalid_argument': case 'index': case 'unknown_id': case 'dimension': case 'k':
    case 'no_table': case 'no_ids': case 'nonfinite_input':
      return 'usage';
    case 'too_large': case 'nomem': case 'io': case 'wasm': case 'aborted':
      return 'resource';
    case 'disposed':
      return 'state';
    case 'metadata':
      return 'bad_file';
    default:
      return typeof cCode === 'number' ? 'bad_file' : 'internal';
  }
}

export class MemcomError extends Error {
  /**
   * @param {string} code stable identifier
   * @param {string} message what is wrong (prefixed with "memcom: ")
   * @param {{ cCode?: number, cause?: unknown, detail?: string }} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message.startsWith('memcom: ') ? message : `memcom: ${message}`,
      extra.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = 'MemcomError';
    /** stable identifier, e.g. 'unknown_id', 'section_crc' */
    this.code = code;
    /** 'bad_file' | 'usage' | 'resource' | 'state' | 'internal' */
    this.category = categoryOf(code, extra.cCode);
    /** the numeric memcom_error of the C core, or undefined for JS-side checks */
    this.cCode = extra.cCode;
    if (extra.detail !== undefined) this.detail = extra.detail;
  }
}

/** A caller's value, briefly, for messages: "\"abc\"", "5", "an array of length 3", "a Float32Array". */
export function describe(v) {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Throw a MemcomError with code 'invalid_argument'. */
export function invalidArgument(message) {
  return new MemcomError('invalid_argument', message);
}
