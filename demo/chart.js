// The quality chart's drawing: an inline SVG scatter of a value against bytes
// (log scale), one colour and marker shape per series, and the same points as
// a table for screen readers and copying.

import { el, svg } from './dom.js';
import { formatBytes } from './format.js';

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

export function drawChartTable(container, points, yLabel) {
  const table = el('table', {},
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'series' }), el('th', { scope: 'col', text: 'model' }),
      el('th', { scope: 'col', text: 'bytes' }), el('th', { scope: 'col', text: yLabel }))),
    el('tbody', {}, points.map((p) => el('tr', {},
      el('td', { text: p.series }), el('td', { text: p.label }),
      el('td', { class: 'num', text: p.bytes.toLocaleString('en-US') }), el('td', { class: 'num', text: p.value.toFixed(4) })))));
  container.replaceChildren(table);
}

