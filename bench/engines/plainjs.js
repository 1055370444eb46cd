// Plain-JavaScript loops, what a web developer writes without any library:
// brute force over the full f32 table, and the same factorised MEmCom scan
// memcom runs (m dot products, then n multiply-adds), both with a running
// top-k that skips the exclusion set.

/** Running top-k: descending scores, ties to the lower index (items arrive in index order). */
class TopK {
  constructor(k, exclude) {
    this.k = k;
    this.exclude = exclude;
    this.idx = [];
    this.val = [];
    this.min = -Infinity; // admission threshold once full
  }

  push(i, v) {
    if (!(v > this.min) && this.idx.length === this.k) return;
    if (this.exclude.has(i)) return;
    const { idx, val, k } = this;
    let p = idx.length === k ? k - 1 : idx.length;
    while (p > 0 && val[p - 1] < v) {
      val[p] = val[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    val[p] = v;
    idx[p] = i;
    if (idx.length === k) this.min = val[k - 1];
  }
}

export function plainFullEngine({ E, bias, n, d, k, exclude }) {
  return {
    query(u) {
      const top = new TopK(k, exclude);
      for (let i = 0; i < n; i++) {
        const o = i * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += E[o + j] * u[j];
        top.push(i, s + bias[i]);
      }
      return top.idx;
    },
    dispose() {},
  };
}

export function plainMemcomEngine({ U, w, bias, n, m, d, k, exclude }) {
  const t = new Float64Array(m);
  return {
    query(u) {
      for (let r = 0; r < m; r++) {
        const o = r * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += U[o + j] * u[j];
        t[r] = s;
      }
      const top = new TopK(k, exclude);
      for (let i = 0, b = 0; i < n; i++) {
        top.push(i, w[i] * t[b] + bias[i]);
        if (++b === m) b = 0;
      }
      return top.idx;
    },
    dispose() {},
  };
}
