#!/usr/bin/env bash
# The kernel-parity corpus by hand: installs what it needs (scripts/deps.sh
# corpus), builds bvc-corpus and our test programs in BUILD, then runs
# tests/corpus/run.sh, which prints the report's path and "N passed, M failed".
#
# Usage: scripts/corpus.sh [--build DIR] [--long A:B] [-j N] [bvc-corpus options]
#   scripts/corpus.sh                     what `make test` runs (ctest -L corpus)
#   scripts/corpus.sh --long 1000:50000   a long generator run, no baseline
#   scripts/corpus.sh --filter verifier_and/ -v     a few programs, verbosely
# See tests/corpus/README.md.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build
jobs=2
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
"$repo/scripts/deps.sh" corpus
[ -f "$build/CMakeCache.txt" ] || cmake -S "$repo" -B "$build" >/dev/null
cmake --build "$build" --target bvc-corpus bvc_progs -j"$jobs" >/dev/null
exec "$repo/tests/corpus/run.sh" --build "$build" ${args[@]+"${args[@]}"}
