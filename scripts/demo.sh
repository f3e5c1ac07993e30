#!/usr/bin/env bash
# make demo: what bpfvc does today, end to end on this machine.
# It grows with the project: verify -> JIT -> sign -> run on the device.
set -euo pipefail
build=${1:-build}
arm64_build=${2:-build-arm64}   # bpfvc-run cross-built for arm64 (make build-arm64)
bpfvc="$build/cli/bpfvc"
out="$build/demo"
mkdir -p "$out"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Load an ELF object built by clang -target bpf and disassemble it"
"$bpfvc" disasm "$build/tests/progs/xdp_parser.bpf.o" | sed -n 1,40p
echo "   ..."

step "2. Verify it in-process, then every test program as one batch on two workers, as JSON too"
"$bpfvc" verify -w 0 "$build/tests/progs/xdp_parser.bpf.o" -l 2 | tail -n 6
"$bpfvc" verify -w 2 "$build"/tests/progs/{socket_filter,kprobe_counter,subprog_loop,ringbuf_producer,tail_calls}.bpf.o
"$bpfvc" verify --json "$build/tests/progs/socket_filter.bpf.o"

step "3. A program every verifier must refuse: bpfvc and the kernel side by side"
clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c examples/xdp_unchecked.bpf.c \
	-o "$out/xdp_unchecked.bpf.o"
set +e
"$bpfvc" verify "$out/xdp_unchecked.bpf.o"
echo "(bpfvc exit $?: 0 accepted, 1 rejected, 2 bad input)"
if [ "$(id -u)" = 0 ] && command -v bpftool >/dev/null && mount | grep -q ' /sys/fs/bpf '; then
	echo "the kernel says:"
	bpftool prog load "$out/xdp_unchecked.bpf.o" /sys/fs/bpf/bpfvc_demo 2>&1 |
		grep -E 'invalid access|processed' | sed 's/^/    /'
	rm -f /sys/fs/bpf/bpfvc_demo
fi
set -e

step "3b. Past the kernel's limit: a path explosion verified by two local workers"
cc -O2 -o "$out/explode" examples/explode.c
"$out/explode" 18 > "$out/explode18.bin"
if [ "$(id -u)" = 0 ]; then
	"$out/explode" 18 --kernel | grep -E 'kernel:|too large' | sed 's/^/    /' || true
fi
"$bpfvc" verify --type socket_filter "$out/explode18.bin" -w 2 --insn-limit 0 --stats 2>&1 |
	grep -v '^stats:   ' | sed 's/; pruning.*//'

step "4. Compile a checksum function to raw bytecode and run it on the interpreter"
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

step "5. Verify (on two workers), compile and sign for the device; inspect the blob"
rm -f "$out/demo.key" "$out/demo.key.pub"
"$bpfvc" keygen -o "$out/demo.key"
"$bpfvc" build "$build/tests/progs/xdp_parser.bpf.o" --target x86_64 --key "$out/demo.key" \
	-o "$out/xdp_parser.x86_64.bvc" -w 2
"$bpfvc" build "$build/tests/progs/xdp_parser.bpf.o" --target arm64 --key "$out/demo.key" \
	-o "$out/xdp_parser.arm64.bvc"
"$bpfvc" inspect "$out/xdp_parser.x86_64.bvc" --pubkey "$out/demo.key.pub" | sed -n 1,40p
echo "   ..."

step "6. The device: check the signature, create maps, relocate, run native code"
# Ethernet + IPv4 (TCP) and Ethernet + IPv4 (UDP) frames.
eth='0000000000020000000000010800'
printf '%s4500002800004000400600000a0000010a000002%s' "$eth" \
	'04d2005000000000000000005002200000000000' | xxd -r -p > "$out/tcp.pkt"
printf '%s4500001c00004000401100000a0000010a000002%s' "$eth" '04d200350008000000' |
	xxd -r -p > "$out/udp.pkt"
run="$build/runtime/bpfvc-run"
"$run" "$out/xdp_parser.x86_64.bvc" --pubkey "$out/demo.key.pub" --packet "$out/tcp.pkt" \
	--repeat 100000
