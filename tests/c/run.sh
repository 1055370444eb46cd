#!/usr/bin/env bash
# tests/c/run.sh [--sanitize] - builds the core and the C tests, runs them,
# and prints one line "N passed, N failed" (exit status 1 on any failure).
set -euo pipefail
cd "$(dirname "$0")/../.."
. src/sources.sh
sanitize=0
[ "${1:-}" = --sanitize ] && sanitize=1
if [ $sanitize = 1 ]; then
    SANITIZE=1 ./build.sh native > /dev/null
    out=build/asan cc=$MC_SANITIZE_CC flags=("${MC_SANITIZE_OPT[@]}" "${MC_SANITIZE[@]}")
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
else
    ./build.sh native > /dev/null
    out=build cc=${CC:-cc} flags=(-O2)
fi
mkdir -p "$out/tests"
"$cc" "${MC_CFLAGS[@]}" "${flags[@]}" -o "$out/tests/c_tests" \
    tests/c/main.c tests/c/fixture.c tests/c/test_*.c "$out/libmemcom.a" "${MC_LIBS[@]}"
passed=0 failed=0
# glibc's per-thread cache keeps freed small blocks counted as in use by
# mallinfo2, which the heap measurements of test_model.c read: off, so that
# they see exactly what is allocated
line=$(GLIBC_TUNABLES=glibc.malloc.tcache_count=0 "$out/tests/c_tests" | tail -n 1) || true
passed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
failed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$passed" ]; then passed=0 failed=$(( ${failed:-0} + 1 )); echo "c_tests crashed: $line" >&2; fi

# every kernel set must agree bit for bit with the generic one: natively the
# generic set alone, the set this machine gets (x86_64.c on x86-64: AVX2 if
# the processor has it) and the same without AVX2, and the two wasm builds
# (SIMD and the generic fallback)
digest_src=(tests/c/kernel_digest.c "${MC_KERNEL_SRC[@]}" src/base/f16.c)
"$cc" "${MC_CFLAGS[@]}" "${flags[@]}" "${MC_KERNELS_GENERIC[@]}" -o "$out/tests/kernel_digest_generic" "${digest_src[@]}"
"$cc" "${MC_CFLAGS[@]}" "${flags[@]}" -o "$out/tests/kernel_digest_native" "${digest_src[@]}"
"$cc" "${MC_CFLAGS[@]}" "${flags[@]}" "${MC_KERNELS_NO_AVX2[@]}" -o "$out/tests/kernel_digest_no_avx2" "${digest_src[@]}"
generic=$("$out/tests/kernel_digest_generic")
digest_check() { # name digest
    if [ "$2" = "$generic" ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL kernel digest $1: $2 != generic $generic" >&2; fi
}
for k in native no_avx2; do
    digest_check "native $("$out/tests/kernel_digest_$k" --name)" "$("$out/tests/kernel_digest_$k")"
done
if command -v emcc > /dev/null && command -v node > /dev/null; then
    for k in simd scalar; do
        kflag=()
        [ $k = simd ] && kflag=("${MC_WASM_SIMD[@]}")
        NODE_PATH=/usr/share/nodejs emcc "${MC_CFLAGS[@]}" -O2 ${kflag[@]+"${kflag[@]}"} -sENVIRONMENT=node \
            -sWASM_ASYNC_COMPILATION=0 -o "$out/tests/kernel_digest_$k.cjs" "${digest_src[@]}" 2> /dev/null
        digest_check "wasm $(node "$out/tests/kernel_digest_$k.cjs" --name)" "$(node "$out/tests/kernel_digest_$k.cjs")"
    done
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
