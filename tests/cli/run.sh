#!/usr/bin/env bash
# tests/cli/run.sh - tests of the trainer and the `memcom` command.
#   1. builds and runs tests/train/train_test.c (gradient checks, metrics, data
#      readers, generated-data training against popularity);
#   2. drives build/memcom on small generated files: --help everywhere, option
#      and data errors with file:line, train/eval/inspect/recommend round trip,
#      int8 export, and kill -9 during training/writing never leaving a
#      half-written model at the target path; --resume;
#   3. outputs that are devices, FIFOs, directories or inputs refused before
#      training, unwritable outputs exit non-zero, data without validation
#      interactions, a UTF-8 BOM, and ids with terminal controls from an
#      untrusted model (tests/cli/ids_model.c) printed escaped;
#   4. header detection, space-separated logs, --columns, repeated
#      pairs before the split, eval refusing another split or data set, the
#      ratio limit's number, SIGINT/SIGTERM keeping the best model and state.
#   5. numeric ids stored compactly and an f16 bias by default, --string-ids /
#      --bias-dtype f32, the whole-file ratio in inspect and the training
#      summary against its definition.
#   6. eval --history against tests/cli/short_history.py (python3).
# Needs build/libmemcom.a and build/memcom (./build.sh native) and OpenBLAS.
# No external data.  Prints "N passed, N failed"; exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/memcom}   # BIN=build/asan/memcom after SANITIZE=1 ./build.sh native
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
T=$(mktemp -d /tmp/memcom-cli-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

# ---- 1. C unit tests of the trainer ----
. src/sources.sh
if ${CC:-cc} "${MC_CFLAGS[@]}" -O2 "${MC_POSIX[@]}" -o "$T/train_test" tests/train/train_test.c "${MC_TRAIN_SRC[@]}" \
    build/libmemcom.a "${MC_CLI_LIBS[@]}"; then
    out=$("$T/train_test")
    rc=$?
    echo "$out" | grep -v '^[0-9]* passed' | sed 's/^/  /'
    line=$(echo "$out" | tail -1)
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    PASS=$((PASS + ${p:-0}))
    FAIL=$((FAIL + ${f:-0}))
    [ "$rc" = 0 ] || [ "${f:-0}" != 0 ] || bad "train_test exited with $rc"
else
    bad "tests/train/train_test.c does not compile"
fi

if [ ! -x "$BIN" ]; then
    bad "$BIN missing (run ./build.sh native)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

# ---- 2. generated data ----
# 600 users in 6 taste groups over 300 items; CSV with header and ratings
awk 'BEGIN {
  srand(7); print "userId,movieId,rating,timestamp";
  for (u = 1; u <= 600; u++) { g = u % 6; n = 12 + int(rand() * 15);
    for (k = 0; k < n; k++) {
      if (rand() < 0.85) { x = rand(); it = g * 50 + int(x * x * 50) } else it = int(rand() * 300);
      printf "%d,m%d,%.1f,%d\n", u, it, 1 + int(rand() * 9) / 2, 1000 + k } } }' > "$T/ratings.csv"
# the same as split files `user item item ...`
mkdir -p "$T/split"
awk -F, 'NR > 1 { r = $1 % 10; f = r < 7 ? "train" : (r < 8 ? "valid" : "test");
  line[f, $1] = line[f, $1] " " $2 } END { for (k in line) { split(k, a, SUBSEP); print a[2] line[k] > (dir "/" a[1] ".txt") } }' \
  dir="$T/split" "$T/ratings.csv"

expect_fail() { # description, expected substring, command...
    local desc=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then bad "$desc: exit 0, expected failure"; return; fi
    if [ $rc -ge 128 ]; then bad "$desc: crashed (exit $rc)"; return; fi
    if ! grep -qF -- "$want" <<< "$out"; then bad "$desc: message lacks '$want': $out"; return; fi
    ok
}

# --help on every command
for c in train compress eval inspect recommend; do
    if $BIN $c --help | grep -q "usage: memcom $c"; then ok; else bad "memcom $c --help"; fi
done
if $BIN --help | grep -q "Commands:"; then ok; else bad "memcom --help"; fi

# option errors
expect_fail "unknown option" "unknown option '--frobnicate'" $BIN train --csv "$T/ratings.csv" --header -o "$T/x.memcom" --frobnicate
expect_fail "bad number" "--lr expects a number" $BIN train --csv "$T/ratings.csv" --header -o "$T/x.memcom" --lr abc
expect_fail "bad kind" "unknown table kind 'zip'" $BIN train --csv "$T/ratings.csv" --header -o "$T/x.memcom" --kind zip
expect_fail "no size" "need a size" $BIN train --csv "$T/ratings.csv" --header -o "$T/x.memcom" --kind hash
# the ratio limit is stated with its number: memcom-plain keeps an f32 scalar
# per item (4 bytes), so with d = 32 the ratio stays below 4*32/4 = 32; the
# exact limit (one shared row) is n*d*4 / (row bytes + 4n) for the n items: an
# int8 row (the default for --ratio) is d + 4 bytes, an f32 row (--dtype f32) d*4
n_items=$(awk -F, 'NR > 1 { s[$2] = 1 } END { print length(s) }' "$T/ratings.csv")
lim=$(awk -v n="$n_items" 'BEGIN { printf "%.2f", n * 32 * 4 / (32 + 4 + 4 * n) }')
expect_fail "ratio too high" "= 32.0 for d = 32 with f32 scalars; here at most $lim" $BIN train --csv "$T/ratings.csv" \
    --header -o "$T/x.memcom" --kind memcom-plain --ratio 60 --dim 32
lim=$(awk -v n="$n_items" 'BEGIN { printf "%.2f", n * 32 * 4 / (32 * 4 + 4 * n) }')
expect_fail "ratio too high, f32 rows" "= 32.0 for d = 32 with f32 scalars; here at most $lim" $BIN train \
    --csv "$T/ratings.csv" --header -o "$T/x.memcom" --kind memcom-plain --ratio 60 --dim 32 --dtype f32
# the default kind is full (uncompressed): a size without a compressed kind is refused
expect_fail "ratio without kind" "both tables are full (the default --kind" $BIN train --csv "$T/ratings.csv" \
    --header -o "$T/x.memcom" --ratio 16
expect_fail "no output" "-o" $BIN train --csv "$T/ratings.csv" --header
expect_fail "no data" "no data given" $BIN train -o "$T/x.memcom"
expect_fail "unknown command" "unknown command" $BIN frobnicate

# malformed data files: errors name file:line
printf 'userId,movieId,rating\n1,10,4\n2,11,x\n' > "$T/bad1.csv"
expect_fail "bad rating" "bad1.csv:3:" $BIN train --csv "$T/bad1.csv" --header --min-rating 3 -o "$T/x.memcom"
printf '1,10\n2\n' > "$T/bad2.csv"
expect_fail "missing field" "bad2.csv:2:" $BIN train --csv "$T/bad2.csv" -o "$T/x.memcom"
printf '1,10\n2,"11\n' > "$T/bad3.csv"
expect_fail "unterminated quote" "bad3.csv:2:" $BIN train --csv "$T/bad3.csv" -o "$T/x.memcom"
printf '1 2 3\n2 \xff\xfe\n' > "$T/bad4.txt"
expect_fail "invalid utf-8" "bad4.txt:2:" $BIN train --seq "$T/bad4.txt" -o "$T/x.memcom"
printf '1 2 3\n\0\0\0\n' > "$T/bad5.txt"
expect_fail "binary" "bad5.txt:2:" $BIN train --seq "$T/bad5.txt" -o "$T/x.memcom"
expect_fail "missing file" "cannot open" $BIN train --data "$T/nonexistent" -o "$T/x.memcom"
expect_fail "corrupt model" "$T/bad4.txt" $BIN inspect "$T/bad4.txt"

