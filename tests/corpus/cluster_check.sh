#!/usr/bin/env bash
# The cluster decides like one process: every program of every compiled
# corpus object and of tests/progs, verified with -w 0 and with -w 1, 2, 4
# and 8 local workers, must get the same verdict (accept, reject or
# unsupported). With the default (finite) insn limit a program is
# explored whole by one worker (docs/design.md section 4, "The budget"),
# so the budget is one process's whatever the worker count.
# Tier 2's big programs that the old rule (the limit held to the sum over
# workers, which splitting inflates) refused with -w 2 while -w 0 accepts
# them, test_verif_scale1/2 and core_kern, are always checked, and for
# them the processed counts must be -w 0's too.
# Then the generated programs (seeds 1..10000) that use no map, written as
# raw bytecode by bvc-gen-raw and verified per program type as one batch.
# Ends with "N passed, M failed" (programs x worker counts).
# Usage: cluster_check.sh BUILD_DIR [WORKER_COUNTS...]   (default: 1 2 4 8)
# Env: BVC_CLUSTER_TIER2=1 also checks tier 2's objects (a long run).
set -uo pipefail
build=$1
shift
counts=("${@:-1 2 4 8}")
[ $# -gt 0 ] || counts=(1 2 4 8)
bpfvc=$build/cli/bpfvc
objs=("$build"/corpus/cache/obj/*.o "$build"/tests/progs/*.bpf.o)
# Tier 2 (the selftests' other programs) on request: it adds ~700 objects,
# too many for make test's budget on 2 cores.
if [ "${BVC_CLUSTER_TIER2:-0}" = 1 ] && [ -d "$build/corpus/cache/obj2" ]; then
	objs+=("$build"/corpus/cache/obj2/*.o)
fi
if [ ! -e "${objs[0]}" ]; then
	echo "cluster_check: no compiled corpus in $build/corpus/cache (run the corpus test first)"
	exit 77
fi

# Program, verdict and unsupported flag of each program, one line each.
verdicts() {
	timeout 120 "$bpfvc" verify "$1" --json "${@:2}" 2>/dev/null |
		sed -e 's/^{"file":"[^"]*","program":"\([^"]*\)","verdict":"\([a-z]*\)","unsupported":\([a-z]*\).*/\1 \2 \3/' |
		sort
}

passed=0 failed=0
# Program, verdict, unsupported flag and processed count, one line each.
counts_of() {
	timeout 120 "$bpfvc" verify "$1" --json "${@:2}" 2>/dev/null |
		sed -e 's/^{"file":"[^"]*","program":"\([^"]*\)","verdict":"\([a-z]*\)","unsupported":\([a-z]*\).*"processed_insns":\([0-9]*\).*/\1 \2 \3 \4/' |
		sort
}
nbig=0
for name in test_verif_scale1 test_verif_scale2 core_kern; do
	o=$build/corpus/cache/obj2/$name.o
	if [ ! -e "$o" ]; then
		# Compiled by prepare.sh with every tier 2 object: missing is
		# a failure, unless tier 2 is not there at all.
		if [ -d "$build/corpus/cache/obj2" ]; then
			echo "MISSING: $o (status: $(cat "${o%.o}.status" 2>/dev/null))"
			failed=$((failed + 1))
		else
			echo "cluster_check: no tier 2 in $build/corpus/cache: $name not checked"
		fi
		continue
	fi
	nbig=$((nbig + 1))
	ref=$(counts_of "$o" -w 0)
	n=$(printf '%s\n' "$ref" | grep -c .)
	for w in "${counts[@]}"; do
		got=$(counts_of "$o" -w "$w")
		if [ -n "$ref" ] && [ "$got" = "$ref" ]; then
			passed=$((passed + n))
		else
			failed=$((failed + 1))
			echo "DIFFERENT with -w $w (verdict or processed count): $o"
			diff <(printf '%s\n' "$ref") <(printf '%s\n' "$got") | head -5
		fi
	done
done
for o in "${objs[@]}"; do
	ref=$(verdicts "$o" -w 0)
	n=$(printf '%s\n' "$ref" | grep -c .)
	for w in "${counts[@]}"; do
		got=$(verdicts "$o" -w "$w")
		if [ "$got" = "$ref" ]; then
			passed=$((passed + n))
		else
			failed=$((failed + 1))
			echo "DIFFERENT with -w $w: $o"
			diff <(printf '%s\n' "$ref") <(printf '%s\n' "$got") | head -5
		fi
	done
done
# File, verdict and unsupported flag of each raw program of a batch.
raw_verdicts() {
	timeout 600 "$bpfvc" verify --type "$1" --json "${@:2}" 2>/dev/null |
		sed -e 's/^{"file":"\([^"]*\)","program":"[^"]*","verdict":"\([a-z]*\)","unsupported":\([a-z]*\).*/\1 \2 \3/' |
		sort
}

gen=$build/corpus/gen-raw
rm -rf "$gen"
"$build"/tests/corpus/bvc-gen-raw 1:10001 "$gen" || exit 2
ngen=0
for tdir in "$gen"/*/; do
	type=$(basename "$tdir")
	files=("$tdir"*.bin)
	ref=$(raw_verdicts "$type" "${files[@]}" -w 0)
	n=$(printf '%s\n' "$ref" | grep -c .)
	if [ "$n" -ne "${#files[@]}" ]; then
		echo "DIFFERENT: -w 0 gave $n verdicts for ${#files[@]} $type programs"
		failed=$((failed + 1))
	fi
	ngen=$((ngen + n))
	for w in "${counts[@]}"; do
		got=$(raw_verdicts "$type" "${files[@]}" -w "$w")
		if [ "$got" = "$ref" ]; then
			passed=$((passed + n))
		else
			failed=$((failed + 1))
			echo "DIFFERENT with -w $w: generated $type programs"
			diff <(printf '%s\n' "$ref") <(printf '%s\n' "$got") | head -5
		fi
	done
done
echo "cluster_check: ${#objs[@]} objects, $nbig big tier-2 objects (with counts) and $ngen generated programs, -w ${counts[*]} against -w 0"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
