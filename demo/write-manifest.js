#!/usr/bin/env node
// Finishes demo/models/ after demo/make-models.sh has trained the models:
//   - movies.json: [id, title, year] for every item id of the models, in the
//     models' item order (the trainer numbers items by descending popularity);
//   - manifest.json: which models the page shows, their labels, how they were made;
//   - ml-latest-small-README.txt: the data set's licence, which must travel with it;
//   - corrupt.memcom: a deliberately damaged tiny model for the error display.
//
//   node demo/write-manifest.js --command "bash demo/make-models.sh" \
//        full=full.memcom="Full model" memcom-4x=memcom-4x.memcom="memcom 4×" ...

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../web/index.js';
import { readMovies, readModelIds, readModelMetadata } from './movielens.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let command = 'bash demo/make-models.sh';
let data = path.join(HERE, '../../shared/datasets/ml-latest-small');
let out = path.join(HERE, 'models');
const specs = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--command') command = args[++i];
  else if (a === '--data') data = args[++i];
  else if (a === '--out') out = args[++i];
  else {
    const m = a.match(/^([A-Za-z0-9._-]+)=([A-Za-z0-9._-]+\.memcom)=(.+)$/);
    if (!m) throw new Error(`bad model spec ${a} (want key=file.memcom=Label)`);
    specs.push({ key: m[1], file: m[2], label: m[3] });
  }
}
if (!specs.length) throw new Error('no models given');

const movies = readMovies(path.join(data, 'movies.csv'));
let ids = null;
for (const s of specs) {
  const bytes = new Uint8Array(fs.readFileSync(path.join(out, s.file)));
  const these = readModelIds(bytes);
  if (ids === null) ids = these;
  else if (these.length !== ids.length || these.some((id, i) => id !== ids[i])) {
    throw new Error(`${s.file} does not store the same item ids in the same order as ${specs[0].file}`);
  }
  const md = readModelMetadata(bytes) || {};
  s.bytes = bytes.length;
  s.note = describe(md);
}
const rows = ids.map((id) => {
  const mv = movies.get(id);
  if (!mv) throw new Error(`item id ${id} is not in movies.csv`);
  return [id, mv.title, mv.year];
});

// A short line about how a model was made, from its metadata (the trainer writes options and metrics).
function describe(md) {
  const o = md.options || {};
  const parts = [];
  const kind = o.out_kind || o.method;
  if (kind) parts.push(o.in_kind && o.in_kind !== o.out_kind ? `${o.in_kind} in, ${o.out_kind} out` : kind);
  const test = md.metrics && md.metrics.test;
  if (test && Number.isFinite(test['ndcg@20'])) parts.push(`test NDCG@20 ${test['ndcg@20'].toFixed(3)}`);
  return parts.join(' · ') || undefined;
}

function writeAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

writeAtomic(path.join(out, 'movies.json'), JSON.stringify({
  source: 'MovieLens ml-latest-small movies.csv (see ml-latest-small-README.txt); titles with a trailing article moved to the front',
  movies: rows,
}).replace(/\],\[/g, '],\n['));

const manifest = {
  dataset: 'MovieLens ml-latest-small',
  command,
  // The quality bench's results, extracted from docs/QUALITY.md by demo/quality-json.js.
  quality: 'quality.json',
  movies: 'movies.json',
  example: ['1', '2571', '6377'].filter((id) => ids.includes(id)),
  models: specs.map(({ key, file, label, note, bytes }) => ({ key, file, label, note, bytes })),
};
writeAtomic(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

// (read and write rather than copy: the shared copy is read-only and its mode must not travel)
writeAtomic(path.join(out, 'ml-latest-small-README.txt'), fs.readFileSync(path.join(data, 'README.txt')));

// A tiny valid model with one payload byte flipped: the loader must refuse it (section_crc).
const tiny = await buildModel({
  output: { kind: 'full', n: 3, d: 4, rows: new Float32Array(12).fill(0.5) },
  ids: ['a', 'b', 'c'],
  metadata: { note: 'deliberately corrupted copy for the demo error display (one byte flipped)' },
});
const bad = tiny.slice();
// flip a byte inside the first section after the directory (its CRC no longer matches)
const dv = new DataView(bad.buffer);
const firstSectionOffset = Number(dv.getBigUint64(256 + 8, true));
bad[firstSectionOffset + 1] ^= 0x5a;
writeAtomic(path.join(out, 'corrupt.memcom'), bad);

console.log(`wrote ${path.relative(process.cwd(), out)}/: manifest.json (${specs.length} models), movies.json (${rows.length} titles), ml-latest-small-README.txt, corrupt.memcom`);