# train -> inspect -> eval -> recommend on the CSV (header, threshold, split)
if $BIN train --csv "$T/ratings.csv" --header --min-rating 2 --kind memcom --ratio 4 --dim 16 --epochs 12 \
    --warmup-epochs 3 --batch 100 --lr 0.01 -o "$T/m.memcom" --json "$T/m.json" 2> "$T/train.log"; then
    ok
    grep -q "valid NDCG@20" "$T/train.log" && grep -qE "left ~[0-9.hms]+ \(<= [0-9.hms]+\)" "$T/train.log" && ok ||
        bad "progress lines missing"
    # during the warm-up, the time left covers the training that follows
    grep -qE "^warm-up epoch .*left ~.*\(<= .*\) with training$" "$T/train.log" && ok ||
        bad "warm-up progress lines lack the training estimate: $(grep -m1 warm-up "$T/train.log")"
    $BIN inspect "$T/m.memcom" > "$T/inspect.txt" && grep -q "memcom" "$T/inspect.txt" && grep -q "buckets=explicit" \
        "$T/inspect.txt" && grep -q '"test"' "$T/inspect.txt" && ok || bad "inspect output"
    # the section table: as many rows as it announces, each inside the file,
    # and every section this model (memcom, explicit buckets, one layer) has
    inspect_sections_ok() {
        local n size s
        n=$(sed -n 's/^sections (\([0-9]*\)):$/\1/p' "$1")
        size=$(sed -n 's/^file .*: \([0-9]*\) bytes, format.*/\1/p' "$1")
        [ -n "$n" ] && [ -n "$size" ] || return 1
        awk -v n="$n" -v size="$size" '/^  [a-z_]+ +[0-9]+ +[0-9]+ +[0-9]+ +[a-z0-9]+ +[0-9a-f]+$/ {
            rows++; if ($3 % 64 != 0 || $3 + $4 > size) bad = 1 } END { exit !(rows == n && !bad) }' "$1" || return 1
        for s in rows_a item_scalars buckets layers layer_bias output_bias id_offsets id_bytes id_sorted metadata; do
            grep -qE "^  $s +[01] " "$1" || return 1
        done
    }
    inspect_sections_ok "$T/inspect.txt" && ok || bad "inspect: section table: $(grep -A20 '^sections' "$T/inspect.txt")"
    $BIN eval "$T/m.memcom" --csv "$T/ratings.csv" --header --min-rating 2 --popularity 1 --json > "$T/eval.json" &&
        grep -q '"ndcg@20"' "$T/eval.json" && ok || bad "eval"
    jget() { node -e 'let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        for (const k of process.argv[2].split(".")) v = v == null ? v : v[k];
        console.log(v === undefined ? "none" : v)' "$1" "$2"; }
    # eval of the file as trained (popularity 1) equals the trainer's own test metrics (same split, f32)
    a=$(jget "$T/m.json" test.ndcg@20)
    b=$(jget "$T/eval.json" test.ndcg@20)
    awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(a > 0 && d < 1e-4 && d > -1e-4) }' && ok ||
        bad "eval of the file ($b) differs from the trainer's test metric ($a)"
    # the trainer chose a popularity default on the validation items, in [0, 1], recorded in the file:
    # eval without --popularity ranks with it, and gives the test metrics the trainer reports for it
    $BIN eval "$T/m.memcom" --csv "$T/ratings.csv" --header --min-rating 2 --json > "$T/eval-default.json" || bad "eval (default)"
    p=$(jget "$T/m.json" serving.popularity)
    q=$(jget "$T/eval-default.json" popularity)
    a=$(jget "$T/m.json" serving.test.ndcg@20)
    b=$(jget "$T/eval-default.json" test.ndcg@20)
    awk -v p="$p" -v q="$q" -v a="$a" -v b="$b" 'BEGIN { d = a - b
        exit !(p >= 0 && p <= 1 && p == q && a > 0 && d < 1e-4 && d > -1e-4) }' && ok ||
        bad "popularity default: summary $p (test NDCG@20 $a), eval ranks with $q ($b)"
    # --choose-popularity recomputes the same default from the file
    $BIN eval "$T/m.memcom" --csv "$T/ratings.csv" --header --min-rating 2 --choose-popularity --json \
        > "$T/choose.json" 2> /dev/null || bad "eval --choose-popularity"
    c=$(jget "$T/choose.json" chosen)
    r=$(jget "$T/choose.json" recorded)
    [ "$c" = "$p" ] && [ "$r" = "$p" ] && ok || bad "--choose-popularity chose $c, the file records $r, the trainer $p"
    $BIN eval "$T/m.memcom" --csv "$T/ratings.csv" --header --min-rating 2 --popularity 1.5 > /dev/null 2> "$T/err.txt"
    [ $? = 2 ] && grep -q -- '--popularity' "$T/err.txt" && ok || bad "--popularity 1.5: $(cat "$T/err.txt")"
    $BIN recommend "$T/m.memcom" m1 m2 m3 -k 5 > "$T/rec.txt" && [ "$(wc -l < "$T/rec.txt")" = 5 ] &&
        ! grep -qE ' m[123] ' "$T/rec.txt" && ok || bad "recommend"
    expect_fail "recommend unknown id" "unknown item id 'nope'" $BIN recommend "$T/m.memcom" nope
    # recommend ranks with the file's default popularity; 0 and 1 rank differently
    r0=$($BIN recommend "$T/m.memcom" m1 m2 m3 -k 10 --json)
    rp=$($BIN recommend "$T/m.memcom" m1 m2 m3 -k 10 --json --popularity "$p")
    ra=$($BIN recommend "$T/m.memcom" m1 m2 m3 -k 10 --json --popularity 0)
    rb=$($BIN recommend "$T/m.memcom" m1 m2 m3 -k 10 --json --popularity 1)
    [ -n "$r0" ] && [ "$r0" = "$rp" ] && [ "$ra" != "$rb" ] && ok || bad "recommend --popularity: default $r0, $p: $rp"
    expect_fail "recommend --popularity 2" "--popularity" $BIN recommend "$T/m.memcom" m1 --popularity 2
    # train --popularity P records P as given (no search on the validation items) and its test metrics,
    # which eval at P reproduces; eval and recommend rank with it by default; P outside [0, 1] is refused
    if $BIN train --csv "$T/ratings.csv" --header --min-rating 2 --kind full --dim 16 --epochs 3 --batch 100 \
        --lr 0.01 --popularity 0.35 -o "$T/mp.memcom" --json "$T/mp.json" 2> "$T/trainp.log"; then
        $BIN eval "$T/mp.memcom" --csv "$T/ratings.csv" --header --min-rating 2 --json > "$T/evalp.json" || bad "eval (given default)"
        p=$(jget "$T/mp.json" serving.popularity); rule=$(jget "$T/mp.json" serving.rule)
        q=$(jget "$T/evalp.json" popularity)
        a=$(jget "$T/mp.json" serving.test.ndcg@20); b=$(jget "$T/evalp.json" test.ndcg@20)
        awk -v p="$p" -v q="$q" -v a="$a" -v b="$b" 'BEGIN { d = a - b
            exit !(p == 0.35 && q == 0.35 && a > 0 && d < 1e-4 && d > -1e-4) }' &&
            [ "$rule" = "given (--popularity)" ] && [ "$(jget "$T/mp.json" serving.validation)" = none ] &&
            ! grep -q "choosing the popularity" "$T/trainp.log" && ok ||
            bad "train --popularity 0.35: summary $p ($rule, NDCG@20 $a), eval ranks with $q ($b)"
        r0=$($BIN recommend "$T/mp.memcom" m1 m2 m3 -k 10 --json)
        rp=$($BIN recommend "$T/mp.memcom" m1 m2 m3 -k 10 --json --popularity 0.35)
        [ -n "$r0" ] && [ "$r0" = "$rp" ] && ok || bad "recommend with the given default: $r0 vs $rp"
    else
        bad "train --popularity 0.35: $(tail -3 "$T/trainp.log")"
    fi
    expect_fail "train --popularity 1.5" "--popularity" $BIN train --csv "$T/ratings.csv" --header --popularity 1.5 -o "$T/x.memcom"
else
    bad "train on CSV failed: $(tail -3 "$T/train.log")"
fi

# the pairwise ranker (--model ranknet) on the ratings (graded): the head is
# written (format 1.2), graded NDCG is reported, and the file's evaluation
# through the public API equals the trainer's test metrics of the stored model
expect_fail "ranker option without the ranker" "give --model ranknet" $BIN train --csv "$T/ratings.csv" --header \
    -o "$T/x.memcom" --pairs 4
expect_fail "unknown model" "unknown --model 'svd'" $BIN train --csv "$T/ratings.csv" --header -o "$T/x.memcom" --model svd
expect_fail "ranker without pairs" "no pairs" $BIN train --csv "$T/ratings.csv" --header -o "$T/x.memcom" \
    --model ranknet --pairs 0 --negatives 0
