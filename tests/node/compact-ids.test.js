// compact-ids.test.js - compact numeric ids (docs/FORMAT.md "Compact numeric
// ids", format 1.1) read by the package through the C core, in both builds.
// The files are made here by an encoder written from FORMAT.md alone (not
// from the C writer): a 1.0 file from buildModel with its three id sections
// replaced by ID_RUNS and ID_RANKS.  The ids, lookups and rankings must equal
// those of the 1.0 file; damaged compact ids are refused with named errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, buildModel } from '../../web/index.js';
import * as R from './reference.js';
import { rng, BUILDS, requireWasm, assertRejects } from './helpers.js';

requireWasm();

/** FORMAT.md's encoding: (gap, extra) LEB128 runs of the sorted values, then
 *  each item's rank in w bits, LSB first. */
function encodeIds(ids) {
  const n = ids.length;
  const sorted = ids.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rankOf = new Map(sorted.map((v, r) => [v, r]));
  const runs = [];
  const put = (v) => {
    for (; v >= 0x80n; v >>= 7n) runs.push(Number(v & 0x7fn) | 0x80);
    runs.push(Number(v));
  };
  let prevEnd = 0n;
  for (let k = 0; k < n;) {
    let j = k + 1;
    while (j < n && sorted[j] === sorted[j - 1] + 1n) j++;
    put(k === 0 ? sorted[k] : sorted[k] - prevEnd);
    put(BigInt(j - k - 1));
    prevEnd = sorted[j - 1];
    k = j;
  }
  let w = 1;
  while (2 ** w < n) w++;
  const ranks = new Uint8Array(Math.ceil((n * w) / 8));
  ids.forEach((id, i) => {
    const r = rankOf.get(BigInt(id));
    for (let b = 0; b < w; b++) {
      const bit = i * w + b;
      if ((r >> b) & 1) ranks[bit >> 3] |= 1 << (bit & 7);
    }
  });
  return { runs: Uint8Array.from(runs), ranks };
}

/** The file with the sections of types `drop` removed and `add` added (laid
 *  out again, 64-byte aligned, in type order), format minor `minor`, CRCs fixed. */
function relayout(bytes, { drop = [], add = [], minor }) {
  const keep = R.readDirectory(bytes).sections.filter((s) => !drop.includes(s.type))
    .map((s) => ({ type: s.type, index: s.index, dtype: s.dtype, data: bytes.subarray(s.offset, s.offset + s.size) }));
  const all = [...keep, ...add].sort((a, b) => a.type - b.type || a.index - b.index);
  const align = (x) => Math.ceil(x / 64) * 64;
  let pos = align(256 + 32 * all.length);
  let end = pos;
  const offsets = all.map((s) => {
    const at = pos;
    end = at + s.data.length;
    pos = align(end);
    return at;
  });
  const out = new Uint8Array(end);
  out.set(bytes.subarray(0, 256));
  const dv = new DataView(out.buffer);
  dv.setUint16(10, minor, true);
  dv.setBigUint64(16, BigInt(end), true);
  dv.setUint32(32, all.length, true);
  all.forEach((s, k) => {
    const at = 256 + 32 * k;
    dv.setUint32(at, s.type, true);
    dv.setUint32(at + 4, s.index, true);
    dv.setBigUint64(at + 8, BigInt(offsets[k]), true);
    dv.setBigUint64(at + 16, BigInt(s.data.length), true);
    dv.setUint32(at + 24, s.dtype, true);
    out.set(s.data, offsets[k]);
  });
  return R.fixCrcs(out);
}

const W = 9; // bits per rank for N = 300
const rankAt = (ranks, i) => {
  let r = 0;
  for (let b = 0; b < W; b++) r |= ((ranks[(i * W + b) >> 3] >> ((i * W + b) & 7)) & 1) << b;
  return r;
};
const withRank = (ranks, i, r) => {
  const out = Uint8Array.from(ranks);
  for (let b = 0; b < W; b++) {
    const bit = i * W + b;
    out[bit >> 3] = (out[bit >> 3] & ~(1 << (bit & 7))) | (((r >> b) & 1) << (bit & 7));
  }
  return out;
};

