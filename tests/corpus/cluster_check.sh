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
# The checks run as jobs, as many at once as there are CPUs (each one is
# mostly process start-up and waiting on sockets).
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
jobs=$(nproc 2>/dev/null || echo 2)
res=$(mktemp -d /tmp/bvc-cluster-check-XXXXXX) || exit 2
trap 'rm -rf "$res"' EXIT

# Program, verdict and unsupported flag of each program, one line each.
verdicts() {
	timeout 120 "$bpfvc" verify "$1" --json "${@:2}" 2>/dev/null |
		sed -e 's/^{"file":"[^"]*","program":"\([^"]*\)","verdict":"\([a-z]*\)","unsupported":\([a-z]*\).*/\1 \2 \3/' |
		sort
}
# The same with the processed count.
counts_of() {
	timeout 120 "$bpfvc" verify "$1" --json "${@:2}" 2>/dev/null |
		sed -e 's/^{"file":"[^"]*","program":"\([^"]*\)","verdict":"\([a-z]*\)","unsupported":\([a-z]*\).*"processed_insns":\([0-9]*\).*/\1 \2 \3 \4/' |
		sort
}
# Per file: the verdicts of a type directory of raw programs.
raw_verdicts() {
	timeout 600 "$bpfvc" verify --type "$1" --json "${@:2}" 2>/dev/null |
		sed -e 's/^{"file":"\([^"]*\)","program":"[^"]*","verdict":"\([a-z]*\)","unsupported":\([a-z]*\).*/\1 \2 \3/' |
		sort
}

# One job: -w 0's answer (by FN on ARGS...) against every worker count.
# Prints "programs N", "passed N", "failed N" and the differences.
# Usage: compare WHAT NEED FN ARGS...; NEED: how many programs -w 0 must
# answer for: "any", "some" (at least one), or a number.
compare() {
	local what=$1 want=$2 fn=$3 ref got n w passed=0 failed=0
	shift 3
	ref=$("$fn" "$@" -w 0)
	n=$(printf '%s\n' "$ref" | grep -c .)
	if { [ "$want" = some ] && [ -z "$ref" ]; } ||
		{ [ "$want" != some ] && [ "$want" != any ] && [ "$n" -ne "$want" ]; }; then
		echo "DIFFERENT: -w 0 gave $n verdicts for $want $what programs"
		failed=$((failed + 1))
	fi
	echo "programs $n"
	for w in "${counts[@]}"; do
		got=$("$fn" "$@" -w "$w")
		if [ "$got" = "$ref" ]; then
			passed=$((passed + n))
		else
			failed=$((failed + 1))
			echo "DIFFERENT with -w $w: $what"
			diff <(printf '%s\n' "$ref") <(printf '%s\n' "$got") | head -5
		fi
	done
	echo "passed $passed"
	echo "failed $failed"
}

# Start a job, waiting while $jobs are running; its output goes to a file.
njob=0
spawn() {
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	njob=$((njob + 1))
	"$@" >"$res/$njob.out" 2>&1 &
}

# Tier 2's big programs: the processed counts too.
nbig=0 missing=0
for name in test_verif_scale1 test_verif_scale2 core_kern; do
	o=$build/corpus/cache/obj2/$name.o
	if [ ! -e "$o" ]; then
		if [ -d "$build/corpus/cache/obj2" ]; then
			echo "MISSING: $o (status: $(cat "${o%.o}.status" 2>/dev/null))"
			missing=$((missing + 1))
		else
			echo "cluster_check: no tier 2 in $build/corpus/cache: $name not checked"
		fi
		continue
	fi
	nbig=$((nbig + 1))
	spawn compare "$o (verdict or processed count)" some counts_of "$o"
done
for o in "${objs[@]}"; do
	spawn compare "$o" any verdicts "$o"
done

# The generated programs that use no map, one job per program type.
gen=$build/corpus/gen-raw
rm -rf "$gen"
"$build"/tests/corpus/bvc-gen-raw 1:10001 "$gen" || exit 2
gen_jobs=()
for tdir in "$gen"/*/; do
	type=$(basename "$tdir")
	files=("$tdir"*.bin)
	spawn compare "generated $type" "${#files[@]}" raw_verdicts "$type" "${files[@]}"
	gen_jobs+=("$njob")
done
wait

passed=0 failed=$missing ngen=0
for ((k = 1; k <= njob; k++)); do
	f=$res/$k.out
	grep -v '^\(programs\|passed\|failed\) ' "$f"
	passed=$((passed + $(awk '$1 == "passed" { s += $2 } END { print s + 0 }' "$f")))
	failed=$((failed + $(awk '$1 == "failed" { s += $2 } END { print s + 0 }' "$f")))
	# a job that died before its tally
	grep -q '^failed ' "$f" || { echo "cluster_check: job $k did not finish"; failed=$((failed + 1)); }
done
for k in "${gen_jobs[@]}"; do
	ngen=$((ngen + $(awk '$1 == "programs" { print $2 }' "$res/$k.out")))
done
echo "cluster_check: ${#objs[@]} objects, $nbig big tier-2 objects (with counts) and $ngen generated programs, -w ${counts[*]} against -w 0 ($jobs at once)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
