// memcom demo page. Plain ES module, no dependencies besides the memcom package
// itself; written for a strict CSP (no eval, no inline scripts or styles).

import { loadModel, init, MemcomError } from '../web/index.js';

const MODELS_DIR = new URL('./models/', import.meta.url);
const params = new URLSearchParams(location.search);
const FORCE_SCALAR = params.get('simd') === '0';
const SIMD_OPTION = FORCE_SCALAR ? false : 'auto';
const K = 10;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state

const state = {
  manifest: null,
  catalogue: null, // { ids, titles, years, norm, byId: Map(id -> row) }
  columns: [], // { spec, model, bytes, downloadMs, initMs, el, ... }
  picks: [], // item ids (strings), in the order added
  searchHits: [],
  activeHit: -1,
};

// Exposed for the browser tests (read-only use).
window.memcomDemo = { state, ready: false, errors: [] };

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

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

// Lower-case, strip accents and punctuation: "Amélie (Fabuleux destin…)" -> "amelie fabuleux destin".
export function normalise(s) {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function describeError(err) {
  if (err instanceof MemcomError || (err && typeof err.code === 'string')) {
    return `${err.message} (error code: ${err.code})`;
  }
  return err && err.message ? err.message : String(err);
}

function showError(title, detail) {
  const box = $('error');
  detail = detail.charAt(0).toUpperCase() + detail.slice(1);
  box.replaceChildren(el('h2', { text: title }), el('p', { text: detail }),
    el('p', { class: 'hint' }, 'Back to ', el('a', { href: './', text: 'the normal demo' }), '.'));
  box.hidden = false;
  window.memcomDemo.errors.push(`${title}: ${detail}`);
}

class LoadError extends Error {
  constructor(spec, stage, detail) {
    super(detail);
    this.spec = spec;
    this.stage = stage;
  }
}

// ---------------------------------------------------------------- loading

async function fetchJson(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`Could not fetch ${what} (${url.pathname}): ${e.message}`);
  }
  if (!res.ok) throw new Error(`Could not fetch ${what} (${url.pathname}): HTTP ${res.status} ${res.statusText}`);
  try {
    return await res.json();
  } catch (e) {
    throw new Error(`${what} (${url.pathname}) is not valid JSON: ${e.message}`);
  }
}

