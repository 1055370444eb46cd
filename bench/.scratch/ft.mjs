import { makeWorkload, fullTable } from '../lib/workload.js';
const wl = makeWorkload({ n: 1000000, d: 64 });
let t = performance.now(); new Float32Array(64e6); console.log('alloc', performance.now()-t);
t = performance.now(); fullTable(wl); console.log('full', performance.now()-t);
t = performance.now(); fullTable(wl); console.log('full2', performance.now()-t);
function ft2(n,d,m,U,w){ const E=new Float32Array(n*d); let b=0; for(let i=0;i<n;i++){ const s=b*d, o=i*d, wi=w[i]; for(let j=0;j<d;j++) E[o+j]=wi*U[s+j]; b++; if(b===m)b=0;} return E;}
t = performance.now(); ft2(wl.n,wl.d,wl.m,wl.U,wl.w); console.log('ft2', performance.now()-t);
t = performance.now(); ft2(wl.n,wl.d,wl.m,wl.U,wl.w); console.log('ft2b', performance.now()-t);
