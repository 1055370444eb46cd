// corruption.test.js - damaged, truncated and foreign files are refused by
// loadModel with their own specific error code (docs/FORMAT.md), in both
// builds.  After a deliberate corruption the CRCs are fixed up (reference.js
// fixCrcs) so that the intended check, not a CRC, fires.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, buildModel } from '../../web/index.js';
import * as R from './reference.js';
import { rng, BUILDS, requireWasm, assertRejects } from './helpers.js';

requireWasm();

const N = 12;

/** A model with every section type: qr i8 input (A, B, both scales), memcom
 *  f16 output with f32 scalars and explicit u32 buckets, two layers, f32
 *  output bias, ids and metadata. */
function buildFull({ ids = Array.from({ length: N }, (_, i) => `id-${String.fromCharCode(97 + i)}`), metadata = { dataset: 'x' } } = {}) {
  const r = rng(99);
  const f = (k) => Float32Array.from({ length: k }, () => r.normal());
  return buildModel({
    input: { kind: 'qr', n: N, m: 4, d: 6, dtype: 'i8', rows: f(3 * 6), rowsB: f(4 * 6) },
    output: { kind: 'memcom', n: N, m: 5, d: 4, dtype: 'f16', scalarDtype: 'f32', rows: f(5 * 4), scalars: f(N),
      bucket: Uint32Array.from({ length: N }, (_, i) => (i * 3) % 5) },
    layers: [
      { inDim: 6, outDim: 4, activation: 'tanh', weight: f(24), bias: f(4) },
      { inDim: 4, outDim: 4, activation: 'relu', bias: f(4) },
    ],
    outputBias: f(N),
    ids,
    metadata,
  });
}

// buildModel is async: the files the cases damage are built once, here, and copied.
const FULL = new Map();
for (const meta of [undefined, { k: [1, 2, 3] }, { abc: 1 }]) {
  FULL.set(JSON.stringify(meta), await buildFull(meta === undefined ? {} : { metadata: meta }));
}
/** A fresh copy of the full model (metadata: one of those built above). */
function fullModel({ metadata } = {}) {
  return FULL.get(JSON.stringify(metadata)).slice();
}

/** A table file: output only, f32 full, no ids. */
const TABLE = await buildModel({ output: { kind: 'full', n: 5, d: 3, rows: new Float32Array(15).fill(0.5) }, metadata: { a: 1 } });
function tableFile() {
  return TABLE.slice();
}

const dvOf = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const sec = (b, name, index = 0) => {
  const s = R.findSection(b, name, index);
  assert.ok(s, `section ${name}[${index}] exists`);
  return s;
};

/** Each case: [name, make() -> bytes, expected code, optional message pattern]. */
const CASES = [];
const add = (name, make, code, re) => CASES.push({ name, make, code, re });

// --- truncation: at every section boundary (start and end), inside the header and the directory
{
  const base = fullModel();
  const { count, sections } = R.readDirectory(base);
  const cuts = new Set([8, 100, 255, 256, 256 + 16, 256 + count * 32]);
  for (const s of sections) {
    cuts.add(s.offset);
    if (s.offset + s.size < base.length) cuts.add(s.offset + s.size);
    cuts.add(s.offset + Math.floor(s.size / 2));
  }
  cuts.add(base.length - 1);
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const at = sections.find((s) => s.offset <= cut && cut <= s.offset + s.size);
    add(`truncated at byte ${cut}${at ? ` (${at.name}[${at.index}])` : ''}`, () => base.slice(0, cut), 'truncated');
  }
}

