#!/usr/bin/env bash
# The kernel-parity corpus end to end: prepare the corpus (cached in the build
# tree), then run bvc-corpus over the kernel's verifier selftests, our
# tests/progs objects and the generator's fixed seed range, against the
# checked-in baseline (bvc-corpus's line "N passed, M failed"), then the
# path-explosion families (bvc-families, one more table in the report).
#
# Usage: tests/corpus/run.sh [--build DIR] [--harness BIN] [--long A:B] [bvc-corpus options]
#   --build DIR    the CMake build tree (default: build/ of this checkout)
#   --harness BIN  bvc-corpus (default: DIR/tests/corpus/bvc-corpus)
#   --long A:B     a long generator run instead: seeds A..B-1 only, no
#                  baseline (only unsound fails), report in DIR/corpus/long/
# Env:
#   BVC_CORPUS_GEN_SEEDS=A:B         the fixed seed range (default 1:2001)
#   BVC_CORPUS_UPDATE_BASELINE=1     drop baseline entries that agree now
#   BVC_CORPUS_GROW_BASELINE=1       ... and add new disagreements (explicit)
#   BVC_CORPUS_LOGCMP=1              compare our level-2 log with the
#                                    kernel's (tier 1; off in make test)
#   BVC_CORPUS_TIER2=0               leave tier 2 (the selftests' other
#                                    programs) out
#   BVC_CORPUS_KCACHE=0              ask the kernel again for every label
#                                    (default: BUILD/corpus/cache/klabels)
#   BVC_CORPUS_REQUIRED=1            fail, not skip, when clang-19 or the
#                                    kernel source package is missing
#   and prepare.sh's BVC_KSRC_TARBALL, BVC_CLANG, BVC_CORPUS_JOBS.
# Exit: 0 passed, 1 failed (either part), 2 error, or 77 = skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build
harness=
long=
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--harness) harness=$2; shift 2 ;;
	--long) long=$2; shift 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
build=$(cd "$build" && pwd)
harness=${harness:-$build/tests/corpus/bvc-corpus}
if [ ! -x "$harness" ]; then
	echo "corpus: $harness is not built (cmake --build $build --target bvc-corpus)" >&2
	exit 2
fi

if [ -n "$long" ]; then
	exec "$harness" --gen-seeds "$long" --no-baseline --out "$build/corpus/long" ${args[@]+"${args[@]}"}
fi

out=$build/corpus
mkdir -p "$out"
t0=$(date +%s.%N)
rc=0
"$here/prepare.sh" "$out" || rc=$?
if [ $rc -eq 77 ]; then
	if [ "${BVC_CORPUS_REQUIRED:-0}" = 1 ]; then
		echo "corpus: dependencies missing and BVC_CORPUS_REQUIRED=1" >&2
		exit 1
	fi
	echo "corpus: skipped (dependencies missing)"
	exit 77
fi
[ $rc -eq 0 ] || exit 2
t1=$(date +%s.%N)

opts=(--objdir "$out/cache/obj" --out "$out" --baseline "$here/baseline.txt"
	--gen-seeds "${BVC_CORPUS_GEN_SEEDS:-1:2001}"
	--compile-secs "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')")
[ -d "$build/tests/progs" ] && opts+=(--progs-dir "$build/tests/progs")
[ "${BVC_CORPUS_TIER2:-1}" = 0 ] || opts+=(--objdir2 "$out/cache/obj2")
# The level-2 log comparison loads every tier-1 program into the kernel a
# second time: on demand (BVC_CORPUS_LOGCMP=1), out of make test's time.
[ "${BVC_CORPUS_LOGCMP:-0}" = 1 ] || opts+=(--no-log-compare)
[ "${BVC_CORPUS_KCACHE:-1}" = 0 ] || opts+=(--kernel-cache "$out/cache/klabels")
[ "${BVC_CORPUS_UPDATE_BASELINE:-0}" = 1 ] && opts+=(--update-baseline)
[ "${BVC_CORPUS_GROW_BASELINE:-0}" = 1 ] && opts+=(--update-baseline --grow-baseline)
rc=0
"$harness" "${opts[@]}" ${args[@]+"${args[@]}"} || rc=$?
[ $rc -eq 2 ] && exit 2
# The path-explosion families, as one more table of the report.
frc=0
"$build/tests/corpus/bvc-families" "$out/report.md" || frc=$?
[ $frc -eq 2 ] && exit 2
[ $rc -eq 0 ] && [ $frc -eq 0 ] || exit 1
exit 0