R="--csv $T/ratings.csv --header --model ranknet --kind memcom --ratio 4 --dim 16 --head-layers 1 --head-width 16 --warmup-epochs 3 --batch 100"
if $BIN train $R --epochs 8 -o "$T/rk.memcom" --json "$T/rk.json" 2> "$T/rk.log"; then
    ok
    grep -q '"model":"ranknet"' "$T/rk.json" && grep -q '"graded_ndcg@10"' "$T/rk.json" &&
        grep -q "^test   graded NDCG (gain log2(1 + grade))" "$T/rk.log" && ok || bad "ranker summary: $(tail -4 "$T/rk.log")"
    $BIN inspect "$T/rk.memcom" > "$T/rk.txt" && grep -q "format 1.2" "$T/rk.txt" && grep -qE "^  head_weight +1 " "$T/rk.txt" &&
        ok || bad "ranker file: $(head -3 "$T/rk.txt")"
    # as trained (popularity 1) against the trainer's own test metrics (the first "test" of its
    # summary; the second is at the popularity default it chose, which the file records)
    grep -q '"serving":{"popularity":' "$T/rk.json" && ok || bad "ranker: no popularity default chosen"
    $BIN eval "$T/rk.memcom" --csv "$T/ratings.csv" --header --popularity 1 --json > "$T/rk-eval.json" ||
        bad "eval of a ranker"
    for m in ndcg@20 graded_ndcg@10; do
        a=$(grep -o '"test":{[^}]*"'$m'":[0-9.]*' "$T/rk.json" | head -1 | grep -o '[0-9.]*$')
        b=$(grep -o '"test":{[^}]*"'$m'":[0-9.]*' "$T/rk-eval.json" | grep -o '[0-9.]*$')
        awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(a > 0 && d < 1e-6 && d > -1e-6) }' && ok ||
            bad "ranker: eval of the file $m ($b) differs from the trainer's ($a)"
    done
    # --top: every test user's history and native top 10; the browser engine
    # (wasm SIMD and scalar) returns the same lists
    if $BIN eval "$T/rk.memcom" --csv "$T/ratings.csv" --header --top "$T/rk-top.tsv" > /dev/null 2>&1; then
        users=$(grep -o '"test":{"users":[0-9]*' "$T/rk.json" | head -1 | grep -o '[0-9]*$')
        [ "$(wc -l < "$T/rk-top.tsv")" = "$users" ] && awk -F'\t' 'NF != 3 || split($3, a, " ") != 10 { bad = 1 }
            END { exit bad }' "$T/rk-top.tsv" && ok || bad "eval --top: $(head -2 "$T/rk-top.tsv")"
        if command -v node > /dev/null && [ -f dist/memcom.wasm ]; then
            node bench/ranker-agreement.js "$T/rk.memcom" "$T/rk-top.tsv" 100000 > "$T/agree.txt" 2>&1 && ok ||
                bad "ranker: wasm differs from the native evaluator: $(cat "$T/agree.txt")"
        fi
    else
        bad "eval --top failed"
    fi
    # compressing a ranker keeps its head
    $BIN compress "$T/rk.memcom" --ratio 2 -o "$T/rk-c.memcom" 2> /dev/null && $BIN inspect "$T/rk-c.memcom" |
        grep -qE "^  head_weight +1 " && ok || bad "memcom compress dropped the ranker's head"
    # interrupted and resumed: the same model as one run (checkpoint state)
    if $BIN train $R --epochs 3 --patience 0 -o "$T/rk-a.memcom" --json "$T/rk-a.json" 2> /dev/null &&
        $BIN train $R --epochs 2 --patience 0 -o "$T/rk-b.memcom" --checkpoint "$T/rk-ck.memcom" 2> /dev/null &&
        $BIN train $R --epochs 3 --patience 0 -o "$T/rk-b.memcom" --resume "$T/rk-ck.memcom" --json "$T/rk-b.json" 2> /dev/null; then
        a=$(grep -o '"test":{[^}]*}' "$T/rk-a.json")
        b=$(grep -o '"test":{[^}]*}' "$T/rk-b.json")
        [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "ranker resumed ($b) differs from one run ($a)"
    else
        bad "ranker checkpoint/resume runs failed"
    fi
    expect_fail "resume a ranker as a Mult-DAE" "option --model differs from the interrupted run's: it was 'ranknet'" $BIN train --csv "$T/ratings.csv" --header --kind memcom \
        --ratio 4 --dim 16 --warmup-epochs 3 --batch 100 --epochs 3 --patience 0 -o "$T/rk-b.memcom" --resume "$T/rk-ck.memcom"
else
    bad "ranker training failed: $(tail -3 "$T/rk.log")"
fi

# split files, int8 export of every kind
for kind in full hash qr memcom-plain memcom-pop memcom-learned; do
    size="--ratio 4"
    [ $kind = full ] && size=""
    if $BIN train --data "$T/split" --kind $kind $size --dim 16 --epochs 3 --warmup-epochs 2 --batch 100 --dtype i8 \
        --quiet -o "$T/$kind.memcom" 2> "$T/k.log" && $BIN inspect "$T/$kind.memcom" | grep -q "rows=i8"; then
        ok
    else
        bad "train --kind $kind --dtype i8: $(tail -2 "$T/k.log")"
    fi
done

# --ratio sizes a table by the bytes it is stored in: int8 rows (d bytes and
# an f32 scale each) by default for a compressed table sized by a ratio, f32
# rows with --dtype f32, f32 for --rows and for a full table; the stored
# tables come out at R (one more row per table would pass it)
sizing_ok() { # summary.json R row-bytes dtype in_dtype
    node -e 'const [f, R, rb, dt, idt] = process.argv.slice(1); const j = JSON.parse(require("fs").readFileSync(f, "utf8"));
      const o = j.options, r = +R, full = j.full_f32_bytes / 2;
      const at = (kind, bytes) => kind === "full" ? bytes === full : full / bytes >= r && full / (bytes + +rb) < r;
      const ok = o.dtype === dt && o.in_dtype === idt && at(o.out_kind, j.output_bytes) && at(o.in_kind, j.input_bytes) &&
        Math.abs(j.table_ratio - j.full_f32_bytes / j.table_bytes) < 1e-3;
      if (!ok) { console.error(JSON.stringify({ options: o, in: j.input_bytes, out: j.output_bytes, full })); process.exit(1); }' \
        "$@"
}
Z="--data $T/split --dim 16 --epochs 2 --batch 100 --quiet --patience 0"
if $BIN train $Z --kind memcom --ratio 4 --init-from "$T/full.memcom" -o "$T/z8.memcom" --json "$T/z8.json" \
    2> "$T/z.log" && sizing_ok "$T/z8.json" 4 20 i8 i8 &&
    $BIN train $Z --kind memcom --ratio 4 --dtype f32 --init-from "$T/full.memcom" -o "$T/z32.memcom" \
        --json "$T/z32.json" 2>> "$T/z.log" && sizing_ok "$T/z32.json" 4 64 f32 f32 &&
    $BIN inspect "$T/z8.memcom" | grep -q "output  memcom .*rows=i8" &&
    node -e 'const r = (f) => JSON.parse(require("fs").readFileSync(f, "utf8")).options.rows;
      process.exit(r(process.argv[1]) > 2 * r(process.argv[2]) ? 0 : 1)' "$T/z8.json" "$T/z32.json"; then
    ok
else
    bad "--ratio sized for int8 / f32 rows: $(tail -2 "$T/z.log")"
fi
if $BIN train $Z --kind hash --ratio 4 -o "$T/zh.memcom" --json "$T/zh.json" 2> "$T/z.log" &&
    sizing_ok "$T/zh.json" 4 20 i8 i8 &&
    $BIN train $Z --in-kind memcom --out-kind full --in-ratio 4 --init-from "$T/full.memcom" -o "$T/zi.memcom" \
        --json "$T/zi.json" 2>> "$T/z.log" && sizing_ok "$T/zi.json" 4 20 f32 i8 &&
    $BIN inspect "$T/zi.memcom" | grep -q "input   memcom .*rows=i8" &&
    $BIN inspect "$T/zi.memcom" | grep -q "output  full .*rows=f32" &&
    $BIN train $Z --kind memcom --rows 7 --init-from "$T/full.memcom" -o "$T/zr.memcom" --json "$T/zr.json" \
        2>> "$T/z.log" && grep -q '"rows":7,"in_rows":7' "$T/zr.json" &&
    grep -q '"dtype":"f32","in_dtype":"f32"' "$T/zr.json"; then
    ok
else
    bad "default storage of hash, input-only and --rows tables: $(tail -2 "$T/z.log")"
fi

# warm start of the learned variant from another model (matched by id)
if $BIN train --data "$T/split" --kind memcom --ratio 4 --dim 16 --epochs 3 --batch 100 --quiet \
    --init-from "$T/full.memcom" -o "$T/init.memcom" --json "$T/init.json" 2> "$T/init.log" &&
    grep -q '"init_from":"full.memcom"' "$T/init.json"; then # its base name only
    ok
else
    bad "--init-from: $(tail -2 "$T/init.log")"
fi
expect_fail "init-from dimension mismatch" "dimension" $BIN train --data "$T/split" --kind memcom --ratio 4 --dim 8 \
    --epochs 1 --quiet --init-from "$T/full.memcom" -o "$T/init2.memcom"

# short-history inputs: with a warm start, recorded in the metadata; resuming
# needs the same short-history options
expect_fail "short share without short histories" "give --short-histories H too" $BIN train --data "$T/split" \
    -o "$T/x.memcom" --short-share 0.3
expect_fail "short share out of range" "--short-share expects a number in" $BIN train --data "$T/split" \
    -o "$T/x.memcom" --short-histories 3 --short-share 0
S="--data $T/split --kind memcom --ratio 4 --dim 16 --batch 100 --patience 0 --quiet --init-from $T/full.memcom"
if $BIN train $S --epochs 3 --short-histories 3 --short-share 0.7 -o "$T/short.memcom" --json "$T/short.json" \
    --checkpoint "$T/short-ck.memcom" 2> "$T/short.log" &&
    grep -q '"short_histories":3,"short_share":0.7' "$T/short.json" &&
    $BIN inspect "$T/short.memcom" | grep -q '"short_histories":3'; then
    ok
else
    bad "--short-histories: $(tail -2 "$T/short.log")"
fi
expect_fail "resume without short histories" "option --short-histories differs from the interrupted run's: it was '3'" \
    $BIN train $S --epochs 4 --resume "$T/short-ck.memcom" -o "$T/x.memcom"
expect_fail "resume with another short share" "option --short-share differs" \
    $BIN train $S --epochs 4 --short-histories 3 --resume "$T/short-ck.memcom" -o "$T/x.memcom"

# the logit-adjusted softmax (--logit-adjust TAU): 0 is the plain softmax (the
# same tables, bias and layers, section by section), a positive TAU is recorded
# and lowers the share of the 50 most popular items in the top-10 lists of
# 3-item histories (ranked as trained, --popularity 1); negative or non-finite
# TAU is refused
LA="--csv $T/ratings.csv --header --dim 16 --epochs 20 --batch 100 --quiet"
tables_of() { $BIN inspect "$1" | awk '$1 ~ /^(rows_|layer|output_bias|id_)/ { print $1, $2, $4, $5, $6 }'; }
top50_h3() { # model -> the model's top-50 share at h = 3
    $BIN eval "$1" --csv "$T/ratings.csv" --header --history 3 --popularity 1 --baselines none --json 2> /dev/null |
        grep -o '"popular_share":[0-9.]*' | head -1 | cut -d: -f2
}
if $BIN train $LA -o "$T/la-none.memcom" --json "$T/la-none.json" 2> /dev/null &&
    $BIN train $LA --logit-adjust 0 -o "$T/la-0.memcom" 2> /dev/null &&
    $BIN train $LA --logit-adjust 1 -o "$T/la-1.memcom" --json "$T/la-1.json" 2> /dev/null; then
    a=$(tables_of "$T/la-none.memcom")
    [ "$(echo "$a" | grep -c output_bias)" = 1 ] && [ "$a" = "$(tables_of "$T/la-0.memcom")" ] &&
        [ "$a" != "$(tables_of "$T/la-1.memcom")" ] && ok ||
        bad "--logit-adjust 0 is not the model trained without the option (or 1 is)"
    grep -q '"logit_adjust":1,' "$T/la-1.json" && ! grep -q logit_adjust "$T/la-none.json" &&
        $BIN inspect "$T/la-1.memcom" | grep -q '"logit_adjust":1' && ok || bad "--logit-adjust not in the metadata"
    s0=$(top50_h3 "$T/la-0.memcom")
    s1=$(top50_h3 "$T/la-1.memcom")
    [ -n "$s0" ] && [ -n "$s1" ] && awk -v a="$s0" -v b="$s1" 'BEGIN { exit !(b < a - 0.05) }' && ok ||
        bad "--logit-adjust 1 does not lower the top-50 share at h = 3 (${s0:-?} -> ${s1:-?})"
else
    bad "--logit-adjust: training failed"
fi
# --bias-prior TAU: the output bias starts at TAU * log((c_i + 1) / (nnz + n)),
# c_i the item's count among the distinct training pairs of train.txt; with a
# learning rate of 1e-9 the written bias is that start, and an empty history's
# scores (u = tanh(0) = 0) are the bias alone
if $BIN train --data "$T/split" --dim 16 --epochs 1 --patience 0 --lr 1e-9 --bias-dtype f32 --bias-prior 1 --quiet \
    -o "$T/bp.memcom" --json "$T/bp.json" 2> /dev/null &&
    $BIN recommend "$T/bp.memcom" -k 1000 --popularity 1 --json > "$T/bp-rec.json" 2> /dev/null &&
    grep -q '"bias_prior":1,' "$T/bp.json"; then
    out=$(python3 - "$T/split/train.txt" "$T/bp-rec.json" <<'PY'
import json, math, sys
pairs = set()
for line in open(sys.argv[1]):
    f = line.split()
    pairs.update((f[0], it) for it in f[1:])
count = {}
for _, it in pairs:
    count[it] = count.get(it, 0) + 1
rec = json.load(open(sys.argv[2]))
worst = max(abs(r["score"] - math.log((count.get(r["id"], 0) + 1) / (len(pairs) + len(rec)))) for r in rec)
print("ok" if len(rec) == 300 and worst < 1e-4 else f"{len(rec)} items, worst difference {worst}")
PY
)
    [ "$out" = ok ] && ok || bad "--bias-prior: the bias is not the prior: $out"
else
    bad "--bias-prior: training failed"
fi
expect_fail "negative bias prior" "--bias-prior expects a number in [0" $BIN train --data "$T/split" -o "$T/x.memcom" \
    --bias-prior -1
# resuming needs the same TAU
if $BIN train $LA --epochs 2 --patience 0 --logit-adjust 0.5 -o "$T/la-r.memcom" --checkpoint "$T/la-ck.memcom" \
    2> /dev/null; then
    expect_fail "resume without the logit adjustment" "option --logit-adjust differs from the interrupted run's: it was '0.5'" \
        $BIN train $LA --epochs 3 --patience 0 --resume "$T/la-ck.memcom" -o "$T/x.memcom"
else
    bad "--logit-adjust --checkpoint: training failed"
fi
expect_fail "negative logit adjustment" "--logit-adjust expects a number in [0" $BIN train --data "$T/split" \
    -o "$T/x.memcom" --logit-adjust -0.5
expect_fail "non-finite logit adjustment" "--logit-adjust expects a number in [0" $BIN train --data "$T/split" \
    -o "$T/x.memcom" --logit-adjust inf

# compressing a trained full model (k-means, no data), then with fine-tuning on data
# (the Python tests check the compressed tables against hand-made vectors)
if $BIN compress "$T/full.memcom" --ratio 4 -o "$T/comp.memcom" --json "$T/comp.json" 2> "$T/comp.log" &&
    $BIN inspect "$T/comp.memcom" | grep -q "output  memcom .*rows=i8 scalars=f16 buckets=explicit(u16)" &&
    grep -q '"role":"output"' "$T/comp.json" && grep -q "relative reconstruction error" "$T/comp.log" &&
    [ "$($BIN recommend "$T/comp.memcom" "$(sed -n 1p "$T/split/train.txt" | cut -d' ' -f2)" -k 1 | wc -l)" -ge 1 ] &&
    $BIN eval "$T/comp.memcom" --data "$T/split" > /dev/null 2>&1; then
    ok
else
    bad "compress: $(tail -2 "$T/comp.log")"
fi
# compress stores numeric ids compactly (format 1.1) as memcom train does, unless --string-ids (format 1.0)
sed 's/ m/ /g' "$T/split/train.txt" > "$T/numeric.txt"   # the same histories, numeric item ids
if $BIN train --seq "$T/numeric.txt" --kind full --dim 8 --epochs 2 --batch 100 --quiet -o "$T/fulln.memcom" 2> /dev/null &&
    $BIN compress "$T/fulln.memcom" --ratio 4 --quiet -o "$T/compn.memcom" 2> /dev/null &&
    $BIN compress "$T/fulln.memcom" --ratio 4 --quiet -o "$T/compn-s.memcom" --string-ids 2> /dev/null; then
    node -e 'const [a, b, c] = process.argv.slice(2).map((f) => JSON.parse(require("child_process").execFileSync(process.argv[1], ["inspect", "--json", f])));
process.exit(a.format === "1.1" && b.format === "1.1" && c.format === "1.0" && b.id_bytes === a.id_bytes && c.id_bytes > 4 * b.id_bytes ? 0 : (console.log([a, b, c].map((x) => `${x.format} ${x.id_bytes}`).join(", ")), 1))' \
        "$BIN" "$T/fulln.memcom" "$T/compn.memcom" "$T/compn-s.memcom" && ok || bad "compress: ids not stored as the trainer stores them"
else
    bad "compress --string-ids"
fi
# a compressed file nests its source's metadata, popularity default included: that is not its own default
if $BIN train --csv "$T/ratings.csv" --header --min-rating 2 --kind full --dim 16 --epochs 2 --batch 100 --quiet \
    -o "$T/fullc.memcom" 2> /dev/null && grep -q '"serving":{"popularity":' "$T/fullc.memcom" &&
    $BIN compress "$T/fullc.memcom" --ratio 4 --quiet -o "$T/compc.memcom" 2> /dev/null &&
    grep -q '"serving":{"popularity":' "$T/compc.memcom"; then
    $BIN eval "$T/compc.memcom" --csv "$T/ratings.csv" --header --min-rating 2 --json 2> /dev/null |
        grep -q '"popularity":1,' && ok || bad "a compressed model ranks with its source's popularity default"
else
    bad "a trained full model with a popularity default, compressed"
fi
if $BIN compress "$T/full.memcom" --ratio 4 -o "$T/tuned.memcom" --data "$T/split" --epochs 2 --batch 100 --quiet \
    --json "$T/tuned.json" 2> "$T/tuned.log" && grep -q '"init_from"' "$T/tuned.json" &&
    $BIN inspect "$T/tuned.memcom" | grep -q "output  memcom .*buckets=explicit"; then
    ok
else
    bad "compress with fine-tuning: $(tail -2 "$T/tuned.log")"
fi
expect_fail "compress: ratio too high" "--ratio" $BIN compress "$T/full.memcom" --ratio 20 -o "$T/c2.memcom"
expect_fail "compress: no ratio" "--ratio is required" $BIN compress "$T/full.memcom" -o "$T/c2.memcom"
expect_fail "compress: over its input" "refusing to overwrite an input" $BIN compress "$T/full.memcom" --ratio 4 \
    -o "$T/full.memcom"
expect_fail "compress: not a model" "cannot open" $BIN compress "$T/bad4.txt" --ratio 4 -o "$T/c2.memcom"
[ ! -e "$T/c2.memcom" ] && ok || bad "a failed compress wrote its output"

# ---- 2b. kill -9 never leaves a half-written model ----
# A valid model sits at the target; training with --checkpoint rewrites it
# after every improving epoch.  Kill at many moments; the target must always
# open (old or new), never be partial.
cp "$T/full.memcom" "$T/target.memcom"
killed_ok=1
for delay in 0.05 0.1 0.2 0.3 0.4 0.5 0.7 0.9 1.2 1.5; do
    $BIN train --data "$T/split" --dim 32 --epochs 200 --patience 0 --batch 50 --quiet \
        --checkpoint "$T/target.memcom" -o "$T/target.memcom" 2> /dev/null &
    pid=$!
    sleep $delay
    kill -9 $pid 2> /dev/null
    wait $pid 2> /dev/null
    if ! $BIN inspect "$T/target.memcom" > /dev/null 2>&1; then
        killed_ok=0
        bad "after kill -9 at ${delay}s the model file does not open"
        break
    fi
done
[ $killed_ok = 1 ] && ok
# and with no previous file: either no file or a valid one
for delay in 0.02 0.1 0.3; do
    rm -f "$T/fresh.memcom"
    $BIN train --data "$T/split" --dim 32 --epochs 200 --batch 50 --quiet -o "$T/fresh.memcom" \
        --checkpoint "$T/fresh.memcom" 2> /dev/null &
    pid=$!
    sleep $delay
    kill -9 $pid 2> /dev/null
    wait $pid 2> /dev/null
    if [ -e "$T/fresh.memcom" ] && ! $BIN inspect "$T/fresh.memcom" > /dev/null 2>&1; then
        bad "kill -9 at ${delay}s left a half-written fresh model"
    else
        ok
    fi
done

# ---- 2c. --resume: stop after some epochs, resume, same model as one run ----
# (the model files differ only in the timing fields of their metadata:
# compare the sections' CRC32s and the metadata without those fields)
norm_model() {
    $BIN inspect "$1" | grep -v '^file\|^  metadata' |
        sed -E 's/"(seconds|warmup_seconds|sec_per_epoch)":[0-9.]+//g; s/"created":"[^"]*"//; s/metadata +[0-9]+/metadata/'
}
R="--data $T/split --dim 16 --warmup-epochs 3 --batch 50 --patience 0 --dropout 0.2 --weight-decay 0.01 --quiet"
for kind in "memcom --ratio 4" "full"; do
    rm -f "$T/ck.memcom" "$T/ck.memcom.state"
    if $BIN train $R --kind $kind --epochs 16 -o "$T/once.memcom" --json "$T/once.json" 2> "$T/r.log" &&
        $BIN train $R --kind $kind --epochs 7 --checkpoint "$T/ck.memcom" -o "$T/part.memcom" 2>> "$T/r.log" &&
        [ -s "$T/ck.memcom.state" ] &&
        $BIN train $R --kind $kind --epochs 16 --resume "$T/ck.memcom" -o "$T/resumed.memcom" \
            --json "$T/resumed.json" 2>> "$T/r.log"; then
        if [ -n "$(norm_model "$T/once.memcom")" ] &&
            [ "$(norm_model "$T/once.memcom")" = "$(norm_model "$T/resumed.memcom")" ]; then
            ok
        else
            bad "--resume ($kind): the resumed model differs from the uninterrupted one"
        fi
        m() { sed -E 's/"(model|seconds|warmup_seconds|sec_per_epoch)":("[^"]*"|[0-9.]+)//g' "$1"; }
        [ "$(m "$T/once.json")" = "$(m "$T/resumed.json")" ] && ok ||
            bad "--resume ($kind): metrics differ: $(m "$T/once.json") vs $(m "$T/resumed.json")"
    else
        bad "--resume ($kind) run failed: $(tail -3 "$T/r.log")"
    fi
done
# resuming a run that already finished changes nothing
if $BIN train $R --kind full --epochs 16 --resume "$T/ck.memcom" -o "$T/again.memcom" 2> "$T/r.log" &&
    [ "$(norm_model "$T/once.memcom")" = "$(norm_model "$T/again.memcom")" ]; then
    ok
else
    bad "--resume of a finished run: $(tail -2 "$T/r.log")"
fi
# a changed option or data set, a corrupt, truncated, foreign or missing state: clear errors
expect_fail "resume option mismatch" "option --lr differs" $BIN train $R --kind full --lr 0.02 --epochs 16 \
    --resume "$T/ck.memcom" -o "$T/x.memcom"
expect_fail "resume kind mismatch" "option --in-kind differs" $BIN train $R --kind hash --ratio 4 --epochs 16 \
    --resume "$T/ck.memcom" -o "$T/x.memcom"
mkdir -p "$T/split2"
cp "$T/split/valid.txt" "$T/split/test.txt" "$T/split2/"
sed '1d' "$T/split/train.txt" > "$T/split2/train.txt"
expect_fail "resume data mismatch" "training data differs" $BIN train ${R/$T\/split/$T/split2} --kind full --epochs 16 \
    --resume "$T/ck.memcom" -o "$T/x.memcom"
expect_fail "resume missing state" "cannot open the training state" $BIN train $R --kind full --epochs 16 \
    --resume "$T/nothing.memcom" -o "$T/x.memcom"
cp "$T/ck.memcom.state" "$T/bad.memcom.state"
printf '\377' | dd of="$T/bad.memcom.state" bs=1 seek=200 conv=notrunc 2> /dev/null
expect_fail "resume corrupt state" "corrupt (CRC32" $BIN train $R --kind full --epochs 16 --resume "$T/bad.memcom" \
    -o "$T/x.memcom"
head -c 1000 "$T/ck.memcom.state" > "$T/bad.memcom.state"
expect_fail "resume truncated state" "training state" $BIN train $R --kind full --epochs 16 --resume "$T/bad.memcom" \
    -o "$T/x.memcom"
: > "$T/bad.memcom.state"
expect_fail "resume empty state" "not a memcom training state" $BIN train $R --kind full --epochs 16 \
    --resume "$T/bad.memcom" -o "$T/x.memcom"
cp "$T/once.memcom" "$T/bad.memcom.state"
expect_fail "resume foreign file" "not a memcom training state" $BIN train $R --kind full --epochs 16 \
    --resume "$T/bad.memcom" -o "$T/x.memcom"

# ---- 3. outputs, validation data, BOM, untrusted ids ----
# a destination that exists and is not a regular file, or is an input, is
# refused before training (no epoch runs, nothing replaced)
TR="--csv $T/ratings.csv --header --dim 8 --epochs 2 --batch 100"
refused() { # description, expected substring, command...
    local desc=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -ge 128 ]; then bad "$desc: exit $rc, expected a refusal"; return; fi
    if ! grep -qF -- "$want" <<< "$out"; then bad "$desc: message lacks '$want': $out"; return; fi
    if grep -q "epoch" <<< "$out"; then bad "$desc: refused only after training: $out"; return; fi
    ok
}
# (copies of /dev/null and /dev/full made in $T, so that a build without the
# check replaces those, never the system's devices; mknod needs root)
for dev in null:3 full:7; do
    d="$T/dev-${dev%%:*}"
    if mknod -m 666 "$d" c 1 "${dev##*:}" 2> /dev/null; then
        refused "-o $d" "not a regular file (a character device)" $BIN train $TR -o "$d"
        [ -c "$d" ] && ok || bad "$d is no longer a device"
        refused "--checkpoint $d" "not a regular file" $BIN train $TR -o "$T/o.memcom" --checkpoint "$d"
        refused "--json $d" "not a regular file" $BIN train $TR -o "$T/o.memcom" --json "$d"
    fi
