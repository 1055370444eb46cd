// build.test.js - buildModel (web/build.js, which runs the C writer in
// dist/memcom-writer.wasm) against the format specification, read back by the
// independent reference parser (tests/node/reference.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, MemcomError } from '../../web/index.js';
import * as R from './reference.js';
import { rng, tableSpec, allConfigs, configName } from './helpers.js';

const enc = new TextEncoder();

test('crc32 of "123456789" is 0xCBF43926 (both reference implementations)', () => {
  assert.equal(R.crc32(enc.encode('123456789')), 0xcbf43926);
  assert.equal(R.crc32Fast(enc.encode('123456789')), 0xcbf43926);
  const r = rng(1);
  const b = new Uint8Array(1000).map(() => r.int(0, 255));
  assert.equal(R.crc32Fast(b), R.crc32(b));
  assert.equal(R.crc32Fast(b, 10, 500), R.crc32(b, 10, 500));
});

/** The f16 bits the writer stores for each of `values` (an f16 output bias). */
async function storedHalves(values) {
  const n = values.length;
  const bytes = await buildModel({ output: { kind: 'full', n, d: 1, rows: new Float32Array(n) }, outputBias: values, biasDtype: 'f16' });
  const s = R.findSection(bytes, 'OUTPUT_BIAS');
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  return Array.from({ length: n }, (_, i) => dv.getUint16(s.offset + 2 * i, true));
}

test('f16 encoding by the writer: every finite half round-trips; ties go to even; the f16 range is refused beyond', async () => {
  const halves = [];
  for (let h = 0; h < 0x10000; h++) if (Number.isFinite(R.f16ToNumber(h))) halves.push(h);
  assert.deepEqual(await storedHalves(Float32Array.from(halves, (h) => R.f16ToNumber(h))),
    halves.map((h) => (h === 0x8000 ? 0x8000 : h)));
  const ties = [];
  const want = [];
  for (let h = 0; h < 0x7bff; h++) {
    const a = R.f16ToNumber(h);
    const b = R.f16ToNumber(h + 1);
    const mid = (a + b) / 2;
    if (Math.fround(mid) !== mid) continue;
    ties.push(mid, Math.fround(mid + (b - a) / 8));
    want.push(h & 1 ? h + 1 : h, h + 1);
  }
  assert.deepEqual(await storedHalves(Float32Array.from(ties)), want);
  assert.deepEqual(await storedHalves(new Float32Array([65504, 65519, 2 ** -26, 2 ** -24, -(2 ** -24)])), [0x7bff, 0x7bff, 0, 1, 0x8001]);
  await assertRejects(storedHalves(new Float32Array([1, 65520])), 'invalid_argument', /output bias: value 1 .*exceeds the f16 range/);
});

