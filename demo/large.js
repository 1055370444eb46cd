// The large-catalogue view: a module Web Worker (worker.js) builds and ranks a
// synthetic 1,000,000-item model while this page keeps drawing frames (the
// heartbeat dot); the view shows the worker's figures and top items.

import { $, el } from './dom.js';
import { formatBytes, formatMs } from './format.js';
import { K, SIMD_OPTION } from './config.js';
import { hook, reportError } from './status.js';

let worker = null;

// Wire the "Build and rank 1M items" button; historyRows() gives the picks as
// catalogue rows (used as item indices of the synthetic model), [] for none.
export function initLarge(historyRows) {
  $('large-run').addEventListener('click', () => runLarge(historyRows()));
}

function runLarge(rows) {
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

  const history = rows.length ? rows : [0, 1, 2];
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
      reportError(`worker: ${msg.message}`);
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
    hook.large = { ...r, frames, longestFrameGapMs: longest };
  };
  worker.onerror = (ev) => {
    running = false;
    btn.disabled = false;
    status.textContent = `The worker failed: ${ev.message || 'unknown error'}`;
    reportError(`worker: ${ev.message}`);
  };
  worker.postMessage({ type: 'run', n: 1_000_000, d: 64, ratio: 16, history, k: K, simd: SIMD_OPTION });
}