done
mkfifo "$T/fifo"
refused "-o FIFO" "not a regular file (a FIFO)" $BIN train $TR -o "$T/fifo"
[ -p "$T/fifo" ] && ok || bad "the FIFO was replaced"
mkdir -p "$T/outdir"
refused "-o directory" "not a regular file (a directory)" $BIN train $TR -o "$T/outdir"
mkdir -p "$T/ckdir.memcom.state"
refused "state file a directory" "the training state" $BIN train $TR -o "$T/o.memcom" --checkpoint "$T/ckdir.memcom"
cp "$T/ratings.csv" "$T/data.csv"
refused "-o the data file" "is the data file" $BIN train --csv "$T/data.csv" --header --dim 8 --epochs 2 -o "$T/data.csv"
ln -f "$T/data.csv" "$T/data-link.csv"
refused "-o a hard link of the data file" "is the data file" $BIN train --csv "$T/data.csv" --header --dim 8 \
    -o "$T/data-link.csv"
ln -sf "$T/data.csv" "$T/data-sym.csv"
refused "--json a symlink to the data file" "is the data file" $BIN train --csv "$T/data.csv" --header --dim 8 \
    -o "$T/o.memcom" --json "$T/data-sym.csv"
refused "--checkpoint the test file" "is the test data file" $BIN train --data "$T/split" --dim 8 -o "$T/o.memcom" \
    --checkpoint "$T/split/test.txt"