/** The promise rejects with a MemcomError of this code whose message matches re. */
async function assertRejects(promise, code, re) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof MemcomError, `a MemcomError, got ${e && e.constructor.name}: ${e && e.message}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

test('reference hash: splitmix64 finaliser of (i + seed) mod 2^64, mod m', () => {
  // The first output of the splitmix64 generator seeded with 0 is the finaliser of
  // 0x9E3779B97F4A7C15: 0xE220A8397B1DCDAF.
  const first = 0xe220a8397b1dcdafn;
  for (const m of [1, 2, 3, 1000, 65536, 46875, 2 ** 31 - 1, 2 ** 32 - 1]) {
    assert.equal(R.hashBucket(0, 0x9e3779b97f4a7c15n, m), Number(first % BigInt(m)));
    // wrapping addition: 1 + (2^64 - 1) is 0
    assert.equal(R.hashBucket(1, 0xffffffffffffffffn, m), R.hashBucket(0, 0n, m));
  }
  assert.equal(R.hashBucket(2, 0xffffffffffffffffn, 97), R.hashBucket(1, 0n, 97));
});

function checkLayout(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x4d, 0x45, 0x4d, 0x43, 0x4f, 0x4d, 0x0a]);
  assert.equal(dv.getUint16(8, true), 1);
  assert.equal(dv.getUint16(10, true), 0);
  assert.equal(dv.getUint32(12, true), 256);
  assert.equal(Number(dv.getBigUint64(16, true)), bytes.length);
  assert.equal(dv.getUint32(36, true), 0);
  assert.equal(Number(dv.getBigUint64(40, true)), 256);
  assert.equal(dv.getUint32(52, true), 0);
  for (let i = 188; i < 252; i++) assert.equal(bytes[i], 0, 'reserved header byte');
  assert.equal(dv.getUint32(252, true), R.crc32Fast(bytes, 0, 252), 'header crc');
  const { count, sections } = R.readDirectory(bytes);
  assert.equal(dv.getUint32(48, true), R.crc32Fast(bytes, 256, 256 + count * 32), 'directory crc');
  let end = 256 + count * 32;
  let prevKey = -1;
  for (const s of sections) {
    assert.equal(s.offset % 64, 0, `${s.name} aligned`);
    assert.ok(s.offset >= end, `${s.name} after the previous section`);
    assert.equal(s.crc, R.crc32Fast(bytes, s.offset, s.offset + s.size), `${s.name} crc`);
    for (let i = end; i < s.offset; i++) assert.equal(bytes[i], 0, 'padding is zero');
    const key = s.type * 65536 + s.index;
    assert.ok(key > prevKey, 'sections in table order');
    prevKey = key;
    end = s.offset + s.size;
  }
  assert.equal(end, bytes.length, 'no trailing bytes');
  return sections;
}

test('layout: header, directory, aligned sections in table order, CRCs (every configuration)', async () => {
  const r = rng(7);
  for (const cfg of allConfigs()) {
    const n = 23;
    const bytes = await buildModel({
      input: tableSpec(r, cfg, { n, d: 5, m: 4, dyadic: false }),
      output: tableSpec(r, cfg, { n, d: 3, m: 7, dyadic: false }),
      layers: [{ inDim: 5, outDim: 3, activation: 'tanh', weight: new Float32Array(15).fill(0.5), bias: new Float32Array(3) }],
      outputBias: new Float32Array(n).fill(0.25),
      biasDtype: 'f16',
      ids: Array.from({ length: n }, (_, i) => `item-${i}`),
      metadata: { dataset: 'test' },
    });
    const secs = checkLayout(bytes);
    const names = secs.map((s) => `${s.name}:${s.index}`);
    const expect = [];
    for (const role of [0, 1]) {
      expect.push(`ROWS_A:${role}`);
      if (cfg.kind === 'qr') expect.push(`ROWS_B:${role}`);
      if (cfg.dtype === 'i8') expect.push(`SCALES_A:${role}`);
      if (cfg.dtype === 'i8' && cfg.kind === 'qr') expect.push(`SCALES_B:${role}`);
      if (cfg.kind === 'memcom') expect.push(`ITEM_SCALARS:${role}`);
      if (cfg.bucket === 'u16' || cfg.bucket === 'u32') expect.push(`BUCKETS:${role}`);
    }
    expect.push('LAYERS:0', 'LAYER_WEIGHT:0', 'LAYER_BIAS:0', 'OUTPUT_BIAS:0', 'ID_OFFSETS:0', 'ID_BYTES:0', 'ID_SORTED:0', 'METADATA:0');
    assert.deepEqual(names.slice().sort(), expect.slice().sort(), configName(cfg));
  }
});

test('round trip through the reference parser: stored values decode to the quantised input', async () => {
  const r = rng(11);
  for (const cfg of allConfigs()) {
    const n = 29;
    const spec = {
      output: tableSpec(r, cfg, { n, d: 6, m: 5, dyadic: false }),
      outputBias: Float32Array.from({ length: n }, () => r.normal()),
    };
    const ref = R.parseModel(await buildModel(spec));
    const t = ref.output;
    assert.equal(t.kind, cfg.kind);
    assert.equal(t.rowDtype, cfg.dtype);
    const tolFor = (x, rowMax) => (cfg.dtype === 'f32' ? 0 : cfg.dtype === 'f16' ? Math.abs(x) * 2 ** -11 + 2 ** -25 : rowMax / 127 / 2 + 1e-7);
    const rowsA = cfg.kind === 'full' ? n : cfg.kind === 'qr' ? Math.ceil(n / 5) : 5;
    const check = (stored, given, rows) => {
      for (let i = 0; i < rows; i++) {
        let mx = 0;
        for (let j = 0; j < 6; j++) mx = Math.max(mx, Math.abs(given[i * 6 + j]));
        for (let j = 0; j < 6; j++) {
          const a = stored[i * 6 + j];
          const b = given[i * 6 + j];
          assert.ok(Math.abs(a - b) <= tolFor(b, mx) * 1.0001, `${configName(cfg)} row ${i}: ${a} vs ${b}`);
        }
      }
    };
    check(t.A, spec.output.rows, rowsA);
    if (cfg.kind === 'qr') check(t.B, spec.output.rowsB, 5);
    if (cfg.kind === 'memcom') {
      for (let i = 0; i < n; i++) {
        const tol = cfg.scalarDtype === 'f32' ? 0 : Math.abs(spec.output.scalars[i]) * 2 ** -11;
        assert.ok(Math.abs(t.w[i] - spec.output.scalars[i]) <= tol);
      }
    }
    if (cfg.bucket === 'u16' || cfg.bucket === 'u32') assert.deepEqual(Array.from(t.bucket), Array.from(spec.output.bucket));
    for (let i = 0; i < n; i++) assert.equal(ref.bias[i], spec.outputBias[i]);
  }
});

test('int8: scale = max|x| / 127 per row, q symmetric in -127..127, zero rows have scale 0', async () => {
  const rows = new Float32Array([1, -2, 0.5, 0, 0, 0, 127, -127, 63.5, 3, 3, -3.0000002]);
  const bytes = await buildModel({ output: { kind: 'full', n: 4, d: 3, dtype: 'i8', rows } });
  const s = R.findSection(bytes, 'SCALES_A', 1);
  const q = R.findSection(bytes, 'ROWS_A', 1);
  const dv = new DataView(bytes.buffer);
  const scales = [0, 1, 2, 3].map((i) => dv.getFloat32(s.offset + 4 * i, true));
  const qs = Array.from({ length: 12 }, (_, i) => dv.getInt8(q.offset + i));
  assert.deepEqual(scales, [Math.fround(2 / 127), 0, 1, Math.fround(Math.fround(3.0000002) / 127)]);
  assert.deepEqual(qs.slice(0, 6), [64, -127, 32, 0, 0, 0]);
  assert.deepEqual(qs.slice(6, 9), [127, -127, 64]); // 63.5 rounds half away from zero
  assert.deepEqual(qs.slice(9), [127, 127, -127]);
});

test('ids: UTF-8, offsets, and the index sorted by bytes (astral characters after U+FFFF)', async () => {
  const ids = ['b', 'a', '\u{1F600}', '\uFFFD', 'ab', 'é', 'A', 'a\u0000b'];
  const bytes = await buildModel({ output: { kind: 'full', n: ids.length, d: 1, rows: new Float32Array(ids.length) }, ids });
  const ref = R.parseModel(bytes);
  assert.deepEqual(ref.ids, ids);
  const s = R.findSection(bytes, 'ID_SORTED');
  const dv = new DataView(bytes.buffer);
  const perm = ids.map((_, i) => dv.getUint32(s.offset + 4 * i, true));
  const byBytes = ids.map((_, i) => i).sort((x, y) => Buffer.compare(Buffer.from(ids[x]), Buffer.from(ids[y])));
  assert.deepEqual(perm, byBytes);
  assert.deepEqual(perm.map((i) => ids[i]), ['A', 'a', 'a\u0000b', 'ab', 'b', 'é', '\uFFFD', '\u{1F600}']);
});

test('metadata: objects and JSON text; hash seeds as number, bigint or string', async () => {
  const rows = new Float32Array(6);
  let ref = R.parseModel(await buildModel({ output: { kind: 'full', n: 3, d: 2, rows }, metadata: { a: [1, 2], b: 'é' } }));
  assert.deepEqual(JSON.parse(ref.metadata), { a: [1, 2], b: 'é' });
  ref = R.parseModel(await buildModel({ output: { kind: 'full', n: 3, d: 2, rows }, metadata: '{"x": 1}' }));
  assert.equal(ref.metadata, '{"x": 1}');
  for (const [seed, want] of [[5, 5n], [5n, 5n], ['18446744073709551615', 2n ** 64n - 1n], ['0x10', 16n]]) {
    ref = R.parseModel(await buildModel({ output: { kind: 'hash', n: 3, m: 2, d: 1, rows: new Float32Array(2), bucket: { hash: seed } } }));
    assert.equal(ref.output.seed, want);
    assert.equal(ref.output.bucketMode, 'hash');
  }
});

test('spec validation: each mistake is an invalid_argument naming the field (or the writer\'s detail)', async () => {
  const f = (n = 4, d = 2) => ({ kind: 'full', n, d, rows: new Float32Array(n * d) });
  const cases = [
    [null, /spec/],
    [{}, /output/],
    [{ output: f(), extra: 1 }, /extra: unknown field/],
    [{ output: { ...f(), kind: 'dense' } }, /output\.kind/],
    [{ output: { ...f(), n: 0 } }, /output\.n/],
    [{ output: { ...f(), n: 2.5 } }, /output\.n/],
    [{ output: { ...f(), d: 5000, rows: new Float32Array(4 * 5000) } }, /output table: d = 5000 not in 1\.\.4096/],
    [{ output: { ...f(), m: 3 } }, /output table: m = 3 invalid for n = 4/],
    [{ output: { kind: 'hash', n: 4, m: 5, d: 2, rows: new Float32Array(10) } }, /output table: m = 5 invalid for n = 4/],
    [{ output: { kind: 'hash', n: 4, m: 0, d: 2, rows: new Float32Array(0) } }, /output\.m/],
    [{ output: { ...f(), dtype: 'f64' } }, /output\.dtype/],
    [{ output: { ...f(), rows: new Float32Array(7) } }, /output\.rows: must have 8 elements/],
    [{ output: { ...f(), rows: new Int32Array(8) } }, /output\.rows/],
    [{ output: { ...f(), rows: new Float32Array([0, 0, NaN, 0, 0, 0, 0, 0]) } }, /output\.rows: element 2/],
    [{ output: { ...f(), rows: new Float32Array([0, 0, 0, Infinity, 0, 0, 0, 0]) } }, /output\.rows: element 3/],
    [{ output: { ...f(), dtype: 'f16', rows: new Float32Array([0, 0, 0, 70000, 0, 0, 0, 0]) } }, /output table rows: value 3 .*exceeds the f16 range/],
    [{ output: { ...f(), scalars: new Float32Array(4) } }, /output\.scalars/],
    [{ output: { ...f(), bucket: 'mod' } }, /output\.bucket/],
    [{ output: { kind: 'memcom', n: 4, m: 2, d: 2, rows: new Float32Array(4) } }, /output\.scalars/],
    [{ output: { kind: 'memcom', n: 4, m: 2, d: 2, rows: new Float32Array(4), scalars: new Float32Array(4), scalarDtype: 'i8' } }, /output table: scalar dtype 3/],
    [{ output: { kind: 'memcom', n: 4, m: 2, d: 2, rows: new Float32Array(4), scalars: new Float32Array(4), bucket: new Uint32Array([0, 1, 2, 0]) } }, /output table: item 2 has bucket 2 >= m = 2/],
    [{ output: { kind: 'memcom', n: 4, m: 2, d: 2, rows: new Float32Array(4), scalars: new Float32Array(4), bucket: new Uint32Array(3) } }, /output\.bucket/],
    [{ output: { kind: 'hash', n: 4, m: 2, d: 2, rows: new Float32Array(4), bucket: 'div' } }, /output\.bucket/],
    [{ output: { kind: 'hash', n: 4, m: 2, d: 2, rows: new Float32Array(4), bucket: { hash: -1 } } }, /output\.bucket\.hash/],
    [{ output: { kind: 'hash', n: 4, m: 2, d: 2, rows: new Float32Array(4), bucket: { hash: 2n ** 64n } } }, /output\.bucket\.hash/],
    [{ output: { kind: 'qr', n: 4, m: 2, d: 2, rows: new Float32Array(4) } }, /output\.rowsB/],
    [{ input: { ...f(5) }, output: f() }, /input\.n/],
    [{ input: f(4, 3), output: f() }, /input\.d/],
    [{ input: f(4, 3), output: f(), layers: [{ inDim: 2, outDim: 2 }] }, /layers\[0\]\.inDim/],
    [{ input: f(4, 3), output: f(), layers: [{ inDim: 3, outDim: 2 }] }, /layers\[0\]\.weight: is required/],
    [{ input: f(4, 3), output: f(), layers: [{ inDim: 3, outDim: 3, activation: 'gelu' }] }, /layers\[0\]\.activation/],
    [{ input: f(4, 3), output: f(), layers: [{ inDim: 3, outDim: 3 }] }, /layers\[0\]\.outDim/],
    [{ input: f(4, 3), output: f(), layers: [{ inDim: 3, outDim: 2, weight: new Float32Array(5) }] }, /layers\[0\]\.weight/],
    [{ input: f(4, 2), output: f(), layers: [{ inDim: 2, outDim: 2, bias: [1, NaN] }] }, /layers\[0\]\.bias: element 1/],
    [{ output: f(), layers: [{ inDim: 2, outDim: 2 }] }, /layers: a model without an input table/],
    [{ input: f(), output: f(), layers: new Array(17).fill({ inDim: 2, outDim: 2 }) }, /17 layers \(at most 16\)/],
    [{ output: f(), outputBias: new Float32Array(3) }, /outputBias/],
    [{ output: f(), biasDtype: 'f16' }, /biasDtype/],
    [{ output: f(), outputBias: new Float32Array(4), biasDtype: 'i8' }, /output bias: dtype 3 \(f32 or f16\)/],
    [{ output: f(), ids: ['a', 'b', 'c'] }, /ids: must have n = 4/],
    [{ output: f(), ids: ['a', 'b', 'c', 'a'] }, /ids: items 0 and 3 share the id "a"/],
    [{ output: f(), ids: ['a', 'b', '', 'd'] }, /ids\[2\]: must not be empty/],
    [{ output: f(), ids: ['a', 'b', 3, 'd'] }, /ids\[2\]: must be a string/],
    [{ output: f(), ids: ['a', 'b', '\uD800', 'd'] }, /ids\[2\].*surrogate/],
    [{ output: f(), metadata: [1] }, /metadata/],
    [{ output: f(), metadata: '[1]' }, /metadata: must be a JSON object/],
    [{ output: f(), metadata: '{bad' }, /metadata: is not valid JSON/],
  ];
  for (const [spec, re] of cases) {
    await assertRejects(buildModel(spec), 'invalid_argument', re);
  }
  assert.ok(new MemcomError('x', 'y') instanceof Error);
});

test('a u16 bucket array needs m <= 65536', async () => {
  const n = 70000;
  await assertRejects(buildModel({ output: { kind: 'hash', n, m: 65537, d: 1, rows: new Float32Array(65537), bucket: new Uint16Array(n) } }),
    'invalid_argument', /Uint16Array.*m <= 65536/);
});

test('options.wasm gives the writer module; a module that is not the writer is refused', async () => {
  const spec = { output: { kind: 'full', n: 2, d: 2, rows: new Float32Array([1, 2, 3, 4]) } };
  const writer = new URL('../../dist/memcom-writer.wasm', import.meta.url);
  const a = await buildModel(spec);
  assert.deepEqual(await buildModel(spec, { wasm: writer }), a);
  await assertRejects(buildModel(spec, { wasm: new URL('../../dist/memcom.wasm', import.meta.url) }), 'wasm', /does not export mcw_/);
  await assertRejects(buildModel(spec, { wasm: 42 }), 'invalid_argument');
  await assertRejects(buildModel(spec, 'x'), 'invalid_argument');
});
