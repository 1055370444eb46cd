#!/usr/bin/env node
// Extracts the quality results of docs/QUALITY.md (written by `npm run
// bench:quality`, bench/quality.sh) into demo/models/quality.json, the small
// JSON the demo page draws its quality-against-size chart from. Run it after
// the quality benchmark; demo/make-models.sh runs it too. Without
// docs/QUALITY.md it writes { "available": false } and the page plots the demo
// models' own metrics instead (and says so).
//
//   node demo/quality-json.js [docs/QUALITY.md] [demo/models/quality.json]

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(process.argv[2] || path.join(HERE, '../docs/QUALITY.md'));
const dest = path.resolve(process.argv[3] || path.join(HERE, 'models/quality.json'));

// "1.23 MB" / "456.7 kB" / "789 B" -> bytes
export function parseSize(s) {
  const m = String(s).trim().match(/^([\d.]+)\s*(B|kB|KB|MB|GB)$/);
  if (!m) return null;
  const mult = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]];
  return Math.round(Number(m[1]) * mult);
}

const num = (s) => {
  const v = Number(String(s).replace(/[%x×*]/g, '').trim());
  return Number.isFinite(v) && String(s).trim() !== '' ? v : null;
};

// Parse the markdown: "## <data set>" headings, each with one table whose header
// names its columns; rows without an NDCG@20 number (not run) are skipped, and
// so are tables under "### " subsections (other models' tables, such as the
// pairwise ranker's, whose sections hold one subsection per data set).
export function parseQualityMd(text) {
  const lines = text.split(/\r?\n/);
  const result = { available: true, source: 'docs/QUALITY.md', command: null, produced: null, datasets: [] };
  const cmd = text.match(/Produced by `([^`]+)`/);
  if (cmd) result.command = cmd[1];
  const when = text.match(/on (\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}) UTC/);
  if (when) result.produced = `${when[1]} UTC`;
  const machine = text.match(/machine: ([^\n]+?)(?:, commit [^\n]*)?\.\s*$/m);
  if (machine) result.machine = machine[1];
  let current = null;
  let header = null;
  for (const line of lines) {
    if (/^###/.test(line)) { // a subsection (e.g. the pairwise ranker's data sets): not a data set of the chart
      current = null;
      continue;
    }
    const h = line.match(/^## (.+)$/);
    if (h) {
      current = { name: h[1].trim(), rows: [] };
      header = null;
      if (!/^targets$/i.test(current.name)) result.datasets.push(current);
      else current = null;
      continue;
    }
    if (!current || !line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (!header) {
      header = cells.map((c) => c.toLowerCase());
      continue;
    }
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    const get = (name) => {
      const i = header.findIndex((hname) => hname === name || hname.startsWith(name));
      return i >= 0 ? cells[i] : undefined;
    };
    const ndcg20 = num(get('ndcg@20'));
    const bytes = parseSize(get('model bytes') ?? '');
    if (ndcg20 === null || bytes === null) continue;
    current.rows.push({
      id: get('row'),
      kind: get('kind'),
      tables: get('tables'),
      dtype: get('dtype'),
      ratio: num(get('ratio')),
      ndcg10: num(get('ndcg@10')),
      ndcg20,
      ndcg40: num(get('ndcg@40')),
      recall20: num(get('recall@20')),
      bytes,
    });
  }
  result.datasets = result.datasets.filter((d) => d.rows.length > 0);
  if (!result.datasets.length) result.available = false;
  return result;
}

function main() {
  let out;
  if (fs.existsSync(src)) {
    out = parseQualityMd(fs.readFileSync(src, 'utf8'));
    if (!out.available) out.reason = `${path.basename(src)} has no result rows yet`;
  } else {
    out = { available: false, reason: `${path.relative(process.cwd(), src)} does not exist yet (run npm run bench:quality)` };
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(out, null, 1) + '\n');
  fs.renameSync(tmp, dest);
  console.log(`wrote ${path.relative(process.cwd(), dest)}: ${out.available ? `${out.datasets.length} data sets, ${out.datasets.reduce((a, d) => a + d.rows.length, 0)} rows` : `no results (${out.reason})`}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