const STRING_IDS = [11, 12, 13];
const ID_RUNS = 15;
const ID_RANKS = 16;
const compactOf = (bytes, ids, { runs, ranks } = encodeIds(ids), minor = 1) => relayout(bytes, {
  drop: STRING_IDS, minor,
  add: [{ type: ID_RUNS, index: 0, dtype: 0, data: runs }, { type: ID_RANKS, index: 0, dtype: 0, data: ranks }],
});

// 300 items (9 bits per rank): runs with gaps, ids of 1 to 19 digits, in an order unrelated to their values
const N = 300;
const r0 = rng(18);
const values = [];
for (let v = 0n; values.length < N;) {
  values.push(v);
  v += values.length % 37 === 0 ? 1n + BigInt(Math.floor(r0.next() * 5000)) : 1n;
  if (values.length === 200) v = 123456789012345678n;
  if (values.length >= 250) v = 9999999999999999900n + BigInt(values.length - 250); // up to the largest ids
}
const IDS = values.map(String);
for (let i = N - 1; i > 0; i--) {
  const j = Math.floor(r0.next() * (i + 1));
  [IDS[i], IDS[j]] = [IDS[j], IDS[i]];
}

async function buildStringFile() {
  const r = rng(7);
  const f = (k) => Float32Array.from({ length: k }, () => r.normal());
  buildStringFile.spec = {
    input: { kind: 'memcom', n: N, m: 20, d: 8, dtype: 'f32', scalarDtype: 'f16', rows: f(20 * 8), scalars: f(N),
      bucket: Uint32Array.from({ length: N }, (_, i) => (i * 7) % 20) },
    output: { kind: 'full', n: N, d: 8, dtype: 'f32', rows: f(N * 8) },
    layers: [{ inDim: 8, outDim: 8, activation: 'tanh', weight: f(64), bias: f(8) }],
    outputBias: f(N),
    ids: IDS,
  };
  return buildModel(buildStringFile.spec);
}
const STRINGS = await buildStringFile();
const COMPACT = compactOf(STRINGS, IDS);

test('buildModel with idEncoding \'compact\' writes exactly the file of this encoder; other ids stay strings', async () => {
  const spec = buildStringFile.spec;
  assert.deepEqual(await buildModel({ ...spec, idEncoding: 'compact' }), COMPACT);
  assert.deepEqual(await buildModel({ ...spec, idEncoding: 'strings' }), STRINGS);
  const named = await buildModel({ ...spec, ids: IDS.map((id) => `i${id}`), idEncoding: 'compact' });
  assert.ok(R.readDirectory(named).sections.some((s) => s.name === 'ID_OFFSETS'));
  assert.equal(new DataView(named.buffer).getUint16(10, true), 0, 'format 1.0');
  // a repeated number is refused as a repeated string is (buildModel's argument errors)
  await assertRejects(buildModel({ ...spec, ids: IDS.map((id, i) => (i === 7 ? IDS[3] : id)), idEncoding: 'compact' }),
    'invalid_argument', new RegExp(`ids: items 3 and 7 share the id "${IDS[3]}"`));
  await assertRejects(buildModel({ ...spec, idEncoding: 'short' }), 'invalid_argument', /idEncoding: must be one of 'strings', 'compact'/);
  await assertRejects(buildModel({ ...spec, ids: undefined, idEncoding: 'compact' }), 'invalid_argument', /idEncoding: given without ids/);
});

test('the encoder reproduces FORMAT.md\'s example', () => {
  const { runs, ranks } = encodeIds(['10', '5', '7', '6']);
  assert.deepEqual([...runs], [0x05, 0x02, 0x03, 0x00]);
  assert.deepEqual([...ranks], [0x63]);
  // and the oracle reads the ids of the compact file back
  assert.deepEqual(R.parseModel(COMPACT).ids, IDS);
});

