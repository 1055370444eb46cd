// The result columns: one per model of the manifest, each downloaded and
// validated (its size and load time shown), then ranking the catalogue for the
// picks (its list and per-query latency shown); later columns mark the items
// they share with the first.

import { loadModel } from '../web/index.js';
import { $, el } from './dom.js';
import { formatBytes, formatMs, describeError } from './format.js';
import { titleOf } from './catalogue.js';
import { MODELS_DIR, SIMD_OPTION, K, params } from './config.js';
import { hook } from './status.js';

// A model that could not be shown: stage 'download' or 'validate'.
export class LoadError extends Error {
  constructor(spec, stage, detail) {
    super(detail);
    this.spec = spec;
    this.stage = stage;
  }
}

// The models to show: all of the manifest's, or the one named by ?model=.
export function modelSpecsFromUrl(manifest) {
  const wanted = params.get('model');
  if (!wanted) return manifest.models;
  const known = manifest.models.find((m) => m.key === wanted);
  if (known) return [known];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/.test(wanted)) {
    throw new Error(`?model=${wanted} is not a valid model name (letters, digits, ".", "_" and "-" only).`);
  }
  const file = wanted.endsWith('.memcom') ? wanted : `${wanted}.memcom`;
  return [{ key: wanted, file, label: `Model “${wanted}”`, note: 'chosen with ?model=' }];
}

// Download and validate one model: { spec, model, size, downloadMs, initMs, loadMs }.
export async function loadColumn(spec) {
  const url = new URL(spec.file, MODELS_DIR);
  const t0 = performance.now();
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new LoadError(spec, 'download', `the request for ${url.pathname} failed: ${e.message}`);
  }
  if (!res.ok) {
    throw new LoadError(spec, 'download',
      `the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${url.pathname}. ` +
      'Is the file there? (demo/make-models.sh regenerates the demo models.)');
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const t1 = performance.now();
  let model;
  try {
    model = await loadModel(bytes, { simd: SIMD_OPTION });
  } catch (e) {
    const err = new LoadError(spec, 'validate',
      `${url.pathname} (${formatBytes(bytes.length)}) is not a usable memcom model: ${describeError(e)}`);
    err.cause = e;
    throw err;
  }
  const t2 = performance.now();
  return { spec, model, size: bytes.length, downloadMs: t1 - t0, initMs: t2 - t1, loadMs: t2 - t0 };
}

// The error box's title for a model that failed to load.
export function loadErrorTitle(e) {
  const label = e.spec ? e.spec.label : 'A model';
  return e.stage === 'download' ? `${label} could not be downloaded`
    : e.cause?.category === 'bad_file' ? `${label} is damaged` : `${label} could not be loaded`;
}

// One line about how a model stores its tables, from model.info.
function describeModel(info) {
  const out = info.output;
  if (!out) return '';
  const inp = info.input;
  const parts = [];
  if (inp && inp.kind !== out.kind) parts.push(`input table ${inp.kind}, output table ${out.kind}`);
  const n = out.n.toLocaleString('en-US');
  parts.push(out.kind === 'full' ? `${n} movies` : `${out.m.toLocaleString('en-US')} shared rows for ${n} movies`);
  parts.push(`${out.d} numbers per row (${out.dtype})`);
  return parts.join(' · ');
}

// The column's element (header, stats, list); keeps its parts on col.
function buildColumn(col, i) {
  const { spec, model } = col;
  const info = model.info || {};
  const ratio = Number(info.compressionRatio ?? info.compression_ratio);
  const stats = el('dl', { class: 'stats' },
    el('div', {}, el('dt', { text: 'download' }), el('dd', { class: 'size', text: formatBytes(col.size) })),
    el('div', {}, el('dt', { text: 'load' }), el('dd', { class: 'load',
      title: `download ${formatMs(col.downloadMs)} + validate and set up ${formatMs(col.initMs)}`,
      text: formatMs(col.loadMs) })),
    el('div', {}, el('dt', { text: 'per query' }), col.latencyEl = el('dd', { class: 'latency', text: '–' })));
  const fileRatio = Number(info.fileCompressionRatio);
  const times = (x) => `${+x.toFixed(x < 10 ? 1 : 0)}×`;
  // the item tables' ratio, and the whole file's (ids, bias, layers and metadata included)
  const badge = Number.isFinite(ratio) && ratio > 1.0001
    ? `${times(ratio)} smaller tables${Number.isFinite(fileRatio) && fileRatio > 1.0001 ? `, ${times(fileRatio)} smaller file` : ''}`
    : 'uncompressed';
  col.listEl = el('ol', { class: 'reclist', 'aria-label': `Recommendations of the ${spec.label}` });
  col.noteEl = el('p', { class: 'overlap' });
  col.el = el('article', { class: 'column', 'data-key': spec.key, 'aria-labelledby': `col-h-${i}` },
    el('header', {},
      el('div', { class: 'column-title' },
        el('h3', { id: `col-h-${i}`, text: spec.label }),
        el('p', { class: 'badge' + (badge === 'uncompressed' ? ' full' : ''), text: badge })),
      spec.note ? el('p', { class: 'desc', text: spec.note }) : null,
      el('p', { class: 'desc tech', text: describeModel(info) })),
    stats, col.noteEl, col.listEl);
  return col.el;
}

