// reentrant.test.js - issue 12 point 1: converting a method's arguments can
// run the caller's code (option getters, iterators, Proxies, getters on
// vector elements).  For every method, that code disposes this model, loads
// another, or disposes another mid-call: the call ends in a MemcomError or the
// right answer (that of an untouched copy of the model), never a RuntimeError
// or a trap, and later loads, calls and disposes still work.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, loadTable, buildModel, MemcomError } from '../../web/index.js';
import { BUILDS, rng, tableSpec, requireWasm } from './helpers.js';

requireWasm();

const N = 300;
const D = 8;

async function modelSpec(seed) {
  const r = rng(seed);
  return buildModel({
    input: tableSpec(r, { kind: 'memcom', dtype: 'f16', scalarDtype: 'f32', bucket: 'mod' }, { n: N, d: D, m: 40, dyadic: false }),
    output: tableSpec(r, { kind: 'hash', dtype: 'f32', bucket: 'mod' }, { n: N, d: D, m: 50, dyadic: false }),
    outputBias: Float32Array.from({ length: N }, () => r.normal() * 0.1),
    ids: Array.from({ length: N }, (_, i) => `item-${i}`),
  });
}

const BYTES = await modelSpec(1);
const OTHER = await modelSpec(2);
const BIG = await buildModel({ output: tableSpec(rng(3), { kind: 'full', dtype: 'f32' }, { n: 200000, d: 16, dyadic: false }) });

/** An iterable that runs `cb` when iterated, then yields `items`. */
const iterating = (items, cb) => ({ *[Symbol.iterator]() { cb(); yield* items; } });
/** An array Proxy whose element reads run `cb`. */
const proxied = (items, cb) => new Proxy(items.slice(), { get(t, p, rcv) { if (p === '0') cb(); return Reflect.get(t, p, rcv); } });
/** A number[] whose element 0 is a getter running `cb`. */
function vectorWithGetter(vec, cb) {
  const a = Array.from(vec);
  const x0 = a[0];
  Object.defineProperty(a, 0, { get() { cb(); return x0; } });
  return a;
}
/** An options object whose `name` getter runs `cb`. */
function optionGetter(base, name, cb) {
  const o = { ...base };
  const v = o[name];
  delete o[name];
  Object.defineProperty(o, name, { get() { cb(); return v; }, enumerable: true });
  return o;
}

const VEC = Float32Array.from({ length: D }, (_, j) => Math.cos(j));
const HIST = ['item-3', 7, 'item-11'];

/** Each method with every way its arguments can run caller code: (cb) -> args. */
const CALLS = [
  ['recommend', 'options.k', (cb) => [HIST, optionGetter({ k: 5 }, 'k', cb)]],
  ['recommend', 'options.exclude', (cb) => [HIST, optionGetter({ k: 5, exclude: [1, 2] }, 'exclude', cb)]],
  ['recommend', 'options.candidates', (cb) => [HIST, optionGetter({ k: 5, candidates: [1, 2, 9, 40] }, 'candidates', cb)]],
  ['recommend', 'history iterator', (cb) => [iterating(HIST, cb), { k: 5 }]],
  ['recommend', 'history Proxy', (cb) => [proxied(HIST, cb), { k: 5 }]],
  ['recommend', 'exclude iterator', (cb) => [HIST, { k: 5, exclude: iterating(['item-4'], cb) }]],
  ['userVector', 'history iterator', (cb) => [iterating(HIST, cb)]],
  ['userVector', 'history Proxy', (cb) => [proxied(HIST, cb)]],
  ['scores', 'history iterator', (cb) => [iterating(HIST, cb)]],
  ['scores', 'history Proxy', (cb) => [proxied(HIST, cb)]],
  ['topK', 'vector element getter', (cb) => [vectorWithGetter(VEC, cb), { k: 4 }]],
  ['topK', 'options.k', (cb) => [VEC, optionGetter({ k: 4 }, 'k', cb)]],
  ['topK', 'options.bias', (cb) => [VEC, optionGetter({ k: 4, bias: false }, 'bias', cb)]],
  ['topK', 'options.cosine', (cb) => [VEC, optionGetter({ k: 4, cosine: true }, 'cosine', cb)]],
  ['topK', 'options.candidates', (cb) => [VEC, optionGetter({ k: 4, candidates: ['item-5', 6, 70] }, 'candidates', cb)]],
  ['topK', 'candidates Proxy', (cb) => [VEC, { k: 4, candidates: proxied(['item-5', 6, 70], cb) }]],
  ['scoreVector', 'vector element getter', (cb) => [vectorWithGetter(VEC, cb)]],
  ['similarItems', 'options.k', (cb) => ['item-9', optionGetter({ k: 3 }, 'k', cb)]],
  ['similarItems', 'options.exclude', (cb) => ['item-9', optionGetter({ k: 3, exclude: [1] }, 'exclude', cb)]],
  ['lookup', 'items iterator', (cb) => [iterating(['item-2', 5], cb)]],
  ['lookup', 'items Proxy', (cb) => [proxied(['item-2', 5], cb)]],
  ['lookup', 'options.table', (cb) => [[1, 2], optionGetter({ table: 'input' }, 'table', cb)]],
  ['itemEmbedding', 'options.table', (cb) => ['item-4', optionGetter({ table: 'output' }, 'table', cb)]],
];
// idOf, indexOf and ids take no argument that can run code; they are checked after each action.