for (const build of BUILDS) {
  test(`${build.name}: a compact-id file reads as its string-id twin`, async () => {
    const s = await loadModel(STRINGS, build.options);
    const c = await loadModel(COMPACT, build.options);
    assert.equal(s.info.formatVersion, '1.0');
    assert.equal(c.info.formatVersion, '1.1');
    assert.ok(c.info.hasIds);
    assert.ok(COMPACT.length < STRINGS.length, `${COMPACT.length} >= ${STRINGS.length}`);
    // what the ids cost: runs + ranks, and the whole-file ratio with them
    const { runs, ranks } = encodeIds(IDS);
    assert.equal(c.info.bytes.ids, runs.length + ranks.length);
    assert.equal(c.info.fullFileBytes - c.info.fileBytes, s.info.fullFileBytes - s.info.fileBytes);
    assert.ok(c.info.fileCompressionRatio > s.info.fileCompressionRatio);
    assert.deepEqual(c.ids(), IDS);
    for (let i = 0; i < N; i += 7) {
      assert.equal(c.idOf(i), IDS[i]);
      assert.equal(c.indexOf(IDS[i]), i);
    }
    for (const absent of ['0' + IDS[3], `+${IDS[3]}`, '-1', 'x', '10000000000000000000', '9999999999999999999']) {
      if (!IDS.includes(absent)) assert.equal(c.indexOf(absent), -1, absent);
    }
    // the same ranking, asked by ids
    const history = [IDS[5], IDS[150], IDS[299]];
    assert.deepEqual(c.recommend(history, { k: 20 }), s.recommend(history, { k: 20 }));
    s.dispose();
    c.dispose();
  });

  test(`${build.name}: damaged compact ids are refused with named errors`, async () => {
    const { runs, ranks } = encodeIds(IDS);
    const cases = [
      { what: 'a varint cut off', code: 'ids', re: /ID_RUNS.*cut off/, bytes: compactOf(STRINGS, IDS, { runs: runs.subarray(0, runs.length - 1), ranks }) },
      { what: 'an overlong varint', code: 'ids', re: /overlong/, bytes: compactOf(STRINGS, IDS, { runs: Uint8Array.from([0x80, 0x00, ...runs.subarray(1)]), ranks }) },
      { what: 'a byte after the last run', code: 'ids', re: /after the run/, bytes: compactOf(STRINGS, IDS, { runs: Uint8Array.from([...runs, 0]), ranks }) },
      { what: 'two items with one rank', code: 'ids_dup', re: /ID_RANKS: items 0 and 1 share the id/,
        bytes: compactOf(STRINGS, IDS, { runs, ranks: withRank(ranks, 1, rankAt(ranks, 0)) }) },
      { what: 'a rank >= n', code: 'ids_order', re: /rank 511, not below/,
        bytes: compactOf(STRINGS, IDS, { runs, ranks: withRank(ranks, 2, 511) }) },
      { what: 'runs that touch', code: 'ids_order', re: /touch/,
        bytes: compactOf(STRINGS, IDS, { runs: Uint8Array.from([0x00, 0x00, 0x01, ...runs.subarray(1)]), ranks }) },
      { what: 'compact ids in a 1.0 file', code: 'section_type', re: /needs format 1\.1/, bytes: compactOf(STRINGS, IDS, { runs, ranks }, 0) },
      { what: 'ranks without runs', code: 'section_missing', re: /ID_RUNS/,
        bytes: relayout(STRINGS, { drop: STRING_IDS, minor: 1, add: [{ type: ID_RANKS, index: 0, dtype: 0, data: ranks }] }) },
      { what: 'ids stored twice', code: 'section_unexpected', re: /also stored as strings/,
        bytes: relayout(STRINGS, { minor: 1, add: [{ type: ID_RUNS, index: 0, dtype: 0, data: runs }, { type: ID_RANKS, index: 0, dtype: 0, data: ranks }] }) },
      { what: 'a newer minor version', code: 'version', re: /1\.3/, bytes: compactOf(STRINGS, IDS, { runs, ranks }, 3) },
    ];
    for (const c of cases) {
      await assertRejects(loadModel(c.bytes, build.options), c.code, c.re);
    }
  });
}
