let E = new Float32Array(64e6);
let t = performance.now(); for (let i=0;i<E.length;i++) E[i]=i; console.log('fill1', performance.now()-t);
t = performance.now(); for (let i=0;i<E.length;i++) E[i]=i*0.5; console.log('fill2', performance.now()-t);
t = performance.now(); E.fill(1); console.log('fill3', performance.now()-t);
const S = new Float32Array(1e6); t = performance.now(); for (let r=0;r<64;r++) for (let i=0;i<S.length;i++) S[i]=i*0.5; console.log('small', performance.now()-t);
