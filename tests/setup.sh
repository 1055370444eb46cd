#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine with Node 20:
# Debian's emscripten (the wasm builds), chromium and firefox-esr (browser
# tests), clang and its
# sanitizer runtime (sanitizer builds, fuzzers), OpenBLAS (the native trainer),
# Debian's Python with numpy, PyTorch and pytest (the Python package's tests,
# always run with /usr/bin/python3), and the npm dev dependencies. Does
# nothing that is already there. The one list of Debian packages: .ci/run
# installs through this script.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v emcc >/dev/null 2>&1 || need_apt+=(emscripten)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || need_apt+=(firefox-esr)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
[ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/cblas.h ] || \
  dpkg -s libopenblas-dev >/dev/null 2>&1 || need_apt+=(libopenblas-dev)
dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || need_apt+=(libclang-rt-14-dev)
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
for _py in numpy:python3-numpy torch:python3-torch pytest:python3-pytest; do
  /usr/bin/python3 -c "import ${_py%%:*}" >/dev/null 2>&1 || need_apt+=("${_py#*:}")
done

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${need_apt[*]}" >&2
    echo "       run: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/puppeteer-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ -L node_modules ]; then
    # a node_modules shared with another checkout (a git worktree's symlink):
    # npm ci would empty the directory it points to, under the other checkout
    echo "setup: node_modules is a link to $(readlink -f node_modules) and is not what package-lock.json asks for;" >&2
    echo "       run npm ci where it points, or replace the link with a directory of this checkout's own" >&2
    exit 1
  fi
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
