// bench/popularity-table.js - turns build/quality/pop-*.json (from the
// "popularity" part of bench/short-history.sh) into bench/quality-popularity.md,
// the "Popularity control" section of docs/QUALITY.md, and puts it there
// (replacing the section, or before "## Notes").
// Every data set with results in OUT_DIR, in the order of NAMES.
// usage: node bench/popularity-table.js OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { putSection, NAMES, LABEL } from './quality-section.js';

const [outDir] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const fragment = path.join(here, 'quality-popularity.md');
const quality = path.join(here, '..', 'docs', 'QUALITY.md');

const MODELS = ['full', 'memcom-16'];
const H = [3, 5];
// the targets (docs/QUALITY.md states them): NDCG@10 at least item-kNN's and the model's as trained; top-50
// share at most item-kNN's + 10 points; Jaccard at most 0.10; full-history NDCG@20 at most 1% below as trained
const SHARE_SLACK = 0.10;
const MAX_JACCARD = 0.10;
const FULL_LOSS = 0.01;

function load(name) {
  const f = path.join(outDir, `pop-${name}.json`);
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
}
const f4 = (x) => x.toFixed(4);
const f3 = (x) => x.toFixed(3);
const pct = (x) => `${(100 * x).toFixed(0)}%`;
const row = (j, method, h) => j.rows.find((r) => r.method === method && r.h === h);

const out = ['## Popularity control', '',
  'Produced by `PARTS=popularity npm run bench:short` (bench/short-history.sh, then bench/popularity-table.js).',
  'The package ranks with `recommend(history, { popularity: p })` (C: `memcom_recommend_popularity`; CLI:',
  '`--popularity`): items by (u - l u0) . E_out[i] + (1 - l) bias[i] with l = (1 - p) min(1, 5 / |H|), where u0 is',
  'the user vector of the empty history, what the model recommends to anyone (METHOD.md section 3). p = 1 is the',
  'model as trained; lower p takes out that generic direction and the output bias together, so the picks weigh',
  'more. The ranking stays exact (the bucket bounds use the scaled bias maxima; the pre-ranking\'s error bound',
  'holds for any weight in [0, 1]).',
  '',
  '**The default.** At the end of training, `memcom train` measures p = 0, 0.05, ..., 1 on the validation items',
  'with the short histories of the section above (h = 3 and 5, the same seed) and records in the model\'s',
  'metadata (`serving.popularity`) the p with the highest mean NDCG@10 (h = 3, 5) among those whose Jaccard is',
  'at most 0.10 at h = 3 and at h = 5; when none is, the p with the lowest Jaccard among those within 2% of the',
  'best NDCG@10. `recommend` uses it when no `popularity` is given (files without it: 1, as before);',
  '`memcom eval --choose-popularity` recomputes it for a file. The test items are never used to choose.',
  'The shift applies in full up to 5 distinct history items and is scaled by 5 / |H| beyond (with it in full,',
  'p = 0.55 cost the full-history NDCG@20 13% on ml-latest-small and 18% on ml-1m: with a long history the',
  'model\'s own ranking is already personal, and popularity then predicts well).',
  '',
  'Models: ml-latest-small the demo\'s files (demo/make-models.sh); ml-1m and lastfm bench/quality.sh\'s rows',
  '"full" and "memcom-16" trained by this version (so they record their default). Baselines as in the section',
  'above; "as trained" is p = 1.',
  ''];