cmp -s "$T/ratings.csv" "$T/data.csv" && ok || bad "the data file was changed"
cp "$T/full.memcom" "$T/warm.memcom"
refused "-o the --init-from model" "is the --init-from model" $BIN train --data "$T/split" --kind memcom --ratio 4 \
    --dim 16 --init-from "$T/warm.memcom" -o "$T/warm.memcom"
cmp -s "$T/full.memcom" "$T/warm.memcom" && ok || bad "the --init-from model was changed"
refused "--json the model" "is also the output model" $BIN train $TR -o "$T/o.memcom" --json "$T/o.memcom"
# every output is checked writable before training; write failures exit non-zero
rm -f "$T/o.memcom"
refused "--json in a missing directory" "cannot be written" $BIN train $TR -o "$T/o.memcom" --json "$T/nodir/x.json"
refused "--checkpoint in a missing directory" "cannot be written" $BIN train $TR -o "$T/o.memcom" \
    --checkpoint "$T/nodir/ck.memcom"
refused "-o in a missing directory" "cannot be written" $BIN train $TR -o "$T/nodir/o.memcom"
[ ! -e "$T/o.memcom" ] && ok || bad "a refused run wrote its model"
ls "$T"/o.memcom.tmp-* "$T"/data*.tmp-* "$T"/split/*.tmp-* > /dev/null 2>&1 && bad "temp files left behind" || ok
# an output that stops being writable during training: non-zero exit
wait_epoch() { # log: waits until the run has finished an epoch
    for _ in $(seq 100); do grep -q "epoch" "$1" 2> /dev/null && return 0; sleep 0.1; done
    return 1
}
mkdir -p "$T/gone"
$BIN train --data "$T/split" --dim 32 --epochs 400 --patience 0 --batch 50 -o "$T/o.memcom" \
    --checkpoint "$T/gone/ck.memcom" > /dev/null 2> "$T/gone.log" &
pid=$!
wait_epoch "$T/gone.log"
rm -rf "$T/gone-moved"; mv "$T/gone" "$T/gone-moved"   # atomic, unlike rm -rf of a busy directory
wait $pid
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "checkpoint" "$T/gone.log" && ok ||
    bad "checkpoint that cannot be written mid-run: exit $rc: $(tail -1 "$T/gone.log")"
mkdir -p "$T/gone"
$BIN train --data "$T/split" --dim 32 --epochs 150 --patience 0 --batch 50 -o "$T/o.memcom" \
    --json "$T/gone/s.json" > /dev/null 2> "$T/gone2.log" &
pid=$!
wait_epoch "$T/gone2.log"
rm -rf "$T/gone-moved"; mv "$T/gone" "$T/gone-moved"   # atomic, unlike rm -rf of a busy directory
wait $pid
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "the --json summary was not" "$T/gone2.log" && ok ||
    bad "--json that cannot be written after training: exit $rc: $(tail -1 "$T/gone2.log")"
# --json - writes to stdout; a full stdout is an error
if $BIN train $TR --quiet -o "$T/o.memcom" --json - > "$T/stdout.json" && grep -q '"file_bytes"' "$T/stdout.json"; then
    ok
else
    bad "--json -"
fi
if [ -c /dev/full ]; then
    $BIN train $TR --quiet -o "$T/o.memcom" --json - > /dev/full 2> "$T/full.log" && bad "--json - > /dev/full: exit 0" ||
        ok
fi

# data that leaves no validation interactions: refused with what to do, or
# explicitly all epochs with --patience 0
awk 'BEGIN { for (u = 1; u <= 50; u++) printf "u%d,m%d\n", u, u % 7 }' > "$T/single.csv"
expect_fail "one item per user" "no validation interactions" $BIN train --csv "$T/single.csv" --dim 8 --epochs 2 \
    -o "$T/single.memcom"
[ ! -e "$T/single.memcom" ] && ok || bad "one item per user: a model was written"
expect_fail "split file without --valid" "--valid F" $BIN train --train "$T/split/train.txt" --dim 8 --epochs 2 \
    -o "$T/single.memcom"
if $BIN train --csv "$T/single.csv" --dim 8 --epochs 3 --patience 0 -o "$T/single.memcom" 2> "$T/single.log" &&
    grep -q "no validation interactions" "$T/single.log" && grep -q "best epoch 3 of 3" "$T/single.log"; then
    ok
else
    bad "--patience 0 without validation data: $(cat "$T/single.log")"
fi
# a UTF-8 byte order mark is not part of the first id
{ printf '\357\273\277'; sed 1d "$T/ratings.csv"; } > "$T/bom.csv"
if $BIN train --csv "$T/bom.csv" --dim 8 --epochs 1 -o "$T/bom.memcom" 2> "$T/bom.log" &&
    grep -q ": 600 users" "$T/bom.log"; then
    ok
else
    bad "BOM: $(head -1 "$T/bom.log")"
fi

# ids and metadata of an untrusted model reach the terminal escaped
if ${CC:-cc} "${MC_CFLAGS[@]}" -O1 -o "$T/ids_model" tests/cli/ids_model.c build/libmemcom.a "${MC_LIBS[@]}" &&
    "$T/ids_model" "$T/ids.memcom"; then
    raw_controls() { # exit 0 if stdin holds a C0 (but newline), DEL, C1 or bidi control
        LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c'
    }
    $BIN recommend "$T/ids.memcom" -k 8 > "$T/ids.txt" 2>&1
    if raw_controls < "$T/ids.txt"; then
        bad "recommend prints raw controls from model ids"
    elif grep -qF '\x1b[2J' "$T/ids.txt" && grep -qF '\u202efdp.exe' "$T/ids.txt" && grep -qF 'plain-é' "$T/ids.txt" &&
        [ "$(wc -l < "$T/ids.txt")" = 8 ]; then
        ok
    else
        bad "recommend: escaped ids missing: $(cat "$T/ids.txt")"
    fi
    $BIN inspect "$T/ids.memcom" > "$T/ids-inspect.txt" 2>&1
    raw_controls < "$T/ids-inspect.txt" && bad "inspect prints raw controls from the metadata" || ok
    $BIN recommend "$T/ids.memcom" "$(printf 'x\033[2J')" > "$T/ids-err.txt" 2>&1
    raw_controls < "$T/ids-err.txt" && bad "recommend echoes raw controls of an unknown id" || ok
    # --json keeps the ids exact (JSON escapes)
    command -v node > /dev/null || echo "  (node not found: recommend --json ids not checked)"
    ! command -v node > /dev/null || $BIN recommend "$T/ids.memcom" -k 8 --json > "$T/ids.json" &&
        node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
            if (r[0].id !== "\x1b[2J\x1b]0;owned\x07" || r[4].id !== "\u202efdp.exe") process.exit(1)' "$T/ids.json" &&
        ok || bad "recommend --json ids"
else
    bad "tests/cli/ids_model.c does not build or run"
fi

# ---- 4. real-world input, split provenance, interruption ----
data_line() { grep -m1 '^data ' "$1" | sed 's/ ([0-9.]*s)$//; s/^data [^:]*: //'; }
# a header line without --header: detected, skipped, with a note
$BIN train --csv "$T/ratings.csv" --dim 8 --epochs 1 -o "$T/h.memcom" 2> "$T/h.log"
grep -q "note: line 1 \"userId,movieId,rating,timestamp\" looks like a header" "$T/h.log" &&
    grep -q ": 600 users" "$T/h.log" && ok || bad "header detection: $(head -3 "$T/h.log")"
$BIN train --csv "$T/ratings.csv" --header --dim 8 --epochs 1 -o "$T/h.memcom" 2> "$T/h2.log"
[ "$(data_line "$T/h.log")" = "$(data_line "$T/h2.log")" ] && ! grep -q "looks like a header" "$T/h2.log" && ok ||
    bad "--header vs detected header: $(data_line "$T/h.log") / $(data_line "$T/h2.log")"
expect_fail "--no-header reads the header as data" "rating \"rating\" is not a number" $BIN train --csv "$T/ratings.csv" \
    --no-header --min-rating 2 --dim 8 --epochs 1 -o "$T/x.memcom"
# a space-separated log (columns aligned with runs of spaces): delimiter detected or named
sed 's/,/   /g; s/^/ /' "$T/ratings.csv" > "$T/ratings.txt"
$BIN train --csv "$T/ratings.csv" --min-rating 2 --dim 8 --epochs 1 -o "$T/c.memcom" 2> "$T/c.log"
for d in "" "--delimiter space"; do
    $BIN train --csv "$T/ratings.txt" $d --min-rating 2 --dim 8 --epochs 1 -o "$T/s.memcom" 2> "$T/s.log"
    [ -n "$(data_line "$T/c.log")" ] && [ "$(data_line "$T/c.log")" = "$(data_line "$T/s.log")" ] && ok ||
        bad "space-separated log ($d): $(data_line "$T/s.log") vs $(data_line "$T/c.log"): $(tail -2 "$T/s.log")"
done
$BIN train --csv "$T/ratings.txt" --dim 8 --epochs 1 -o "$T/s.memcom" 2> "$T/s2.log"
grep -q "fields are separated by space (detected" "$T/s2.log" && grep -q "looks like a header" "$T/s2.log" && ok ||
    bad "space-separated log: no note: $(head -2 "$T/s2.log")"
expect_fail "forced comma on a space log" "--delimiter space?" $BIN train --csv "$T/ratings.txt" --delimiter comma \
    --dim 8 --epochs 1 -o "$T/x.memcom"
expect_fail "unknown delimiter name" "--delimiter expects comma, tab, space" $BIN train --csv "$T/ratings.txt" \
    --delimiter spaces -o "$T/x.memcom"
# MovieLens 1M's ratings.dat: "::"-separated, no header; detected or named, the same data as the CSV
tail -n +2 "$T/ratings.csv" | sed 's/,/::/g' > "$T/ratings.dat"
for d in "" "--delimiter ::"; do
    $BIN train --csv "$T/ratings.dat" $d --min-rating 2 --dim 8 --epochs 1 -o "$T/s.memcom" 2> "$T/s.log"
    [ -n "$(data_line "$T/c.log")" ] && [ "$(data_line "$T/c.log")" = "$(data_line "$T/s.log")" ] && ok ||
        bad "'::'-separated log ($d): $(data_line "$T/s.log") vs $(data_line "$T/c.log"): $(tail -2 "$T/s.log")"
done
expect_fail "forced comma on a '::' log" "the line has '::' characters" $BIN train --csv "$T/ratings.dat" \
    --delimiter comma --dim 8 --epochs 1 -o "$T/x.memcom"
# more than 4 columns, in another order: pick them by index or by header name;
# the same interactions give the same data and split as the 4-column file
awk -F, 'BEGIN { OFS = "," } { print "x" NR, $4, $2, $1, $3, "extra" }' "$T/ratings.csv" > "$T/wide.csv"
sed -i '1s/.*/rowid,timestamp,movieId,userId,rating,note/' "$T/wide.csv"
expect_fail "wide CSV without --columns" "give --columns" $BIN train --csv "$T/wide.csv" --dim 8 -o "$T/x.memcom"
for cols in "user=3,item=2,grade=4,time=1" "user=userId,item=movieId,rating=rating,time=timestamp"; do
    if $BIN train --csv "$T/wide.csv" --columns "$cols" --min-rating 2 --dim 8 --epochs 2 -o "$T/wide.memcom" \
        2> "$T/w.log" && [ "$(data_line "$T/c.log")" = "$(data_line "$T/w.log")" ] &&
        $BIN eval "$T/wide.memcom" --csv "$T/ratings.csv" --min-rating 2 > /dev/null 2> "$T/we.log"; then
        ok
    else
        bad "--columns $cols: $(data_line "$T/w.log") vs $(data_line "$T/c.log"): $(tail -2 "$T/w.log") $(cat "$T/we.log")"
    fi
