// The demo's committed data and its helper scripts (no browser needed):
// models, titles, licence, the corrupt example, and the QUALITY.md -> JSON step.
//   node --test tests/browser/demo-data.test.js

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../web/index.js';
import { cleanTitle } from '../../demo/movielens.js';
import { corruptExample } from '../../demo/write-manifest.js';
import { parseModel } from '../node/reference.js';
import { parseQualityMd, parseSize } from '../../demo/quality-json.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODELS = path.join(ROOT, 'demo/models');
const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, 'manifest.json'), 'utf8'));

test('the committed models load, share one catalogue, and match movies.json', async () => {
  assert.ok(manifest.models.length >= 3, 'full + two compression levels');
  const movies = JSON.parse(fs.readFileSync(path.join(MODELS, 'movies.json'), 'utf8')).movies;
  const ratios = [];
  for (const spec of manifest.models) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(MODELS, spec.file)));
    const model = await loadModel(bytes);
    try {
      assert.equal(model.info.n, movies.length, `${spec.file}: one title per item`);
      const order = movies.map((m) => m[0]);
      assert.deepEqual(model.ids(), order, `${spec.file}: movies.json is in model order`);
      // (and so says the tests' own plain-JS reading of the file, independent of the package)
      assert.deepEqual(parseModel(bytes).ids, order, `${spec.file}: the reference parser reads the same ids`);
      assert.deepEqual(JSON.parse(parseModel(bytes, { ids: false }).metadata), model.info.metadata, `${spec.file}: metadata`);
      assert.match(String(model.info.metadata.dataset), /ml-latest-small/);
      assert.ok(Number.isFinite(model.info.metadata.metrics?.test?.['ndcg@20']), 'test metrics in the metadata');
      ratios.push(model.info.compressionRatio);
    } finally {
      model.dispose();
    }
  }
  assert.ok(Math.abs(ratios[0] - 1) < 1e-6, 'the first model is the full one');
  assert.ok(ratios.slice(1).every((r) => r > 1.5), `compressed models: ${ratios}`);
  for (const [, title, year] of movies.slice(0, 200)) {
    assert.ok(typeof title === 'string' && title.length > 0);
    assert.ok(year === null || (year > 1880 && year < 2030));
  }
  // The data set's licence travels with every derived model.
  const readme = fs.readFileSync(path.join(MODELS, 'ml-latest-small-README.txt'), 'utf8');
  assert.match(readme, /redistribute/i);
  assert.match(readme, /GroupLens/);
});

test('corrupt.memcom is rejected with section_crc', async () => {
  await assert.rejects(loadModel(new Uint8Array(fs.readFileSync(path.join(MODELS, 'corrupt.memcom')))),
    (e) => e.code === 'section_crc');
  // write-manifest.js makes it so: one byte of the rows flipped (the only difference from a valid file).
  const bad = await corruptExample();
  await assert.rejects(loadModel(bad), (e) => e.code === 'section_crc');
  const rows = new Uint8Array(new Float32Array(12).fill(0.5).buffer);
  const at = bad.findIndex((_, i) => rows.every((b, j) => j === 1 ? (b ^ 0x5a) === bad[i + j] : b === bad[i + j]));
  assert.ok(at > 0, 'the rows with their second byte flipped are in the file');
  const fixed = bad.slice();
  fixed[at + 1] ^= 0x5a;
  const ok = await loadModel(fixed);
  try {
    assert.deepEqual(ok.ids(), ['a', 'b', 'c']);
    assert.deepEqual(Array.from(ok.lookup(2)), [0.5, 0.5, 0.5, 0.5]);
  } finally {
    ok.dispose();
  }
});

test('titles: trailing articles move to the front, the year is split off', () => {
  assert.deepEqual(cleanTitle('Matrix, The (1999)'), { title: 'The Matrix', year: 1999 });
  assert.deepEqual(cleanTitle('City of Lost Children, The (Cité des enfants perdus, La) (1995)'),
    { title: 'The City of Lost Children (Cité des enfants perdus, La)', year: 1995 });
  assert.deepEqual(cleanTitle("Homme et une femme, Un (1966)"), { title: 'Un Homme et une femme', year: 1966 });
  assert.deepEqual(cleanTitle('Babylon 5'), { title: 'Babylon 5', year: null });
  assert.deepEqual(cleanTitle('Stranger Things (2016-)'), { title: 'Stranger Things', year: 2016 });
});

test('quality-json.js reads the tables that bench/quality-table.js writes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memcom-quality-'));
  try {
    const run = (id, n20, bytes, table) => fs.writeFileSync(path.join(dir, `ml1m-${id}.json`), JSON.stringify({
      items: 3000, best_epoch: 5, epochs_run: 8, sec_per_epoch: 0.5, seconds: 4,
      test: { 'ndcg@10': n20 - 0.01, 'ndcg@20': n20, 'ndcg@40': n20 + 0.02, 'recall@20': n20 + 0.05 },
      full_f32_bytes: 1536000, table_bytes: table, file_bytes: bytes,
    }));
    run('full', 0.31, 1600000, 1536000);
    run('memcom-16', 0.29, 140000, 96000);
    run('hash-16', 0.25, 130000, 96000);
    const md = path.join(dir, 'QUALITY.md');
    execFileSync(process.execPath, [path.join(ROOT, 'bench/quality-table.js'), dir, md, 'npm run bench:quality', 'ml1m'], { cwd: ROOT, stdio: 'pipe' });
    const q = parseQualityMd(fs.readFileSync(md, 'utf8'));
    assert.equal(q.available, true);
    assert.equal(q.command, 'npm run bench:quality');
    assert.equal(q.datasets.length, 1);
    const rows = Object.fromEntries(q.datasets[0].rows.map((r) => [r.id, r]));
    assert.deepEqual(Object.keys(rows).sort(), ['full', 'hash-16', 'memcom-16']);
    assert.equal(rows.full.ndcg20, 0.31);
    assert.equal(rows['memcom-16'].ndcg20, 0.29);
    assert.equal(rows['memcom-16'].ratio, 16);
    assert.ok(Math.abs(rows.full.bytes - 1600000) <= 5000, `bytes parsed: ${rows.full.bytes}`);
    assert.ok(Math.abs(rows['hash-16'].bytes - 130000) <= 500, `bytes parsed: ${rows['hash-16'].bytes}`);
    // the header states when and from what the rows were trained (the run's
    // stamp), not when the tables were rendered; without a stamp, no commit
    assert.doesNotMatch(fs.readFileSync(md, 'utf8'), /machine: [^\n]*, commit /);
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ finished: '2026-01-02T03:04:05Z', commit: 'abc1234' }));
    execFileSync(process.execPath, [path.join(ROOT, 'bench/quality-table.js'), dir, md, 'npm run bench:quality', 'ml1m'], { cwd: ROOT, stdio: 'pipe' });
    assert.match(fs.readFileSync(md, 'utf8'), /\(bench\/quality\.sh\) on 2026-01-02 03:04 UTC,\nmachine: .*, commit abc1234\./);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(parseSize('1.23 MB'), 1230000);
  assert.equal(parseSize('456.7 kB'), 456700);
  assert.equal(parseSize(''), null);
});
