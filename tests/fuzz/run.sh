#!/usr/bin/env bash
# tests/fuzz/run.sh - build and run the memcom fuzzers (libFuzzer + ASan + UBSan).
#
#   bash tests/fuzz/run.sh [--seconds N] [--only TARGET] [--replay]
#   bash tests/fuzz/run.sh --long [--runs N]      # the documented long loader run
#
# Targets (tests/fuzz/*.c, built straight from the sources with clang; the
# core and its kernels as src/sources.sh lists them):
#   loader      memcom_open on arbitrary bytes, then every model operation
#   writer      memcom_write_memory on fuzzed model descriptions: output must load
#   data_split  the trainer's `user item item ...` split-file reader
#   data_csv    the trainer's CSV/TSV log reader
#   data_seq    the trainer's sequence-file reader
# The data_* targets are built only if src/train has the readers.
#
# For each target: replay every file in tests/fuzz/regressions/<target>/
# (past crashers: must pass), then fuzz for N seconds (default 30) from the
# generated seed corpus plus a persistent working corpus in build/fuzz/.
# Any crash, sanitizer report, leak, timeout (-timeout, default 25 s per
# input) or out-of-memory (> 2 GiB) fails the step, and the input is saved
# into tests/fuzz/regressions/<target>/ so that every later run replays it.
# Ends with one line: "N passed, N failed"; exit status 1 if any failed.
#
# Environment: CC (default clang, else clang-14), MEMCOM_FUZZ_TIMEOUT (per
# input, seconds), MEMCOM_FUZZ_NICE (nice level, default 10; --long uses 19),
# MEMCOM_FUZZ_OUT (build directory, default build/fuzz),
# MEMCOM_FUZZ_LONG_WORKERS (parallel workers of --long, default 2).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SECS=30
LONG=0
RUNS=10000000
ONLY=""
REPLAY_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECS="$2"; shift 2 ;;
    --seconds=*) SECS="${1#*=}"; shift ;;
    --long) LONG=1; shift ;;
    --runs) RUNS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --replay) REPLAY_ONLY=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$SECS" in ''|*[!0-9]*) echo "run.sh: --seconds needs a whole number" >&2; exit 2 ;; esac

TIMEOUT=${MEMCOM_FUZZ_TIMEOUT:-25}
NICE=${MEMCOM_FUZZ_NICE:-10}
[ "$LONG" = 1 ] && NICE=19
OUT=${MEMCOM_FUZZ_OUT:-build/fuzz}
mkdir -p "$OUT/obj-fuzz" "$OUT/obj-asan" "$OUT/artifacts"
# one run at a time per build directory (objects, corpus and logs are shared)
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT/.lock"
  if ! flock -n 9; then
    echo "run.sh: another fuzz run is using $OUT; waiting for it"
    flock 9
  fi
fi

pass=0
fail=0
ok()  { pass=$((pass + 1)); printf 'PASS  %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL  %s\n' "$*"; }
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
  exit $?
}

CC=${CC:-}
if [ -z "$CC" ]; then
  if command -v clang >/dev/null 2>&1; then CC=clang; elif command -v clang-14 >/dev/null 2>&1; then CC=clang-14; fi
fi
if [ -z "$CC" ]; then
  bad "build: clang not found (apt-get install clang libclang-rt-14-dev)"
  finish
fi

# ---- sources (src/sources.sh) ---------------------------------------------
. src/sources.sh
CORE_SRCS=("${MC_CORE_SRC[@]}" "${MC_KERNEL_SRC[@]}")
# the trainer's readers and what they need (not its training code)
TRAIN_SRCS=()
for f in "${MC_TRAIN_READER_SRC[@]}"; do
  [ -f "$f" ] && TRAIN_SRCS+=("$f")
done
have_format=0
[ -n "$(ls src/format/*.c 2>/dev/null)" ] && have_format=1
if [ "$have_format" = 0 ]; then
  bad "build: src/format/*.c (the model reader and writer) not found"
  finish
fi

COMMON=("${MC_STD[@]}" "${MC_FLOAT[@]}" "${MC_SANITIZE_OPT[@]}" "${MC_SANITIZE[@]}" -Isrc -Itests/fuzz)
FUZZ_CFLAGS=("${COMMON[@]}" -fsanitize=fuzzer-no-link)
TRAIN_DEFS=()