const verdicts = [];
for (const ds of Object.keys(NAMES)) {
  const have = MODELS.filter((id) => load(`${ds}-${id}-choose`) && load(`${ds}-${id}-test`) && load(`${ds}-${id}-test1`));
  if (!have.length) continue;
  out.push(`### ${NAMES[ds]}`, '');
  // the curve on validation
  out.push('The curve on the validation items (every 0.1 and the default; "<-" marks the default):', '');
  out.push('| model | p | NDCG@10 h=3 | top-50 h=3 | Jaccard h=3 | NDCG@10 h=5 | top-50 h=5 | Jaccard h=5 |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const id of have) {
    const c = load(`${ds}-${id}-choose`);
    for (const pt of c.curve) {
      const chosen = pt.popularity === c.chosen;
      if (!chosen && Math.abs(pt.popularity * 10 - Math.round(pt.popularity * 10)) > 1e-6) continue;
      out.push(`| ${LABEL[id]} | ${pt.popularity}${chosen ? ' <-' : ''} | ${H.map((h) => {
        const m = pt[`h${h}`];
        return `${f4(m['ndcg@10'])} | ${pct(m.popular_share)} | ${f3(m.jaccard)}`;
      }).join(' | ')} |`);
    }
  }
  out.push('');
  // test, h = 3 and 5
  const base = load(`${ds}-${have[0]}-test`);
  out.push(`On the test items (${base.users} users), at the default and as trained, beside the baselines:`, '');
  out.push('| h | method | p | NDCG@10 | Recall@20 | top-50 share | Jaccard | coverage |');
  out.push('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const h of H) {
    for (const id of have) {
      const d = load(`${ds}-${id}-test`);
      const t = load(`${ds}-${id}-test1`);
      for (const [j, what] of [[d, 'default'], [t, 'as trained']]) {
        const r = row(j, 'model', h);
        out.push(`| ${h} | ${LABEL[id]}, ${what} | ${j.popularity} | ${f4(r.metrics['ndcg@10'])} | ${f4(r.metrics['recall@20'])} | ${pct(r.popular_share)} | ${f3(r.jaccard)} | ${(100 * r.coverage).toFixed(1)}% |`);
      }
    }
    for (const m of ['popularity', 'item-knn']) {
      const r = row(base, m, h);
      if (r) out.push(`| ${h} | ${m === 'item-knn' ? 'item-kNN (user left out)' : m} |  | ${f4(r.metrics['ndcg@10'])} | ${f4(r.metrics['recall@20'])} | ${pct(r.popular_share)} | ${f3(r.jaccard)} | ${(100 * r.coverage).toFixed(1)}% |`);
    }
  }
  out.push('');
  // full history
  out.push('Full histories (the LightGCN++ protocol of the tables above, test items), at the default and as trained:', '');
  out.push('| model | p | NDCG@20 as trained | NDCG@20 at p | change |');
  out.push('|---|---:|---:|---:|---:|');
  for (const id of have) {
    const a = load(`${ds}-${id}-full1`);
    const b = load(`${ds}-${id}-full`);
    if (!a || !b) continue;
    const x = a.test['ndcg@20'];
    const y = b.test['ndcg@20'];
    out.push(`| ${LABEL[id]} | ${b.popularity} | ${f4(x)} | ${f4(y)} | ${(100 * (y / x - 1)).toFixed(1)}% |`);
  }
  out.push('');
  // targets
  for (const id of have) {
    const d = load(`${ds}-${id}-test`);
    const t = load(`${ds}-${id}-test1`);
    for (const h of H) {
      const r = row(d, 'model', h);
      const today = row(t, 'model', h);
      const knn = row(base, 'item-knn', h);
      const ndcgOk = r.metrics['ndcg@10'] >= knn.metrics['ndcg@10'] && r.metrics['ndcg@10'] >= today.metrics['ndcg@10'];
      const shareOk = r.popular_share <= knn.popular_share + SHARE_SLACK;
      const jacOk = r.jaccard <= MAX_JACCARD;
      verdicts.push(`| ${ds} | ${LABEL[id]} | ${h} | ${d.popularity} | ${f4(r.metrics['ndcg@10'])} vs item-kNN ${f4(knn.metrics['ndcg@10'])}, as trained ${f4(today.metrics['ndcg@10'])}: ${ndcgOk ? 'PASS' : 'MISS'} | ${pct(r.popular_share)} vs ${pct(knn.popular_share + SHARE_SLACK)}: ${shareOk ? 'PASS' : 'MISS'} | ${f3(r.jaccard)}: ${jacOk ? 'PASS' : 'MISS'} |`);
    }
    const a = load(`${ds}-${id}-full1`);
    const b = load(`${ds}-${id}-full`);
    if (a && b) {
      const loss = 1 - b.test['ndcg@20'] / a.test['ndcg@20'];
      verdicts.push(`| ${ds} | ${LABEL[id]} | full history | ${b.popularity} | NDCG@20 ${f4(b.test['ndcg@20'])} vs ${f4(a.test['ndcg@20'])} as trained, change ${(-100 * loss).toFixed(1)}% (at least -${100 * FULL_LOSS}%): ${loss <= FULL_LOSS ? 'PASS' : 'MISS'} | | |`);
    }
  }
}
if (verdicts.length) {
  out.push('### Targets at the default', '');
  out.push(`NDCG@10 at least item-kNN's and the model's as trained; top-50 share at most item-kNN's + ${100 * SHARE_SLACK} points; mean Jaccard at most ${MAX_JACCARD}; full-history NDCG@20 at most ${100 * FULL_LOSS}% below the model as trained.`, '');
  out.push('| data set | model | h | p | NDCG@10 | top-50 share | Jaccard |');
  out.push('|---|---|---|---:|---|---|---|');
  out.push(...verdicts, '');
}
const text = out.join('\n').trim() + '\n';
fs.writeFileSync(fragment, text);

putSection(quality, 'Popularity control', text);
console.log(`wrote ${path.relative(process.cwd(), fragment)} and its section in docs/QUALITY.md`);