// Per-query latency: repeat the query until about 6 ms have passed (at least 3,
// at most 200 times) and take the mean, so that fast models are not rounded to
// the browser's timer resolution.
function timeQuery(fn, budgetMs = 6) {
  let runs = 0;
  const t0 = performance.now();
  let t = t0;
  while (runs < 3 || (t - t0 < budgetMs && runs < 200)) {
    fn();
    runs++;
    t = performance.now();
  }
  return (t - t0) / runs;
}

// On narrow screens one column shows at a time, chosen by a tab per model
// (the CSS hides the tabs on wide screens, where the columns stand side by side).
function showTabs(columns) {
  const bar = $('column-tabs');
  const box = $('columns');
  const tabs = columns.map((col, i) => el('button', {
    type: 'button', role: 'tab', id: `col-tab-${i}`, 'aria-controls': `col-${i}`, class: 'tab',
    text: col.spec.label, onclick: () => select(i),
    onkeydown: (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (step) { select((i + step + columns.length) % columns.length); tabs[(i + step + columns.length) % columns.length].focus(); }
    },
  }));
  function select(i) {
    columns.forEach((col, j) => {
      col.el.classList.toggle('active', i === j);
      tabs[j].setAttribute('aria-selected', String(i === j));
      tabs[j].tabIndex = i === j ? 0 : -1;
    });
    box.dataset.active = String(i);
  }
  columns.forEach((col, i) => {
    col.el.id = `col-${i}`;
    col.el.setAttribute('role', 'tabpanel');
    col.el.setAttribute('aria-labelledby', `col-tab-${i} col-h-${i}`);
  });
  bar.replaceChildren(...tabs);
  bar.hidden = columns.length < 2;
  select(0);
}

// Put the loaded columns on the page.
export function showColumns(columns) {
  $('columns').replaceChildren(...columns.map(buildColumn));
  showTabs(columns);
  // Warm up: a few queries per model let the browser's WebAssembly tier-up
  // (baseline -> optimising compiler) happen before the latencies are shown.
  for (const col of columns) timeQuery(() => col.model.recommend([0, 1, 2], { k: K }), 15);
}

export function showNoColumns() {
  $('columns').replaceChildren(el('p', { class: 'hint', text: 'No model could be loaded (see the message above).' }));
}

// The popularity each model ranks with for a "Lean on" choice: popular movies
// (1, the model as trained), a balance (the model's default, chosen by the
// trainer on held-out users) or your picks (half of that default).
const LEAN = {
  popular: () => 1,
  default: (model) => model.defaultPopularity,
  personal: (model) => model.defaultPopularity / 2,
};

export function leanPopularity(lean, model) {
  return LEAN[lean](model);
}

// Rank for the picks in every column and show the lists.
export function renderRecommendations(columns, history, catalogue, lean = 'default') {
  const reference = [];
  columns.forEach((col, ci) => {
    if (!col.model) return;
    let recs = [];
    let latency = NaN;
    col.listEl.replaceChildren();
    if (history.length === 0) {
      col.listEl.append(el('li', { class: 'placeholder', text: 'Add a movie to see recommendations.' }));
      col.latencyEl.textContent = '–';
      col.noteEl.textContent = '';
      col.lastIds = [];
      return;
    }
    try {
      const options = { k: K, popularity: leanPopularity(lean, col.model) };
      recs = col.model.recommend(history, options);
      latency = timeQuery(() => col.model.recommend(history, options));
    } catch (e) {
      col.listEl.append(el('li', { class: 'placeholder error-text', text: `This model could not rank: ${describeError(e)}` }));
      return;
    }
    col.latencyEl.textContent = formatMs(latency);
    col.lastIds = recs.map((r) => String(r.id));
    if (ci === 0) reference.push(...col.lastIds);
    const refSet = new Set(reference);
    recs.forEach((r, j) => {
      const { title, year } = titleOf(catalogue, r.id);
      const shared = ci > 0 && refSet.has(String(r.id));
      col.listEl.append(el('li', { class: 'rec' + (shared ? ' shared' : ''), 'data-id': String(r.id) },
        el('span', { class: 'rank', 'aria-hidden': 'true', text: String(j + 1) }),
        el('span', { class: 'title', text: title }),
        year ? el('span', { class: 'year', text: String(year) }) : null,
        shared ? el('span', { class: 'visually-hidden', text: ' (also recommended by the full model)' }) : null));
    });
    if (ci > 0 && reference.length) {
      const common = col.lastIds.filter((id) => refSet.has(id)).length;
      col.noteEl.textContent = `${common} of ${recs.length} shared with the ${columns[0].spec.label.toLowerCase()} (green)`;
    } else {
      col.noteEl.textContent = columns.length > 1 ? 'The other columns mark in green what they share with this one.' : '';
    }
  });
  const n = history.length;
  $('recs-status').textContent = n
    ? `Recommendations updated for ${n} movie${n === 1 ? '' : 's'}.`
    : 'No movies picked; recommendations cleared.';
  hook.lastUpdate = performance.now();
}