// --- container
add('bad magic', () => { const b = fullModel(); b[1] = 0x4e; return b; }, 'magic');
add('a foreign file (PNG signature)', () => { const b = fullModel(); b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); return b; }, 'magic');
add('format major 2', () => R.fixCrcs(((b) => (dvOf(b).setUint16(8, 2, true), b))(fullModel())), 'version');
add('format major 0', () => R.fixCrcs(((b) => (dvOf(b).setUint16(8, 0, true), b))(fullModel())), 'version');
add('format minor 3 (newer than the reader)', () => R.fixCrcs(((b) => (dvOf(b).setUint16(10, 3, true), b))(fullModel())), 'version');
add('header CRC flipped', () => { const b = fullModel(); b[252] ^= 1; return b; }, 'header_crc');
add('a header byte flipped (n_items) without fixing its CRC', () => { const b = fullModel(); b[24] ^= 4; return b; }, 'header_crc');
add('header_size 128', () => R.fixCrcs(((b) => (dvOf(b).setUint32(12, 128, true), b))(fullModel())), 'header_size');
add('file_size field larger than the data', () => R.fixCrcs(((b) => (dvOf(b).setBigUint64(16, BigInt(b.length + 64), true), b))(fullModel())), 'truncated');
add('trailing bytes after file_size', () => { const b = fullModel(); const c = new Uint8Array(b.length + 64); c.set(b); return c; }, 'file_size');
add('file_size field smaller than the data', () => R.fixCrcs(((b) => (dvOf(b).setBigUint64(16, BigInt(b.length - 64), true), b))(fullModel())), 'file_size');
add('unknown flag bit', () => R.fixCrcs(((b) => (dvOf(b).setUint32(36, 4, true), b))(fullModel())), 'flags');
add('reserved u32 at 52 nonzero', () => R.fixCrcs(((b) => (dvOf(b).setUint32(52, 1, true), b))(fullModel())), 'flags');
add('reserved header byte 200 nonzero', () => R.fixCrcs(((b) => (b[200] = 1, b))(fullModel())), 'flags');
add('section_count 0', () => R.fixCrcs(((b) => (dvOf(b).setUint32(32, 0, true), b))(fullModel())), 'directory');
add('section_count 2000', () => R.fixCrcs(((b) => (dvOf(b).setUint32(32, 2000, true), b))(fullModel()), { sections: false, directory: false }), 'directory');
add('directory_offset 512', () => R.fixCrcs(((b) => (dvOf(b).setBigUint64(40, 512n, true), b))(fullModel())), 'directory');
add('directory CRC flipped', () => { const b = fullModel(); b[48] ^= 0x80; return R.fixCrcs(b, { sections: false, directory: false }); }, 'directory_crc');
add('a directory byte flipped without fixing its CRC', () => { const b = fullModel(); b[256 + 8] ^= 0x40; return R.fixCrcs(b, { sections: false, directory: false }); }, 'directory_crc');

// --- header fields: sizes, kinds, types
const hdr = (mut) => () => { const b = fullModel(); mut(dvOf(b), b); return R.fixCrcs(b); };
add('n_items 0', hdr((dv) => dv.setUint32(24, 0, true)), 'sizes');
add('n_items 2^31', hdr((dv) => dv.setUint32(24, 2 ** 31, true)), 'sizes');
add('output n differs from n_items', hdr((dv) => dv.setUint32(120 + 4, N + 1, true)), 'sizes');
add('output d 0', hdr((dv) => dv.setUint32(120 + 12, 0, true)), 'sizes');
add('output d 5000', hdr((dv) => dv.setUint32(120 + 12, 5000, true)), 'sizes');
add('output m > n', hdr((dv) => dv.setUint32(120 + 8, N + 1, true)), 'sizes');
add('output m 0', hdr((dv) => dv.setUint32(120 + 8, 0, true)), 'sizes');
add('absurd sizes: n = 2^31-1 items (tables far beyond 4 GiB)', hdr((dv) => {
  dv.setUint32(24, 2 ** 31 - 1, true); // n_items
  dv.setUint32(56 + 4, 2 ** 31 - 1, true); // input n
  dv.setUint32(120 + 4, 2 ** 31 - 1, true); // output n
}), 'too_large');
add('unknown output table kind 7', hdr((dv) => dv.setUint32(120, 7, true)), 'table_kind');
add('output table kind none', hdr((dv) => dv.setUint32(120, 0, true)), 'table_kind');
add('unknown row dtype 9', hdr((dv) => dv.setUint32(120 + 16, 9, true)), 'table_dtype');
add('row dtype u16 (not a row type)', hdr((dv) => dv.setUint32(120 + 16, 4, true)), 'table_dtype');
add('scalar dtype i8', hdr((dv) => dv.setUint32(120 + 20, 3, true)), 'table_dtype');
add('bias dtype 3', hdr((dv) => dv.setUint32(184, 3, true)), 'table_dtype');
add('unknown bucket mode 5', hdr((dv) => dv.setUint32(120 + 24, 5, true)), 'bucket_mode');
add('qr input table with a bucket mode', hdr((dv) => dv.setUint32(56 + 24, 1, true)), 'bucket_mode');
add('n_layers 17', hdr((dv) => dv.setUint32(28, 17, true)), 'layers');