async function loadColumn(spec) {
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

function modelSpecsFromUrl(manifest) {
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

function parseCatalogue(json) {
  const rows = json.movies;
  if (!Array.isArray(rows)) throw new Error('movies.json has no "movies" array');
  const n = rows.length;
  const ids = new Array(n);
  const titles = new Array(n);
  const years = new Array(n);
  const norm = new Array(n);
  const byId = new Map();
  rows.forEach(([id, title, year], i) => {
    ids[i] = String(id);
    titles[i] = title;
    years[i] = year ?? null;
    norm[i] = ' ' + normalise(title) + ' ';
    byId.set(ids[i], i);
  });
  return { ids, titles, years, norm, byId };
}

function titleOf(id) {
  const row = state.catalogue.byId.get(String(id));
  if (row === undefined) return { title: `Item ${id}`, year: null };
  return { title: state.catalogue.titles[row], year: state.catalogue.years[row] };
}

// ---------------------------------------------------------------- search

export function searchCatalogue(cat, query, limit = 8) {
  const q = normalise(query);
  if (!q) return [];
  const tokens = q.split(' ');
  const hits = [];
  for (let i = 0; i < cat.norm.length; i++) {
    const t = cat.norm[i];
    let ok = true;
    for (const tok of tokens) {
      if (!t.includes(tok)) { ok = false; break; }
    }
    if (!ok) continue;
    // Rank: title starts with the query, then a word starts with it, then anything;
    // within a rank, catalogue order (the models number items by popularity).
    let rank = 2;
    if (t.startsWith(' ' + q)) rank = 0;
    else if (t.includes(' ' + q)) rank = 1;
    hits.push(rank * 1e7 + i);
  }
  hits.sort((a, b) => a - b);
  return hits.slice(0, limit).map((h) => h % 1e7);
}

function renderSearch() {
  const input = $('search');
  const list = $('search-results');
  const hits = state.searchHits;
  list.replaceChildren();
  if (!input.value.trim()) {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    $('search-status').textContent = '';
    return;
  }
  if (hits.length === 0) {
    list.append(el('li', { class: 'empty', role: 'option', 'aria-disabled': 'true', text: 'No matching title' }));
  }
  hits.forEach((row, j) => {
    const id = state.catalogue.ids[row];
    const chosen = state.picks.includes(id);
    const li = el('li', {
      id: `hit-${j}`,
      role: 'option',
      class: 'hit' + (j === state.activeHit ? ' active' : '') + (chosen ? ' chosen' : ''),
      'aria-selected': j === state.activeHit ? 'true' : 'false',
      'data-id': id,
      onmousedown: (ev) => ev.preventDefault(), // keep focus in the input
      onclick: () => addPick(id),
    },
    el('span', { class: 'title', text: state.catalogue.titles[row] }),
    state.catalogue.years[row] ? el('span', { class: 'year', text: String(state.catalogue.years[row]) }) : null,
    chosen ? el('span', { class: 'tag', text: 'added' }) : null);
    list.append(li);
  });
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  if (state.activeHit >= 0) input.setAttribute('aria-activedescendant', `hit-${state.activeHit}`);
  else input.removeAttribute('aria-activedescendant');
  $('search-status').textContent = hits.length ? `${hits.length} titles shown` : 'No matching title';
}

function onSearchInput() {
  state.searchHits = searchCatalogue(state.catalogue, $('search').value);
  state.activeHit = state.searchHits.length ? 0 : -1;
  renderSearch();
}

function onSearchKey(ev) {
  const n = state.searchHits.length;
  if (ev.key === 'ArrowDown' && n) {
    state.activeHit = (state.activeHit + 1) % n;
    renderSearch();
    ev.preventDefault();
  } else if (ev.key === 'ArrowUp' && n) {
    state.activeHit = (state.activeHit - 1 + n) % n;
    renderSearch();
    ev.preventDefault();
  } else if (ev.key === 'Enter') {
    if (state.activeHit >= 0 && n) addPick(state.catalogue.ids[state.searchHits[state.activeHit]]);
    ev.preventDefault();
  } else if (ev.key === 'Escape') {
    $('search').value = '';
    onSearchInput();
  }
}

// ---------------------------------------------------------------- picks

function addPick(id) {
  id = String(id);
  if (!state.picks.includes(id)) state.picks.push(id);
  $('search').value = '';
  onSearchInput();
  $('search').focus();
  update();
}

function removePick(id) {
  const at = state.picks.indexOf(id);
  state.picks = state.picks.filter((p) => p !== id);
  update();
  // Keep keyboard focus nearby: the next chip's remove button, else the search box.
  const buttons = document.querySelectorAll('#chosen .remove');
  (buttons[Math.min(at, buttons.length - 1)] || $('search')).focus();
}

function renderPicks() {
  const ul = $('chosen');
  ul.replaceChildren(...state.picks.map((id) => {
    const { title, year } = titleOf(id);
    const name = year ? `${title} (${year})` : title;
    return el('li', { class: 'chip', 'data-id': id },
      el('span', { class: 'title', text: title }),
      year ? el('span', { class: 'year', text: String(year) }) : null,
      el('button', { type: 'button', class: 'remove', 'aria-label': `Remove ${name}`, title: `Remove ${name}`,
        onclick: () => removePick(id), text: '×' }));
  }));
  $('chosen-count').textContent = String(state.picks.length);
  $('chosen-empty').hidden = state.picks.length > 0;
  $('clear').disabled = state.picks.length === 0;
  const url = new URL(location.href);
  if (state.picks.length) url.searchParams.set('picks', state.picks.join(','));
  else url.searchParams.delete('picks');
  history.replaceState(null, '', url);
}

// ---------------------------------------------------------------- recommendations

function buildColumn(col, i) {
  const { spec, model } = col;
  const info = model.info || {};
  const ratio = Number(info.compressionRatio ?? info.compression_ratio);
  const stats = el('dl', { class: 'stats' },
    el('div', {}, el('dt', { text: 'download' }), el('dd', { class: 'size', text: formatBytes(col.size) })),
    el('div', {}, el('dt', { text: 'load' }), el('dd', { class: 'load',
      title: `download ${formatMs(col.downloadMs)} + validate and set up ${formatMs(col.initMs)}`,
      text: formatMs(col.loadMs) }), el('dd', { class: 'sub', text: `validate ${formatMs(col.initMs)}` })),
    el('div', {}, el('dt', { text: 'per query' }), col.latencyEl = el('dd', { class: 'latency', text: '–' })));
  const badge = Number.isFinite(ratio) && ratio > 1.0001 ? `${+ratio.toFixed(ratio < 10 ? 1 : 0)}× smaller tables` : 'uncompressed';
  col.listEl = el('ol', { class: 'reclist', 'aria-label': `Recommendations of the ${spec.label}` });
  col.noteEl = el('p', { class: 'overlap' });
  col.el = el('article', { class: 'column', 'data-key': spec.key, 'aria-labelledby': `col-h-${i}` },
    el('header', {},
      el('h3', { id: `col-h-${i}`, text: spec.label }),
      el('p', { class: 'badge' + (badge === 'uncompressed' ? ' full' : ''), text: badge }),
      el('p', { class: 'desc', text: describeModel(info) }),
      spec.note ? el('p', { class: 'desc', text: spec.note }) : null),
    stats, col.noteEl, col.listEl);
  return col.el;
}

function describeModel(info) {
  const out = info.output;
  if (!out) return '';
  const inp = info.input;
  const parts = [];
  parts.push(inp && inp.kind !== out.kind ? `input ${inp.kind}, output ${out.kind}` : `${inp ? 'both tables' : 'output table'} ${out.kind}`);
  if (out.kind === 'full') parts.push(`${out.n.toLocaleString('en-US')} items`);
  else parts.push(`${out.m.toLocaleString('en-US')} shared rows for ${out.n.toLocaleString('en-US')} items`);
  if (out.bucket === 'explicit') parts.push('learned buckets');
  parts.push(`d = ${out.d}`);
  parts.push(out.dtype);
  return parts.join(' · ');
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

function update() {
  renderPicks();
  const reference = [];
  state.columns.forEach((col, ci) => {
    if (!col.model) return;
    const history = state.picks;
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
      recs = col.model.recommend(history, { k: K });
      latency = timeQuery(() => col.model.recommend(history, { k: K }));
    } catch (e) {
      col.listEl.append(el('li', { class: 'placeholder error-text', text: `This model could not rank: ${describeError(e)}` }));
      return;
    }
    col.latencyEl.textContent = formatMs(latency);
    col.lastIds = recs.map((r) => String(r.id));
    if (ci === 0) reference.push(...col.lastIds);
    const refSet = new Set(reference);
    recs.forEach((r, j) => {
      const { title, year } = titleOf(r.id);
      const shared = ci > 0 && refSet.has(String(r.id));
      col.listEl.append(el('li', { class: 'rec' + (shared ? ' shared' : ''), 'data-id': String(r.id) },
        el('span', { class: 'rank', 'aria-hidden': 'true', text: String(j + 1) }),
        el('span', { class: 'title', text: title }),
        year ? el('span', { class: 'year', text: String(year) }) : null,
        shared ? el('span', { class: 'visually-hidden', text: ' (also recommended by the full model)' }) : null));
    });
    if (ci > 0 && reference.length) {
      const common = col.lastIds.filter((id) => refSet.has(id)).length;
      col.noteEl.textContent = `${common} of ${recs.length} also in the ${state.columns[0].spec.label.toLowerCase()}'s list`;
    } else {
      col.noteEl.textContent = '';
    }
  });
  const n = state.picks.length;
  $('recs-status').textContent = n
    ? `Recommendations updated for ${n} movie${n === 1 ? '' : 's'}.`
    : 'No movies picked; recommendations cleared.';
  window.memcomDemo.lastUpdate = performance.now();
}

// ---------------------------------------------------------------- chart

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const SHAPES = ['circle', 'square', 'diamond', 'triangle', 'cross', 'star', 'down', 'plus'];
function marker(shape, x, y, r, cls) {
  switch (shape) {
    case 'square': return svg('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, class: cls });
    case 'diamond': return svg('path', { d: `M${x},${y - r * 1.3}L${x + r * 1.3},${y}L${x},${y + r * 1.3}L${x - r * 1.3},${y}Z`, class: cls });
    case 'triangle': return svg('path', { d: `M${x},${y - r * 1.3}L${x + r * 1.2},${y + r}L${x - r * 1.2},${y + r}Z`, class: cls });
    case 'cross': return svg('path', { d: `M${x - r},${y - r}L${x + r},${y + r}M${x + r},${y - r}L${x - r},${y + r}`, class: cls + ' stroke-only' });
    case 'star': return svg('path', { d: starPath(x, y, r * 1.4), class: cls });
    case 'down': return svg('path', { d: `M${x},${y + r * 1.3}L${x + r * 1.2},${y - r}L${x - r * 1.2},${y - r}Z`, class: cls });
    case 'plus': return svg('path', { d: `M${x - r * 1.2},${y}L${x + r * 1.2},${y}M${x},${y - r * 1.2}L${x},${y + r * 1.2}`, class: cls + ' stroke-only' });
    default: return svg('circle', { cx: x, cy: y, r, class: cls });
  }
}
function starPath(x, y, r) {
  let d = '';
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const rr = i % 2 ? r * 0.45 : r;
    d += `${i ? 'L' : 'M'}${(x + rr * Math.cos(a)).toFixed(2)},${(y + rr * Math.sin(a)).toFixed(2)}`;
  }
  return d + 'Z';
}

function niceTicks(lo, hi, count = 5) {
  const span = hi - lo || Math.abs(hi) || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => span / s <= count) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toFixed(10));
  return ticks;
}

