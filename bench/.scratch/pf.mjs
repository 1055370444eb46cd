for (const mb of [8, 36, 64]) {
  let E = new Uint8Array(mb << 20);
  let t = performance.now(); E.fill(1); const a = performance.now()-t;
  t = performance.now(); E.fill(2); console.log(mb, 'MB first touch', a.toFixed(1), 'second', (performance.now()-t).toFixed(1));
}
const mem = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
let t = performance.now(); mem.grow(600); console.log('grow 37MB', performance.now()-t);
const v = new Uint8Array(mem.buffer); t = performance.now(); v.fill(1); console.log('touch wasm 37MB', performance.now()-t);
