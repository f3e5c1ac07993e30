#!/usr/bin/env bash
# tests/firmware: the bare-metal thumbv7m device under emulation (issue #20).
# Builds xdp_parser for thumbv7m with a fresh key, links it and the raw
# public key into the mps2-an386 firmware (runtime/baremetal/, cross-built
# with cmake/arm-none-eabi.cmake), boots it in qemu-system-arm and checks:
#   - it exits 0 and prints, per packet, the trace lines and r0 and, after the runs, the map
#     contents that the host's interpreter gives (fw_ref) on the same packets;
#   - the same firmware with one byte of the blob changed (in the header, the
#     section table, the code, the maps, the meta, the signed padding, the key
#     id, the signature) refuses it: exit status 2 and "bvc-fw: refused:";
#   - a blob signed by another key is refused;
#   - with xdp_parser, kprobe_counter (next to it), which calls
#     bpf_get_current_pid_tgid, is refused: the device does not offer it.
# With MODE "sweep" (ctest firmware_sweep, ~3 minutes: one emulated Ed25519
# check per byte) only this, exhaustively: the firmware loads every blob that
# differs from the linked-in one in one byte and must refuse each.
# Skips (77) without qemu-system-arm or arm-none-eabi-gcc (scripts/deps.sh corpus).
# Usage: test_firmware.sh BPFVC FW_REF PROG.o SRCDIR WORKDIR [sweep]
set -euo pipefail
bpfvc=$1 fw_ref=$2 prog=$3 src=$4 work=$5 mode=${6:-}

for t in qemu-system-arm arm-none-eabi-gcc arm-none-eabi-objcopy openssl; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing (scripts/deps.sh corpus)"; exit 77; }
done

rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$bpfvc" keygen -o key >/dev/null
"$bpfvc" keygen -o other >/dev/null
"$bpfvc" build "$prog" --target thumbv7m --key key -o prog.bvc
"$bpfvc" build "$prog" --target thumbv7m --key other -o other.bvc
# The raw 32-byte key: the last 32 bytes of the SubjectPublicKeyInfo DER.
openssl pkey -pubin -in key.pub -outform DER | tail -c 32 >key.raw
[ "$(stat -c %s key.raw)" = 32 ]

# link DIR BLOB: the firmware with BLOB and key.raw linked in, DIR/bvc-fw.elf.
link() {
	cmake -S "$src/runtime/baremetal" -B "$1" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/arm-none-eabi.cmake" \
		-DBVC_FW_BLOB="$work/$2" -DBVC_FW_PUBKEY="$work/key.raw" >>fw.log 2>&1 &&
		cmake --build "$1" >>fw.log 2>&1 || { cat fw.log; exit 1; }
}
link fw prog.bvc
arm-none-eabi-size fw/bvc-fw.elf

# boot ELF OUT: run the firmware, its semihosting output into OUT; the
# firmware's exit status is the result. A hung core is killed (124).
boot() {
	local rc=0 elf=$1 out=$2
	shift 2
	timeout "${BOOT_TIMEOUT:-30}" qemu-system-arm -M mps2-an386 -nographic -monitor none \
		-serial none -semihosting-config enable=on,target=native -kernel "$elf" "$@" \
		>"$out" 2>&1 || rc=$?
	return $rc
}

if [ "$mode" = sweep ]; then
	size=$(stat -c %s prog.bvc)
	rc=0
	BOOT_TIMEOUT=900 boot fw/bvc-fw.elf sweep.out -append sweep || rc=$?
	grep -v '^run \|^map ' sweep.out
	if [ $rc != 0 ] || ! grep -qx "bvc-fw: sweep: $size of $size single-byte changes refused" sweep.out; then
		echo "FAIL: sweep: exit $rc, not every single-byte change of the $size-byte blob refused"
		exit 1
	fi
	echo PASS
	exit 0
fi

rc=0
boot fw/bvc-fw.elf good.out || rc=$?
cat good.out
[ $rc = 0 ] || { echo "FAIL: the firmware exited $rc on the good blob"; exit 1; }
grep -q '^bvc-fw: done' good.out || { echo "FAIL: no 'bvc-fw: done'"; exit 1; }

