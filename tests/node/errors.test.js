// errors.test.js - one owner per name: the C error names (src/base/errors.c,
// asked through mc_error_name), the enum names and struct layouts
// (src/base/names.c) and the export lists (web/exports.js) checked against the
// JavaScript side: errors.js, the codes web/*.js raise, and index.d.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { JS_ALIASES, JS_ONLY_CODES, jsCode } from '../../web/errors.js';
import { RANKING_EXPORTS, WRITER_EXPORTS } from '../../web/exports.js';
import { getRuntime, getWriterRuntime, NAMES, STRUCTS } from '../../web/runtime.js';

const WEB = new URL('../../web/', import.meta.url);

async function dtsCodes() {
  const dts = await readFile(new URL('index.d.ts', WEB), 'utf8');
  const m = dts.match(/export type MemcomErrorCode =([^;]*);/);
  assert.ok(m, 'index.d.ts declares MemcomErrorCode');
  return new Set([...m[1].matchAll(/'([a-z_0-9]+)'/g)].map((x) => x[1]));
}

/** Codes web/*.js raise literally: new MemcomError('code', ...). */
async function raisedCodes() {
  const out = new Set();
  for (const f of (await readdir(WEB)).filter((n) => n.endsWith('.js'))) {
    const text = await readFile(new URL(f, WEB), 'utf8');
    for (const m of text.matchAll(/new MemcomError\('([a-z_0-9]+)'/g)) out.add(m[1]);
  }
  return out;
}

test('error names: the module owns them; aliases, JS-only codes, raised codes and index.d.ts agree with it', async () => {
  const runtimes = [await getRuntime({ simd: true }), await getRuntime({ simd: false }), await getWriterRuntime()];
  const cNames = runtimes[0].errorNames();
  assert.ok(cNames.size >= 40, `the module names ${cNames.size} errors`);
  for (const rt of runtimes.slice(1)) assert.deepEqual(rt.errorNames(), cNames, 'every module has the same table');
  const fromC = new Set([...cNames.values()].map(jsCode));
  for (const [c, js] of Object.entries(JS_ALIASES)) {
    assert.ok([...cNames.values()].includes(c), `alias ${c} -> ${js}: ${c} is a C name`);
    assert.ok(![...cNames.values()].includes(js), `alias ${c} -> ${js}: ${js} is not a C name too`);
  }
  for (const js of JS_ONLY_CODES) assert.ok(!fromC.has(js), `${js} is JS-only, not a C name`);
  const all = new Set([...fromC, ...JS_ONLY_CODES]);
  const dts = await dtsCodes();
  assert.deepEqual([...dts].sort(), [...all].sort(), 'index.d.ts MemcomErrorCode = the module\'s names (aliased) + JS-only codes');
  for (const code of await raisedCodes()) assert.ok(all.has(code), `web/*.js raises '${code}', which is neither a C name nor JS-only`);
  // the runtime maps codes through the module
  for (const [code, c] of cNames) assert.equal(runtimes[0].errorName(code), jsCode(c));
});

test('export lists: web/exports.js is exactly what each module exports (plus emscripten\'s own)', async () => {
  const check = (rt, list, what) => {
    const mine = Object.keys(rt.exports).filter((n) => /^mcw?_/.test(n)).sort();
    assert.deepEqual(mine, [...list].sort(), what);
  };
  check(await getRuntime({ simd: true }), RANKING_EXPORTS, 'memcom-simd.wasm');
  check(await getRuntime({ simd: false }), RANKING_EXPORTS, 'memcom.wasm');
  check(await getWriterRuntime(), WRITER_EXPORTS, 'memcom-writer.wasm');
  assert.ok(!RANKING_EXPORTS.includes('mc_open'), 'mc_open is gone (mc_open_ex opens)');
});

test('enum names and struct layouts come from the module', async () => {
  const rt = await getRuntime();
  assert.deepEqual(rt.enumNames(NAMES.kind), ['none', 'full', 'hash', 'qr', 'memcom']);
  assert.deepEqual(rt.enumNames(NAMES.dtype), ['none', 'f32', 'f16', 'i8', 'u16', 'u32']);
  assert.deepEqual(rt.enumNames(NAMES.bucketMode), ['none', 'mod', 'hash', 'explicit']);
  assert.deepEqual(rt.enumNames(NAMES.activation), ['none', 'tanh', 'relu']);
  const w = await getWriterRuntime();
  for (const set of Object.values(NAMES)) assert.deepEqual(w.enumNames(set), rt.enumNames(set), 'the writer has the same names');
  for (const which of Object.values(STRUCTS)) {
    const fields = rt.layout(which);
    const names = new Set(fields.map((f) => f.name));
    assert.equal(names.size, fields.length, 'field names are distinct');
    let end = 0;
    for (const f of [...fields].sort((a, b) => a.offset - b.offset)) {
      assert.ok(f.size === 4 || f.size === 8, `${f.name}: size ${f.size}`);
      assert.equal(f.offset % f.size, 0, `${f.name}: aligned`);
      assert.ok(f.offset >= end, `${f.name}: no overlap`);
      end = f.offset + f.size;
    }
  }
  const info = new Set(rt.layout(STRUCTS.info).map((f) => f.name));
  for (const name of ['format_major', 'n_items', 'n_layers', 'has_ids', 'bias_dtype', 'user_dim', 'input.kind',
    'output.hash_seed', 'file_bytes', 'full_f32_bytes']) assert.ok(info.has(name), `memcom_info.${name}`);
  assert.equal(rt.layout(STRUCTS.info).find((f) => f.name === 'output.hash_seed').size, 8);
});

test('index.d.ts spells the enum names the module owns (TableKind, RowDtype, ScalarDtype, Activation, IdEncoding)', async () => {
  const dts = await readFile(new URL('index.d.ts', WEB), 'utf8');
  const union = (type) => {
    const m = dts.match(new RegExp(`export type ${type} =([^;]*);`));
    assert.ok(m, `index.d.ts declares ${type}`);
    return [...m[1].matchAll(/'([a-z0-9_]+)'/g)].map((x) => x[1]).sort();
  };
  const rt = await getRuntime();
  const names = (set) => rt.enumNames(set).filter((n) => n !== 'none');
  assert.deepEqual(union('TableKind'), names(NAMES.kind).sort(), 'TableKind: every kind a file can hold');
  // storage types of rows and of per-item scalars: the float dtypes (u16/u32 store only bucket indices and ids)
  const floats = names(NAMES.dtype).filter((n) => !/^u\d+$/.test(n));
  assert.deepEqual(union('RowDtype'), floats.sort(), 'RowDtype: f32, f16, i8');
  assert.deepEqual(union('ScalarDtype'), floats.filter((n) => n !== 'i8').sort(), 'ScalarDtype: the float dtypes but i8');
  assert.deepEqual(union('Activation'), rt.enumNames(NAMES.activation).slice().sort(), 'Activation: every activation, none included');
  assert.deepEqual(union('IdEncoding'), rt.enumNames(NAMES.idEncoding).slice().sort(), 'IdEncoding: every id encoding');
});
