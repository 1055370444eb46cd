#!/usr/bin/env bash
# bench/short-history.sh - the "Short histories" section of docs/QUALITY.md
# (`npm run bench:short`): `memcom eval --history 1,3,5` on each data set, the
# full model and memcom 16x (each as served and with the output bias left
# out, --bias-weight 0; the full model also at half its bias) beside
# popularity, item-kNN (the user left out) and EASE, every user with test
# items and at least 5 training items.
#
# EASE's lambda is chosen per data set on the validation items at h = 3 (the
# grid below, the largest NDCG@10; ties: the smaller lambda), then used on test.
#
# Models: ml-latest-small uses the demo's (demo/models, trained by
# demo/make-models.sh on the split of `data_args mlsmall`); ml1m and lastfm use
# bench/quality.sh's rows "full" and "memcom-16" in build/quality/ (run
# `DATASETS=ml1m bash bench/quality.sh` first if they are missing).  lastfm's
# 17,388 items make each EASE fit take minutes on 2 cores: docs/QUALITY.md's
# lastfm rows come from `DATASETS=lastfm LAMBDAS="1000 30000"`.
# Then, on the validation items, both models at output bias weights
# BIAS_WEIGHTS (below): the accuracy/personalisation curve of that one knob.
# These runs rank the models as trained (--popularity 1 with weight 1).
# PARTS="popularity": the popularity control (memcom_recommend_popularity):
# each model's curve on the validation items and the default the trainer's
# rule picks (`memcom eval --choose-popularity`), then h = 3 and 5 on the test
# items at that default (as `memcom eval` ranks without --popularity: the
# default the file records) and as trained, beside popularity and item-kNN,
# and the full-history test metrics at both; bench/popularity-table.js writes
# the "Popularity control" section of docs/QUALITY.md.
# PARTS="test bias popularity" does all three (one alone: only that part).
# Writes build/quality/short-*.json, then bench/short-history-table.js writes
# bench/quality-short.md and its copy in docs/QUALITY.md from every data set's
# results there (those of an earlier run with other DATASETS included).  About 6 minutes
# for mlsmall and ml1m on 2 cores.  Environment: DATASETS="mlsmall ml1m"
# DATA_ROOT=../shared/datasets  LAMBDAS="..."
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA_ROOT=${DATA_ROOT:-$ROOT/../shared/datasets}
OUT=${OUT:-$ROOT/build/quality}
DATASETS=${DATASETS:-"mlsmall ml1m"}
LAMBDAS=${LAMBDAS:-"100 300 1000 3000 10000 30000 100000 300000"}
HISTORY=1,3,5
PARTS=${PARTS:-"test bias popularity"}
BIAS_WEIGHTS="0 0.25 0.5 0.75 1"
BIN=$ROOT/build/memcom
[ -x "$BIN" ] || ./build.sh native
. bench/quality-args.sh
mkdir -p "$OUT"

models() { # data set -> "row-id path" lines
    case $1 in
    mlsmall) printf 'full %s\nmemcom-16 %s\n' demo/models/full.memcom demo/models/memcom-16x.memcom ;;
    *) printf 'full %s\nmemcom-16 %s\n' "$OUT/$1-full.memcom" "$OUT/$1-memcom-16.memcom" ;;
    esac
}

