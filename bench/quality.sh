#!/usr/bin/env bash
# bench/quality.sh - the quality table of docs/QUALITY.md (`npm run bench:quality`).
#
# Trains and evaluates, with the LightGCN++ protocol (test metrics at the epoch
# chosen by validation NDCG@20), the Mult-DAE with full, hash, qr, plain memcom
# and the default memcom variant at 4x, 16x and 40x (or the largest ratio each
# kind allows), memcom on the input table only at 16x, and the default variant
# at 16x with int8 tables, on ml-1m and lastfm (LightGCN++ splits) and Amazon
# Sports (seeded 70/10/20 per-user split).  Reads ../shared/datasets (never
# copied), writes models and JSON to build/quality/, then docs/QUALITY.md.
#
# Not run in CI: about 30-40 minutes on 2 cores.  Environment:
#   DATASETS="ml1m lastfm sports"   which data sets
#   THREADS=2  EPOCHS=...  DATA_ROOT=../shared/datasets
#   SKIP_TRAIN=1   only rebuild docs/QUALITY.md from build/quality/*.json
#   REVERSE=1      run the rows last to first (a second process can share the work;
#                  a row being trained holds a lock directory, finished rows are skipped)
#   FORCE=1        retrain rows that have results
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA_ROOT=${DATA_ROOT:-$ROOT/../shared/datasets}
OUT=${OUT:-$ROOT/build/quality}
THREADS=${THREADS:-2}
DATASETS=${DATASETS:-"ml1m lastfm sports"}
BIN=$ROOT/build/memcom
mkdir -p "$OUT"

if [ "${SKIP_TRAIN:-0}" != 1 ]; then
    [ -x "$BIN" ] || ./build.sh native
    # run a private copy, so that rebuilding during the run cannot interfere
    cp "$BIN" "$OUT/memcom-bin.$$"
    BIN=$OUT/memcom-bin.$$
    LOCKS=()
    trap 'rm -f "$BIN"; for l in "${LOCKS[@]}"; do rmdir "$l" 2> /dev/null; done' EXIT
fi

# Per data set: data arguments and the hyper-parameters chosen for the full
# model on the validation split (shared by every kind of that data set).
. bench/quality-args.sh

rows() {
    echo "full|--kind full"
    for r in 4 16 40; do
        echo "hash-$r|--kind hash --ratio $r"
        echo "qr-$r|--kind qr --ratio $r"
        echo "memcom-plain-$r|--kind memcom-plain --ratio $r"
        echo "memcom-$r|--kind memcom --ratio $r INIT"
    done
    echo "memcom-plain-input-16|--in-kind memcom-plain --out-kind full --in-ratio 16"
    echo "memcom-input-16|--in-kind memcom --out-kind full --in-ratio 16 INIT"
    echo "memcom-16-i8|--kind memcom --ratio 16 --dtype i8 INIT"
}

run_row() { # dataset row-id args...
    local ds=$1 id=$2
    shift 2
    local json=$OUT/$ds-$id.json log=$OUT/$ds-$id.log
    if [ -s "$json" ] && [ "${FORCE:-0}" != 1 ]; then
        echo "  $ds $id: done before ($json)"
        return
    fi
    if ! mkdir "$json.lock" 2> /dev/null; then
        echo "  $ds $id: being trained by another process ($json.lock)"
        return
    fi
    LOCKS+=("$json.lock")
    echo "  $ds $id: $BIN train $(data_args "$ds") $(hyper_args "$ds") $* --threads $THREADS"
    # shellcheck disable=SC2046
    if $BIN train $(data_args "$ds") $(hyper_args "$ds") "$@" --threads "$THREADS" --quiet \
        -o "$OUT/$ds-$id.memcom" --json "$json.tmp" 2> "$log"; then
        mv "$json.tmp" "$json"
        node -e 'const j=require(process.argv[1]);console.log(`    NDCG@20 ${j.test["ndcg@20"].toFixed(4)}  ${j.file_bytes} bytes  ${j.seconds}s`)' "$json"
    else
        # a kind that cannot reach the ratio (e.g. qr at 40x) records why
        rm -f "$json.tmp"
        printf '{"error":%s}\n' "$(node -e 'console.log(JSON.stringify(require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").pop()))' "$log")" > "$json"
        echo "    not possible: $(tail -1 "$log")"
    fi
    rmdir "$json.lock"
}

if [ "${SKIP_TRAIN:-0}" != 1 ]; then
    START=$(date +%s)
    for ds in $DATASETS; do
        echo "== $ds"
        while IFS='|' read -r id args; do
            args=${args/INIT/--init-from $OUT/$ds-full.memcom}
            # shellcheck disable=SC2086
            run_row "$ds" "$id" $args
        done < <(if [ "${REVERSE:-0}" = 1 ]; then rows | tac; else rows; fi)
    done
    echo "training took $(( $(date +%s) - START )) s"
fi

node bench/quality-table.js "$OUT" docs/QUALITY.md "npm run bench:quality" "$DATASETS"
echo "wrote docs/QUALITY.md"
