#!/usr/bin/env bash
# The coordinator's own CPU as the cluster grows: one path-explosion
# program (stack family, k = K) and a batch of small generated programs,
# verified with 2, 16 and 64 local workers (oversubscribed on a small
# machine: that is the point, the coordinator must not be what limits).
# Reads the "stats: coordinator:" line of bpfvc verify --stats (user+sys
# CPU of the process that hosts the coordinator, items leased, bytes).
# Usage: bench/coordinator.sh BUILD [K] [WORKERS...]; writes
# BUILD/bench/coordinator.md. Figures only: nothing here is asserted.
set -uo pipefail
build=${1:-build}
k=${2:-16}
shift 2 2>/dev/null || shift $#
workers=("${@:-2 16 64}")
[ $# -eq 0 ] && workers=(2 16 64)
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

# row NAME WORKERS FILES... -> a table row from the stats line
row() {
	local name=$1 w=$2 s
	shift 2
	s=$("$BPFVC" verify -w "$w" --insn-limit 0 --type socket_filter --stats "$@" 2>&1 >/dev/null |
		sed -n 's/^stats: coordinator: //p')
	# "cpu 0.123 s (4.5 % of one core), 1234 items (99.7 us each), 5678 bytes"
	sed -E 's/^cpu ([0-9.]+) s \(([0-9.]+) % of one core\), ([0-9]+) items \(([0-9.]+) us each\).*/\1 \2 \3 \4/' <<<"$s" |
		awk -v n="$name" -v w="$w" 'NF == 4 { printf "| %s | %s | %s | %s | %s | %s |\n", n, w, $1, $2, $3, $4; ok = 1 }
			END { if (!ok) printf "| %s | %s | failed | | | |\n", n, w }'
}

{
	echo "# Coordinator CPU against the number of workers"
	echo
	echo "$(nproc) cores; \`bench/coordinator.sh $build $k ${workers[*]}\`, $(date -u +%F)."
	echo "CPU is the coordinator process's user+sys time; % is of one core over"
	echo "the run's wall time; per item: CPU divided by work items leased."
	echo
	echo "| program | workers | coordinator cpu s | % of one core | items | us per item |"
	echo "|---|---|---|---|---|---|"
	for w in "${workers[@]}"; do
		row "stack k=$k" "$w" "$W/explode.bin"
		row "64 loop programs" "$w" "$W"/small-*.bin
	done
} | tee "$out/coordinator.md"
