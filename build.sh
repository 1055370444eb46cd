#!/usr/bin/env bash
# build.sh - builds the memcom core.
#   ./build.sh            everything (native, then wasm)
#   ./build.sh native     build/libmemcom.a (+ build/memcom CLI if src/cli exists)
#   ./build.sh wasm       dist/memcom-simd.wasm, dist/memcom.wasm and dist/memcom-writer.wasm (each <= 100 KB)
#   SANITIZE=1 ./build.sh native   the same with ASan+UBSan (clang) into build/asan/
set -euo pipefail
cd "$(dirname "$0")"

CORE_SRC=(src/base/*.c src/format/*.c src/table.c src/engine/*.c src/model.c)
WARN=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
# -ffp-contract=off: no fused multiply-add, so every kernel rounds alike
FLOAT=(-ffp-contract=off -fno-math-errno)
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
        out=build/asan cc=${CC:-clang}
        extra=(-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    else
        extra=(-O3)
    fi
    local flags=(-std=c11 "${WARN[@]}" "${FLOAT[@]}" "${extra[@]}" ${CFLAGS:-})
    mkdir -p "$out"
    # rebuild everything when the flags change
    if [ ! -f "$out/.flags" ] || [ "$(cat "$out/.flags")" != "$cc ${flags[*]}" ]; then
        echo "$cc ${flags[*]}" > "$out/.flags"
    fi
    compile_objects "$out" "$cc" "${flags[@]}" -- "${CORE_SRC[@]}" src/kernels/scalar.c
    rm -f "$out/libmemcom.a"
    ar rcs "$out/libmemcom.a" "${OBJS[@]}"
    # the CLI, when its sources exist
    shopt -s nullglob
    local cli=(src/cli/*.c src/train/*.c)
    shopt -u nullglob
    # (only once one of them defines main: the CLI is written in parallel)
    if [ ${#cli[@]} -gt 0 ] && grep -qE '^int main *\(' src/cli/*.c 2>/dev/null; then
        mkdir -p "$out/cli"
        [ "$out/.flags" -nt "$out/cli/.flags" ] && cp "$out/.flags" "$out/cli/.flags"
        compile_objects "$out/cli" "$cc" "${flags[@]}" -D_POSIX_C_SOURCE=200809L -- "${cli[@]}"
        local ldflags=()
        if [ -f src/cli/LDFLAGS ]; then read -r -a ldflags <<< "$(tr "\n" " " < src/cli/LDFLAGS)" || true; fi
        "$cc" "${flags[@]}" -o "$out/memcom" "${OBJS[@]}" "$out/libmemcom.a" -lm -lpthread "${ldflags[@]}"
    fi
    echo "built $out/libmemcom.a$([ -f "$out/memcom" ] && echo " $out/memcom")"
}

# The export lists have one owner, web/exports.js (the runtime checks modules against it).
wasm_exports() { # RANKING | WRITER -> emcc's -sEXPORTED_FUNCTIONS list (exits on failure)
    local list
    list=$(node -e "import(require('url').pathToFileURL('web/exports.js')).then((m) => process.stdout.write(JSON.stringify(m.$1_EXPORTS.map((n) => '_' + n))))") &&
        [ "${list#\[\"_}" != "$list" ] || { echo "error: cannot read the $1 export list from web/exports.js" >&2; exit 1; }
    echo "$list"
}
WASM_FLAGS=(--no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=4GB -sMALLOC=emmalloc -sINITIAL_MEMORY=2MB -sTOTAL_STACK=512KB)

check_wasm_size() { # file: at most 100 KB
    local size
    size=$(stat -c %s "$1")
    if [ "$size" -gt 102400 ]; then
        echo "error: $1 is $size bytes (limit 100 KB)" >&2
        exit 1
    fi
    echo "built $1 ($size bytes)"
}

build_wasm_one() { # output kernels extra-flags...
    local out=$1 kern=$2; shift 2
    local srcs=(src/base/*.c src/format/reader.c src/format/crc_blocks.c src/format/json.c src/table.c src/engine/*.c src/model.c src/wasm/common.c src/wasm/abi.c "$kern")
    local exports
    exports=$(wasm_exports RANKING)
    NODE_PATH=/usr/share/nodejs emcc -std=c11 -O3 "${WARN[@]}" "${FLOAT[@]}" "$@" "${WASM_FLAGS[@]}" \
        -sEXPORTED_FUNCTIONS="$exports" -o "$out" "${srcs[@]}"
    check_wasm_size "$out"
}

# The writer module (buildModel only): the one writer of the format, src/format/writer.c.
build_wasm_writer() {
    local out=dist/memcom-writer.wasm
    local srcs=(src/base/*.c src/format/writer.c src/format/reader.c src/format/crc_blocks.c src/format/json.c src/table.c src/wasm/common.c src/wasm/writer.c)
    local exports
    exports=$(wasm_exports WRITER)
    NODE_PATH=/usr/share/nodejs emcc -std=c11 -O3 "${WARN[@]}" "${FLOAT[@]}" "${WASM_FLAGS[@]}" \
        -sEXPORTED_FUNCTIONS="$exports" -o "$out" "${srcs[@]}"
    check_wasm_size "$out"
}

build_wasm() {
    command -v emcc > /dev/null || { echo "error: emcc not found (apt-get install emscripten)" >&2; exit 1; }
    mkdir -p dist build
    build_wasm_one dist/memcom-simd.wasm src/kernels/wasm_simd128.c -msimd128 &
    local simd=$!
    build_wasm_one dist/memcom.wasm src/kernels/scalar.c
    wait "$simd"
    build_wasm_writer
    chmod a-x dist/*.wasm # emcc marks its output executable: the package installs them as data files (0644)
    node scripts/inline-wasm.js # web/embedded.js, the builds in base64 for 'memcom/inline'
}

case "${1:-all}" in
native) build_native ;;
wasm) build_wasm ;;
all) build_native; build_wasm ;;
*) echo "usage: $0 [native|wasm|all]" >&2; exit 2 ;;
esac
