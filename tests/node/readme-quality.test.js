// README.md quotes a few of docs/QUALITY.md's figures (which `npm run
// bench:quality` and `npm run bench:short` write): each quoted figure must be
// the one QUALITY.md states, so that a new quality run cannot leave the README
// behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const QUALITY = fs.readFileSync(path.join(ROOT, 'docs/QUALITY.md'), 'utf8');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');

/** The first markdown table after the heading line `heading`: rows as arrays of cells, keyed by the header's names. */
function tableAfter(heading, from = 0) {
  const at = QUALITY.indexOf(`\n${heading}\n`, from);
  assert.ok(at >= 0, `QUALITY.md has the section "${heading}"`);
  const lines = QUALITY.slice(at).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows = [];
  for (let i = first; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i].split('|').slice(1, -1).map((c) => c.trim()));
  const [head, , ...body] = rows;
  return { at, rows: body.map((r) => Object.fromEntries(head.map((h, j) => [h, r[j]]))) };
}

const byRow = (t, id) => {
  const r = t.rows.find((x) => x.row === id);
  assert.ok(r, `row ${id}`);
  return r;
};

test('the README\'s NDCG@20 losses at 16x and 40x are QUALITY.md\'s "same budget" figures', () => {
  const ml = tableAfter('## ml-1m (LightGCN++ split)');
  const fm = tableAfter('## lastfm (LightGCN++ split)');
  const quote = (t) => `${byRow(t, 'full-same-budget')['NDCG@20']} → ${byRow(t, 'memcom-16-i8')['NDCG@20']} (-${byRow(t, 'memcom-16-i8')['same budget']})`;
  assert.ok(README.includes(`ml-1m ${quote(ml)}, lastfm ${quote(fm)} with int8 rows`), `README quotes ml-1m ${quote(ml)} and lastfm ${quote(fm)}`);
  const f32 = `(-${byRow(ml, 'memcom-16')['same budget']} and -${byRow(fm, 'memcom-16')['same budget']} with f32 rows in the same bytes; ` +
    `at 40x -${byRow(ml, 'memcom-40-i8')['same budget']} and -${byRow(fm, 'memcom-40-i8')['same budget']})`;
  assert.ok(README.includes(f32), `README quotes ${f32}`);
});

test('the README\'s whole-file size on lastfm is QUALITY.md\'s', () => {
  const targets = tableAfter('## Targets');
  const row = targets.rows.find((r) => r['data set'] === 'lastfm' && r.target.startsWith('memcom-16-i8 file'));
  assert.ok(row, 'QUALITY.md states the lastfm memcom-16-i8 file size');
  const m = row.target.match(/file ([\d.]+) kB is ([\d.]+x) smaller than the full model's ([\d.]+ MB)/);
  assert.ok(m, row.target);
  const quote = `on lastfm: ${Math.round(Number(m[1]))} kB, ${m[2]} smaller than the full model's ${m[3]} file`;
  assert.ok(README.includes(quote), `README quotes "${quote}"`);
  const method = fs.readFileSync(path.join(ROOT, 'docs/METHOD.md'), 'utf8').replace(/\s+/g, ' ');
  assert.ok(method.includes(`which gives ${Math.round(Number(m[1]))} kB, ${m[2]} smaller than the full model's file`), 'METHOD.md quotes the same size');
});

test('the README\'s short-history and popularity figures for ml-1m are QUALITY.md\'s', () => {
  const short = tableAfter('### ml-1m (LightGCN++ split)', QUALITY.indexOf('\n## Short histories\n'));
  const at3 = (method) => short.rows.find((r) => r.h === '3' && r.method === method);
  const full = at3('full');
  const knn = at3('item-kNN (user left out)');
  const jac = Number(full.Jaccard).toFixed(2);
  assert.ok(README.includes(`on ml-1m ${full['top-50 share']} of the full model's top-10 slots go to the 50 most popular movies, against ${knn['top-50 share']} for a plain item-kNN`),
    `README quotes ${full['top-50 share']} and ${knn['top-50 share']}`);
  const def = tableAfter('### Targets at the default').rows.find((r) => r['data set'] === 'ml1m' && r.model === 'full' && r.h === '3');
  const nd = def['NDCG@10'].match(/^([\d.]+) vs item-kNN [\d.]+, as trained ([\d.]+)/);
  const share = def['top-50 share'].match(/^(\d+%)/)[1];
  const j = def.Jaccard.match(/^([\d.]+)/)[1];
  const quote = `at the popularity default the trainer records (${def.p}) that is ${share}, the mean overlap of two users' top-10s falls from ${jac} to ${j} and NDCG@10 goes from ${nd[2]} to ${nd[1]}`;
  assert.ok(README.includes(quote), `README quotes "${quote}"`);
});
