// README.md's "Measured" section is written by `npm run bench` from the same
// run as docs/BENCHMARKS.md (bench/lib/readme-measured.js): the README holds
// its markers once, the section is rendered from the run's rows (hand-made
// here, no timing), and nothing outside the markers changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BEGIN, END, measuredSection, replaceMeasured, sig2, ratio } from '../../bench/lib/readme-measured.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const row = (key, median, extra = {}) => ({ key, median, p95: median * 1.25, m: 46920, ...extra });
const group = (key, f32, i8, extra = {}) => ({
  key,
  rows: [row('f32', f32, { vsOrt: 22 / f32, ...extra }), row('i8', i8, { vsOrt: 22 / i8, ...extra }), row('ort', 22)],
});

function results() {
  const groups = [
    group('learned-16x', 0.816, 0.702, { aloneMedian: 0.372 }),
    { key: 'learned-16x-i8', rows: [row('f32', 2.18, { m: 177000, vsOrt: 10.1 }), row('i8', 2.17, { m: 177000, vsOrt: 10.0 }), row('ort', 21.7, { m: 177000 })] },
    group('mod-16x', 0.802, 0.671),
    group('learned-4x', 3.1, 2.89, { aloneMedian: 1.48 }),
    group('learned-40x', 0.306, 0.189),
    group('learned-16x-signs', 1.03, 0.848),
  ];
  groups[0].rows[1].aloneMedian = 0.317;
  groups[3].rows[1].aloneMedian = 1.34;
  const browsers = [
    { browser: 'Chromium', rows: [{ key: 'f32', median: 0.93, vsOrt: 24.0 }, { key: 'i8', median: 0.68, vsOrt: 32.8 }], firstAnswer: [{ dtype: 'f32', toAnswer: 24.6 }, { dtype: 'i8', toAnswer: 19.8 }] },
    { browser: 'Firefox', error: 'not installed' },
  ];
  const firstAnswer = [{ dtype: 'f32', toAnswer: 23.6 }, { dtype: 'i8', toAnswer: 36.3 }];
  const ranker = {
    hidden: 64,
    tables: [
      { key: 'scoring', n: 20000, rows: [
        { case: 'full f32', simd: true, median: 6.66 }, { case: 'full f32', simd: false, median: 50.3 },
        { case: 'full f32', peer: true, median: 14.9 }, { case: 'full f32', peer: true, median: 28.6 },
        { case: 'memcom 16x', simd: true, median: 0.836 },
        { case: 'memcom 32x', simd: true, median: 0.644 }, { case: 'memcom 32x', peer: true, median: 13.6 },
      ] },
      { key: 'two-stage', n: 1000000, depth: 500, rows: [{ case: 'memcom 32x, R = 500', simd: true, median: 0.868 }, { case: 'memcom 32x, w in [0.5, 1.5], R = 500', simd: true, median: 0.501 }] },
    ],
  };
  return { groups, browsers, firstAnswer, ranker, queries: 200 };
}

test('the README holds the "Measured" markers once, in order', () => {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.equal(text.split(BEGIN).length, 2);
  assert.equal(text.split(END).length, 2);
  assert.ok(text.indexOf(BEGIN) < text.indexOf(END));
  assert.ok(text.indexOf(BEGIN) > text.indexOf('## Measured'));
});

test('figures are rounded as the README prints them', () => {
  assert.deepEqual([0.816, 1.035, 3.1, 6.657, 24.6].map(sig2), ['0.82', '1.0', '3.1', '6.7', '25']);
  assert.deepEqual([6.84, 9.96, 26.9, 113.2].map(ratio), ['6.8x', '10.0x', '27x', '113x']);
});

test('the section renders every figure from the run\'s rows', () => {
  const s = measuredSection(results());
  const flat = s.replace(/\s+/g, ' '); // the paragraphs are wrapped
  assert.ok(s.split('\n').every((l) => l.startsWith('|') || l.length <= 100), 'paragraph lines of at most 100 characters');
  assert.match(flat, /onnxruntime-web \(22-22 ms per query\)/);
  assert.match(s, /\| 16x, learned buckets, f32 rows \/ the same rows in int8 \| 0\.82 ms \(1\.0\) \/ 0\.70 ms \(0\.88\) \| 27x \/ 31x; Chromium 24x \/ 33x \|/);
  // the browser that did not run is left out, not printed as a figure
  assert.doesNotMatch(s, /Firefox/);
  assert.match(s, /\| 16x as `memcom train --ratio 16` writes it \(int8 rows, 3\.8x as many in the same bytes\) \| 2\.2 ms \(2\.7\) \| 10x \|/);
  assert.match(s, /\| 4x, learned buckets: f32 \/ int8 \| 3\.1 ms \(3\.9\) \/ 2\.9 ms \(3\.6\) \| 7\.1x \/ 7\.6x \|/);
  // a catalogue the run did not have prints as a dash
  assert.match(s, /\| 4x, signs mixed \(adversarial\): f32 \/ int8 \| — \/ — \| — \/ — \|/);
  // the ranker: ratios to the faster onnxruntime-web form of the same case, none for 16x
  assert.match(s, /20,000 items scored: full f32 \/ memcom 16x \/ 32x \| 6\.7 \/ 0\.84 \/ 0\.64 ms \| 2\.2x \/ — \/ 21x/);
  assert.match(s, /1,000,000 items, two-stage \(top 500 re-ranked\), memcom 32x \| 0\.87 ms \|/);
  assert.match(flat, /the 16x model takes 0\.37 ms \(f32 rows\) \/ 0\.32 ms \(int8\),/);
  assert.match(flat, /the 4x model 1\.5 ms \(f32 rows\) \/ 1\.3 ms \(int8\)/);
  assert.match(flat, /24 \/ 36 ms in Node, 25 \/ 20 ms in Chromium after its last byte/);
});

test('replacing the section leaves the rest of the README as it was', () => {
  const text = `# t\n\nbefore\n${BEGIN}\nold figures\n${END}\nafter\n`;
  const out = replaceMeasured(text, 'new figures');
  assert.equal(out, `# t\n\nbefore\n${BEGIN}\nnew figures\n${END}\nafter\n`);
  assert.equal(replaceMeasured(out, 'new figures'), out);
  assert.equal(replaceMeasured('no markers', 'x'), null);
  assert.equal(replaceMeasured(`${BEGIN}\n${END}\n${BEGIN}\n${END}`, 'x'), null);
  assert.equal(replaceMeasured(`${END}\n${BEGIN}`, 'x'), null);
});
