#!/usr/bin/env bash
# make demo: what bpfvc does today, end to end on this machine.
# It grows with the project: verify -> JIT -> sign -> run on the device.
set -euo pipefail
build=${1:-build}
bpfvc="$build/cli/bpfvc"
out="$build/demo"
mkdir -p "$out"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Load an ELF object built by clang -target bpf and disassemble it"
"$bpfvc" disasm "$build/tests/progs/xdp_parser.bpf.o" | head -40
echo "   ..."

step "2. Verify it (static passes today; path exploration is the next issue)"
set +e
"$bpfvc" verify "$build/tests/progs/xdp_parser.bpf.o"
echo "(exit $?: 0 accepted, 1 rejected or unsupported, 2 bad input)"
set -e

step "3. Compile a checksum function to raw bytecode and run it on the interpreter"
clang -O2 -target bpf -c examples/inet_csum.c -o "$out/inet_csum.o"
llvm-objcopy -O binary -j .text "$out/inet_csum.o" "$out/inet_csum.bin"
"$bpfvc" disasm --type socket_filter "$out/inet_csum.bin" | tail -n +2
# An IPv4 header with a correct checksum (0xb861), then the same with one bit flipped.
printf '45000073000040004011b861c0a80001c0a800c7' | xxd -r -p > "$out/ip_ok.bin"
printf '45000073000040004011b861c0a80001c0a800c6' | xxd -r -p > "$out/ip_bad.bin"
good=$("$bpfvc" run --type socket_filter "$out/inet_csum.bin" --mem "$out/ip_ok.bin")
bad=$("$bpfvc" run --type socket_filter "$out/inet_csum.bin" --mem "$out/ip_bad.bin")
echo "valid header:   $good"
echo "damaged header: $bad"
[ "$good" = "r0 = 0 (0)" ] && [ "$bad" != "$good" ] || { echo "demo: unexpected checksum results" >&2; exit 1; }

step "4. Bad input gets one clear line and exit code 2"
set +e
head -c 100 "$build/tests/progs/xdp_parser.bpf.o" > "$out/truncated.o"
"$bpfvc" disasm "$out/truncated.o"; echo "(exit $?)"
"$bpfvc" disasm /bin/true; echo "(exit $?)"
set -e
echo
echo "demo: done"
