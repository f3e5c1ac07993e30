#!/usr/bin/env bash
# Runs every test suite of the normal build, then the unit suites of the
# sanitizer build, and ends with one line "N passed, M failed" (suites).
# Usage: scripts/run-tests.sh BUILD_DIR ASAN_BUILD_DIR
set -uo pipefail
build=${1:-build}
asan=${2:-build-asan}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
# Tests labelled long (exhaustive sweeps, minutes each) are left out:
# ctest --test-dir BUILD -L long runs them.
echo "== test suites ($build), without those labelled long"
ctest --test-dir "$build" -LE long --output-on-failure 2>&1 | tee -a "$log" || status=1
echo "== unit suites under AddressSanitizer + UndefinedBehaviorSanitizer ($asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --test-dir "$asan" -L unit --output-on-failure 2>&1 | tee -a "$log" || status=1

# ctest prints "N% tests passed, F tests failed out of T" per run.
# "96% tests passed, 1 tests failed out of 26": the failed count is the
# 6th field from the end.
read -r passed failed < <(awk '/tests passed, [0-9]+ tests? failed out of/ {
	t += $NF; f += $(NF-5) } END { print t - f, f + 0 }' "$log")
echo "${passed:-0} passed, ${failed:-0} failed"
[ "$status" -eq 0 ] && [ "${failed:-0}" -eq 0 ]
