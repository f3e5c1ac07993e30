#!/usr/bin/env bash
# Tail calls end to end: tests/progs/tail_calls.bpf.o built by bpfvc for
# x86_64 and arm64 and run by bpfvc-run natively, on the interpreter
# (--interp, and the arm64 blob on this x86_64 device), natively on arm64
# under qemu-aarch64 (when the cross-built runtime is there), and by the
# running kernel (bpftool prog loadall + prog run, BPF_PROG_TEST_RUN; when
# bpf() is permitted). For each packet key, r0 and the `counts` map after
# one run must be the table in tail_calls.bpf.c: the kernel is the oracle
# for the numbers (33 tail calls at most per run).
# Usage: test_tail_calls.sh BPFVC BPFVC_RUN OBJ ARM64_BUILD
# Exit 0 pass, 1 fail.
set -uo pipefail
bpfvc=$1 run=$2 obj=$3 a64_build=${4:-}
tmp=$(mktemp -d)
pin=/sys/fs/bpf/bvc_tail_$$ # bpffs names take no dots
trap 'rm -rf "$tmp" "$pin" "${pin}_maps"' EXIT
fail=0 checks=0
bad() { echo "FAIL: $*"; fail=1; }

# key -> "r0 counts[0..4]"
declare -A want=(
	[0]="3000 1 0 1 1 0"
	[1]="1001 1 1 0 0 0"
	[2]="3000 1 0 0 1 0"
	[3]="4000 1 0 0 0 33"
	[7]="1007 1 1 0 0 0"
)
keys="0 1 2 3 7"

"$bpfvc" keygen -o "$tmp/k" >/dev/null || { echo "FAIL: keygen"; exit 1; }
for t in x86_64 arm64; do
	"$bpfvc" build "$obj" -p tc_entry --target "$t" --key "$tmp/k" -o "$tmp/$t.bvc" \
		>"$tmp/build.$t" 2>&1 || { cat "$tmp/build.$t"; echo "FAIL: bpfvc build --target $t"; exit 1; }
done
for k in $keys; do
	printf "\\x$(printf %02x "$k")" >"$tmp/pkt$k"
	head -c 63 /dev/zero >>"$tmp/pkt$k"
done

# bpfvc-run's output -> "r0 counts[0..4]"
summary() {
	python3 -c '
import sys
r0, c, inc = "", [0] * 8, False
for line in sys.stdin:
    if line.startswith("r0 = "):
        r0 = line.split()[2]
    elif line.startswith("map "):
        inc = line.startswith("map counts:")
    elif inc and " -> " in line:
        k, v = line.split(" -> ")
        c[int.from_bytes(bytes.fromhex(k.replace(" ", "")), "little")] = \
            int.from_bytes(bytes.fromhex(v.replace(" ", "")), "little")
print(r0, *c[:5])'
}

check_mode() { # NAME MODE-LINE RUNNER...
	local name=$1 mode=$2 k got
	shift 2
	for k in $keys; do
		"$@" --pubkey "$tmp/k.pub" --packet "$tmp/pkt$k" --dump-maps >"$tmp/out" 2>&1 ||
			{ bad "$name key $k: exit $?: $(head -3 "$tmp/out")"; continue; }
		grep -q "^load: .*($mode)" "$tmp/out" || bad "$name key $k: not run on $mode: $(head -1 "$tmp/out")"
		got=$(summary <"$tmp/out")
		[ "$got" = "${want[$k]}" ] || bad "$name key $k: got '$got', want '${want[$k]}'"
		checks=$((checks + 1))
	done
	grep -q '^  \[0\] = tc_chain_a$' "$tmp/out" && grep -q '^  \[2\] = tc_chain_b$' "$tmp/out" &&
		grep -q '^  \[3\] = tc_self$' "$tmp/out" || bad "$name: --dump-maps slots: $(grep -A4 jmp_table "$tmp/out")"
}

check_mode "x86_64 native" native "$run" "$tmp/x86_64.bvc"
check_mode "x86_64 interpreter" interpreter "$run" "$tmp/x86_64.bvc" --interp
check_mode "arm64 blob, interpreter" interpreter "$run" "$tmp/arm64.bvc"

run_a64="$a64_build/runtime/bpfvc-run"
if [ -n "$a64_build" ] && [ -x "$run_a64" ] && command -v qemu-aarch64 >/dev/null; then
	check_mode "arm64 native (qemu-aarch64)" native qemu-aarch64 -L /usr/aarch64-linux-gnu "$run_a64" "$tmp/arm64.bvc"
else
	echo "note: no cross-built $run_a64 or qemu-aarch64: arm64 native not run"
fi

# The kernel: the same object through libbpf (bpftool), one fresh load per key.
if [ "$(id -u)" = 0 ] && command -v bpftool >/dev/null && [ -d /sys/fs/bpf ] &&
	bpftool prog loadall "$obj" "$pin" pinmaps "${pin}_maps" >/dev/null 2>&1; then
	for k in $keys; do
		rm -rf "$pin" "${pin}_maps"
		bpftool prog loadall "$obj" "$pin" pinmaps "${pin}_maps" >/dev/null 2>&1 ||
			{ bad "kernel: loadall failed"; break; }
		r0=$(bpftool prog run pinned "$pin/tc_entry" data_in "$tmp/pkt$k" repeat 1 2>&1 |
			sed -n 's/^Return value: \([0-9]*\).*/\1/p')
		c=$(bpftool map dump pinned "${pin}_maps/counts" |
			python3 -c 'import json,sys; d={e["key"]:e["value"] for e in json.load(sys.stdin)}; print(" ".join(str(d[i]) for i in range(5)))')
		[ "$r0 $c" = "${want[$k]}" ] || bad "kernel key $k: got '$r0 $c', want '${want[$k]}'"
		checks=$((checks + 1))
	done
else
	echo "note: bpf() not permitted here (or no bpftool): the kernel oracle was not run"
fi

[ $fail = 0 ] && echo "PASS: $checks runs of tail_calls agree with the table (and the kernel)"
exit $fail