for ds in $DATASETS; do
    echo "== $ds"
    while read -r id path; do
        if [ ! -f "$path" ]; then
            echo "short-history.sh: $path is missing: run DATASETS=$ds bash bench/quality.sh first" >&2
            exit 1
        fi
    done < <(models "$ds")
    if [[ " $PARTS " == *" test "* ]]; then
        full=$(models "$ds" | awk '$1 == "full" { print $2 }')
        # EASE's lambda on validation, h = 3
        best=
        best_ndcg=-1
        for l in $LAMBDAS; do
            # shellcheck disable=SC2046
            "$BIN" eval "$full" $(data_args "$ds") --on valid --history 3 --baselines ease --ease-lambda "$l" --json \
                2> /dev/null > "$OUT/short-$ds-valid-ease-$l.json"
            n=$(node -e 'const j=require(process.argv[1]);console.log(j.rows.find(r=>r.method==="ease").metrics["ndcg@10"])' \
                "$OUT/short-$ds-valid-ease-$l.json")
            echo "  valid h=3 EASE lambda $l: NDCG@10 $n"
            if node -e 'process.exit(+process.argv[1] > +process.argv[2] ? 0 : 1)' "$n" "$best_ndcg"; then
                best=$l
                best_ndcg=$n
            fi
        done
        echo "  EASE lambda $best"
        while read -r id path; do
            bws="1 0"
            [ "$id" = full ] && bws="1 0.5 0"
            for bw in $bws; do
                base=none
                [ "$id" = full ] && [ "$bw" = 1 ] && base=popularity,item-knn,ease
                pop=()
                [ "$bw" = 1 ] && pop=(--popularity 1)
                echo "  $BIN eval $path $(data_args "$ds") --history $HISTORY --bias-weight $bw ${pop[*]} --baselines $base --ease-lambda $best --json"
                # shellcheck disable=SC2046
                "$BIN" eval "$path" $(data_args "$ds") --history "$HISTORY" --bias-weight "$bw" "${pop[@]}" --baselines "$base" \
                    --ease-lambda "$best" --json 2> "$OUT/short-$ds-$id-bias$bw.log" > "$OUT/short-$ds-$id-bias$bw.json"
            done
        done < <(models "$ds")
    fi
    # the output bias weight on the validation items: the models only
    if [[ " $PARTS " == *" bias "* ]]; then
        while read -r id path; do
            for bw in $BIAS_WEIGHTS; do
                pop=()
                [ "$bw" = 1 ] && pop=(--popularity 1)
                echo "  $BIN eval $path $(data_args "$ds") --on valid --history $HISTORY --bias-weight $bw ${pop[*]} --baselines none --json"
                # shellcheck disable=SC2046
                "$BIN" eval "$path" $(data_args "$ds") --on valid --history "$HISTORY" --bias-weight "$bw" "${pop[@]}" \
                    --baselines none --json 2> /dev/null > "$OUT/short-$ds-$id-valid-bias$bw.json"
            done
        done < <(models "$ds")
    fi
    # the popularity control: its curve and default (validation), then test at the default and as trained
    if [[ " $PARTS " == *" popularity "* ]]; then
        while read -r id path; do
            echo "  $BIN eval $path $(data_args "$ds") --choose-popularity --json"
            # shellcheck disable=SC2046
            "$BIN" eval "$path" $(data_args "$ds") --choose-popularity --json 2> "$OUT/pop-$ds-$id-choose.log" \
                > "$OUT/pop-$ds-$id-choose.json"
            p=$(node -e 'console.log(require(process.argv[1]).chosen)' "$OUT/pop-$ds-$id-choose.json")
            for run in "test $p popularity,item-knn" "test1 1 none"; do
                read -r tag pv base <<< "$run"
                echo "  $BIN eval $path $(data_args "$ds") --history 3,5 --popularity $pv --baselines $base --json"
                # shellcheck disable=SC2046
                "$BIN" eval "$path" $(data_args "$ds") --history 3,5 --popularity "$pv" --baselines "$base" --json \
                    2> "$OUT/pop-$ds-$id-$tag.log" > "$OUT/pop-$ds-$id-$tag.json"
            done
            for run in "full $p" "full1 1"; do
                read -r tag pv <<< "$run"
                echo "  $BIN eval $path $(data_args "$ds") --popularity $pv --json"
                # shellcheck disable=SC2046
                "$BIN" eval "$path" $(data_args "$ds") --popularity "$pv" --json 2> "$OUT/pop-$ds-$id-$tag.log" \
                    > "$OUT/pop-$ds-$id-$tag.json"
            done
        done < <(models "$ds")
    fi
done
[[ " $PARTS " == *" test "* || " $PARTS " == *" bias "* ]] && node bench/short-history-table.js "$OUT"
[[ " $PARTS " == *" popularity "* ]] && node bench/popularity-table.js "$OUT"
true