// --- directory entries
const entry = (name, index, mut) => () => {
  const b = fullModel();
  const s = sec(b, name, index);
  mut(dvOf(b), s.at, b);
  return R.fixCrcs(b, { sections: false });
};
add('unknown section type 99', entry('METADATA', 0, (dv, at) => dv.setUint32(at, 99, true)), 'section_type', /99/);
add('section type 0', entry('METADATA', 0, (dv, at) => dv.setUint32(at, 0, true)), 'section_type');
add('ROWS_A with role index 2', entry('ROWS_A', 1, (dv, at) => dv.setUint32(at + 4, 2, true)), 'section_type');
add('LAYER_WEIGHT for layer 5 of 2', entry('LAYER_WEIGHT', 0, (dv, at) => dv.setUint32(at + 4, 5, true)), 'section_type');
add('duplicate section (ID_SORTED twice)', entry('OUTPUT_BIAS', 0, (dv, at) => {
  dv.setUint32(at, 13, true); // same size (n x 4) as ID_SORTED
  dv.setUint32(at + 24, 5, true);
}), 'section_dup', /ID_SORTED/);
add('misaligned section offset (+4)', entry('ROWS_B', 0, (dv, at) => dv.setBigUint64(at + 8, dv.getBigUint64(at + 8, true) + 4n, true)), 'section_align', /ROWS_B/);
add('section offset past the end of the file', entry('METADATA', 0, (dv, at, b) => dv.setBigUint64(at + 8, BigInt(Math.ceil(b.length / 64) * 64 + 640), true)), 'section_bounds', /METADATA/);
add('section size 2^60 (absurd)', entry('ROWS_A', 1, (dv, at) => dv.setBigUint64(at + 16, 2n ** 60n, true)), 'section_bounds', /ROWS_A/);
add('section offset + size wraps around 2^64', entry('ROWS_A', 1, (dv, at) => dv.setBigUint64(at + 16, 2n ** 64n - 64n, true)), 'section_bounds', /ROWS_A/);
add('section size one row short', entry('ROWS_A', 1, (dv, at) => dv.setBigUint64(at + 16, dv.getBigUint64(at + 16, true) - 8n, true)), 'section_size', /ROWS_A/);
add('section dtype f32 where the header says f16', entry('ROWS_A', 1, (dv, at) => dv.setUint32(at + 24, 1, true)), 'section_dtype', /ROWS_A/);
add('bucket section dtype u16 where the header says u32', entry('BUCKETS', 1, (dv, at) => dv.setUint32(at + 24, 4, true)), 'section_dtype', /BUCKETS/);
add('two sections overlap', () => {
  const b = fullModel();
  const a = sec(b, 'OUTPUT_BIAS');
  const s = sec(b, 'ID_SORTED'); // same size: n x 4 bytes
  assert.equal(a.size, s.size);
  dvOf(b).setBigUint64(s.at + 8, BigInt(a.offset), true);
  return R.fixCrcs(b);
}, 'section_overlap');
add('a section overlapping the directory', () => {
  const b = fullModel();
  const s = sec(b, 'METADATA');
  dvOf(b).setBigUint64(s.at + 8, 256n, true);
  return R.fixCrcs(b);
}, 'section_overlap', /METADATA/);
add('a section overlapping the header (offset 0)', () => {
  const b = fullModel();
  const s = sec(b, 'METADATA');
  dvOf(b).setBigUint64(s.at + 8, 0n, true);
  return R.fixCrcs(b);
}, 'section_overlap', /METADATA/);
add('missing section (ITEM_SCALARS removed from the directory)', () => {
  const b = fullModel();
  const { count, sections } = R.readDirectory(b);
  const s = sections.find((x) => x.name === 'ITEM_SCALARS');
  b.copyWithin(s.at, s.at + 32, 256 + count * 32);
  b.fill(0, 256 + (count - 1) * 32, 256 + count * 32);
  dvOf(b).setUint32(32, count - 1, true);
  return R.fixCrcs(b);
}, 'section_missing', /ITEM_SCALARS/);
add('missing OUTPUT_BIAS though bias_dtype is set', () => {
  const b = fullModel();
  const { count, sections } = R.readDirectory(b);
  const s = sections.find((x) => x.name === 'OUTPUT_BIAS');
  b.copyWithin(s.at, s.at + 32, 256 + count * 32);
  dvOf(b).setUint32(32, count - 1, true);
  return R.fixCrcs(b);
}, 'section_missing', /OUTPUT_BIAS/);
add('unexpected section (SCALES_A in an f32 table file)', () => {
  const b = tableFile();
  const s = sec(b, 'METADATA');
  const dv = dvOf(b);
  dv.setUint32(s.at, 3, true);
  dv.setUint32(s.at + 4, 1, true);
  dv.setUint32(s.at + 24, 1, true);
  return R.fixCrcs(b);
}, 'section_unexpected', /SCALES_A/);
add('unexpected section (LAYERS in a table file)', () => {
  const b = tableFile();
  const s = sec(b, 'METADATA');
  const dv = dvOf(b);
  dv.setUint32(s.at, 7, true);
  dv.setUint32(s.at + 24, 5, true);
  return R.fixCrcs(b);
}, 'section_unexpected', /LAYERS/);

