// model.js - MemcomModel: the recommender of MEMCOM.md section 3 (input
// table, dense layers, output table plus bias) on top of MemcomTable.

import { MemcomError, C_ERROR_NAMES } from './errors.js';
import { MemcomTable, Scratch, openSource } from './table.js';

function checkOptions(options, where) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new MemcomError('invalid_argument', `${where}: options must be an object`);
  return options;
}

export class MemcomModel extends MemcomTable {
  /** @internal */
  constructor(opened) {
    super(opened, 'model');
  }

  _history(history, what) {
    if (!this._info.input) {
      throw new MemcomError(C_ERROR_NAMES[8], `${what}: this file has no input table (a table file): use topK(vector) instead`);
    }
    return this._indices(history, `${what}: history`);
  }

  /** Compute the user vector into scratch; returns nothing (caller owns the scratch). */
  _userVectorInto(h, hist, hp, up) {
    const rt = this._rt;
    rt.u32.set(hist, hp >>> 2);
    rt.check(rt.exports.mc_user_vector(h, hp, hist.length, up), 'userVector');
  }

  /** The user vector for a history of items (ids or indices): a Float32Array(d). */
  userVector(history) {
    const rt = this._rt;
    const h = this._live();
    const hist = this._history(history, 'userVector');
    const d = this._info.output.d;
    const sc = new Scratch(rt, [hist.length * 4, d * 4], 'userVector');
    try {
      const [hp, up] = sc.ptrs;
      this._userVectorInto(h, hist, hp, up);
      return rt.f32.slice(up >>> 2, (up >>> 2) + d);
    } finally {
      sc.free();
    }
  }

  /** Scores of every item for a history: a Float32Array(n) (a copy, not a view of wasm memory). */
  scores(history) {
    const rt = this._rt;
    const h = this._live();
    const hist = this._history(history, 'scores');
    const d = this._info.output.d;
    const n = this._info.n;
    const sc = new Scratch(rt, [hist.length * 4, d * 4, n * 4], 'scores');
    try {
      const [hp, up, sp] = sc.ptrs;
      this._userVectorInto(h, hist, hp, up);
      rt.check(rt.exports.mc_score_vector(h, up, d, sp), 'scores');
      return rt.f32.slice(sp >>> 2, (sp >>> 2) + n);
    } finally {
      sc.free();
    }
  }

  /**
   * The top-k items for a history: [{ id, index, score }] by descending score,
   * ties lower index first; the history is excluded unless options.exclude says otherwise.
   */
  recommend(history, options) {
    options = checkOptions(options, 'recommend');
    const rt = this._rt;
    const h = this._live();
    const hist = this._history(history, 'recommend');
    const { exclude, candidates, kEff } = this._rankArgs(options, hist, 'recommend');
    if (kEff === 0) return [];
    const sc = new Scratch(rt, [hist.length * 4, exclude.length * 4, candidates ? candidates.length * 4 : 0,
      kEff * 4, kEff * 4, 4], 'recommend');
    try {
      const [hp, ep, cp, ip, sp, np] = sc.ptrs;
      rt.u32.set(hist, hp >>> 2);
      rt.u32.set(exclude, ep >>> 2);
      if (candidates) rt.u32.set(candidates, cp >>> 2);
      rt.check(rt.exports.mc_recommend(h, hp, hist.length, kEff, ep, exclude.length, candidates ? cp : 0,
        candidates ? candidates.length : 0, ip, sp, np), 'recommend');
      return this._results(rt, ip, sp, rt.u32[np >>> 2]);
    } finally {
      sc.free();
    }
  }
}

/** Load a .memcom model (see index.d.ts for sources and options). */
export async function loadModel(source, options) {
  return new MemcomModel(await openSource(source, options, 'loadModel'));
}
