#!/bin/sh
# SPDX-License-Identifier: MIT
# Check that the running kernel's verifier accepts every program of the given
# objects, loading them the way users do: bpftool prog loadall (libbpf).
# Usage: kernel_accepts.sh OBJ...   Exit 0 all accepted, 1 one refused,
# 77 (skipped) when this machine cannot load BPF (not root, no bpftool, no
# bpffs).
set -u
command -v bpftool >/dev/null 2>&1 || { echo "skip: no bpftool"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: not root"; exit 77; }
[ -d /sys/fs/bpf ] || { echo "skip: no /sys/fs/bpf"; exit 77; }
fail=0
for obj in "$@"; do
	pin=/sys/fs/bpf/bvc-progs-$$-$(basename "$obj" .bpf.o)
	if out=$(bpftool prog loadall "$obj" "$pin" 2>&1); then
		echo "accepted: $obj"
	else
		echo "REFUSED: $obj"
		printf '%s\n' "$out" | tail -20
		fail=1
	fi
	rm -rf "$pin"
done
exit $fail