// points: [{ series, label, bytes, value }]; series are drawn as lines in bytes order.
export function drawChart(container, points, { yLabel, title, id = 'c', reference = null, seriesOrder = null }) {
  // seriesOrder keeps one colour and shape per series across several charts.
  const present = new Set(points.map((p) => p.series));
  const series = seriesOrder ? seriesOrder.filter((s) => present.has(s)) : [...present];
  const styleIndex = (name) => (seriesOrder ? seriesOrder.indexOf(name) : series.indexOf(name));
  const W = 760, H = 380, L = 76, R = series.length > 1 ? 220 : 24, T = 20, B = 52;
  const labelPoints = points.length <= 8 && new Set(points.map((p) => p.series)).size === 1;
  const xs = points.map((p) => p.bytes);
  const ys = points.map((p) => p.value);
  // Keep points (and their labels) away from the frame: pad both axes.
  let x0 = Math.log10(Math.min(...xs)), x1 = Math.log10(Math.max(...xs));
  const xpad = Math.max(0.12, (x1 - x0) * 0.08);
  x0 -= xpad; x1 += xpad;
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  const span = y1 - y0 || Math.abs(y1) * 0.1 || 0.01;
  y0 = Math.max(0, y0 - span * 0.15); y1 = y1 + span * 0.22;
  const yt = niceTicks(y0, y1, 5);
  const yStep = yt.length > 1 ? yt[1] - yt[0] : Math.abs(yt[0]) || 1;
  const yDecimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(yStep) - 1e-9) + (Math.abs(yStep / 10 ** Math.floor(Math.log10(yStep)) - 2.5) < 1e-6 ? 1 : 0)));
  y0 = Math.min(y0, yt[0]); y1 = Math.max(y1, yt[yt.length - 1]);
  const px = (b) => L + ((Math.log10(b) - x0) / (x1 - x0)) * (W - L - R);
  const py = (v) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, class: 'chart-svg' });
  root.append(svg('title', { id: `${id}-title` }, title));
  root.append(svg('desc', { id: `${id}-desc` },
    `${yLabel} against model size in bytes (logarithmic) for ${series.length} series; the table below the chart lists every point.`));
  const grid = svg('g', { class: 'grid' });
  for (const v of yt) {
    grid.append(svg('line', { x1: L, x2: W - R, y1: py(v), y2: py(v) }));
    grid.append(svg('text', { x: L - 8, y: py(v) + 4, 'text-anchor': 'end', class: 'tick' }, v.toFixed(yDecimals)));
  }
  for (let e = Math.floor(x0); e <= Math.ceil(x1); e++) {
    for (const mult of [1, 2, 5]) {
      const b = mult * 10 ** e;
      if (Math.log10(b) < x0 || Math.log10(b) > x1) continue;
      grid.append(svg('line', { x1: px(b), x2: px(b), y1: T, y2: H - B, class: mult === 1 ? 'major' : 'minor' }));
      grid.append(svg('text', { x: px(b), y: H - B + 18, 'text-anchor': 'middle', class: 'tick' }, formatBytes(b)));
    }
  }
  root.append(grid);
  root.append(svg('text', { x: L + (W - L - R) / 2, y: H - 10, 'text-anchor': 'middle', class: 'axis-label' }, 'model size (bytes, log scale)'));
  root.append(svg('text', { x: 12, y: T + (H - T - B) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${T + (H - T - B) / 2})`, class: 'axis-label' }, yLabel));
  root.append(svg('rect', { x: L, y: T, width: W - L - R, height: H - T - B, class: 'frame' }));
  if (reference) {
    const y = py(reference.value);
    root.append(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'reference' }));
    root.append(svg('text', { x: L + 6, y: y - 5, class: 'reference-label' }, reference.label));
  }

  series.forEach((name, legendRow) => {
    const si = styleIndex(name);
    const cls = `s${si % 8}`;
    const pts = points.filter((p) => p.series === name).sort((a, b) => a.bytes - b.bytes);
    if (pts.length > 1) {
      root.append(svg('polyline', { points: pts.map((p) => `${px(p.bytes).toFixed(1)},${py(p.value).toFixed(1)}`).join(' '), class: `line ${cls}` }));
    }
    for (const p of pts) {
      const m = marker(SHAPES[si % SHAPES.length], px(p.bytes), py(p.value), 5, `pt ${cls}`);
      m.append(svg('title', {}, `${name} — ${p.label}: ${p.value.toFixed(4)} at ${formatBytes(p.bytes)}`));
      root.append(m);
      if (labelPoints) {
        const x = px(p.bytes);
        const anchor = x < L + 60 ? 'start' : x > W - R - 60 ? 'end' : 'middle';
        root.append(svg('text', { x: anchor === 'start' ? x - 4 : anchor === 'end' ? x + 4 : x, y: py(p.value) - 10, 'text-anchor': anchor, class: 'pt-label' }, p.label));
      }
    }
    if (series.length > 1) {
      const ly = T + 10 + legendRow * 22;
      root.append(marker(SHAPES[si % SHAPES.length], W - R + 20, ly, 5, `pt ${cls}`));
      root.append(svg('text', { x: W - R + 32, y: ly + 4, class: 'legend' }, name.length > 30 ? name.slice(0, 29) + '…' : name));
    }
  });
  container.replaceChildren(root);
}

function drawChartTable(container, points, yLabel) {
  const table = el('table', {},
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'series' }), el('th', { scope: 'col', text: 'model' }),
      el('th', { scope: 'col', text: 'bytes' }), el('th', { scope: 'col', text: yLabel }))),
    el('tbody', {}, points.map((p) => el('tr', {},
      el('td', { text: p.series }), el('td', { text: p.label }),
      el('td', { class: 'num', text: p.bytes.toLocaleString('en-US') }), el('td', { class: 'num', text: p.value.toFixed(4) })))));
  container.replaceChildren(table);
}

// Find an NDCG@20-like number in a metrics object of unknown exact shape.
function pickMetric(obj) {
  if (!obj || typeof obj !== 'object') return null;
  const keys = Object.keys(obj);
  const k = keys.find((x) => /^ndcg[@_]?20$/i.test(x)) || keys.find((x) => /ndcg.*20/i.test(x));
  if (k && Number.isFinite(Number(obj[k]))) return { key: k, value: Number(obj[k]) };
  return null;
}

// Series of one data set of models/quality.json (from docs/QUALITY.md): one line
// per kind over its compression ratios; input-only and int8 rows as their own series.
function qualitySeries(rows) {
  return rows.map((r) => {
    const kind = r.kind || r.id;
    let series = /default/.test(kind) ? 'memcom' : /plain/.test(kind) ? 'plain memcom (paper)' : kind;
    if ((r.tables && r.tables !== 'both') || (r.dtype && r.dtype !== 'f32')) series = series.replace(' (paper)', '');
    if (r.tables && r.tables !== 'both') series += `, ${r.tables}`;
    if (r.dtype && r.dtype !== 'f32') series += `, ${r.dtype === 'i8' ? 'int8' : r.dtype}`;
    const label = r.id === 'full' ? 'full' : `${r.ratio ? `${+r.ratio.toFixed(1)}×` : r.id}`;
    return { series, label, bytes: r.bytes, value: r.ndcg20 };
  });
}

async function renderQuality() {
  const source = $('quality-source');
  const cmd = $('quality-command');
  const charts = $('chart');
  const tables = $('chart-table');
  let q = null;
  try {
    if (state.manifest?.quality) {
      const res = await fetch(new URL(state.manifest.quality, MODELS_DIR));
      if (res.ok) q = await res.json();
    }
  } catch { q = null; }

  if (q && q.available && Array.isArray(q.datasets) && q.datasets.length) {
    source.textContent = `From the quality benchmark, docs/QUALITY.md${q.produced ? ` (${q.produced}` : ''}${q.machine ? `, ${q.machine}` : ''}${q.produced ? ')' : ''}: test NDCG@20 of the Mult-DAE with each kind of item table, against the model file's size.`;
    cmd.textContent = q.command || 'npm run bench:quality';
    charts.replaceChildren();
    tables.replaceChildren();
    // One colour and shape per kind in every chart, in a fixed order.
    const canon = ['full', 'hash', 'qr', 'plain memcom (paper)', 'memcom'];
    const rank = (n) => (canon.includes(n) ? canon.indexOf(n) : canon.length);
    const seriesOrder = [...new Set(q.datasets.flatMap((ds) => qualitySeries(ds.rows).map((p) => p.series)))]
      .map((n, i) => [n, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([n]) => n);
    q.datasets.forEach((ds, i) => {
      const points = qualitySeries(ds.rows);
      const box = el('div', { class: 'chart-one' });
      charts.append(el('h3', { class: 'chart-title', text: ds.name }), box);
      const full = ds.rows.find((r) => r.id === 'full');
      drawChart(box, points, { yLabel: 'test NDCG@20', title: `Quality against model size, ${ds.name}`, id: `q${i}`,
        reference: full ? { value: full.ndcg20, label: `full model ${full.ndcg20.toFixed(4)}` } : null, seriesOrder });
      tables.append(el('h4', { text: ds.name }));
      const t = el('div');
      drawChartTable(t, points, 'test NDCG@20');
      tables.append(t);
    });
    $('chart-caption').textContent = 'Test NDCG@20 (higher is better) against model bytes (log scale; the vertical axis does not start at zero): further left and higher is better. Hover a point for its numbers.';
    window.memcomDemo.qualitySource = 'QUALITY.md';
    return;
  }

  const points = [];
  let yLabel = 'test NDCG@20';
  for (const col of state.columns) {
    const md = col.model.info?.metadata || {};
    const test = pickMetric(md.metrics?.test);
    const m = test || pickMetric(md.metrics?.valid);
    if (m) {
      yLabel = `${test ? 'test' : 'validation'} NDCG@20`;
      points.push({ series: 'demo models (ml-latest-small)', label: col.spec.label, bytes: col.size, value: m.value });
    }
  }
  const why = q && q.reason ? ` (${q.reason})` : '';
  source.textContent = points.length
    ? `The quality benchmark's results are not available${why}, so the chart shows the demo models' own test metrics from their metadata.`
    : `No quality results yet${why}, and the demo models carry no metrics.`;
  cmd.textContent = state.manifest?.command || 'bash demo/make-models.sh';
  window.memcomDemo.qualitySource = 'metadata';
  if (!points.length) {
    charts.replaceChildren(el('p', { class: 'hint', text: 'Nothing to plot.' }));
    return;
  }
  const box = el('div', { class: 'chart-one' });
  charts.replaceChildren(box);
  drawChart(box, points, { yLabel, title: 'Quality against model size, demo models', id: 'q0' });
  $('chart-caption').textContent = `${yLabel} (higher is better) against bytes (log scale); the vertical axis does not start at zero. Hover a point for its numbers.`;
  drawChartTable(tables, points, yLabel);
}

// ---------------------------------------------------------------- large catalogue (worker)

let worker = null;
function runLarge() {
  const btn = $('large-run');
  const status = $('large-status');
  btn.disabled = true;
  status.textContent = 'Starting the worker…';
  $('large-results').hidden = true;
  if (!worker) {
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  }
  // Watch the main thread while the worker runs: the dot moves on every frame.
  let last = performance.now();
  let longest = 0;
  let frames = 0;
  let running = true;
  const dot = $('heartbeat-dot');
  const tick = (now) => {
    longest = Math.max(longest, now - last);
    last = now;
    frames++;
    dot.style.transform = `translateX(${(Math.sin(now / 250) + 1) * 20}px)`;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  const history = state.picks.length
    ? state.picks.map((id) => state.catalogue.byId.get(id) ?? 0)
    : [0, 1, 2];
  worker.onmessage = (ev) => {
    const msg = ev.data;
    if (msg.type === 'progress') {
      status.textContent = msg.text;
      return;
    }
    running = false;
    btn.disabled = false;
    if (msg.type === 'error') {
      status.textContent = `The worker failed: ${msg.message}`;
      window.memcomDemo.errors.push(`worker: ${msg.message}`);
      return;
    }
    const r = msg.result;
    status.textContent = `Done: ranked ${r.n.toLocaleString('en-US')} items in ${formatMs(r.queryMs)} per query.`;
    btn.textContent = 'Rank again';
    const stats = $('large-stats');
    const row = (k, v, sub) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }), sub ? el('dd', { class: 'sub', text: sub }) : null);
    stats.replaceChildren(
      row('items', r.n.toLocaleString('en-US'), `d = ${r.d}`),
      row('model', formatBytes(r.bytes), `${r.ratio.toFixed(0)}× smaller tables`),
      row('as full f32 tables', formatBytes(r.fullBytes), 'not downloaded'),
      row('build in worker', formatMs(r.buildMs), 'buildModel()'),
      row('load', formatMs(r.loadMs), 'validate + copy in'),
      row('per query', formatMs(r.queryMs), `median of ${r.runs} (${r.kernel})`),
      row('page meanwhile', `${frames} frames`, `longest gap ${formatMs(longest)}`));
    stats.hidden = false;
    const ol = $('large-results');
    ol.replaceChildren(...r.top.map((t) => el('li', {}, el('span', { class: 'title', text: t.id }),
      el('span', { class: 'score', text: t.score.toFixed(3) }))));
    ol.hidden = false;
    window.memcomDemo.large = { ...r, frames, longestFrameGapMs: longest };
  };
  worker.onerror = (ev) => {
    running = false;
    btn.disabled = false;
    status.textContent = `The worker failed: ${ev.message || 'unknown error'}`;
    window.memcomDemo.errors.push(`worker: ${ev.message}`);
  };
  worker.postMessage({ type: 'run', n: 1_000_000, d: 64, ratio: 16, history, k: K, simd: SIMD_OPTION });
}

