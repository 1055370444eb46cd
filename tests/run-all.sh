#!/usr/bin/env bash
# The whole test suite (`npm test`): builds everything from source, then runs
# the C tests (plain and under ASan+UBSan), the trainer and CLI tests, the
# Python package's tests (tests/python), the Node tests (every table kind x
# storage type x SIMD/non-SIMD against a plain-JS reference, format corruption,
# API errors), the real-browser tests (Chromium via playwright-core, Firefox
# via puppeteer-core over WebDriver BiDi) and the
# packaging tests (npm pack -> Vite, esbuild and Rollup apps, a CDN layout on
# another origin, Node bundles, require(), TypeScript without the DOM lib).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh

step() { printf '\n==== %s ====\n' "$*"; }

step "build (native + wasm)"
bash build.sh

# The committed .wasm files (what `npm run demo` and the npm package use) must
# be exactly what the sources build (emscripten's output is deterministic).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git diff --quiet HEAD -- dist/ web/embedded.js; then
  if [ "${CI:-}" = true ]; then
    echo "error: dist/*.wasm or web/embedded.js differ from a build of the sources: rebuild and commit them" >&2
    exit 1
  fi
  echo "note: dist/*.wasm or web/embedded.js changed by this build: commit them with the sources"
fi

step "C tests"
bash tests/c/run.sh

step "C tests under AddressSanitizer + UndefinedBehaviorSanitizer"
bash tests/c/run.sh --sanitize

step "trainer and CLI tests (gradient checks, metrics, data readers, training, kill -9)"
bash tests/cli/run.sh

step "Python package (memcom, memcom.torch against the C library, a Python-written file in the npm package)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python

if [ -x tests/fuzz/run.sh ]; then
  step "fuzzers (bounded)"
  bash tests/fuzz/run.sh --seconds "${MEMCOM_FUZZ_SECONDS:-30}"
fi

step "Node, browser and packaging tests"
node --test tests/node/ tests/browser/ tests/consumer/
