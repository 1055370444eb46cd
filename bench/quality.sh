#!/usr/bin/env bash
# bench/quality.sh - the quality table of docs/QUALITY.md (`npm run bench:quality`).
#
# Trains and evaluates, with the LightGCN++ protocol (test metrics at the epoch
# chosen by validation NDCG@20), the Mult-DAE with full, hash, qr, plain memcom
# and the default memcom variant at 4x, 16x and 40x (or the largest ratio each
# kind allows), the full model compressed after training (`memcom compress`)
# at the same ratios (f32 rows), memcom on the input table only at 16x, and the
# default variant at 16x and 40x with int8 rows (the trainer's default for a
# ratio: as many rows as fit the same bytes), on ml-1m and lastfm (LightGCN++ splits) and Amazon
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
#   ONLY=REGEX     only the rows whose id matches (grep -E), e.g. ONLY='full|memcom-posthoc-.*'
#   POPULARITY=P   record P as each model's popularity default (memcom train --popularity) instead
#                  of letting the trainer choose it after training (minutes per row on Sports; the
#                  table's metrics are the models' as trained either way)
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

# row id | train arguments.  The learned-bucket variant (the default `memcom`)
# clusters the item vectors of the data set's full model (row "full", trained
# first) instead of running its own warm-up; its training time is reported
# with the full model's time added.  "COMPRESS R" rows compress that full
# model after training (`memcom compress`, the same k-means, no training),
# then evaluate the file (`memcom eval`).  "full-same-budget" gives the full
# model the variant's budget: it continues from row "full" (INIT) at the
# variant's 0.3x learning rate, the same epochs and patience.
# The kinds' rows store f32 rows (--dtype f32); the "-i8" rows are the
# trainer's default for a ratio, int8 rows in the same bytes (about 4x the rows).
rows() {
    echo "full|--kind full"
    echo "full-same-budget|--kind full INIT"
    for r in 4 16 40; do
        echo "hash-$r|--kind hash --ratio $r --dtype f32"
        echo "qr-$r|--kind qr --ratio $r --dtype f32"
        echo "memcom-plain-$r|--kind memcom-plain --ratio $r --dtype f32"
        echo "memcom-$r|--kind memcom --ratio $r --dtype f32 INIT"
        echo "memcom-posthoc-$r|COMPRESS $r"
    done
    echo "memcom-plain-input-16|--in-kind memcom-plain --out-kind full --in-ratio 16 --dtype f32"
    echo "memcom-input-16|--in-kind memcom --out-kind full --in-ratio 16 --dtype f32 INIT"
    echo "memcom-16-i8|--kind memcom --ratio 16 INIT"
    echo "memcom-40-i8|--kind memcom --ratio 40 INIT"
}

show_result() { # json
    node -e 'const j=require(process.argv[1]);console.log(`    NDCG@20 ${j.test["ndcg@20"].toFixed(4)}  ${j.file_bytes} bytes  ${j.seconds}s`)' "$1"
}

# claim a row: false when it has results (and no FORCE) or another process holds it
claim_row() { # json
    if [ -s "$1" ] && [ "${FORCE:-0}" != 1 ]; then
        echo "  ${1##*/}: done before"
        return 1
    fi
    if ! mkdir "$1.lock" 2> /dev/null; then
        echo "  ${1##*/}: being made by another process ($1.lock)"
        return 1
    fi
    LOCKS+=("$1.lock")
}

