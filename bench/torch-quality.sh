#!/usr/bin/env bash
# bench/torch-quality.sh - memcom.train (PyTorch, 2-process DistributedDataParallel
# on one machine) on the ml-1m LightGCN++ split, for docs/QUALITY.md's PyTorch
# section: the full model and the default memcom variant at 16x (the full model
# compressed by `memcom compress`, then fine-tuned), with the native trainer's
# hyper-parameters; test NDCG@20 from `memcom eval` of the written files.  Then
# each file's top-10 for 1,000 users (their training histories, history
# excluded) in the npm package, SIMD and fallback builds, against PyTorch's own
# scoring of the same model (memcom.torch.load of the file: its f32 values).
# About 15-25 minutes on 2 cores.  Environment: DATA_ROOT=../shared/datasets.
# Writes build/quality/torch-ml1m-*.json, which bench/quality-table.js puts
# in docs/QUALITY.md (npm run bench:quality, or SKIP_TRAIN=1 bash bench/quality.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=${DATA_ROOT:-$ROOT/../shared/datasets}/ml-1m/implicit_lightgcnpp
OUT=$ROOT/build/quality
mkdir -p "$OUT"
[ -x build/memcom ] && [ -f build/libmemcom.so ] || bash build.sh native
export PYTHONPATH=$ROOT/python OMP_NUM_THREADS=1
# (--redirects 1 --tee 1: Debian 12's torchrun mis-parses its defaults on Python 3.11)
run() { # name args...
    local name=$1
    shift
    if [ -s "$OUT/torch-ml1m-$name.json" ]; then
        echo "== $name: done before"
        return
    fi
    echo "== $name: torchrun --nproc_per_node 2 -m memcom.train --data $DATA $*"
    /usr/bin/python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 1 --tee 1 \
        -m memcom.train --data "$DATA" "$@" -o "$OUT/torch-ml1m-$name.memcom" --json "$OUT/torch-ml1m-$name.json" \
        --checkpoint "$OUT/torch-ml1m-$name.ck" 2>&1 | grep --line-buffered -v '^\[' | tee "$OUT/torch-ml1m-$name.log"
}
run full
run memcom-16 --kind memcom --ratio 16 --dtype f32 --init-from "$OUT/torch-ml1m-full.memcom"   # f32 rows, as the native row

for name in full memcom-16; do
    f=$OUT/torch-ml1m-$name.memcom
    build/memcom eval "$f" --data "$DATA" --on test --json > "$OUT/torch-ml1m-$name.eval.json"
    /usr/bin/python3 - "$f" "$DATA" "$OUT/torch-ml1m-$name.users.json" <<'EOF'
import json, sys
import memcom, memcom.torch as mt
from memcom.train import Data
path, data_dir, users_out = sys.argv[1:]
m = memcom.open(path)
data = Data(data_dir)
assert m.ids == data.ids, "the file's items are the data's, in its order"
users = data.train_users[:1000]
hist = [data.split["train"][u] for u in users]
top = mt.load(path).recommend(mt.multi_hot(hist, data.n), k=10).numpy()
json.dump({"histories": [[data.ids[i] for i in h] for h in hist],
           "torch": [[data.ids[i] for i in row] for row in top]}, open(users_out, "w"))
EOF
    node -e '
const fs = require("fs"); const { execFileSync } = require("child_process");
const [file, usersFile] = process.argv.slice(1);
const u = JSON.parse(fs.readFileSync(usersFile, "utf8"));
fs.writeFileSync(usersFile + ".hist", JSON.stringify(u.histories));
const got = JSON.parse(execFileSync("node", ["tests/python/recommend.mjs", file, usersFile + ".hist", "10"], { maxBuffer: 1 << 28 }));
const res = { users: u.torch.length };
for (const b of ["simd", "scalar"]) {
  res[b] = got[b].filter((row, i) => JSON.stringify(row) === JSON.stringify(u.torch[i])).length;
  console.log(`  ${b}: ${res[b]} of ${u.torch.length} users have the same top-10 as PyTorch`);
}
fs.writeFileSync(process.argv[3], JSON.stringify(res));' "$f" "$OUT/torch-ml1m-$name.users.json" "$OUT/torch-ml1m-$name.topk.json"
    node -e 'const e=require(process.argv[1]), j=require(process.argv[2]);
console.log(`  ${process.argv[3]}: test NDCG@20 ${e.test["ndcg@20"].toFixed(4)} (memcom eval; memcom.train: ${j.test["ndcg@20"].toFixed(4)}), Recall@20 ${e.test["recall@20"].toFixed(4)}, best epoch ${j.best_epoch} of ${j.epochs_run}, ${j.seconds.toFixed(0)} s, ${e.compression.toFixed(1)}x`)' \
        "$OUT/torch-ml1m-$name.eval.json" "$OUT/torch-ml1m-$name.json" "$name"
done