const same = (a, b) => assert.deepEqual(a, b);

for (const build of BUILDS) {
  test(`${build.name}: a dispose, a load or another dispose from the caller's code mid-call never corrupts memory`, async () => {
    const truth = await loadModel(BYTES, build.options); // never touched by the callbacks
    let checked = 0;
    for (const [method, via, make] of CALLS) {
      for (const action of ['dispose this', 'load another', 'dispose another', 'use another', 'dispose this then use another']) {
        const what = `${method} via ${action} from ${via}`;
        const m = await loadModel(BYTES, build.options);
        const other = await loadTable(OTHER, build.options);
        const big = action.includes('use another') ? await loadTable(BIG, build.options) : null;
        const pending = [];
        let ran = 0;
        const cb = () => {
          ran++;
          if (action === 'dispose this') m.dispose();
          else if (action === 'load another') pending.push(loadModel(OTHER, build.options));
          else if (action === 'dispose another') other.dispose();
          else if (action === 'use another') big.scoreVector(new Float32Array(16).fill(0.5)); // the shared scratch grows
          else { m.dispose(); big.topK(new Float32Array(16).fill(0.25), { k: 3 }); other.dispose(); }
        };
        let got;
        let threw = null;
        try {
          got = m[method](...make(cb));
        } catch (e) {
          threw = e;
        }
        assert.ok(ran > 0, `${what}: the callback ran`);
        if (threw !== null) {
          assert.ok(threw instanceof MemcomError, `${what}: threw ${threw && threw.constructor.name}: ${threw && threw.message}`);
          assert.equal(threw.code, 'disposed', `${what}: ${threw.message}`);
        } else {
          same(got, truth[method](...make(() => {})));
        }
        for (const p of pending) (await p).dispose();
        // afterwards: every model still answers right or says 'disposed'
        if (m.disposed) assert.throws(() => m.recommend(HIST), (e) => e instanceof MemcomError && e.code === 'disposed');
        else {
          same(m.recommend(HIST, { k: 7 }), truth.recommend(HIST, { k: 7 }));
          same(m.ids(), truth.ids());
          assert.equal(m.idOf(17), 'item-17');
          assert.equal(m.indexOf('item-17'), 17);
        }
        if (!other.disposed) assert.equal(other.topK(VEC, { k: 2 }).length, 2);
        const again = await loadModel(BYTES, build.options);
        same(again.recommend(HIST, { k: 7 }), truth.recommend(HIST, { k: 7 }));
        again.dispose();
        m.dispose();
        other.dispose();
        if (big) {
          assert.equal(big.topK(new Float32Array(16).fill(1), { k: 1 }).length, 1);
          big.dispose();
        }
        checked++;
      }
    }
    assert.equal(checked, CALLS.length * 5);
    truth.dispose();
  });
}
