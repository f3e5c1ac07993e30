#!/usr/bin/env bash
# The device holds no code that can sign (issue 14): bpfvc-run, for x86_64
# and (when build-arm64 holds one) for arm64, must contain none of the blob
# writer's, signing or key-generation symbols. Ours are named; OpenSSL's
# are the imports only those paths use.
# Usage: nm_device.sh BPFVC BPFVC_RUN ARM64_BUILD
# BPFVC (the CLI, which must hold every one of them) shows the check can
# see the symbols at all. Exit 0 pass, 1 fail, 77 skipped (no nm).
set -uo pipefail
bpfvc=$1 run_x86=$2 a64_build=$3
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# Whole names, matched after nm's "@VERSION" suffix is cut.
forbidden=(
	bvc_blob_write bvc_signer_keygen bvc_signer_sign         # signer/blob_write.c, ed25519_sign.c
	EVP_PKEY_Q_keygen EVP_PKEY_keygen EVP_PKEY_keygen_init EVP_PKEY_generate
	EVP_DigestSign EVP_DigestSignInit EVP_DigestSignInit_ex EVP_PKEY_sign
	PEM_write_PrivateKey PEM_write_bio_PrivateKey PEM_write_PUBKEY
)
# What the device must have: without these the binary has no symbols to
# judge (stripped) or is not the device.
required=(bvc_blob_read bvc_signer_verify bvc_signer_load_public)
# The CLI keys, signs and writes, and so must show these three.
cli_has=(bvc_blob_write bvc_signer_keygen bvc_signer_sign)

# syms NM FILE: every symbol name, defined or imported, without @VERSION.
syms() { "$1" "$2" | awk '{ print $NF }' | sed 's/@.*//' | sort -u; }

# check NM FILE LABEL
check() {
	local nm=$1 file=$2 label=$3 all s n=0
	all=$(syms "$nm" "$file") || { bad "$label: $nm $file failed"; return; }
	for s in "${required[@]}"; do
		grep -qx "$s" <<<"$all" || bad "$label: $file has no $s (stripped, or not the device?)"
	done
	for s in "${forbidden[@]}"; do
		if grep -qx "$s" <<<"$all"; then
			bad "$label: $file contains $s"
			n=$((n + 1))
		fi
	done
	[ "$n" -eq 0 ] && echo "ok: $label bpfvc-run: none of ${#forbidden[@]} writer/signing/keygen symbols"
}

command -v nm >/dev/null || { echo "SKIP: nm missing (binutils)"; exit 77; }

# The check itself: the CLI must show what bpfvc-run must not.
all=$(syms nm "$bpfvc")
for s in "${cli_has[@]}"; do
	grep -qx "$s" <<<"$all" || bad "self-check: $bpfvc has no $s, so this test could not see it either"
done

check nm "$run_x86" x86_64

a64="$a64_build/runtime/bpfvc-run"
if [ ! -f "$a64" ]; then
	echo "note: no $a64 (make build-arm64): arm64 not checked"
elif ! command -v aarch64-linux-gnu-nm >/dev/null; then
	echo "note: aarch64-linux-gnu-nm missing (scripts/deps.sh arm64): arm64 not checked"
else
	check aarch64-linux-gnu-nm "$a64" arm64
fi

[ "$fail" -eq 0 ] && echo "PASS" || echo "FAILED"
exit "$fail"