done
expect_fail "--columns unknown name" "no column named \"uid\"" $BIN train --csv "$T/wide.csv" --columns user=uid,item=2 \
    -o "$T/x.memcom"
expect_fail "--columns without item" "which column holds the item" $BIN train --csv "$T/wide.csv" --columns user=3 \
    -o "$T/x.memcom"
# repeated (user, item) lines count once, before the split: u1 has 10 distinct
# items each twice, u2 10 distinct items once: 70/10/20 gives 7/1/2 each
awk 'BEGIN { for (r = 0; r < 2; r++) for (i = 0; i < 10; i++) print "u1,i" i; for (i = 0; i < 10; i++) print "u2,i" i + 5 }' \
    > "$T/dup.csv"
$BIN train --csv "$T/dup.csv" --dim 4 --epochs 1 -o "$T/dup.memcom" 2> "$T/dup.log"
grep -q ": 2 users, 15 items, 14 train / 2 valid / 4 test interactions (10 repeated pairs counted once)" "$T/dup.log" &&
    ok || bad "duplicates before the split: $(grep -m1 '^data' "$T/dup.log")"

# memcom eval refuses another split or data set, naming what differs; the
# override evaluates and warns
E="--csv $T/ratings.csv --header --min-rating 2"
expect_fail "eval: other split seed" "--split-seed: the model's is 1, now 2" $BIN eval "$T/m.memcom" $E --split-seed 2
expect_fail "eval: other split ratio" "--split: the model's is 70/10/20, now 80/10/10" $BIN eval "$T/m.memcom" $E \
    --split 80/10/10
