// The quality section: accuracy (test NDCG@20) against model size for the
// page's own models, from their metadata; below it, folded, the quality
// benchmark's larger data sets (models/quality.json, from docs/QUALITY.md).

import { $, el } from './dom.js';
import { drawChart, drawChartTable } from './chart.js';
import { MODELS_DIR } from './config.js';
import { hook } from './status.js';

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

// The chart of the page's own models: accuracy (from each model's metadata,
// written by the trainer; at the default popularity the page ranks with, when
// the trainer chose one) against the bytes the page downloaded.
function drawDemoModels(columns) {
  const points = [];
  let yLabel = 'test NDCG@20';
  for (const col of columns) {
    const md = col.model.info?.metadata || {};
    const test = pickMetric(md.serving?.test ?? md.metrics?.test);
    const m = test || pickMetric(md.metrics?.valid);
    if (m) {
      if (!test) yLabel = 'validation NDCG@20';
      points.push({ series: 'the models on this page', label: col.spec.label, bytes: col.size, value: m.value });
    }
  }
  const source = $('quality-source');
  const charts = $('chart');
  if (!points.length) {
    source.textContent = 'The models on this page carry no accuracy figures in their metadata.';
    charts.replaceChildren(el('p', { class: 'hint', text: 'Nothing to plot.' }));
    $('chart-table').replaceChildren();
    $('chart-caption').textContent = '';
    return;
  }
  source.textContent = `Accuracy of the models on this page (${yLabel} on held-out MovieLens users, as the trainer measured it) against the size of their files.`;
  const box = el('div', { class: 'chart-one' });
  charts.replaceChildren(box);
  drawChart(box, points, { yLabel, title: 'Accuracy against model size, the models on this page', id: 'q0' });
  $('chart-caption').textContent = `${yLabel} (higher is better) against bytes (log scale; the vertical axis does not start at zero). The table below lists each point.`;
  drawChartTable($('chart-table'), points, yLabel);
}

// The quality benchmark's data sets (models/quality.json, from docs/QUALITY.md),
// folded under the page's own chart: one line per kind over its ratios.
function drawBenchmark(q) {
  const charts = $('more-charts');
  const tables = $('more-tables');
  $('more-quality-source').textContent = `From the quality benchmark, docs/QUALITY.md${q.produced ? ` (${q.produced}` : ''}${q.machine ? `, ${q.machine}` : ''}${q.produced ? ')' : ''}: test NDCG@20 of the same recommender with each kind of item table, against the model file's size. Produced by ${q.command || 'npm run bench:quality'}.`;
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
    drawChart(box, points, { yLabel: 'test NDCG@20', title: `Quality against model size, ${ds.name}`, id: `qb${i}`,
      reference: full ? { value: full.ndcg20, label: `full model ${full.ndcg20.toFixed(4)}` } : null, seriesOrder });
    tables.append(el('h4', { text: ds.name }));
    const t = el('div');
    drawChartTable(t, points, 'test NDCG@20');
    tables.append(t);
  });
  $('more-quality').hidden = false;
}

// columns: the loaded result columns ({ spec, model, size }).
export async function renderQuality(manifest, columns) {
  $('quality-command').textContent = manifest?.command || 'bash demo/make-models.sh';
  drawDemoModels(columns);
  hook.qualitySource = 'metadata';
  let q = null;
  try {
    if (manifest?.quality) {
      const res = await fetch(new URL(manifest.quality, MODELS_DIR));
      if (res.ok) q = await res.json();
    }
  } catch { q = null; }
  if (q && q.available && Array.isArray(q.datasets) && q.datasets.length) {
    drawBenchmark(q);
    hook.qualitySource = 'metadata+QUALITY.md';
  }
}
