#!/usr/bin/env bash
# build.sh - builds the memcom core.
#   ./build.sh            everything (native, then wasm)
#   ./build.sh native     build/libmemcom.a (+ build/memcom CLI if src/cli exists)
#   ./build.sh wasm       dist/memcom-simd.wasm, dist/memcom.wasm and dist/memcom-writer.wasm (each <= 128 KB)
#   ./build.sh bench      native, then the native benchmark programs in build/bench/
#   SANITIZE=1 ./build.sh native   the same with ASan+UBSan (clang) into build/asan/
# The sources and flags are listed in src/sources.sh.
set -euo pipefail
cd "$(dirname "$0")"
. src/sources.sh
JOBS=${JOBS:-2}

compile_objects() { # outdir cc flags... -- sources...   (sets OBJS)
    local out=$1 cc=$2; shift 2
    local flags=()
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    mkdir -p "$out/obj"
    OBJS=()
    local todo=() s o
    for s in "$@"; do
        o="$out/obj/$(echo "${s%.c}" | tr '/' '_').o"
        OBJS+=("$o")
        if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$out/.flags" -nt "$o" ] ||
           [ -n "$(find src -name '*.h' -newer "$o" -print -quit)" ]; then
            todo+=("$o" "$s")
        fi
    done
    [ ${#todo[@]} -eq 0 ] && return 0
    printf '%s\0%s\0' "${todo[@]}" | xargs -0 -n 2 -P "$JOBS" sh -c '"$0" "$@"' "$cc" "${flags[@]}" -c -o
}
build_native() {
    local out=build cc=${CC:-cc} extra=()
    if [ "${SANITIZE:-0}" = 1 ]; then
        out=build/asan cc=${CC:-$MC_SANITIZE_CC}
        extra=("${MC_SANITIZE_OPT[@]}" "${MC_SANITIZE[@]}")
    else
        extra=("${MC_OPT[@]}")
    fi
    local flags=("${MC_CFLAGS[@]}" "${extra[@]}" ${CFLAGS:-})
    mkdir -p "$out"
    # rebuild everything when the flags change
    if [ ! -f "$out/.flags" ] || [ "$(cat "$out/.flags")" != "$cc ${flags[*]}" ]; then
        echo "$cc ${flags[*]}" > "$out/.flags"
    fi
    compile_objects "$out" "$cc" "${flags[@]}" -- "${MC_CORE_SRC[@]}" "${MC_KERNEL_SRC[@]}"
    rm -f "$out/libmemcom.a"
    ar rcs "$out/libmemcom.a" "${OBJS[@]}"
    # the CLI, once one of its files defines main (it is written in parallel)
    if [ ${#MC_CLI_SRC[@]} -gt 0 ] && grep -qE '^int main *\(' src/cli/*.c 2>/dev/null; then
        mkdir -p "$out/cli"
        [ "$out/.flags" -nt "$out/cli/.flags" ] && cp "$out/.flags" "$out/cli/.flags"
        compile_objects "$out/cli" "$cc" "${flags[@]}" "${MC_POSIX[@]}" -- "${MC_CLI_SRC[@]}"
        "$cc" "${flags[@]}" -o "$out/memcom" "${OBJS[@]}" "$out/libmemcom.a" "${MC_CLI_LIBS[@]}"
    fi
    echo "built $out/libmemcom.a$([ -f "$out/memcom" ] && echo " $out/memcom")"
}

# the native benchmark programs (bench/native/*.c), linked to build/libmemcom.a;
# and bench-128: the timing program on the library built again with its
# kernels kept to 128-bit SIMD (x86-64: SSE2, the width of wasm SIMD)
build_bench() {
    local cc=${CC:-cc} out=build/bench f
    local flags=("${MC_CFLAGS[@]}" "${MC_OPT[@]}" ${CFLAGS:-})
    mkdir -p "$out/128"
    for f in bench/native/*.c; do
        f=${f##*/}
        "$cc" "${flags[@]}" "${MC_POSIX[@]}" -Isrc -o "$out/${f%.c}" "bench/native/$f" build/libmemcom.a "${MC_LIBS[@]}"
    done
    flags+=("${MC_KERNELS_NO_AVX2[@]}")
    if [ ! -f "$out/128/.flags" ] || [ "$(cat "$out/128/.flags")" != "$cc ${flags[*]}" ]; then
        echo "$cc ${flags[*]}" > "$out/128/.flags"
    fi
    compile_objects "$out/128" "$cc" "${flags[@]}" -- "${MC_CORE_SRC[@]}" "${MC_KERNEL_SRC[@]}"
    "$cc" "${flags[@]}" "${MC_POSIX[@]}" -Isrc -o "$out/bench-128" bench/native/bench.c "${OBJS[@]}" "${MC_LIBS[@]}"
    echo "built $out/ ($(cd bench/native && echo *.c | sed 's/\.c//g') bench-128)"
}

# The export lists have one owner, web/exports.js (the runtime checks modules against it).
wasm_exports() { # RANKING | WRITER -> emcc's -sEXPORTED_FUNCTIONS list (exits on failure)
    local list
    list=$(node -e "import(require('url').pathToFileURL('web/exports.js')).then((m) => process.stdout.write(JSON.stringify(m.$1_EXPORTS.map((n) => '_' + n))))") &&
        [ "${list#\[\"_}" != "$list" ] || { echo "error: cannot read the $1 export list from web/exports.js" >&2; exit 1; }
    echo "$list"
}

check_wasm_size() { # file: at most MC_WASM_MAX_BYTES
    local size
    size=$(stat -c %s "$1")
    if [ "$size" -gt "$MC_WASM_MAX_BYTES" ]; then
        echo "error: $1 is $size bytes (limit $MC_WASM_MAX_BYTES)" >&2
        exit 1
    fi
    echo "built $1 ($size bytes)"
}

build_wasm_one() { # output extra-flags...
    local out=$1 exports
    shift
    exports=$(wasm_exports RANKING)
    NODE_PATH=/usr/share/nodejs emcc "${MC_CFLAGS[@]}" "$@" "${MC_WASM_FLAGS[@]}" \
        -sEXPORTED_FUNCTIONS="$exports" -o "$out" "${MC_WASM_SRC[@]}" "${MC_KERNEL_SRC[@]}"
    check_wasm_size "$out"
}

# The writer module (buildModel only): the one writer of the format, src/format/writer.c.
build_wasm_writer() {
    local out=dist/memcom-writer.wasm exports
    exports=$(wasm_exports WRITER)
    NODE_PATH=/usr/share/nodejs emcc "${MC_CFLAGS[@]}" "${MC_WASM_FLAGS[@]}" \
        -sEXPORTED_FUNCTIONS="$exports" -o "$out" "${MC_WRITER_WASM_SRC[@]}"
    check_wasm_size "$out"
}

build_wasm() {
    command -v emcc > /dev/null || { echo "error: emcc not found (apt-get install emscripten)" >&2; exit 1; }
    mkdir -p dist build
    build_wasm_one dist/memcom-simd.wasm "${MC_WASM_SIMD[@]}" &
    local simd=$!
    build_wasm_one dist/memcom.wasm
    wait "$simd"
    build_wasm_writer
    chmod a-x dist/*.wasm # emcc marks its output executable: the package installs them as data files (0644)
    node scripts/inline-wasm.js # web/embedded.js, the builds in base64 for 'memcom/inline'
}

case "${1:-all}" in
native) build_native ;;
wasm) build_wasm ;;
bench) build_native; build_bench ;;
all) build_native; build_wasm ;;
*) echo "usage: $0 [native|wasm|bench|all]" >&2; exit 2 ;;
esac
