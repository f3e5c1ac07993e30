#!/usr/bin/env bash
# Coverage-guided fuzzing (issue #19): builds the libFuzzer harnesses of
# tests/fuzz/ with clang in build-fuzz and runs each for FUZZ_SECONDS
# (default 120) from its corpus in tests/fuzz/corpus/<harness>/, then prints
# executions, coverage and findings per harness. New inputs go to
# build-fuzz/fuzz-work/<harness>/, never into the repository; crashes,
# leaks, timeouts and out-of-memory inputs to build-fuzz/findings/<harness>/.
# Exit 1 if any harness found something.
#
# Usage: scripts/fuzz.sh [HARNESS...]         (default: all)
#        scripts/fuzz.sh --seed               write the seeds (fuzz_mkseeds) into
#                                             tests/fuzz/corpus/ (ELF seeds from build/)
#        scripts/fuzz.sh --merge [HARNESS...] minimize tests/fuzz/corpus/<h> with
#                                             what the last runs found (libFuzzer -merge=1)
# Environment: FUZZ_SECONDS (120), FUZZ_BUILD (build-fuzz), FUZZ_ARGS (more
# libFuzzer flags, e.g. -jobs=2 or -runs=N).
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-120}
bdir=${FUZZ_BUILD:-build-fuzz}
corpus=tests/fuzz/corpus
all=(wire blob blob_signed elf verify run jit_x86 jit_arm64)

mode=run
case "${1:-}" in
--seed) mode=seed; shift ;;
--merge) mode=merge; shift ;;
esac
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${all[@]}")

scripts/deps.sh fuzz || exit 2
CC=clang cmake -S . -B "$bdir" -DBVC_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
cmake --build "$bdir" -j"$(nproc)" >/dev/null || exit 2

# Seed directories a harness reads besides its own corpus: the bytecode
# harnesses share their seeds, the signed-blob mode starts from the blobs.
extra_seeds() {
	case "$1" in
	run | jit_x86 | jit_arm64) echo "$corpus/verify" ;;
	blob_signed) echo "$corpus/blob" ;;
	esac
}

if [ "$mode" = seed ]; then
	"$bdir/tests/fuzz/fuzz_mkseeds" "$corpus" build/tests/progs/*.o || exit 2
	mkdir -p "$corpus/elf"
	# Not *.o in the repository: .gitignore leaves those out.
	for o in build/tests/progs/*.o; do
		[ -f "$o" ] && cp "$o" "$corpus/elf/$(basename "$o" .o).bpf-obj"
	done
	exit 0
fi

if [ "$mode" = merge ]; then
	for h in "${harnesses[@]}"; do
		mkdir -p "$corpus/$h" "$bdir/fuzz-work/$h"
		tmp=$(mktemp -d)
		# Only the harness's own inputs: the seed directories it also
		# reads (extra_seeds) are kept where they are.
		nice -n 19 "$bdir/tests/fuzz/fuzz_$h" -merge=1 "$tmp" "$corpus/$h" \
			"$bdir/fuzz-work/$h" >"$bdir/merge-$h.log" 2>&1 || {
			echo "merge $h failed: $bdir/merge-$h.log"; rm -rf "$tmp"; exit 2; }
		rm -rf "${corpus:?}/$h"
		mv "$tmp" "$corpus/$h"
		chmod 755 "$corpus/$h"
		echo "$h: $(ls "$corpus/$h" | wc -l) inputs, $(du -sk "$corpus/$h" | cut -f1) KiB"
	done
	exit 0
fi

found=0
printf '%-12s %12s %9s %7s %8s %7s %9s\n' harness execs execs/s cov features corpus findings
for h in "${harnesses[@]}"; do
	work="$bdir/fuzz-work/$h"
	fdir="$bdir/findings/$h"
	log="$bdir/fuzz-$h.log"
	mkdir -p "$work" "$fdir" "$corpus/$h"
	# shellcheck disable=SC2046,SC2086
	nice -n 19 "$bdir/tests/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=20 \
		-rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$fdir/" ${FUZZ_ARGS:-} "$work" "$corpus/$h" \
		$(extra_seeds "$h") >"$log" 2>&1
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
	rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	ncorp=$(ls "$work" | wc -l)
	# slow-unit-*: an input over 10 s, reported by libFuzzer but not a
	# finding (the load of the machine decides it); listed, not counted.
	nfind=$(find "$fdir" -type f ! -name 'slow-unit-*' | wc -l)
	nslow=$(find "$fdir" -type f -name 'slow-unit-*' | wc -l)
	printf '%-12s %12s %9s %7s %8s %7s %9s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
		"${ft:-?}" "$ncorp" "$nfind"
	if [ "$nfind" -gt 0 ]; then
		found=1
		find "$fdir" -type f ! -name 'slow-unit-*' | sed 's/^/    finding: /'
		grep -m3 -E 'FUZZ FINDING|ERROR: |runtime error' "$log" | sed 's/^/    /'
	fi
	[ "$nslow" -gt 0 ] && echo "    $nslow inputs over 10 s (slow-unit-*, not findings) in $fdir"
done
[ "$found" -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: findings above (logs: $bdir/fuzz-*.log)"
exit "$found"
