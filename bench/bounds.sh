#!/usr/bin/env bash
# bench/bounds.sh - how much the per-bucket score bounds skip (`npm run bench:bounds`):
# the demo's trained models, the models `npm run bench:quality` trained (if
# build/quality/ has them) and the ranking benchmark's synthetic 1M-item
# tables (bench/lib/workload.js), top-10 per query, counted by the library.
# A few seconds; not part of `npm run bench` (it reads internal counters).
set -euo pipefail
cd "$(dirname "$0")/.."
bash build.sh bench > /dev/null # build/bench/bounds_stats
node --input-type=module -e '
import { writeFileSync } from "node:fs";
import { makeWorkload } from "./bench/lib/workload.js";
import { buildModel } from "./web/index.js";
for (const d of [32, 64, 128]) {
  const { n, m, U, w, bias } = makeWorkload({ n: 1_000_000, d });
  writeFileSync(`build/bench/workload-1m-d${d}.memcom`, await buildModel({ output: { kind: "memcom", n, m, d, dtype: "i8", rows: U, scalars: w }, outputBias: bias }));
  if (d === 64) { // the worst case: a decoy in every bucket (large w, a bias that sinks it), so no ranking can skip
    const wd = Float32Array.from(w), bd = Float32Array.from(bias);
    for (let i = 3 * m; i < 4 * m; i++) { wd[i] = 50; bd[i] = -1e4; }
    writeFileSync("build/bench/workload-1m-d64-decoys.memcom", await buildModel({ output: { kind: "memcom", n, m, d, dtype: "i8", rows: U, scalars: wd }, outputBias: bd }));
  }
}'
echo "| model | items | buckets | rankings that skipped buckets | items scored in those (mean) | share of the catalogue | ms / ranking | ms, bucketBounds off |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
trained=()
for ds in ml1m lastfm sports; do
    for kind in memcom-4 memcom-16 memcom-40 memcom-16-i8 memcom-plain-16 hash-16; do
        [ -f "build/quality/$ds-$kind.memcom" ] && trained+=("build/quality/$ds-$kind.memcom")
    done
done
for f in demo/models/memcom-4x.memcom demo/models/memcom-16x.memcom "${trained[@]}" \
    build/bench/workload-1m-d32.memcom build/bench/workload-1m-d64.memcom build/bench/workload-1m-d128.memcom \
    build/bench/workload-1m-d64-decoys.memcom; do
    build/bench/bounds_stats "$f" 200
done