head -3000 "$T/ratings.csv" > "$T/part.csv"
expect_fail "eval: other data file" "the data differs: the model was trained on ratings.csv" $BIN eval "$T/m.memcom" \
    --csv "$T/part.csv" --header --min-rating 2
expect_fail "eval: other threshold" "the data differs" $BIN eval "$T/m.memcom" --csv "$T/ratings.csv" --header \
    --min-rating 3
if $BIN eval "$T/m.memcom" $E --split-seed 2 --allow-split-mismatch > "$T/ev.txt" 2> "$T/ev.err" &&
    grep -q "^warning: the model was not trained on this data and split (--split-seed" "$T/ev.txt" &&
    grep -q "^test " "$T/ev.txt" && grep -q "warning" "$T/ev.err" &&
    $BIN eval "$T/m.memcom" $E --split-seed 2 --allow-split-mismatch --json 2> /dev/null |
    grep -q '"warning":"the model was not trained'; then
    ok
else
    bad "--allow-split-mismatch: $(cat "$T/ev.txt" "$T/ev.err")"
fi
$BIN eval "$T/m.memcom" $E > "$T/ev2.txt" 2>&1 && ! grep -q "warning" "$T/ev2.txt" && ok ||
    bad "eval with the training's split: $(cat "$T/ev2.txt")"

# SIGINT during training: the best model so far is written (loadable), and the
# state; the command to resume is printed; exit status 130; resuming works
awk 'BEGIN { srand(5); for (u = 1; u <= 3000; u++) { g = u % 6; for (k = 0; k < 30; k++) {
    if (rand() < .85) { x = rand(); it = g * 200 + int(x * x * 200) } else it = int(rand() * 1200);
    printf "%d,m%d\n", u, it } } }' > "$T/big.csv"
rm -f "$T/int.memcom" "$T/int.memcom.state"
$BIN train --csv "$T/big.csv" --dim 64 --epochs 2000 --patience 0 --batch 100 -o "$T/int.memcom" 2> "$T/int.log" &
pid=$!
for _ in $(seq 200); do grep -q "^train epoch" "$T/int.log" && break; sleep 0.05; done
kill -INT $pid
wait $pid
rc=$?
if [ $rc = 130 ] && $BIN inspect "$T/int.memcom" > "$T/int.txt" 2>&1 && grep -q '"interrupted":true' "$T/int.txt" &&
    [ -s "$T/int.memcom.state" ] && grep -q "wrote the best model so far (epoch [0-9]*) to .*int.memcom and the training state to .*int.memcom.state" "$T/int.log" &&
    grep -q -- "--resume .*int.memcom$" "$T/int.log"; then
    ok
else
    bad "SIGINT: exit $rc, $(tail -3 "$T/int.log")"
fi
ls "$T"/int.memcom.tmp-* > /dev/null 2>&1 && bad "SIGINT left temp files" || ok
done_ep=$(sed -n 's/.*interrupted after epoch \([0-9]*\):.*/\1/p' "$T/int.log")
if [ -n "$done_ep" ] && $BIN train --csv "$T/big.csv" --dim 64 --epochs $((done_ep + 1)) --patience 0 --batch 100 \
    -o "$T/int.memcom" --resume "$T/int.memcom" 2> "$T/int2.log" && grep -q "resumed after epoch $done_ep" "$T/int2.log" &&
    grep -q "best epoch [0-9]* of $((done_ep + 1))" "$T/int2.log"; then
    ok
else
    bad "resume after SIGINT: $(tail -3 "$T/int2.log")"
fi
# SIGTERM with --checkpoint: the checkpoint's state; exit 143
rm -f "$T/ck2.memcom" "$T/ck2.memcom.state"
$BIN train --csv "$T/big.csv" --dim 64 --epochs 2000 --patience 0 --batch 100 -o "$T/int3.memcom" \
    --checkpoint "$T/ck2.memcom" 2> "$T/int3.log" &
pid=$!
for _ in $(seq 200); do grep -q "^train epoch" "$T/int3.log" && break; sleep 0.05; done
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 143 ] && $BIN inspect "$T/int3.memcom" > /dev/null && [ -s "$T/ck2.memcom.state" ] &&
    [ ! -e "$T/int3.memcom.state" ] && grep -q -- "--resume .*ck2.memcom$" "$T/int3.log" && ok ||
    bad "SIGTERM with --checkpoint: exit $rc, $(tail -2 "$T/int3.log")"

