#!/usr/bin/env bash
# Builds the wasm engine and serves the web app on http://127.0.0.1:$PORT/
# (default 8080). Everything runs in the browser; the server only hands out
# static files, so any static host serves web/ the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec go run ./cmd/lrp serve -dir web -port "${PORT:-8080}"
