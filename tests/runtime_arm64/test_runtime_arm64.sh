#!/usr/bin/env bash
# The arm64 device under qemu-aarch64 against the x86_64 device, natively.
# Usage: test_runtime_arm64.sh BPFVC BPFVC_RUN_X86 XDP_PARSER.o ARM64_BUILD SOURCE_DIR
# Exit 0 pass, 1 fail, 77 skipped (no qemu-aarch64 or cross toolchain).
set -uo pipefail
bpfvc=$1 run_x86=$2 obj=$3 a64_build=$4 src=$5
sysroot=/usr/aarch64-linux-gnu
skip() { echo "SKIP: $*"; exit 77; }

command -v qemu-aarch64 >/dev/null || skip "qemu-aarch64 missing (scripts/deps.sh arm64)"
run_a64="$a64_build/runtime/bpfvc-run"
# Build (or refresh) the cross tree when the toolchain is there.
if command -v aarch64-linux-gnu-gcc >/dev/null &&
	[ -f /usr/lib/aarch64-linux-gnu/pkgconfig/libcrypto.pc ]; then
	if [ ! -f "$a64_build/CMakeCache.txt" ]; then
		cmake -S "$src" -B "$a64_build" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
			-DBVC_RUNTIME_ONLY=ON >/dev/null || { echo "FAIL: configuring $a64_build"; exit 1; }
	fi
	cmake --build "$a64_build" -j"$(nproc)" >/dev/null || { echo "FAIL: building $a64_build"; exit 1; }
fi
[ -x "$run_a64" ] || skip "no cross-built $run_a64 (scripts/deps.sh arm64)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

rm -f "$tmp/k" "$tmp/k.pub"
"$bpfvc" keygen -o "$tmp/k" >/dev/null || { echo "FAIL: keygen"; exit 1; }
for t in arm64 x86_64; do
	"$bpfvc" build "$obj" --target "$t" --key "$tmp/k" -o "$tmp/x.$t.bvc" >/dev/null ||
		{ echo "FAIL: bpfvc build --target $t"; exit 1; }
done
a64() { qemu-aarch64 -L "$sysroot" "$run_a64" "$@"; }

# The packets of tests/runtime/test_e2e.c: Ethernet with PROTO, then (for
# IPv4) a header of IHL words with protocol L4, then TCP data offset ARG or
# UDP length ARG; LEN bytes, the rest 0xee.
mkpkt() { # FILE PROTO IHL L4 ARG LEN
	local f=$1 proto=$2 ihl=$3 l4=$4 arg=$5 len=$6 i o hex=""
	local -a b
	for ((i = 0; i < 96; i++)); do b[i]=238; done
	b[12]=$((proto >> 8)); b[13]=$((proto & 255))
	if [ "$proto" = $((0x0800)) ]; then
		o=$((14 + ihl * 4))
		b[14]=$((0x40 | ihl)); b[23]=$l4
		[ "$l4" = 6 ] && b[o + 12]=$(((arg << 4) & 255))
		[ "$l4" = 17 ] && { b[o + 4]=$((arg >> 8)); b[o + 5]=$((arg & 255)); }
	fi
	for ((i = 0; i < len; i++)); do hex+=$(printf '%02x' "${b[i]}"); done
	printf '%s' "$hex" | xxd -r -p > "$f"
}