// --- a flipped byte in each section (CRC check)
for (const s of R.readDirectory(fullModel()).sections) {
  add(`flipped byte in ${s.name}[${s.index}] (section CRC)`, () => {
    const b = fullModel();
    b[s.offset + Math.floor(s.size / 2)] ^= 0x10;
    return b;
  }, 'section_crc', new RegExp(s.name));
}

// --- a flipped bit in each section's stored CRC (directory and header CRCs fixed)
for (const s of R.readDirectory(fullModel()).sections) {
  add(`flipped stored CRC of ${s.name}[${s.index}]`, () => {
    const b = fullModel();
    b[s.at + 28] ^= 0x01;
    return R.fixCrcs(b, { sections: false });
  }, 'section_crc', new RegExp(s.name));
}

// --- contents
const content = (name, index, mut, model = fullModel) => () => {
  const b = model();
  const s = sec(b, name, index);
  mut(dvOf(b), s.offset, b, s);
  return R.fixCrcs(b);
};
add('NaN in a layer weight', content('LAYER_WEIGHT', 0, (dv, o) => dv.setFloat32(o + 8, NaN, true)), 'nonfinite', /LAYER_WEIGHT/);
add('infinity in a layer bias', content('LAYER_BIAS', 1, (dv, o) => dv.setFloat32(o + 4, -Infinity, true)), 'nonfinite', /LAYER_BIAS/);
add('NaN in f16 output rows', content('ROWS_A', 1, (dv, o) => dv.setUint16(o + 6, 0x7e00, true)), 'nonfinite', /ROWS_A/);
add('infinity in f16 output rows', content('ROWS_A', 1, (dv, o) => dv.setUint16(o, 0x7c00, true)), 'nonfinite', /ROWS_A/);
add('NaN in per-item scalars', content('ITEM_SCALARS', 1, (dv, o) => dv.setFloat32(o + 4 * 3, NaN, true)), 'nonfinite', /ITEM_SCALARS/);
add('NaN in the output bias', content('OUTPUT_BIAS', 0, (dv, o) => dv.setFloat32(o + 4 * (N - 1), NaN, true)), 'nonfinite', /OUTPUT_BIAS/);
add('infinity in f32 rows of a table file', content('ROWS_A', 1, (dv, o) => dv.setFloat32(o + 4, Infinity, true), tableFile), 'nonfinite', /ROWS_A/);
add('negative int8 row scale', content('SCALES_A', 0, (dv, o) => dv.setFloat32(o + 4, -0.5, true)), 'row_scale', /SCALES_A/);
add('NaN int8 row scale (remainder table)', content('SCALES_B', 0, (dv, o) => dv.setFloat32(o, NaN, true)), 'row_scale', /SCALES_B/);
add('explicit bucket = m', content('BUCKETS', 1, (dv, o) => dv.setUint32(o + 4 * 7, 5, true)), 'bucket_range', /BUCKETS/);
add('explicit bucket = 2^32-1', content('BUCKETS', 1, (dv, o) => dv.setUint32(o, 0xffffffff, true)), 'bucket_range');
add('layer in_dim does not chain', content('LAYERS', 0, (dv, o) => dv.setUint32(o + 16, 5, true)), 'layers');
add('last layer out_dim differs from the output d', content('LAYERS', 0, (dv, o) => {
  dv.setUint32(o + 16 + 4, 3, true); // layer 1: 4 -> 3 (with no weight: also in != out)
}), 'layers');
add('unknown layer activation 3', content('LAYERS', 0, (dv, o) => dv.setUint32(o + 12, 3, true)), 'layers');
add('unknown layer flag bit', content('LAYERS', 0, (dv, o) => dv.setUint32(o + 8, 3 | 8, true)), 'layers');
add('first id offset not 0', content('ID_OFFSETS', 0, (dv, o) => dv.setUint32(o, 1, true)), 'ids', /ID_OFFSETS/);
add('id offsets decreasing', content('ID_OFFSETS', 0, (dv, o) => dv.setUint32(o + 8, dv.getUint32(o + 8, true) - 6, true)), 'ids', /ID_OFFSETS/);
add('empty id (two equal offsets)', content('ID_OFFSETS', 0, (dv, o) => dv.setUint32(o + 8, dv.getUint32(o + 4, true), true)), 'ids_utf8');
add('id with a byte 0xFF', content('ID_BYTES', 0, (dv, o, b) => { b[o + 3] = 0xff; }), 'ids_utf8', /ID_BYTES|item 0/);
add('id with an overlong encoding (C0 AF)', content('ID_BYTES', 0, (dv, o, b) => { b[o + 8] = 0xc0; b[o + 9] = 0xaf; }), 'ids_utf8');
add('id with a UTF-16 surrogate (ED A0 80)', content('ID_BYTES', 0, (dv, o, b) => { b[o + 12] = 0xed; b[o + 13] = 0xa0; b[o + 14] = 0x80; }), 'ids_utf8');
add('id cut inside a multi-byte character', content('ID_BYTES', 0, (dv, o, b) => { b[o + 3] = 0xe2; }), 'ids_utf8');
add('duplicate ids (two items named "id-a")', content('ID_BYTES', 0, (dv, o, b) => { b[o + 4 + 3] = 0x61; }), 'ids_dup');
add('unsorted id index (two entries swapped)', content('ID_SORTED', 0, (dv, o) => {
  const a = dv.getUint32(o + 4, true);
  dv.setUint32(o + 4, dv.getUint32(o + 8, true), true);
  dv.setUint32(o + 8, a, true);
}), 'ids_order', /ID_SORTED/);
add('id index entry >= n', content('ID_SORTED', 0, (dv, o) => dv.setUint32(o + 4 * 5, N, true)), 'ids_order', /ID_SORTED/);
add('id index not a permutation (an entry repeated)', content('ID_SORTED', 0, (dv, o) => dv.setUint32(o + 4, dv.getUint32(o, true), true)), 'ids_order', /ID_SORTED/);
add('metadata is not JSON', content('METADATA', 0, (dv, o, b) => { b[o] = 0x78; }), 'metadata', /METADATA/);
add('metadata is a JSON array', () => {
  const b = fullModel({ metadata: { k: [1, 2, 3] } });
  const s = sec(b, 'METADATA');
  const text = new TextEncoder().encode('[1,2,3,4,5,6]'); // same length as {"k":[1,2,3]}
  assert.equal(text.length, s.size);
  b.set(text, s.offset);
  return R.fixCrcs(b);
}, 'metadata', /METADATA/);
add('metadata with invalid UTF-8', content('METADATA', 0, (dv, o, b, s) => { b[o + s.size - 3] = 0xfe; }), 'metadata', /METADATA/);
add('metadata with a trailing comma', () => {
  const b = fullModel({ metadata: { abc: 1 } });
  const s = sec(b, 'METADATA');
  assert.equal(s.size, 9);
  b.set(new TextEncoder().encode('{"ab":1,}'), s.offset);
  return R.fixCrcs(b);
}, 'metadata', /METADATA/);

