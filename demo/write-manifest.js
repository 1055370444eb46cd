#!/usr/bin/env node
// Finishes demo/models/ after demo/make-models.sh has trained the models:
//   - movies.json: [id, title, year, genres ("Horror|Thriller")] for every item id of the models, in the
//     models' item order (the trainer numbers items by descending popularity);
//   - manifest.json: which models the page shows, their labels, how they were made;
//   - ml-latest-small-README.txt: the data set's licence, which must travel with it;
//   - corrupt.memcom: a deliberately damaged tiny model for the error display.
// The models' ids and metadata are read through the package (loadModel).
//
//   node demo/write-manifest.js --command "bash demo/make-models.sh" \
//        full=full.memcom="Full model" memcom-4x=memcom-4x.memcom="memcom 4×" ...

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, loadModel } from '../web/index.js';
import { readMovies } from './movielens.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(args) {
  const opts = {
    command: 'bash demo/make-models.sh',
    data: path.join(HERE, '../../shared/datasets/ml-latest-small'),
    out: path.join(HERE, 'models'),
    specs: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--command') opts.command = args[++i];
    else if (a === '--data') opts.data = args[++i];
    else if (a === '--out') opts.out = args[++i];
    else {
      const m = a.match(/^([A-Za-z0-9._-]+)=([A-Za-z0-9._-]+\.memcom)=(.+)$/);
      if (!m) throw new Error(`bad model spec ${a} (want key=file.memcom=Label)`);
      opts.specs.push({ key: m[1], file: m[2], label: m[3] });
    }
  }
  if (!opts.specs.length) throw new Error('no models given');
  return opts;
}

// How each kind of item table stores the movies, in plain words.
const KIND_WORDS = {
  full: 'one row per movie',
  hash: 'movies share rows by a hash of their number',
  qr: 'each row combined from two small tables',
  'memcom-plain': 'movies share rows, each with a scale of its own',
  'memcom-pop': 'popular movies keep a row; the others share rows, each with a scale of its own',
  'memcom-learned': 'movies share rows grouped by taste, each with a scale of its own',
  'memcom-learned-pop': 'popular movies keep a row; the others share rows grouped by taste',
};

// A short line about how a model was made and how accurate it is, from its
// metadata (the trainer writes its options and metrics there).
function describe(md) {
  const o = md.options || {};
  const parts = [];
  const kind = o.out_kind || o.method;
  // a ranker: what ranks (its tables are described on the page from the file)
  if (o.model === 'ranknet') parts.push('re-ranked by a pairwise ranker (RankNet)');
  else if (kind) parts.push(KIND_WORDS[kind] || kind);
  // as the page ranks: at the model's default popularity, when the trainer chose one
  const test = (md.serving && md.serving.test) || (md.metrics && md.metrics.test);
  if (test && Number.isFinite(test['ndcg@20'])) parts.push(`accuracy ${test['ndcg@20'].toFixed(3)}`);
  return parts.join(' · ') || undefined;
}

// A tiny valid model with one byte of its rows flipped, so that the loader must
// refuse it (section_crc). The rows are found by their value, not by where the
// format puts them.
export async function corruptExample() {
  const rows = new Float32Array(12).fill(0.5);
  const bytes = await buildModel({
    output: { kind: 'full', n: 3, d: 4, rows },
    ids: ['a', 'b', 'c'],
    metadata: { note: 'deliberately corrupted copy for the demo error display (one byte flipped)' },
  });
  const pattern = new Uint8Array(rows.buffer);
  const at = bytes.findIndex((_, i) => pattern.every((b, j) => bytes[i + j] === b));
  if (at < 0) throw new Error('corruptExample: the rows are not in the built file');
  const bad = bytes.slice();
  bad[at + 1] ^= 0x5a;
  return bad;
}

function writeAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

async function main() {
  const { command, data, out, specs } = parseArgs(process.argv.slice(2));
  const movies = readMovies(path.join(data, 'movies.csv'));
  let ids = null;
  for (const s of specs) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(out, s.file)));
    const model = await loadModel(bytes);
    let these;
    try {
      these = model.ids();
      if (these === null) throw new Error(`${s.file} stores no item ids`);
      s.note = describe(model.info.metadata);
    } finally {
      model.dispose();
    }
    if (ids === null) ids = these;
    else if (these.length !== ids.length || these.some((id, i) => id !== ids[i])) {
      throw new Error(`${s.file} does not store the same item ids in the same order as ${specs[0].file}`);
    }
    s.bytes = bytes.length;
  }
  const rows = ids.map((id) => {
    const mv = movies.get(id);
    if (!mv) throw new Error(`item id ${id} is not in movies.csv`);
    return [id, mv.title, mv.year, mv.genres.join('|')];
  });

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

  writeAtomic(path.join(out, 'corrupt.memcom'), await corruptExample());

  console.log(`wrote ${path.relative(process.cwd(), out)}/: manifest.json (${specs.length} models), movies.json (${rows.length} titles), ml-latest-small-README.txt, corrupt.memcom`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`demo/write-manifest.js: ${e.message}`);
    process.exit(1);
  });
}