compile_set() { # dir flags... -- sources...
  local dir=$1; shift
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  local objs=() f o
  for f in "$@"; do
    o="$dir/$(echo "$f" | tr '/' '_').o"
    "$CC" "${flags[@]}" -c "$f" -o "$o" || return 1
    objs+=("$o")
  done
  printf '%s\n' "${objs[@]}"
}

build() {
  local log=$OUT/build.log
  : > "$log"
  {
    CORE_FUZZ=$(compile_set "$OUT/obj-fuzz" "${FUZZ_CFLAGS[@]}" -- "${CORE_SRCS[@]}") || return 1
    CORE_ASAN=$(compile_set "$OUT/obj-asan" "${COMMON[@]}" -- "${CORE_SRCS[@]}") || return 1
    # shellcheck disable=SC2086
    "$CC" "${COMMON[@]}" tests/fuzz/gen_seeds.c $CORE_ASAN "${MC_LIBS[@]}" -o "$OUT/gen_seeds" || return 1
    # shellcheck disable=SC2086
    "$CC" "${COMMON[@]}" -fsanitize=fuzzer tests/fuzz/fuzz_loader.c $CORE_FUZZ "${MC_LIBS[@]}" -o "$OUT/fuzz_loader" || return 1
    # shellcheck disable=SC2086
    "$CC" "${COMMON[@]}" -fsanitize=fuzzer tests/fuzz/fuzz_writer.c $CORE_FUZZ "${MC_LIBS[@]}" -o "$OUT/fuzz_writer" || return 1
    if [ ${#TRAIN_SRCS[@]} -eq ${#MC_TRAIN_READER_SRC[@]} ]; then
      TRAIN_FUZZ=$(compile_set "$OUT/obj-fuzz" "${FUZZ_CFLAGS[@]}" ${TRAIN_DEFS[@]+"${TRAIN_DEFS[@]}"} -- "${TRAIN_SRCS[@]}") || return 1
      local fmt name
      for fmt in 0 1 2; do
        name=(data_split data_csv data_seq)
        # shellcheck disable=SC2086
        "$CC" "${COMMON[@]}" ${TRAIN_DEFS[@]+"${TRAIN_DEFS[@]}"} -fsanitize=fuzzer -DFUZZ_FORMAT=$fmt tests/fuzz/fuzz_data.c \
          $TRAIN_FUZZ $CORE_FUZZ "${MC_LIBS[@]}" -o "$OUT/fuzz_${name[$fmt]}" || return 1
      done
    fi
  } >>"$log" 2>&1
}

echo "== building fuzz targets with $CC ($(${CC} --version | head -1))"
if ! build; then
  tail -40 "$OUT/build.log"
  bad "build (see $OUT/build.log)"
  finish
fi
ok "build"

TARGETS=(loader writer)
if [ ${#TRAIN_SRCS[@]} -eq ${#MC_TRAIN_READER_SRC[@]} ]; then
  TARGETS+=(data_split data_csv data_seq)
else
  echo "note: src/train data readers not found; data_* targets skipped"
fi
if [ -n "$ONLY" ]; then TARGETS=("$ONLY"); fi
[ "$LONG" = 1 ] && TARGETS=(loader)

# ---- seeds ---------------------------------------------------------------
rm -rf "$OUT/seeds"
if "$OUT/gen_seeds" "$OUT/seeds" > "$OUT/gen_seeds.log" 2>&1; then
  ok "seed corpus ($(tail -1 "$OUT/gen_seeds.log"))"
else
  cat "$OUT/gen_seeds.log"
  bad "seed corpus: a model written by memcom_write_memory does not load, or the generator crashed"
fi

LIBFUZZER_OPTS=(-timeout="$TIMEOUT" -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

save_artifacts() { # target
  local t=$1 a saved=0
  mkdir -p "tests/fuzz/regressions/$t"
  for a in "$OUT/artifacts/$t/"{crash,leak,timeout,oom}-*; do
    [ -f "$a" ] || continue
    cp "$a" "tests/fuzz/regressions/$t/"
    echo "      saved $(basename "$a") -> tests/fuzz/regressions/$t/"
    rm -f "$a"
    saved=1
  done
  return $saved
}

for t in "${TARGETS[@]}"; do
  bin="$OUT/fuzz_$t"
  if [ ! -x "$bin" ]; then bad "$t: not built"; continue; fi
  mkdir -p "tests/fuzz/regressions/$t" "$OUT/corpus/$t" "$OUT/artifacts/$t" "$OUT/seeds/$t"
  log="$OUT/$t.log"

  # 1. replay the regressions (each file once)
  regs=()
  for f in "tests/fuzz/regressions/$t"/*; do
    [ -f "$f" ] && [ "$(basename "$f")" != README.md ] && regs+=("$f")
  done
  if [ ${#regs[@]} -gt 0 ]; then
    if nice -n "$NICE" "$bin" "${LIBFUZZER_OPTS[@]}" "${regs[@]}" > "$log.replay" 2>&1; then
      ok "$t: ${#regs[@]} regression input(s) replayed"
    else
      grep -E 'ERROR|FUZZ CHECK|SUMMARY|Running:|runtime error' "$log.replay" | tail -12
      bad "$t: a regression input fails again (see $log.replay)"
    fi
  else
    ok "$t: no regression inputs"
  fi
  [ "$REPLAY_ONLY" = 1 ] && continue

  # 2. fuzz
  if [ "$LONG" = 1 ]; then
    # W parallel workers (niced to 19), each RUNS/W executions, sharing the corpus
    W=${MEMCOM_FUZZ_LONG_WORKERS:-2}
    per=$(( (RUNS + W - 1) / W ))
    start=$(date +%s)
    pids=()
    for w in $(seq 1 "$W"); do
      nice -n "$NICE" timeout -k 10 $((6 * 3600)) "$bin" "${LIBFUZZER_OPTS[@]}" -runs="$per" -seed="$w" -max_len=16384 \
        -dict=tests/fuzz/loader.dict -artifact_prefix="$OUT/artifacts/$t/" "$OUT/corpus/$t" "$OUT/seeds/$t" \
        > "$log.$w" 2>&1 &
      pids+=($!)
    done
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=$?; done
    secs=$(( $(date +%s) - start ))
    execs=0
    for w in $(seq 1 "$W"); do
      e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.$w" | tail -1)
      execs=$(( execs + ${e:-0} ))
    done
    cat "$log".[0-9]* > "$log"
    echo "long run: $W workers, $execs executions in $secs s, exit $rc, $(date -u '+%Y-%m-%d %H:%M UTC')" | tee "$OUT/long-run.txt"
    if [ $rc = 0 ]; then
      ok "$t: long run, $execs executions in ${secs} s ($W workers), no crash, leak or timeout"
    else
      grep -E 'ERROR|FUZZ CHECK|SUMMARY|runtime error|Test unit written' "$log" | head -12
      save_artifacts "$t"
      bad "$t: long run found a problem after $execs executions (exit $rc; see $log.*)"
    fi
    continue
  else
    budget=(-max_total_time="$SECS")
    wall=$((SECS + 600))
    desc="${SECS} s"
  fi
  maxlen=4096
  extra=()
  if [ "$t" = loader ]; then maxlen=16384; extra+=(-dict=tests/fuzz/loader.dict); fi
  start=$(date +%s)
  nice -n "$NICE" timeout -k 10 "$wall" "$bin" "${LIBFUZZER_OPTS[@]}" "${budget[@]}" -max_len=$maxlen "${extra[@]}" \
    -artifact_prefix="$OUT/artifacts/$t/" "$OUT/corpus/$t" "$OUT/seeds/$t" > "$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  if [ $rc = 0 ]; then
    ok "$t: fuzzed $desc, ${execs:-?} executions in ${secs} s, no crash, leak or timeout"
  else
    grep -E 'ERROR|FUZZ CHECK|SUMMARY|runtime error|Test unit written' "$log" | head -12
    save_artifacts "$t"
    bad "$t: fuzzing found a problem after ${execs:-?} executions (exit $rc; see $log)"
  fi
done

finish