"$fw_ref" prog.bvc key.pub >ref.out
# run and trace lines in order, then the map's elements sorted (the two
# hash tables iterate differently).
{ grep -E '^(run |trace: )' good.out; grep -E '^map ' good.out | sort; } >fw.sorted
{ grep -E '^(run |trace: )' ref.out; grep -E '^map ' ref.out | sort; } >ref.sorted
[ "$(grep -c '^run ' ref.sorted)" -ge 9 ] || { echo "FAIL: the reference ran too few packets"; exit 1; }
[ "$(grep -c '^map ' ref.sorted)" -ge 3 ] || { echo "FAIL: the reference map is nearly empty"; exit 1; }
if ! diff -u ref.sorted fw.sorted; then
	echo "FAIL: the firmware's results differ from the interpreter's (- interpreter, + firmware)"
	exit 1
fi
echo "ok: $(grep -c '^run ' fw.sorted) runs, $(grep -c '^trace: ' fw.sorted) trace lines and $(grep -c '^map ' fw.sorted) map elements equal the interpreter's"

# refused BLOB.bvc WHAT: the firmware with BLOB swapped in must refuse it.
refused() {
	local rc=0
	arm-none-eabi-objcopy --update-section .blob="$1" fw/bvc-fw.elf bad.elf
	boot bad.elf bad.out || rc=$?
	if [ $rc != 2 ] || ! grep -q '^bvc-fw: refused: ' bad.out; then
		echo "FAIL: $2: exit $rc, expected 2 (refused)"
		cat bad.out
		exit 1
	fi
	echo "ok: $2: $(grep '^bvc-fw: refused' bad.out)"
}

size=$(stat -c %s prog.bvc)
sig=$((size - 80))
code_off=$(od -An -tu4 -j$((32 + 4)) -N4 --endian=little prog.bvc | tr -d ' ')
# Offsets: header fields, the first table entry, code, the middle of the
# blob, the last signed byte, the key id, the signature's first and last byte.
for off in 0 12 20 36 $((code_off + 5)) $((size / 2)) $((sig - 1)) $((sig + 8)) $((sig + 16)) $((size - 1)); do
	cp prog.bvc flip.bvc
	b=$(od -An -tu1 -j"$off" -N1 flip.bvc | tr -d ' ')
	printf "$(printf '\\%03o' $(((b ^ 0x01) & 0xff)))" |
		dd of=flip.bvc bs=1 seek="$off" conv=notrunc status=none
	cmp -s prog.bvc flip.bvc && { echo "FAIL: byte $off did not change"; exit 1; }
	refused flip.bvc "byte $off flipped"
done
# Another key's blob: the same program, so the same size (a signature is
# 64 bytes whoever signs): swapped in like the changed ones.
[ "$(stat -c %s other.bvc)" = "$size" ] || { echo "FAIL: other.bvc is not $size bytes"; exit 1; }
arm-none-eabi-objcopy --update-section .blob=other.bvc fw/bvc-fw.elf other.elf
rc=0
boot other.elf other.out || rc=$?
if [ $rc != 2 ] || ! grep -q '^bvc-fw: refused: signed by key' other.out; then
	echo "FAIL: another key's blob: exit $rc"
	cat other.out
	exit 1
fi
echo "ok: another key's blob: $(grep '^bvc-fw: refused' other.out)"

# Once (with xdp_parser): a program that calls a helper the device lacks.
if [ "$(basename "$prog")" != xdp_parser.bpf.o ]; then
	echo PASS
	exit 0
fi
"$bpfvc" build "$(dirname "$prog")/kprobe_counter.bpf.o" --target thumbv7m --key key -o kprobe.bvc
link fw-kprobe kprobe.bvc
rc=0
boot fw-kprobe/bvc-fw.elf kprobe.out || rc=$?
if [ $rc != 2 ] || ! grep -q '^bvc-fw: refused: blob needs helper #14 ' kprobe.out; then
	echo "FAIL: kprobe_counter (bpf_get_current_pid_tgid): exit $rc, expected 2 (refused)"
	cat kprobe.out
	exit 1
fi
echo "ok: a helper the device lacks: $(grep '^bvc-fw: refused' kprobe.out)"
echo "PASS"
