#!/usr/bin/env bash
# signer/ed25519_verify.c is for devices without libc: it must build with
# arm-none-eabi-gcc -ffreestanding for a Cortex-M4 with -Werror, and need
# nothing but what GCC requires of every freestanding environment
# (memcpy, memmove, memset, memcmp). Prints its flash size. Exit 77 (skip)
# without the cross compiler (scripts/deps.sh installs it).
# Usage: freestanding.sh SOURCE_DIR
set -euo pipefail
src=$1
command -v arm-none-eabi-gcc >/dev/null || { echo "SKIP: arm-none-eabi-gcc not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
arm-none-eabi-gcc -std=c11 -mcpu=cortex-m4 -mthumb -Os -ffreestanding -nostdlib \
	-Wall -Wextra -Werror -I"$src/include" -c "$src/signer/ed25519_verify.c" -o "$tmp/ed.o"
bad=$(arm-none-eabi-nm -u "$tmp/ed.o" | awk '{print $2}' | grep -vxE 'memcpy|memmove|memset|memcmp' || true)
if [ -n "$bad" ]; then
	echo "FAIL: ed25519_verify.c needs $bad"
	exit 1
fi
echo "PASS: freestanding for cortex-m4: $(arm-none-eabi-size "$tmp/ed.o" | awk 'NR == 2 {print $1 " bytes of text, " $2 " data, " $3 " bss"}')"
