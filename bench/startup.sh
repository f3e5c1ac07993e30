#!/usr/bin/env bash
# Start-up cost of bpfvc on a tiny program (issue 16: under 5 ms of CPU
# before the first instruction), side by side with the kernel loading the
# same program, in the same run: CPU of the whole process (perf stat
# task-clock, mean of REPS runs: exec, dynamic loading, reading, verifying,
# exit) of `bpfvc verify -w 0` and of `bvc-bench kernel` (a process that
# loads the program with libbpf's bpf_prog_load, as root), the kernel's own
# BPF_PROG_LOAD wall time (median), and /bin/true for the floor of a
# process. Each extra BPFVC binary given (an older build, say) gets its
# own row, for a before/after on the same machine at the same time.
# Usage: bench/startup.sh BUILD [REPS] [OTHER_BPFVC...]; writes
# BUILD/bench/startup.md. Figures only: ratios, nothing asserted.
set -uo pipefail
build=${1:-build}
reps=${2:-200}
shift 2 2>/dev/null || shift $#
others=("$@")
out=$build/bench
mkdir -p "$out"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
command -v perf >/dev/null || { echo "startup.sh: needs perf (linux-perf)"; exit 2; }
DRV=$out/bvc-bench
cc -O2 -Wall -std=gnu11 -o "$DRV" bench/bvc-bench.c bench/families.c \
	$(pkg-config --cflags --libs libbpf) || exit 2
# 10 straight-line insns and an exit: 11 processed.
"$DRV" gen straight 10 "$W/tiny.bin" || exit 2

# cpu_ms CMD...: mean task-clock of REPS runs, in ms.
cpu_ms() {
	perf stat -x, -e task-clock -r "$reps" "$@" 2>&1 >/dev/null |
		awk -F, '$3 == "task-clock" || $3 ~ /^task-clock/ { printf "%.2f", $1; exit }'
}

floor=$(cpu_ms /bin/true)
ours=$(cpu_ms "$build/cli/bpfvc" verify "$W/tiny.bin" --type socket_filter -w 0)
kproc=$(cpu_ms "$DRV" kernel "$W/tiny.bin" --raw 1 --reps 1)
kload=$("$DRV" kernel "$W/tiny.bin" --raw 1 --reps 50 | sed -n 's/.*wall_us_med=\([0-9.]*\).*/\1/p')
{
	echo "# Start-up: a tiny program (11 insns), $(date -u +%F), $(uname -r), $(nproc) CPUs"
	echo
	echo "| what | CPU (ms, mean of $reps processes) | vs bpfvc -w 0 |"
	echo "|---|---|---|"
	echo "| \`bpfvc verify -w 0\` ($build) | $ours | 1.00 |"
	for b in "${others[@]}"; do
		o=$(cpu_ms "$b" verify "$W/tiny.bin" --type socket_filter -w 0)
		echo "| \`bpfvc verify -w 0\` ($b) | $o | $(awk -v a="$o" -v b="$ours" 'BEGIN { printf "%.2f", a / b }') |"
	done
	echo "| \`bvc-bench kernel\` (a process loading it into the kernel, libbpf) | $kproc | $(awk -v a="$kproc" -v b="$ours" 'BEGIN { printf "%.2f", a / b }') |"
	echo "| /bin/true (the floor of a process) | $floor | $(awk -v a="$floor" -v b="$ours" 'BEGIN { printf "%.2f", a / b }') |"
	echo
	echo "The kernel's BPF_PROG_LOAD of the same program: ${kload:-?} µs wall (median of 50), in a process already running."
} | tee "$out/startup.md"
