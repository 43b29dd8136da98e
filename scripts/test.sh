#!/usr/bin/env bash
# Runs every test the project has: Go vet and unit tests (with the fuzz
# seeds), short fuzzing runs of every decoder, the wasm build, the SIMD
# kernels' Go tests in wasm, the Node tests of the wasm API and the browser
# tests of the web app. Installs the npm packages the tests need. Exits
# non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10s}
step() { printf '\n=== %s\n' "$*"; }

step "gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt would change:"; echo "$bad"; exit 1; fi

step "go vet"
go vet ./...

step "go test"
go test -count=1 ./...

step "fuzz (${FUZZTIME} each)"
# fuzz runs one target. Go 1.26's fuzzing coordinator can fail a run with a
# bare "context deadline exceeded" as -fuzztime expires while a worker is
# busy (golang/go#75804, fixed in Go 1.27): no input is at fault and none
# is written. Such a run, and only such a run, is retried once; any other
# failure, and a second one, fails the step.
fuzz() {
  local out
  if out=$(go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME}" 2>&1); then
    printf '%s\n' "$out" | tail -n 3
    return 0
  fi
  printf '%s\n' "$out"
  if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
    echo "--- $2: the coordinator's deadline race (golang/go#75804), no failing input: once more"
    go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME}"
    return
  fi
  return 1
}
for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' --include='*_test.go' -r . | sed 's/func //' | sort -u); do
  pkg=$(grep -rl --include='*_test.go' "^func ${target}(" . | head -1 | xargs dirname)
  echo "--- ${target} in ${pkg}"
  fuzz "${pkg}" "${target}"
done

if [ -f wasm/main.go ]; then
  step "wasm build"
  scripts/build.sh

  step "SIMD kernels against Go's, in wasm under Node"
  GOOS=js GOARCH=wasm go test -count=1 -exec "$PWD/scripts/go_js_wasm_exec" -run 'SIMD' ./lrp/ ./heatmap/ ./preprocess/
fi

if [ -d tests ] && ls tests/*.test.mjs >/dev/null 2>&1; then
  step "node and browser tests"
  if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then npm ci --no-audit --no-fund; fi
  node --test --test-concurrency=1 tests/
fi