# ---- 5. compact numeric ids, f16 output bias, whole-file ratio ----
# numeric item ids: the ratings with "m12" -> "12"
sed 's/,m\([0-9]*\),/,\1,/' "$T/ratings.csv" > "$T/num.csv"
NUM="--csv $T/num.csv --header --dim 16 --epochs 2 --batch 100"
if $BIN train $NUM -o "$T/num.memcom" --json "$T/num.json" 2> "$T/num.log" &&
    $BIN train $NUM --quiet --string-ids --bias-dtype f32 -o "$T/num-s.memcom" --json "$T/num-s.json" 2>> "$T/num.log"; then
    ok
    $BIN inspect "$T/num.memcom" > "$T/num.txt"
    $BIN inspect "$T/num-s.memcom" > "$T/num-s.txt"
    # the default: compact ids (format 1.1) and an f16 bias; --string-ids --bias-dtype f32: format 1.0 as before
    grep -q "format 1.1, valid" "$T/num.txt" && grep -q "(with compact numeric ids)" "$T/num.txt" &&
        grep -qE "^  id_runs +0 " "$T/num.txt" && grep -qE "^  id_ranks +0 " "$T/num.txt" &&
        ! grep -q "id_offsets" "$T/num.txt" && grep -q "output bias f16" "$T/num.txt" && ok ||
        bad "default storage: $(head -3 "$T/num.txt")"
    grep -q "format 1.0, valid" "$T/num-s.txt" && grep -q "(with id strings)" "$T/num-s.txt" &&
        grep -qE "^  id_sorted +0 " "$T/num-s.txt" && grep -q "output bias f32" "$T/num-s.txt" && ok ||
        bad "--string-ids --bias-dtype f32: $(head -3 "$T/num-s.txt")"
    # the same recommendations, by the same numeric ids, from both files
    a=$($BIN recommend "$T/num.memcom" 1 2 3 -k 10 2>&1)
    b=$($BIN recommend "$T/num-s.memcom" 1 2 3 -k 10 2>&1)
    [ "$(echo "$a" | wc -l)" = 10 ] && [ "$(echo "$a" | awk '{print $2}')" = "$(echo "$b" | awk '{print $2}')" ] && ok ||
        bad "recommend by numeric ids differs: $a / $b"
    # the whole-file ratio: inspect --json and the training summary agree, and
    # equal the definition (FORMAT.md) computed here from the byte counts; a
    # full model is 1x, except that an f16 bias makes it a little smaller
    for f in num num-s; do
        $BIN inspect --json "$T/$f.memcom" > "$T/$f-i.json"
        node -e '
const [i, s] = [0, 1].map((k) => JSON.parse(require("fs").readFileSync(process.argv[1 + k], "utf8")));
const bias = i.bias_bytes ? 4 * i.items : 0;
const want = i.file_bytes - i.input_bytes - i.output_bytes - i.bias_bytes + i.full_f32_bytes + bias;
const ok = i.full_file_bytes === want && s.full_file_bytes === want && s.file_bytes === i.file_bytes &&
  Math.abs(i.file_compression - want / i.file_bytes) < 1e-4 && Math.abs(s.file_ratio - want / i.file_bytes) < 1e-4 &&
  Math.abs(s.table_ratio - i.compression) < 1e-4 &&
  (i.bias_bytes === 2 * i.items ? i.file_compression > 1 : i.file_compression === 1);
if (!ok) { console.error(JSON.stringify({ want, i, s: { ...s, options: 0, data: 0 } })); process.exit(1); }' \
            "$T/$f-i.json" "$T/$f.json" && ok || bad "whole-file ratio of $f"
    done
    grep -qE "^file +[0-9.]+x \(the same file with full f32 item tables and bias, [0-9]+ bytes / this file [0-9]+ bytes\)" \
        "$T/num.txt" && ok || bad "inspect: no whole-file ratio line"
    # the compact file is smaller by the ids and half the bias
    node -e '
const [c, s] = [0, 1].map((k) => JSON.parse(require("fs").readFileSync(process.argv[1 + k], "utf8")));
process.exit(c.id_bytes * 4 < s.id_bytes && c.bias_bytes * 2 === s.bias_bytes ? 0 : 1)' "$T/num-i.json" "$T/num-s-i.json" &&
        ok || bad "compact ids / f16 bias not smaller"
    # the summary names the storage, and gives the stored model's metrics beside the f32 ones
    grep -q '"bias_dtype":"f16","ids":"compact"' "$T/num.json" && grep -q '"test_f32"' "$T/num.json" && ok ||
        bad "summary options lack bias_dtype/ids"
    grep -qE "wrote .*num.memcom: [0-9]+ bytes, [0-9.]+x smaller than with full f32 tables and bias \(item tables [0-9]+ bytes, [0-9.]+x smaller" \
        "$T/num.log" && ok || bad "training summary lacks the whole-file ratio: $(grep wrote "$T/num.log")"
else
    bad "train with numeric ids: $(tail -3 "$T/num.log")"
fi
expect_fail "bias dtype i8" "--bias-dtype expects f32 or f16, got 'i8'" $BIN train $NUM --bias-dtype i8 -o "$T/x.memcom"

# ---- 6. eval --history: short histories against a plain-Python re-derivation ----
# tests/cli/short_history.py writes 150 users over 80 items with distinct
# training counts, then re-derives every list and figure from the split files
# and --lists: users, histories, popularity, item-kNN (user left out), EASE,
# NDCG@10, Recall@20, top-50 share, Jaccard over all pairs, coverage
mkdir -p "$T/sh"
python3 tests/cli/short_history.py gen "$T/sh"
if $BIN train --data "$T/sh" --epochs 5 --dim 16 --quiet -o "$T/sh/m.memcom" 2> "$T/sh/train.log"; then
    ok
else
    bad "short histories: training failed: $(tail -2 "$T/sh/train.log")"
fi
shrun() { # lists json [extra...]
    local l=$1 j=$2
    shift 2
    $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 1,3,5 --ease-lambda 20 --lists "$l" --json "$@" > "$j" 2> "$T/sh/eval.log"
}
if shrun "$T/sh/l1.tsv" "$T/sh/r1.json"; then
    out=$(python3 tests/cli/short_history.py check "$T/sh" "$T/sh/l1.tsv" "$T/sh/r1.json" 1,3,5)
    line=$(echo "$out" | tail -1)
    echo "$out" | grep -v '^[0-9]* passed' | head -20 | sed 's/^/  /'
    if [[ $line =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then ok; else bad "short histories check: $line"; fi
else
    bad "eval --history: $(tail -2 "$T/sh/eval.log")"
fi
# seeded: the same seed gives the same lists, another seed other histories;
# --bias-weight changes only the model's rows (the check still holds)
shrun "$T/sh/l2.tsv" "$T/sh/r2.json" && cmp -s "$T/sh/l1.tsv" "$T/sh/l2.tsv" && ok || bad "eval --history: not reproducible"
shrun "$T/sh/l3.tsv" "$T/sh/r3.json" --history-seed 2 && ! cmp -s "$T/sh/l1.tsv" "$T/sh/l3.tsv" && ok ||
    bad "eval --history: --history-seed changes nothing"
if shrun "$T/sh/l4.tsv" "$T/sh/r4.json" --bias-weight 0 &&
    python3 tests/cli/short_history.py check "$T/sh" "$T/sh/l4.tsv" "$T/sh/r4.json" 1,3,5 > /dev/null &&
    [ "$(grep -v '^model' "$T/sh/l1.tsv")" = "$(grep -v '^model' "$T/sh/l4.tsv")" ] &&
    [ "$(grep '^model' "$T/sh/l1.tsv")" != "$(grep '^model' "$T/sh/l4.tsv")" ]; then
    ok
else
    bad "eval --history --bias-weight 0"
fi
# a sample of users: that many, drawn from the eligible ones
if shrun "$T/sh/l5.tsv" "$T/sh/r5.json" --history-users 20 --baselines popularity &&
    node -e 'const j=require(process.argv[1]); process.exit(j.users===20 && j.rows.length===6 ? 0 : 1)' "$T/sh/r5.json"; then
    ok
else
    bad "eval --history --history-users 20"
fi
# the human table names every method and h
$BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 3 --ease-lambda 20 2> /dev/null > "$T/sh/table.txt"
for m in model popularity item-knn ease; do grep -q "^   3  $m " "$T/sh/table.txt" && ok || bad "eval --history table lacks $m"; done
expect_fail "history option alone" "give --history too" $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history-seed 3
expect_fail "history not ascending" "ascending" $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 3,1
expect_fail "history 0" "--history expects an integer in 1..64" $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 0,2
expect_fail "history on both" "one part" $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 1 --on both
expect_fail "bad baseline" "--baselines expects" $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 1 --baselines pop
expect_fail "history too long" "at least 64 training items" $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 64
cp "$T/sh/train.txt" "$T/sh/train.keep"
expect_fail "lists over the data" "--lists" $BIN eval "$T/sh/m.memcom" --data "$T/sh" --history 1 --lists "$T/sh/train.txt"
cmp -s "$T/sh/train.txt" "$T/sh/train.keep" && ok || bad "eval --lists overwrote the training file"

echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
