// model.js - MemcomModel: the recommender of docs/METHOD.md (input table,
// dense layers, output table plus bias) on top of MemcomTable, with the same
// re-entrancy rules (table.js): arguments converted first, then the handle.

import { MemcomError, describe } from './errors.js';
import { MemcomTable, checkOptions, warmedUp } from './table.js';
import { openSource } from './open.js';

export class MemcomModel extends MemcomTable {
  /** @internal */
  constructor(opened) {
    super(opened, 'model');
  }

  _history(history, what) {
    if (!this._info.input) {
      throw new MemcomError('no_table', `${what}: this file has no input table (a table file): use topK(vector) instead`);
    }
    return this._indices(history, `${what}: history`);
  }

  /** The user vector into scratch part `up` (history at `hp`); the arguments are converted. */
  _userVectorInto(h, hist, hp, up) {
    const rt = this._rt;
    rt.u32.set(hist, hp >>> 2);
    rt.check(rt.exports.mc_user_vector(h, hp, hist.length, up), 'userVector');
  }

  /** The user vector for a history of items (ids or indices): a Float32Array(d). */
  userVector(history) {
    return this._guard(() => {
      const hist = this._history(history, 'userVector');
      const rt = this._rt;
      const h = this._live();
      const d = this._info.output.d;
      const [hp, up] = rt.scratch([hist.length * 4, d * 4], 'userVector');
      this._userVectorInto(h, hist, hp, up);
      return rt.f32.slice(up >>> 2, (up >>> 2) + d);
    });
  }

  /** Scores of every item for a history: a Float32Array(n) (a copy, not a view of wasm memory). */
  scores(history) {
    return this._guard(() => {
      const hist = this._history(history, 'scores');
      const rt = this._rt;
      const h = this._live();
      const d = this._info.output.d;
      const n = this._info.n;
      const [hp, up, sp] = rt.scratch([hist.length * 4, d * 4, n * 4], 'scores');
      this._userVectorInto(h, hist, hp, up);
      rt.check(rt.exports.mc_score_vector(h, up, d, sp), 'scores');
      return rt.f32.slice(sp >>> 2, (sp >>> 2) + n);
    });
  }

  /**
   * The popularity setting recommend() uses when options.popularity is not
   * given: the default the trainer chose on validation data and recorded in
   * the metadata (serving.popularity), else 1 (as trained).
   */
  get defaultPopularity() {
    this._live();
    return metadataPopularity(this._info);
  }

  /**
   * The top-k items for a history: [{ id, index, score }] by descending score,
   * ties lower index first; the history is excluded unless options.exclude says otherwise.
   * options.popularity in [0, 1]: 1 ranks as trained, lower values leave out
   * more of what every user gets (memcom_recommend_popularity: in full up to
   * 5 history items, fading beyond); default this.defaultPopularity.
   * A ranker (info.ranker) ranks by its head's score s_i; with options.rerankDepth R
   * it ranks two-stage: the exact top max(R, k) by the factorised score, re-ranked by s_i.
   */
  recommend(history, options) {
    return this._guard(() => {
      options = checkOptions(options, 'recommend');
      let popularity = checkPopularity(options.popularity, this._info);
      const hist = this._history(history, 'recommend');
      const { exclude, candidates, kEff } = this._rankArgs(options, hist, 'recommend');
      const depth = options.rerankDepth;
      if (depth !== undefined && (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1 || depth > 0x7fffffff)) {
        throw new MemcomError('invalid_argument', `recommend: rerankDepth must be a positive integer, got ${describe(depth)}`);
      }
      if (kEff === 0) return [];
      const x = this._rt.exports;
      // the model's default applies to one-stage ranking; with rerankDepth it ranks as trained
      if (options.popularity === undefined && depth !== undefined) popularity = 1;
      if (popularity !== 1 && depth !== undefined) {
        throw new MemcomError('invalid_argument', `recommend: options.popularity (${popularity}) applies to one-stage ranking, not with rerankDepth`);
      }
      return this._rank('recommend', [hist], exclude, candidates, kEff, popularity === 1
        ? (h, hp, ...rest) => x.mc_recommend(h, hp, hist.length, kEff, depth ?? 0, ...rest)
        : (h, hp, ...rest) => x.mc_recommend_popularity(h, hp, hist.length, popularity, kEff, ...rest));
    });
  }

  /**
   * Rank `candidates` (ids or indices; duplicates count once) for a history by
   * the ranker's score s_i (a model without a head: by the factorised score):
   * the top options.k (default: all of them), nothing excluded.
   */
  rerank(history, candidates, options) {
    return this._guard(() => {
      options = checkOptions(options, 'rerank');
      const hist = this._history(history, 'rerank');
      const cand = this._indices(candidates, 'rerank: candidates');
      const k = options.k === undefined ? Math.max(cand.length, 1) : options.k;
      const { kEff } = this._rankArgs({ k }, hist, 'rerank');
      const out = Math.min(kEff, cand.length);
      if (out === 0) return [];
      const rt = this._rt;
      const h = this._live();
      const [hp, cp, ip, sp, np] = rt.scratch([hist.length * 4, cand.length * 4, out * 4, out * 4, 4], 'rerank');
      rt.u32.set(hist, hp >>> 2);
      rt.u32.set(cand, cp >>> 2);
      rt.check(rt.exports.mc_rerank(h, hp, hist.length, cp, cand.length, out, ip, sp, np), 'rerank');
      return this._results(rt, ip, sp, rt.u32[np >>> 2]);
    });
  }
}

/** The default the metadata records (serving.popularity, a number in [0, 1]), else 1. */
function metadataPopularity(info) {
  const s = info.metadata.serving;
  const p = s !== null && typeof s === 'object' ? s.popularity : undefined;
  return typeof p === 'number' && p >= 0 && p <= 1 ? p : 1;
}

function checkPopularity(p, info) {
  if (p === undefined) return metadataPopularity(info);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new MemcomError('invalid_argument', `recommend: options.popularity must be a number in [0, 1], got ${describe(p)}`);
  }
  return p;
}

/** Load a .memcom model (see index.d.ts for sources and options). */
export async function loadModel(source, options) {
  return warmedUp(new MemcomModel(await openSource(source, options, 'loadModel')));
}