"$run" "$out/xdp_parser.x86_64.bvc" --pubkey "$out/demo.key.pub" --packet "$out/udp.pkt" \
	--dump-maps
run_arm64="$arm64_build/runtime/bpfvc-run"
if command -v qemu-aarch64 >/dev/null && [ -x "$run_arm64" ]; then
	echo "the arm64 device: bpfvc-run cross-built for arm64, under qemu-aarch64 (its native code, emulated):"
	qemu-aarch64 -L /usr/aarch64-linux-gnu "$run_arm64" "$out/xdp_parser.arm64.bvc" \
		--pubkey "$out/demo.key.pub" --packet "$out/tcp.pkt" --repeat 100000
	qemu-aarch64 -L /usr/aarch64-linux-gnu "$run_arm64" "$out/xdp_parser.arm64.bvc" \
		--pubkey "$out/demo.key.pub" --packet "$out/udp.pkt" --dump-maps
else
	echo "no arm64 device ($run_arm64 or qemu-aarch64 missing: make build-arm64);"
	echo "the arm64 blob on this x86_64 machine (the reference interpreter runs its bytecode):"
	"$run" "$out/xdp_parser.arm64.bvc" --pubkey "$out/demo.key.pub" --packet "$out/tcp.pkt"
fi
echo "tail calls: tc_entry and the programs of its prog_array in one blob; packet byte 0 picks the slot"
"$bpfvc" build "$build/tests/progs/tail_calls.bpf.o" -p tc_entry --target x86_64 \
	--key "$out/demo.key" -o "$out/tail_calls.bvc" -w 2
printf '\x03' >"$out/slot3.pkt"
head -c 63 /dev/zero >>"$out/slot3.pkt"
"$run" "$out/tail_calls.bvc" --pubkey "$out/demo.key.pub" --packet "$out/slot3.pkt" --dump-maps |
	sed -n '1,12p'
echo "(slot 3 tail-calls itself: 33 tail calls, then the kernel's limit stops it)"
echo "a blob with one flipped byte is refused:"
cp "$out/xdp_parser.x86_64.bvc" "$out/tampered.bvc"
printf '\x90' | dd of="$out/tampered.bvc" bs=1 seek=200 conv=notrunc status=none
set +e
"$run" "$out/tampered.bvc" --pubkey "$out/demo.key.pub" --packet "$out/tcp.pkt"
echo "(exit $?)"
set -e

step "6b. A microcontroller: the thumbv7m blob in a Cortex-M4 firmware (qemu-system-arm, mps2-an386)"
if command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-gcc >/dev/null; then
	"$bpfvc" build "$build/tests/progs/xdp_parser.bpf.o" --target thumbv7m --key "$out/demo.key" \
		-o "$out/xdp_parser.thumbv7m.bvc"
	# The firmware holds the raw 32-byte public key (the end of its DER form).
	openssl pkey -pubin -in "$out/demo.key.pub" -outform DER | tail -c 32 >"$out/demo.key.raw"
	src=$(cd "$(dirname "$0")/.." && pwd)
	cmake -S "$src/runtime/baremetal" -B "$out/fw" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/arm-none-eabi.cmake" \
		-DBVC_FW_BLOB="$out/xdp_parser.thumbv7m.bvc" -DBVC_FW_PUBKEY="$out/demo.key.raw" >/dev/null
	cmake --build "$out/fw" >/dev/null
	arm-none-eabi-size "$out/fw/bvc-fw.elf"
	set +e
	timeout 30 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
		-semihosting-config enable=on,target=native -kernel "$out/fw/bvc-fw.elf" 2>&1
	echo "(firmware exit $?: 0 ran, 2 refused)"
	set -e
else
	echo "(skipped: qemu-system-arm or arm-none-eabi-gcc missing: scripts/deps.sh demo)"
fi

step "7. Bad input gets one clear line and exit code 2"
set +e
head -c 100 "$build/tests/progs/xdp_parser.bpf.o" > "$out/truncated.o"
"$bpfvc" disasm "$out/truncated.o"; echo "(exit $?)"
"$bpfvc" disasm /bin/true; echo "(exit $?)"
set -e
echo
echo "demo: done"
