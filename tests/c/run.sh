#!/usr/bin/env bash
# tests/c/run.sh [--sanitize] - builds the core and the C tests, runs them,
# and prints one line "N passed, N failed" (exit status 1 on any failure).
set -euo pipefail
cd "$(dirname "$0")/../.."
sanitize=0
[ "${1:-}" = --sanitize ] && sanitize=1
if [ $sanitize = 1 ]; then
    SANITIZE=1 ./build.sh native > /dev/null
    out=build/asan cc=clang flags=(-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
else
    ./build.sh native > /dev/null
    out=build cc=${CC:-cc} flags=(-O2)
fi
mkdir -p "$out/tests"
"$cc" -std=c11 -Wall -Wextra -Wno-unused-parameter -ffp-contract=off "${flags[@]}" -o "$out/tests/c_tests" \
    tests/c/main.c tests/c/fixture.c tests/c/test_*.c "$out/libmemcom.a" -lm
passed=0 failed=0
line=$("$out/tests/c_tests" | tail -n 1) || true
passed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
failed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$passed" ]; then passed=0 failed=$(( ${failed:-0} + 1 )); echo "c_tests crashed: $line" >&2; fi

# scalar and wasm SIMD kernels must agree bit for bit
"$cc" -std=c11 -O2 -ffp-contract=off -o "$out/tests/kernel_digest" tests/c/kernel_digest.c src/kernels/scalar.c \
    src/base/f16.c
native=$("$out/tests/kernel_digest")
if command -v emcc > /dev/null && command -v node > /dev/null; then
    for k in simd scalar; do
        if [ $k = simd ]; then ksrc=src/kernels/wasm_simd128.c kflag=-msimd128; else ksrc=src/kernels/scalar.c kflag=; fi
        NODE_PATH=/usr/share/nodejs emcc -std=c11 -O2 -ffp-contract=off $kflag -sENVIRONMENT=node -sWASM_ASYNC_COMPILATION=0 \
            -o "$out/tests/kernel_digest_$k.cjs" tests/c/kernel_digest.c "$ksrc" src/base/f16.c 2> /dev/null
        got=$(node "$out/tests/kernel_digest_$k.cjs")
        if [ "$got" = "$native" ]; then passed=$((passed + 1)); else
            failed=$((failed + 1)); echo "FAIL kernel digest wasm $k: $got != native $native" >&2; fi
    done
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
