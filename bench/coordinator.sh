#!/usr/bin/env bash
# The coordinator's own CPU as the cluster grows: one path-explosion
# program (stack family, k = K) and a batch of small generated programs,
# verified with 2, 16 and 64 local workers (oversubscribed on a small
# machine: that is the point, the coordinator must not be what limits).
# Reads the "stats: coordinator:" lines of bpfvc verify --stats: the CPU
# (user+sys, every thread of the process that hosts the coordinator) of
# the workers' start-up (fork + exec, handshakes) apart from the batch,
# items leased, messages to and from workers. Each row is the median run
# (by the batch's share of one core) of REPS runs (default 3).
# Usage: bench/coordinator.sh BUILD [K] [WORKERS...]; writes
# BUILD/bench/coordinator.md. Figures only: nothing here is asserted.
set -uo pipefail
build=${1:-build}
k=${2:-16}
shift 2 2>/dev/null || shift $#
workers=("$@")
[ $# -eq 0 ] && workers=(2 16 64)
reps=${REPS:-3}
out=$build/bench
mkdir -p "$out"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
BPFVC=$build/cli/bpfvc
DRV=$out/bvc-bench
cc -O2 -Wall -std=gnu11 -o "$DRV" bench/bvc-bench.c bench/families.c \
	$(pkg-config --cflags --libs libbpf) || exit 2
"$DRV" gen stack "$k" "$W/explode.bin" || exit 2
for i in $(seq 1 64); do "$DRV" gen loop $((i * 10)) "$W/small-$i.bin" || exit 2; done

# one WORKERS FILES... -> "startup_cpu startup_s batch_cpu batch_s pct whole_pct items us_item msgs us_msg"
one() {
	local w=$1
	shift
	"$BPFVC" verify -w "$w" --insn-limit 0 --type socket_filter --stats "$@" 2>&1 >/dev/null |
		awk '
		/^stats: coordinator: cpu / {
			# "cpu 0.123 s (4.5 % of one core), 1234 items (99.7 us each), 5678 bytes"
			whole = $6; sub(/^\(/, "", whole); items = $11
		}
		/^stats: coordinator: before the cluster/ {
			# "... start-up of N workers cpu A s in B s; batch cpu C s in D s (E % of one core), F us per item, G messages (H us each)"
			for (i = 1; i <= NF; i++) {
				if ($i == "start-up") { su = $(i + 5); sw = $(i + 8) }
				if ($i == "batch") { bc = $(i + 2); bw = $(i + 5); pct = $(i + 7); sub(/^\(/, "", pct) }
				if ($i == "per" && $(i + 1) == "item,") ui = $(i - 2)
				if ($i == "messages") { msgs = $(i - 1); um = $(i + 1); sub(/^\(/, "", um) }
			}
		}
		END { if (bc != "") print su, sw, bc, bw, pct, whole, items, ui, msgs, um }'
}

# row NAME WORKERS FILES... -> a table row, the median of $reps runs
row() {
	local name=$1 w=$2 r line
	shift 2
	for r in $(seq 1 "$reps"); do one "$w" "$@"; done | sort -g -k5 |
		awk -v n="$name" -v w="$w" -v reps="$reps" '
		{ l[NR] = $0 }
		END {
			if (NR < reps) { printf "| %s | %s | failed (%d of %d runs) | | | | | | | | |\n", n, w, NR, reps; exit }
			split(l[int((NR + 1) / 2)], f, " ")
			printf "| %s | %s | %s (%s s) | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				n, w, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]
		}'
}

{
	echo "# Coordinator CPU against the number of workers"
	echo
	echo "$(nproc) cores; \`bench/coordinator.sh $build $k ${workers[*]}\`, $(date -u +%F), load average $(cut -d' ' -f1-3 /proc/loadavg) before."
	echo "CPU is the coordinator process's user+sys time (every thread, ZeroMQ's"
	echo "I/O thread included). Start-up: spawning the workers and their"
	echo "handshakes (CPU s, and wall s in brackets). Batch: from the first job to"
	echo "the last verdict; % is its CPU over its wall time; whole % is the whole"
	echo "run's CPU over the whole run's wall time. Median of $reps runs by batch %."
	echo
	echo "| program | workers | start-up cpu s (wall) | batch cpu s | batch wall s | batch % of one core | whole run % | items | us per item | messages | us per message |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	for w in "${workers[@]}"; do
		row "stack k=$k" "$w" "$W/explode.bin"
		row "64 loop programs" "$w" "$W"/small-*.bin
	done
} | tee "$out/coordinator.md"
