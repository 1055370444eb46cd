# src/sources.sh - the build described once: which sources make which
# product, and the compiler flags.  Sourced (bash, from the repository root)
# by build.sh, tests/c/run.sh, tests/cli/run.sh, tests/fuzz/run.sh and
# bench/bounds.sh; bench/native/native.js builds through `build.sh bench`.
# Edit the lists here, nowhere else.  A folder's glob takes every .c file in
# it: a new file in a listed folder needs no edit.
# shellcheck shell=bash disable=SC2034,SC2054

# each glob expands to the files that exist, sorted (nothing if none)
_mc_nullglob=$(shopt -p nullglob || true) # (status 1 when off)
shopt -s nullglob

# ---- sources ----
# the core library (build/libmemcom.a): model handle, ranking, tables, top-k,
# bucket bounds, pre-ranking, the .memcom reader and writer, base utilities
MC_CORE_SRC=(src/*.c src/base/*.c src/format/*.c src/engine/*.c)
# the kernels: every build compiles all of them; the compiler's target picks
# the set (src/kernels/arch.h): wasm_simd128.c with -msimd128, x86_64.c on
# x86-64 (AVX2 or SSE2 at run time), generic.c for the rest.  The tests also
# build the generic set alone and x86-64 without AVX2:
MC_KERNEL_SRC=(src/kernels/*.c)
MC_KERNELS_GENERIC=(-DMK_GENERIC_ONLY)
MC_KERNELS_NO_AVX2=(-DMK_X86_NO_AVX2)
# the ranking .wasm modules: the core without the writer, plus the wasm ABI
MC_WASM_SRC=()
for _mc_f in "${MC_CORE_SRC[@]}"; do
    [ "$_mc_f" = src/format/writer.c ] || MC_WASM_SRC+=("$_mc_f")
done
MC_WASM_SRC+=(src/wasm/common.c src/wasm/abi.c)
# the writer .wasm (only buildModel loads it): the format's one writer, no kernels
MC_WRITER_WASM_SRC=(src/base/*.c src/format/*.c src/wasm/common.c src/wasm/writer.c)
# the shared library (build/libmemcom.so, built -fPIC) that the Python package
# (python/memcom) loads: the core, the kernels and the writer module's builder
MC_SHARED_SRC=("${MC_CORE_SRC[@]}" "${MC_KERNEL_SRC[@]}" src/wasm/writer.c)
MC_SHARED_FLAGS=(-fPIC)
# the trainer (its own tests link it too) and the `memcom` command
MC_TRAIN_SRC=(src/train/*.c)
MC_CLI_SRC=(src/cli/*.c "${MC_TRAIN_SRC[@]}")
# the trainer's data readers alone (the data_* fuzzers)
MC_TRAIN_READER_SRC=(src/train/data_read.c src/train/data_build.c src/train/util.c)

# ---- flags ----
MC_STD=(-std=c11)
MC_WARN=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
# -ffp-contract=off: no fused multiply-add, so every kernel set rounds alike
MC_FLOAT=(-ffp-contract=off -fno-math-errno)
MC_CFLAGS=("${MC_STD[@]}" "${MC_WARN[@]}" "${MC_FLOAT[@]}")
MC_OPT=(-O3)
# ASan + UBSan (clang): the C tests' --sanitize build and the fuzzers
MC_SANITIZE_CC=clang
MC_SANITIZE_OPT=(-O1 -g)
MC_SANITIZE=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
MC_LIBS=(-lm)
# POSIX calls (the trainer, the CLI, the benchmark programs)
MC_POSIX=(-D_POSIX_C_SOURCE=200809L)
# the trainer and the CLI link threads and what src/cli/LDFLAGS adds (BLAS)
MC_CLI_LIBS=(-lm -lpthread)
if [ -f src/cli/LDFLAGS ]; then
    # shellcheck disable=SC2207
    MC_CLI_LIBS+=($(cat src/cli/LDFLAGS))
fi
# emcc, for each .wasm (the export lists are web/exports.js, read by build.sh)
MC_WASM_FLAGS=(-O3 --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=4GB -sMALLOC=emmalloc
    -sINITIAL_MEMORY=2MB -sTOTAL_STACK=512KB)
MC_WASM_SIMD=(-msimd128)
MC_WASM_MAX_BYTES=147456 # 144 KB per .wasm (raised from 100 KB for the compact-id decoder of format 1.1 and the prepared accelerators, then from 128 KB for the ranker head with its kernels, the popularity control and the warm-up)

eval "$_mc_nullglob"
unset _mc_nullglob _mc_f
