#!/usr/bin/env bash
# Builds the WebAssembly module web/lrp.wasm from wasm/, assembles the SIMD
# matrix kernel web/kernels.wasm from wasm/kernels/kernels.wat (wat2wasm, of
# Debian's package wabt), copies the Go toolchain's wasm_exec.js beside them
# (it must come from the Go that built lrp.wasm), copies the built-in model
# to web/models/ when it exists, and prints the module's size raw and
# gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wat2wasm >/dev/null; then
  echo "scripts/build.sh: wat2wasm not found: it assembles wasm/kernels/kernels.wat; install the package wabt (apt-get install wabt)" >&2
  exit 1
fi
wat2wasm wasm/kernels/kernels.wat -o web/kernels.wasm

# Stamp the git revision into the version string when there is one.
vcs=-buildvcs=false
if git rev-parse --git-dir >/dev/null 2>&1; then vcs=-buildvcs=true; fi
GOOS=js GOARCH=wasm go build "$vcs" -trimpath -ldflags="-s -w" -o web/lrp.wasm ./wasm

root=$(go env GOROOT)
exec_js="$root/lib/wasm/wasm_exec.js"
[ -f "$exec_js" ] || exec_js="$root/misc/wasm/wasm_exec.js"
cp "$exec_js" web/wasm_exec.js

if [ -f model/mnist.safetensors ]; then
  mkdir -p web/models
  cp model/mnist.safetensors web/models/mnist.safetensors
fi

# The files of the app besides its page (index.html) and the built-in
# model: the one list of them. The service worker caches these (it reads
# the list from version.js), and their hash is its cache version.
files=(app.js session.js offline.js catalogue.js chart.js compare.js controls.js diagnostics.js dom.js evaluation.js export.js files.js model.js pad.js png.js rules.js view.js
  pool.js worker.js style.css lrp.js runtime.js args.js packed.js lrp.wasm kernels.wasm wasm_exec.js manifest.webmanifest icon.svg)
build=$(cd web && cat index.html "${files[@]}" sw.js $(ls models/*.safetensors 2>/dev/null) | sha256sum | cut -c1-16)
{
  printf "// Written by scripts/build.sh: the build's content hash (the service worker's cache version)\n"
  printf "// and the files the service worker caches besides index.html and the built-in model.\n"
  printf "self.LRP_BUILD = '%s';\n" "$build"
  printf "self.LRP_FILES = [%s];\n" "$(printf "'%s', " "${files[@]}" | sed 's/, $//')"
} > web/version.js

raw=$(wc -c < web/lrp.wasm)
gz=$(gzip -9 -c web/lrp.wasm | wc -c)
printf 'web/lrp.wasm: %d bytes, %d gzipped (-9), %s; web/kernels.wasm: %d bytes\n' "$raw" "$gz" "$(go version | cut -d' ' -f3)" "$(wc -c < web/kernels.wasm)"