# name proto ihl l4 arg len copies | r0 and the counted key (the model's).
cases=(
	"ipv4_tcp          0x0800 5 6  5  54 3  2 6"
	"ipv4_tcp_options  0x0800 6 6  5  58 1  2 6"
	"ipv4_udp          0x0800 5 17 12 46 2  2 17"
	"ipv4_icmp         0x0800 5 1  0  42 2  2 1"
	"ipv6              0x86dd 0 0  0  54 2  2 256"
	"arp               0x0806 0 0  0  42 1  2 256"
	"runt              0x0800 5 6  5  10 1  1 -"
	"ipv4_truncated    0x0800 5 6  5  24 1  1 -"
	"ipv4_tcp_trunc    0x0800 5 6  5  44 1  1 257"
	"ipv4_ihl4         0x0800 4 6  5  54 1  1 257"
	"ipv4_tcp_doff4    0x0800 5 6  4  54 1  1 257"
	"ipv4_udp_len4     0x0800 5 17 4  46 1  1 257"
)
le() { printf '%02x %02x %02x %02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
n=0
for c in "${cases[@]}"; do
	read -r name proto ihl l4 arg len copies want_r0 want_key <<<"$c"
	mkpkt "$tmp/$name.pkt" $((proto)) "$ihl" "$l4" "$arg" "$len"
	args=(--pubkey "$tmp/k.pub" --packet "$tmp/$name.pkt" --repeat "$copies" --dump-maps)
	"$run_x86" "$tmp/x.x86_64.bvc" "${args[@]}" >"$tmp/x86.out" 2>&1 || bad "$name: x86_64 run exit $?"
	a64 "$tmp/x.arm64.bvc" "${args[@]}" >"$tmp/a64.out" 2>&1 || bad "$name: arm64 run exit $?"
	grep -q '^load: .*(native)' "$tmp/a64.out" || bad "$name: arm64 blob not run natively: $(head -1 "$tmp/a64.out")"
	grep -q '^load: .*(native)' "$tmp/x86.out" || bad "$name: x86_64 blob not run natively"
	# Everything but the timings must be the same on both devices.
	if ! diff <(grep -v -e '^load:' -e '^run:' "$tmp/x86.out") \
		<(grep -v -e '^load:' -e '^run:' "$tmp/a64.out") >"$tmp/diff"; then
		bad "$name: arm64 differs from x86_64:"; cat "$tmp/diff"
	fi
	grep -q "^r0 = $want_r0 " "$tmp/a64.out" || bad "$name: $(grep '^r0' "$tmp/a64.out"), expected $want_r0"
	if [ "$want_key" = - ]; then
		grep -q '^  0 entries' "$tmp/a64.out" || bad "$name: map not empty: $(grep -- '->' "$tmp/a64.out")"
	else
		entry="  $(le "$want_key") -> $(le "$copies") 00 00 00 00"
		grep -qx -- "$entry" "$tmp/a64.out" && grep -q '^  1 entry$' "$tmp/a64.out" ||
			bad "$name: expected map entry '$entry', got: $(grep -- '->' "$tmp/a64.out")"
	fi
	n=$((n + 1))
done

# The device refuses what it must: a flipped byte, another key.
cp "$tmp/x.arm64.bvc" "$tmp/tampered.bvc"
printf '\x90' | dd of="$tmp/tampered.bvc" bs=1 seek=200 conv=notrunc status=none
a64 "$tmp/tampered.bvc" --pubkey "$tmp/k.pub" >"$tmp/t.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q 'signature' "$tmp/t.out" || bad "tampered blob: exit $rc, $(cat "$tmp/t.out")"
rm -f "$tmp/k2" "$tmp/k2.pub"
"$bpfvc" keygen -o "$tmp/k2" >/dev/null
a64 "$tmp/x.arm64.bvc" --pubkey "$tmp/k2.pub" >"$tmp/t.out" 2>&1
rc=$?
[ $rc = 2 ] || bad "blob under another key: exit $rc, $(cat "$tmp/t.out")"
# The x86_64 blob on the arm64 device falls back to the interpreter, same r0.
a64 "$tmp/x.x86_64.bvc" --pubkey "$tmp/k.pub" --packet "$tmp/ipv4_udp.pkt" >"$tmp/t.out" 2>&1 || bad "x86_64 blob on arm64: exit $?"
grep -q '^load: .*(interpreter)' "$tmp/t.out" && grep -q '^r0 = 2 ' "$tmp/t.out" ||
	bad "x86_64 blob on arm64: $(cat "$tmp/t.out")"

[ $fail = 0 ] && echo "PASS: $n packets, arm64 (qemu-aarch64) = x86_64 native; refusals and fallback ok"
exit $fail