run_row() { # dataset row-id args...
    local ds=$1 id=$2
    shift 2
    local json=$OUT/$ds-$id.json log=$OUT/$ds-$id.log
    claim_row "$json" || return 0
    echo "  $ds $id: $BIN train $(data_args "$ds") $(hyper_args "$ds") $* --threads $THREADS"
    # shellcheck disable=SC2046
    if $BIN train $(data_args "$ds") $(hyper_args "$ds") "$@" --threads "$THREADS" --quiet ${POPULARITY:+--popularity "$POPULARITY"} \
        -o "$OUT/$ds-$id.memcom" --json "$json.tmp" 2> "$log"; then
        mv "$json.tmp" "$json"
        show_result "$json"
    else
        # a kind that cannot reach the ratio (e.g. qr at 40x) records why
        rm -f "$json.tmp"
        printf '{"error":%s}\n' "$(node -e 'console.log(JSON.stringify(require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").pop()))' "$log")" > "$json"
        echo "    not possible: $(tail -1 "$log")"
    fi
    rmdir "$json.lock"
}

# post-hoc compression of the data set's full model: compress, evaluate, inspect,
# and one JSON with the fields of a training row's
compress_row() { # dataset row-id ratio
    local ds=$1 id=$2 r=$3
    local json=$OUT/$ds-$id.json log=$OUT/$ds-$id.log model=$OUT/$ds-$id.memcom
    claim_row "$json" || return 0
    echo "  $ds $id: $BIN compress $OUT/$ds-full.memcom --ratio $r, then $BIN eval"
    local t0 t1
    t0=$(date +%s.%N)
    # shellcheck disable=SC2046
    if $BIN compress "$OUT/$ds-full.memcom" --ratio "$r" --threads "$THREADS" --quiet -o "$model" \
        --json "$OUT/$ds-$id.compress.json" 2> "$log" && t1=$(date +%s.%N) &&
        $BIN eval "$model" $(data_args "$ds") --on test --json > "$OUT/$ds-$id.eval.json" 2>> "$log" &&
        $BIN inspect "$model" --json > "$OUT/$ds-$id.inspect.json" 2>> "$log"; then
        node -e 'const [c, e, i, t0, t1, full] = process.argv.slice(1); const r = (f) => JSON.parse(require("fs").readFileSync(f, "utf8"));
            const ev = r(e), ins = r(i), co = r(c);
            console.log(JSON.stringify({ items: ins.items, test: ev.test, full_f32_bytes: ins.full_f32_bytes,
              table_bytes: ins.input_bytes + ins.output_bytes, file_bytes: ins.file_bytes, file_ratio: ins.file_compression,
              seconds: Number(t1) - Number(t0),
              options: { init_from: full }, compress: co }));' \
            "$OUT/$ds-$id.compress.json" "$OUT/$ds-$id.eval.json" "$OUT/$ds-$id.inspect.json" \
            "$t0" "$t1" "$OUT/$ds-full.memcom" > "$json.tmp" && mv "$json.tmp" "$json"
        show_result "$json"
    else
        echo "    failed: $(tail -1 "$log")"
    fi
    rmdir "$json.lock"
}

if [ "${SKIP_TRAIN:-0}" != 1 ]; then
    START=$(date +%s)
    for ds in $DATASETS; do
        echo "== $ds"
        while IFS='|' read -r id args; do
            args=${args/INIT/--init-from $OUT/$ds-full.memcom}
            if [ "${args%% *}" = COMPRESS ]; then
                compress_row "$ds" "$id" "${args#COMPRESS }"
                continue
            fi
            # shellcheck disable=SC2086
            run_row "$ds" "$id" $args
        done < <(if [ "${REVERSE:-0}" = 1 ]; then rows | tac; else rows; fi | grep -E "^(${ONLY:-.*})\|")
    done
    echo "training took $(( $(date +%s) - START )) s"
    # when and from what this run's rows were trained: the header of QUALITY.md
    # (bench/quality-table.js), which may be rendered again later from them
    printf '{"finished":"%s","commit":"%s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        "$(git rev-parse --short HEAD 2> /dev/null || true)$(git diff --quiet HEAD 2> /dev/null || echo ' (+ working tree)')" > "$OUT/run.json"
fi

node bench/quality-table.js "$OUT" docs/QUALITY.md "npm run bench:quality" "$DATASETS"
echo "wrote docs/QUALITY.md"
