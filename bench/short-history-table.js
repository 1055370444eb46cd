// bench/short-history-table.js - turns build/quality/short-*.json (from
// bench/short-history.sh) into bench/quality-short.md, the "Short histories"
// section of docs/QUALITY.md, and puts it there (replacing the section, or
// before "## Notes"); bench/quality-table.js includes the same file when it
// rewrites docs/QUALITY.md.
// Every data set with results in OUT_DIR, in the order of NAMES.
// usage: node bench/short-history-table.js OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { putSection, NAMES, LABEL } from './quality-section.js';

const [outDir] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const fragment = path.join(here, 'quality-short.md');
const quality = path.join(here, '..', 'docs', 'QUALITY.md');

const BIAS_WEIGHTS = [1, 0.5, 0];   // --bias-weight runs of bench/short-history.sh (0.5: the full model only)
const BIAS_LABEL = { 1: '', 0.5: ', half the output bias', 0: ', no output bias' };

function load(name) {
  const f = path.join(outDir, `short-${name}.json`);
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
}
const f4 = (x) => x.toFixed(4);
const pct = (x, d = 0) => `${(100 * x).toFixed(d)}%`;

const out = ['## Short histories', ''];
out.push(
  'Produced by `npm run bench:short` (bench/short-history.sh), which runs `memcom eval --history 1,3,5`.',
  "For each user with test items and at least 5 training items, h of the user's training items, sampled",
  'with a fixed seed (`--history-seed 1`; the h = 1 and h = 3 histories are the first items of the h = 5 one),',
  "are the only input; every item but those h is ranked (the user's other training and validation items",
  'included, as for a new user who gave only those h); the test items are the targets. "top-50 share" is the',
  'share of all top-10 slots held by the 50 most popular training items; "Jaccard" the mean |A n B| / |A u B|',
  "of two users' top-10 lists over all pairs of evaluated users; \"coverage\" the share of the catalogue that",
  'appears in any top-10 list.',
  '',
  'Methods: the model files through the public C API as trained (popularity 1, output bias included; the section "Popularity control" below ranks them at their default), and the same with',
  'the output bias left out (`--bias-weight 0`: items ranked by E_out . u alone; the full model also with',
  'half of it, `--bias-weight 0.5`); popularity (training',
  "counts); item-kNN (sum over the history of the co-occurrence cosine C_ij / sqrt(c_i c_j), the user's own",
  "training interactions removed from the counts); EASE (closed form on the training matrix, lambda the",
  "best NDCG@10 on the validation items at h = 3 over the grid of bench/short-history.sh). The models and",
  "EASE saw each user's whole training history when they were fitted; item-kNN leaves the user out.",
  '',
  "Models: for ml-latest-small the demo's committed files (demo/models/full.memcom and memcom-16x.memcom;",
  'a full-history `memcom eval` of them on this split gives the test metrics their metadata records, so',
  'this is their split); for ml-1m and lastfm the rows full and memcom-16 of bench/quality.sh.',
  '',
);
for (const ds of Object.keys(NAMES)) {
  const base = load(`${ds}-full-bias1`);
  if (!base) continue;
  const rowsOf = (id, bw) => load(`${ds}-${id}-bias${bw}`)?.rows ?? [];
  const hs = [...new Set(base.rows.map((r) => r.h))];
  out.push(`### ${NAMES[ds] ?? ds}`, '');
  // EASE's lambda: the validation runs of bench/short-history.sh (h = 3)
  const grid = fs.readdirSync(outDir)
    .map((f) => f.match(new RegExp(`^short-${ds}-valid-ease-([0-9.]+)\\.json$`)))
    .filter(Boolean)
    .map((m) => [+m[1], load(`${ds}-valid-ease-${m[1]}`).rows.find((r) => r.method === 'ease').metrics['ndcg@10']])
    .sort((a, b) => a[0] - b[0]);
  out.push(
    `${base.users} users (of ${base.users_with_targets} with test items; Jaccard over ${base.rows[0].pairs_sampled ? `${base.rows[0].pairs} seeded random` : `all ${base.rows[0].pairs}`} pairs). EASE lambda ${base.ease_lambda}` +
      (grid.length ? `, chosen on the validation items at h = 3 (NDCG@10 ${grid.map(([l, v]) => `${l}: ${f4(v)}`).join(', ')}).` : '.'),
    '',
  );
  out.push(
    '| h | method | NDCG@10 | Recall@20 | top-50 share | Jaccard | coverage |',
    '|---:|---|---:|---:|---:|---:|---:|',
  );
  for (const h of hs) {
    const lines = [];
    for (const id of ['full', 'memcom-16'])
      for (const bw of BIAS_WEIGHTS)
        for (const r of rowsOf(id, bw).filter((x) => x.h === h && x.method === 'model'))
          lines.push([`${LABEL[id]}${BIAS_LABEL[bw]}`, r]);
    for (const [m, label] of [['popularity', 'popularity'], ['item-knn', 'item-kNN (user left out)'], ['ease', 'EASE']])
      for (const r of base.rows.filter((x) => x.h === h && x.method === m)) lines.push([label, r]);
    for (const [label, r] of lines)
      out.push(`| ${h} | ${label} | ${f4(r.metrics['ndcg@10'])} | ${f4(r.metrics['recall@20'])} | ${pct(r.popular_share)} | ${r.jaccard.toFixed(3)} | ${pct(r.coverage, 1)} |`);
  }
  out.push('');
  // the output bias weight on the validation items (PARTS=bias)
  const sweep = [];
  for (const id of ['full', 'memcom-16'])
    for (const bw of fs.readdirSync(outDir)
      .map((f) => f.match(new RegExp(`^short-${ds}-${id}-valid-bias([0-9.]+)\\.json$`))?.[1])
      .filter(Boolean)
      .sort((a, b) => a - b))
      sweep.push([id, bw, load(`${ds}-${id}-valid-bias${bw}`)]);
  if (sweep.length) {
    const shs = [3, 5];
    out.push(
      'The output bias weight (`--bias-weight`) on the validation items (targets: the validation items; the',
      'models only):',
      '',
      `| model | bias weight | ${shs.map((h) => `NDCG@10 h=${h} | top-50 h=${h} | Jaccard h=${h}`).join(' | ')} |`,
      `|---|---:|${shs.map(() => '---:|---:|---:').join('|')}|`,
    );
    for (const [id, bw, j] of sweep) {
      const cells = shs.map((h) => {
        const r = j.rows.find((x) => x.h === h && x.method === 'model');
        return r ? `${f4(r.metrics['ndcg@10'])} | ${pct(r.popular_share)} | ${r.jaccard.toFixed(3)}` : ' | | ';
      });
      out.push(`| ${LABEL[id]} | ${bw} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  // what leaving the output bias out does, per h, for both models
  for (const id of ['full', 'memcom-16']) {
    const parts = [];
    for (const h of hs) {
      const a = rowsOf(id, 1).find((x) => x.h === h && x.method === 'model');
      const b = rowsOf(id, 0).find((x) => x.h === h && x.method === 'model');
      if (a && b)
        parts.push(`h = ${h}: NDCG@10 ${f4(a.metrics['ndcg@10'])} -> ${f4(b.metrics['ndcg@10'])}, top-50 share ${pct(a.popular_share)} -> ${pct(b.popular_share)}, Jaccard ${a.jaccard.toFixed(3)} -> ${b.jaccard.toFixed(3)}`);
    }
    if (parts.length) out.push(`- ${LABEL[id]}, output bias left out: ${parts.join('; ')}.`);
  }
  out.push(`- Coverage is over the top-10 lists of all ${base.users} users, so it grows with the number of users.`, '');
  out.push('Commands (from the repository root, DATA = ../shared/datasets):', '', '```');
  for (const id of ['full', 'memcom-16'])
    for (const bw of BIAS_WEIGHTS) {
      const j = load(`${ds}-${id}-bias${bw}`);
      if (!j) continue;
      const base = id === 'full' && bw === 1 ? 'popularity,item-knn,ease' : 'none';
      out.push(`build/memcom eval ${j.model.replace(/^.*\/build\//, 'build/')} DATA-ARGS --history 1,3,5 --bias-weight ${bw}${bw === 1 ? " --popularity 1" : ""} --baselines ${base} --ease-lambda ${j.ease_lambda} --json`);
    }
  out.push('```', '', `with DATA-ARGS the \`data_args ${ds}\` of bench/quality-args.sh.`, '');
}
const text = out.join('\n').trim() + '\n';
fs.writeFileSync(fragment, text);

putSection(quality, 'Short histories', text);
console.log(`wrote ${path.relative(process.cwd(), fragment)} and its section in docs/QUALITY.md`);
