#!/usr/bin/env bash
# bpfvc's start-up loads only what every command needs (issue 16): libzmq
# (with its 12 dependencies) is opened by the first ZeroMQ call, libcrypto
# by the first OpenSSL call, capstone by `bpfvc inspect`, so none is a
# NEEDED entry of bpfvc; `verify -w 0` loads none of them, while
# `verify -w 1` loads libzmq and `keygen` libcrypto (the loader's own
# account, LD_DEBUG=files: the check is not blind), and they still work.
# A zmq or OpenSSL function that coordinator/, worker/ or signer/ starts
# to use without a forwarder in cli/zmq_lazy.c or cli/crypto_lazy.c
# brings the library back as NEEDED: this fails then.
# Usage: startup_libs.sh BPFVC   Exit 0 pass, 1 fail, 77 skipped (no readelf).
set -uo pipefail
bpfvc=$1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
command -v readelf >/dev/null || { echo "startup_libs: no readelf"; exit 77; }

needed=$(readelf -d "$bpfvc" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || bad "no NEEDED entries read from $bpfvc"
for lib in libzmq libcapstone libcrypto; do
	if grep -q "^$lib" <<<"$needed"; then
		bad "$bpfvc needs $lib at start-up"
	fi
done

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
# r0 = 0; exit
printf '\xb7\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' >"$tmp/tiny.bin"
for w in 0 1; do
	LD_DEBUG=files LD_DEBUG_OUTPUT="$tmp/ld$w" timeout 60 "$bpfvc" verify "$tmp/tiny.bin" \
		--type socket_filter -w "$w" >"$tmp/out$w" 2>"$tmp/err$w"
	st=$?
	[ "$st" -eq 0 ] || bad "-w $w: exit $st: $(cat "$tmp/out$w" "$tmp/err$w")"
	grep -q ': prog: accepted (processed 2 insns)' "$tmp/out$w" ||
		bad "-w $w: $(cat "$tmp/out$w")"
	# LD_DEBUG_OUTPUT is a prefix: one file per process (the workers too).
	cat "$tmp/ld$w".* >"$tmp/ld$w" 2>/dev/null
done
grep -q 'file=libzmq' "$tmp/ld0" && bad "verify -w 0 loaded libzmq"
grep -q 'file=libzmq' "$tmp/ld1" || bad "verify -w 1 did not load libzmq (is the check blind?)"
grep -q 'file=libcapstone' "$tmp/ld0" "$tmp/ld1" && bad "verify loaded capstone"
grep -q 'file=libcrypto' "$tmp/ld0" "$tmp/ld1" && bad "verify loaded libcrypto"
LD_DEBUG=files LD_DEBUG_OUTPUT="$tmp/ldk" timeout 60 "$bpfvc" keygen -o "$tmp/key" >"$tmp/outk" 2>&1 ||
	bad "keygen: $(cat "$tmp/outk")"
[ -s "$tmp/key" ] && [ -s "$tmp/key.pub" ] || bad "keygen wrote no key pair"
cat "$tmp/ldk".* >"$tmp/ldk" 2>/dev/null
grep -q 'file=libcrypto' "$tmp/ldk" || bad "keygen did not load libcrypto (is the check blind?)"
[ "$fail" -eq 0 ] && echo "startup_libs: bpfvc loads libzmq, libcrypto and capstone only when used"
exit "$fail"
