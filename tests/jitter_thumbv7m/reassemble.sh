#!/usr/bin/env bash
# Every instruction the thumbv7m back end emits must exist on the M
# profile: disassemble its code (thumb_dump: the conformance vectors and
# random programs) with arm-none-eabi-objdump, assemble the text again
# with arm-none-eabi-as -mcpu=cortex-m4 (which refuses what ARMv7E-M
# lacks) and compare the bytes. unicorn alone would not do: it runs
# instructions the M profile does not have. Exit 77 (skip) without the
# cross binutils (scripts/deps.sh installs them).
# Usage: reassemble.sh THUMB_DUMP
set -euo pipefail

dump=$1
for t in arm-none-eabi-objdump arm-none-eabi-as arm-none-eabi-objcopy; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (binutils-arm-none-eabi)"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$dump" "$tmp/code.bin"
arm-none-eabi-objdump -D -b binary -marm -Mforce-thumb "$tmp/code.bin" > "$tmp/code.dis"
# "  addr:\tHEX [HEX] \tmnemonic\toperands[\t@ comment]": a label per
# address, branch targets (absolute in the listing) turned into labels.
awk -F'\t' '
/^ *[0-9a-f]+:\t/ {
	addr = $1; sub(/^ */, "", addr); sub(/:$/, "", addr)
	mn = $3; ops = $4; sub(/[ \t]*@.*$/, "", ops)
	if (mn ~ /^(b|bl|b[a-z][a-z])(\.w|\.n)?$/ && ops ~ /^0x[0-9a-f]+/) {
		sub(/ .*$/, "", ops); sub(/^0x/, "", ops); ops = "L_" ops
	}
	if (mn == "") { print "bad line: " $0 > "/dev/stderr"; exit 1 }
	printf "L_%s:\t%s\t%s\n", addr, mn, ops
}' "$tmp/code.dis" > "$tmp/code.s"
printf '\t.syntax unified\n\t.thumb\n\t.text\n' | cat - "$tmp/code.s" > "$tmp/all.s"
arm-none-eabi-as -mcpu=cortex-m4 -mthumb --fatal-warnings -o "$tmp/all.o" "$tmp/all.s"
arm-none-eabi-objcopy -O binary -j .text "$tmp/all.o" "$tmp/again.bin"
if ! cmp "$tmp/code.bin" "$tmp/again.bin"; then
	off=$(cmp "$tmp/code.bin" "$tmp/again.bin" | awk '{print $5}' | tr -d , || true)
	echo "FAIL: the M-profile assembler gives other bytes near byte $off:"
	grep -n -m3 -E "^ *$(printf '%x' $(((off - 1) & ~1))):" "$tmp/code.dis" || true
	exit 1
fi
echo "PASS: $(grep -c '^L_' "$tmp/code.s") instructions reassembled for cortex-m4, identical"
