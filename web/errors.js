// errors.js - MemcomError: every failure of the memcom package is one of these,
// with a stable string `code` (for programs) and a message naming the problem
// (for people).
//
// Codes reported by the C core are its memcom_error_name() strings ("truncated",
// "section_crc", "unknown_id", ...), except two spelt out in full: the core's
// "arg" is 'invalid_argument' and its "dim" is 'dimension'.  The JavaScript layer adds its own codes
// for problems it catches before calling the core:
//   invalid_argument  a bad option or argument (names the field)
//   index             an item index out of range
//   unknown_id        an item id string not stored in the model
//   dimension         a vector of the wrong length
//   k                 k is not a positive integer
//   disposed          the model or table was disposed
//   too_large         a file larger than maxBytes or than wasm memory can hold
//   nomem             wasm memory could not be allocated
//   io                the source could not be read or fetched
//   wasm              the WebAssembly module could not be loaded or is not memcom's
//   metadata          the metadata section is not a JSON object

/** Codes of the C core (memcom.h) by number; the runtime names from mc_error_name
 *  take precedence, this table is only used where no runtime is at hand. */
export const C_ERROR_NAMES = Object.freeze({
  1: 'nomem', 2: 'invalid_argument', 3: 'io', 4: 'index', 5: 'unknown_id', 6: 'dimension',
  7: 'k', 8: 'no_table', 9: 'no_ids', 10: 'too_large', 11: 'nonfinite_input',
  20: 'truncated', 21: 'magic', 22: 'version', 23: 'header_size', 24: 'header_crc',
  25: 'file_size', 26: 'flags', 27: 'directory', 28: 'directory_crc', 29: 'section_type',
  30: 'section_dup', 31: 'section_missing', 32: 'section_unexpected', 33: 'section_bounds',
  34: 'section_align', 35: 'section_overlap', 36: 'section_size', 37: 'section_crc',
  38: 'section_dtype', 40: 'table_kind', 41: 'table_dtype', 42: 'bucket_mode', 43: 'sizes',
  44: 'bucket_range', 45: 'layers', 46: 'nonfinite', 47: 'ids', 48: 'ids_utf8', 49: 'ids_dup',
  50: 'ids_order', 51: 'metadata', 52: 'row_scale',
});

/** C names that the JavaScript API spells out in full (the only renames). */
export const JS_ALIASES = Object.freeze({ arg: 'invalid_argument', dim: 'dimension' });

/** The JavaScript code for a C error name. */
export function jsCode(cName) {
  return Object.prototype.hasOwnProperty.call(JS_ALIASES, cName) ? JS_ALIASES[cName] : cName;
}

/** The broad class of a code: 'bad_file' for every defect of a model file,
 *  'usage' for a caller's mistake, 'resource' for limits and I/O, 'state' for
 *  use after dispose, 'internal' otherwise. */
export function categoryOf(code, cCode) {
  if (typeof cCode === 'number' && cCode >= 20 && cCode < 60) return 'bad_file';
  switch (code) {
    case 'invalid_argument': case 'index': case 'unknown_id': case 'dimension': case 'k':
    case 'no_table': case 'no_ids': case 'nonfinite_input':
      return 'usage';
    case 'too_large': case 'nomem': case 'io': case 'wasm':
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

/** Throw a MemcomError with code 'invalid_argument'. */
export function invalidArgument(message) {
  return new MemcomError('invalid_argument', message);
}