// ---------------------------------------------------------------- start

async function main() {
  $('large-run').addEventListener('click', runLarge);
  let manifest;
  try {
    manifest = await fetchJson(new URL('manifest.json', MODELS_DIR), 'the model list');
  } catch (e) {
    showError('The demo models are missing', e.message);
    return;
  }
  state.manifest = manifest;
  let specs;
  try {
    specs = modelSpecsFromUrl(manifest);
    state.catalogue = parseCatalogue(await fetchJson(new URL(manifest.movies || 'movies.json', MODELS_DIR), 'the movie titles'));
  } catch (e) {
    showError('The demo could not start', e.message);
    return;
  }

  // Start the engine once (fetch, compile and instantiate the WebAssembly module,
  // shared by all models) so that each model's load time below is its own.
  let kernel = '';
  let engineMs = NaN;
  try {
    const t0 = performance.now();
    ({ kernel } = await init({ simd: SIMD_OPTION }));
    engineMs = performance.now() - t0;
  } catch (e) {
    $('engine').textContent = 'The WebAssembly engine could not start.';
    showError('The WebAssembly engine could not start', describeError(e));
    window.memcomDemo.ready = true;
    return;
  }
  const simdOn = kernel === 'wasm_simd128';
  $('engine').textContent = `Engine: WebAssembly ${simdOn ? 'with SIMD' : 'without SIMD'} (${kernel} kernels${
    FORCE_SCALAR ? ', forced by ?simd=0' : simdOn ? '' : ', this browser lacks WebAssembly SIMD'}), started in ${formatMs(engineMs)}.`;
  $('engine').dataset.kernel = kernel;

  // Load the models one after another (each: download, then validate).
  for (const spec of specs) {
    try {
      state.columns.push(await loadColumn(spec));
    } catch (e) {
      const label = e.spec ? e.spec.label : 'A model';
      const title = e.stage === 'download' ? `${label} could not be downloaded`
        : e.cause?.category === 'bad_file' ? `${label} is damaged` : `${label} could not be loaded`;
      showError(title, e instanceof LoadError ? e.message : describeError(e));
    }
  }
  if (!state.columns.length) {
    $('columns').replaceChildren(el('p', { class: 'hint', text: 'No model could be loaded (see the message above).' }));
    await renderQuality();
    window.memcomDemo.ready = true;
    return;
  }
  $('columns').replaceChildren(...state.columns.map(buildColumn));
  // Warm up: a few queries per model let the browser's WebAssembly tier-up
  // (baseline -> optimising compiler) happen before the latencies are shown.
  for (const col of state.columns) timeQuery(() => col.model.recommend([0, 1, 2], { k: K }), 15);

  const input = $('search');
  input.disabled = false;
  input.addEventListener('input', onSearchInput);
  input.addEventListener('keydown', onSearchKey);
  input.addEventListener('blur', () => setTimeout(() => { $('search-results').hidden = true; input.setAttribute('aria-expanded', 'false'); }, 150));
  input.addEventListener('focus', () => { if (input.value.trim()) onSearchInput(); });
  $('clear').addEventListener('click', () => { state.picks = []; update(); });
  const example = $('example');
  example.disabled = false;
  example.addEventListener('click', () => {
    const wanted = manifest.example || ['1', '2571', '6377'];
    for (const id of wanted) if (state.catalogue.byId.has(id) && !state.picks.includes(id)) state.picks.push(id);
    update();
  });

  const fromUrl = (params.get('picks') || '').split(',').filter((id) => state.catalogue.byId.has(id));
  state.picks = [...new Set(fromUrl)];
  update();
  await renderQuality();
  window.memcomDemo.ready = true;
  document.documentElement.dataset.ready = 'true';
}

main()
  .catch((e) => showError('Something went wrong', describeError(e)))
  .finally(() => {
    window.memcomDemo.ready = true;
    document.documentElement.dataset.ready = 'true';
  });