test(`at least 30 distinct corruptions (${CASES.length} cases)`, () => {
  assert.ok(CASES.length >= 30);
  assert.ok(new Set(CASES.map((c) => c.code)).size >= 30, `distinct codes: ${new Set(CASES.map((c) => c.code)).size}`);
});

test('the undamaged base files load, whole and streamed in', async () => {
  for (const build of BUILDS) {
    for (const b of [fullModel(), tableFile()]) {
      const m = await loadModel(b, build.options);
      const s = await loadModel(streamedResponse(b, 1, 0), build.options);
      assert.deepEqual(Array.from(s.itemEmbedding(1)), Array.from(m.itemEmbedding(1)));
      assert.deepEqual(s.info, m.info);
      m.dispose();
      s.dispose();
    }
  }
});

/**
 * `bytes` as a Response with a Content-Length whose body arrives in chunks of
 * `chunk` bytes (0: random sizes up to 700), so that the file streams into
 * wasm memory and its sections are checked as they arrive.
 */
function streamedResponse(bytes, chunk, seed) {
  const r = rng(seed);
  let at = 0;
  const body = new ReadableStream({
    pull(c) {
      if (at >= bytes.length) { c.close(); return; }
      const end = Math.min(bytes.length, at + (chunk || r.int(1, 700)));
      c.enqueue(bytes.slice(at, end));
      at = end;
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers: { 'content-length': String(bytes.length) } });
}

for (const c of CASES) {
  test(`corruption: ${c.name} -> ${c.code}`, async () => {
    const bytes = c.make();
    for (const build of BUILDS) {
      const err = await assertRejects(loadModel(bytes, build.options), c.code, c.re);
      assert.equal(err.category, c.code === 'too_large' ? 'resource' : 'bad_file', 'category');
      assert.ok(err.message.length > 'memcom: '.length + 5, 'the message says what is wrong');
      // streamed in (1-byte chunks, chunks that split the header and the directory, random): the same error
      for (const [chunk, seed] of [[1, 0], [100, 0], [0, 1], [0, 2]]) {
        const s = await assertRejects(loadModel(streamedResponse(bytes, chunk, seed), build.options), c.code);
        assert.equal(s.message, err.message, `streamed in chunks of ${chunk || 'random sizes'}`);
      }
    }
  });
}
