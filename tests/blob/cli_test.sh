#!/usr/bin/env bash
# bpfvc keygen / inspect / build from the outside: exit codes and the lines
# users and scripts rely on. Usage: cli_test.sh BPFVC MKBLOB PROGS_DIR
set -u

bpfvc=$1 mkblob=$2 progs=$3
tmp=$(mktemp -d /tmp/bvc-blob-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../common/cli_checks.sh"

# --- keygen ---------------------------------------------------------------
run 0 "$bpfvc" keygen -o "$tmp/k"
has out "^wrote $tmp/k \(private key\) and $tmp/k.pub \(public key\), key id [0-9a-f]{16}$"
id=$(sed -E 's/.*key id ([0-9a-f]{16})$/\1/' "$tmp/out")
[ "$(stat -c %a "$tmp/k")" = 600 ] || fail "private key mode $(stat -c %a "$tmp/k")"
[ "$(stat -c %a "$tmp/k.pub")" = 644 ] || fail "public key mode $(stat -c %a "$tmp/k.pub")"
run 2 "$bpfvc" keygen -o "$tmp/k"
has err "already exists, not overwriting a key"
run 2 "$bpfvc" keygen
has err "keygen: expected -o KEY"
run 0 "$bpfvc" keygen -o "$tmp/other"

# --- inspect a blob written by mkblob --------------------------------------
run 0 "$mkblob" "$tmp/k" x86_64 "$tmp/x.bvc"
run 0 "$mkblob" "$tmp/k" arm64 "$tmp/a.bvc"
[ "$(stat -c %s "$tmp/x.bvc")" = 936 ] || fail "sample blob is $(stat -c %s "$tmp/x.bvc") bytes"

run 0 "$bpfvc" inspect "$tmp/x.bvc"
has out "^$tmp/x.bvc: 936 bytes$"
has out "^header: bpfvc blob format 2, target x86_64 \(1\), flags 0$"
has out "^sections \(7\):$"
has out "^  0  code +0x90 +50$"
has out "^  1  relocs +0xc8 +64$"
has out "^  6  signature +0x358 +80$"
has out "^signature: Ed25519 by key $id: not checked \(structure only; pass --pubkey KEY.pub to verify\)$"
has out "^program: sample_prog, type xdp \(6\), expected attach type 37, license \"GPL\"$"
has out "^entry: 0, stack depth 64 bytes$"
has out "^bytecode sha256: a0a1a2a3"
has out "^verifier: test-build-1, processed 123456789012 insns, total states 77, peak states 33, max states per insn 5$"
has out "^helpers \(2\): bpf_map_lookup_elem#1 bpf_trace_printk#6$"
has out "^maps \(2\):$"
has out "^  0: counts: hash key 4 value 8 max_entries 16 flags 0$"
has out "^  1: .data: array key 4 value 16 max_entries 1 flags 0x400, initial data 16 bytes$"
has out "^relocations \(4\):$"
has out "^  0: 0x0006 map 0 \(counts\)$"
has out "^  1: 0x0010 map_value 1 \(.data\)\+8$"
has out "^  2: 0x001a helper bpf_map_lookup_elem#1$"
has out "^  3: 0x0026 runtime ld_abs_b$"
has out "^code \(x86_64, 50 bytes, entry 0\):$"
has out "^<entry>:$"
has out "^  0000: 55 +push rbp$"
has out "movabs rax, 0 +; reloc helper bpf_map_lookup_elem#1 at 0x1a$"
has out "^  0022: ff d0 +call rax$"
has out "^  0031: c3 +ret$"
has out "^bytecode \(4 insns\):$"
has out "^0: \(18\) r1 = map\[id:0\]$"
has out "^3: \(95\) exit$"

run 0 "$bpfvc" inspect "$tmp/x.bvc" --pubkey "$tmp/k.pub"
has out "^signature: Ed25519 by key $id: verified with $tmp/k.pub$"

run 0 "$bpfvc" inspect --pubkey "$tmp/k.pub" "$tmp/a.bvc"
has out "^header: bpfvc blob format 2, target arm64 \(2\)"
has out "^  0000: 00 01 00 58 +ldr x0, #0x20$"
has out "^  000c: 40 00 3f d6 +blr x2$"
has out "^  0018: c0 03 5f d6 +ret$"
has out "^  0020: (00 ){8} +\.quad 0 +; reloc map 0 \(counts\)$"
has out "^  0030: (00 ){8} +\.quad 0 +; reloc helper bpf_map_lookup_elem#1$"

# another key: shown, refused, exit 1
run 1 "$bpfvc" inspect "$tmp/x.bvc" --pubkey "$tmp/other.pub"
has out "^signature: Ed25519 by key $id: REJECTED with $tmp/other.pub: signed by key $id, not by the trusted key [0-9a-f]{16}$"
has err "^bpfvc: $tmp/x.bvc: refused: signed by key $id, not by the trusted key"

# a flipped byte in the code: structure fine, signature not
cp "$tmp/x.bvc" "$tmp/t.bvc"
printf '\x54' | dd of="$tmp/t.bvc" bs=1 seek=$((0x90)) conv=notrunc status=none
run 0 "$bpfvc" inspect "$tmp/t.bvc"
has out "push rsp"
run 1 "$bpfvc" inspect "$tmp/t.bvc" --pubkey "$tmp/k.pub"
has err "refused: bad signature: signature does not verify with key $id$"

# a flipped byte in the table: refused by structure, with or without a key
cp "$tmp/x.bvc" "$tmp/t.bvc"
printf '\xc8' | dd of="$tmp/t.bvc" bs=1 seek=$((32 + 16 * 3)) conv=notrunc status=none
run 1 "$bpfvc" inspect "$tmp/t.bvc"
has err "^bpfvc: $tmp/t.bvc: refused: section 3 \(kind 200\): unknown section kind 200$"
hasnt out "header:"

head -c 500 "$tmp/x.bvc" >"$tmp/short.bvc"
run 1 "$bpfvc" inspect "$tmp/short.bvc" --pubkey "$tmp/k.pub"
has err "refused: header says the blob is 936 bytes, but it is 500 \(truncated\)$"

run 2 "$bpfvc" inspect
run 2 "$bpfvc" inspect "$tmp/none.bvc"
has err "none.bvc: No such file or directory"
run 2 "$bpfvc" inspect "$tmp/x.bvc" --pubkey "$tmp/k"
has err "holds a private key; give the public key"

# --- build ----------------------------------------------------------------
obj=$progs/xdp_parser.bpf.o
run 2 "$bpfvc" build "$obj" --target x86_64 -o "$tmp/b.bvc"
has err "build: expected one PROG.o, --target, --key and -o"
run 2 "$bpfvc" build "$obj" --target riscv --key "$tmp/k" -o "$tmp/b.bvc"
has err "unknown target 'riscv' \(known: x86_64, arm64, thumbv7m\)"
run 2 "$bpfvc" build "$obj" --target x86_64 --key "$tmp/k.pub" -o "$tmp/b.bvc"
run 2 "$bpfvc" build "$tmp/none.o" --target x86_64 --key "$tmp/k" -o "$tmp/b.bvc"
run 2 "$bpfvc" build "$obj" --target x86_64 --key "$tmp/k" -o "$tmp/b.bvc" -w x
has err "-w expects a number"
run 1 "$bpfvc" build "$progs/loader_extern.bpf.o" -p uses_ksym --target x86_64 --key "$tmp/k" -o "$tmp/b.bvc"
has err "unsupported: extern"
[ -e "$tmp/b.bvc" ] && fail "a refused build left $tmp/b.bvc"

# A stack_trace map: verified, but the device runtime cannot host it, so
# build refuses it as verify-only (exit 1) and writes nothing.
run 0 "$bpfvc" verify "$progs/stackmap.bpf.o"
run 1 "$bpfvc" build "$progs/stackmap.bpf.o" --target x86_64 --key "$tmp/k" -o "$tmp/b.bvc"
has err "unsupported on the device: map 'stacks' \(stack_trace\) is verify-only"
[ -e "$tmp/b.bvc" ] && fail "a refused build left $tmp/b.bvc"
# Likewise an array of maps, a queue, a devmap and cgroup storage.
run 0 "$bpfvc" verify "$progs/map_kinds.bpf.o"
run 1 "$bpfvc" build "$progs/map_kinds.bpf.o" -p count_and_redirect --target x86_64 --key "$tmp/k" -o "$tmp/b.bvc"
has err "unsupported on the device: map 'outer' \(array_of_maps\) is verify-only"
run 1 "$bpfvc" build "$progs/map_kinds.bpf.o" -p cgroup_bytes --target x86_64 --key "$tmp/k" -o "$tmp/b.bvc"
[ -e "$tmp/b.bvc" ] && fail "a refused build left $tmp/b.bvc"

# .kconfig externs: built with this machine's values, recorded in the blob.
run 0 "$bpfvc" build "$progs/kconfig.bpf.o" -p kconfig_values --target x86_64 --key "$tmp/k" -o "$tmp/kc.bvc"
run 0 "$bpfvc" inspect "$tmp/kc.bvc" --pubkey "$tmp/k.pub"
has out "kconfig externs \(7, map .kconfig, profile: "
has out "  CONFIG_BVC_NO_SUCH_OPTION = 0 \(0\)"

# CO-RE records: relocated for this machine's kernel (its BTF) before
# verify and build (tests/profile has the other targets). verify -w N
# relocates and verifies such a program in-process, as -w 0 (the workers
# would see clang's offsets); without BTF here the verifier refuses what it
# cannot know (unsupported). build -w N refuses to sign them.
core=$progs/core_read.bpf.o
if [ -r /sys/kernel/btf/vmlinux ]; then
	run 0 "$bpfvc" verify "$core"
	has out "^$core: core_read: accepted \(processed [0-9]+ insns\)$"
	hasnt out "note:"
	run 0 "$bpfvc" verify --json "$core"
	has out '"verdict":"accept","unsupported":false,"core_relos_not_applied":0,'
	# relocated, verified, then refused for the device's helpers, not CO-RE
	run 1 "$bpfvc" build "$core" --target x86_64 --key "$tmp/k" -o "$tmp/core.bvc"
	has err "unsupported on the device: helper bpf_get_current_task#35 is verify-only"
	hasnt err "CO-RE"
	run 0 "$bpfvc" verify "$core" -w 1
	has out "^$core: core_read: accepted \(processed [0-9]+ insns\)$"
	hasnt out "note:"
	run 0 "$bpfvc" verify --json -w 1 "$core"
	has out '"verdict":"accept","unsupported":false,"core_relos_not_applied":0,'
else
	run 1 "$bpfvc" verify "$core" -w 1
	has out "^$core: core_read: rejected at insn [0-9]+: unsupported: CO-RE relocation at insn [0-9]+ \(byte_off of 'task_struct___local', access 0:0; 2 in the program\) not applied: the target kernel's BTF is needed$"
	run 1 "$bpfvc" verify --json -w 1 "$core"
	has out '"unsupported":true,"core_relos_not_applied":2,'
fi
# Without the kernel's BTF, whatever this machine has: a mount namespace
# hides /sys/kernel/btf (root only; skipped where unshare cannot).
if unshare -m true 2>/dev/null; then
	nobtf() { unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' sh "$@"; }
	run 1 nobtf "$bpfvc" verify "$core"
	has out "^$core: core_read: rejected at insn [0-9]+: unsupported: CO-RE relocation at insn [0-9]+ \(byte_off of 'task_struct___local', access 0:0; 2 in the program\) not applied: the target kernel's BTF is needed$"
	run 1 nobtf "$bpfvc" verify --json -w 1 "$core"
	has out '"unsupported":true,"core_relos_not_applied":2,'
fi
if command -v python3 >/dev/null 2>&1; then
	checks=$((checks + 1))
	python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$tmp/out" ||
		fail "verify --json: not JSON lines: $(cat "$tmp/out")"
fi
run 0 "$bpfvc" verify "$obj"
hasnt out "note:"
run 0 "$bpfvc" verify --json "$obj"
has out '"core_relos_not_applied":0,'
run 1 "$bpfvc" build "$core" --target arm64 --key "$tmp/k" -o "$tmp/b.bvc" -w 1
has err "^bpfvc: $core: core_read: unsupported: CO-RE relocation at insn [0-9]+ \(byte_off of 'task_struct___local', access 0:0; 2 in the program\): not applied with workers yet \(use -w 0\)$"
[ -e "$tmp/b.bvc" ] && fail "a refused CO-RE build left $tmp/b.bvc"

# An exception callback missing from func_info: the kernel's words at load.
run 1 "$bpfvc" verify "$progs/loader_exc_cb.bpf.o" -p exc_missing
has out "^$progs/loader_exc_cb.bpf.o: exc_missing: rejected at insn 0: exception callback type id not found in func_info$"
run 1 "$bpfvc" build "$progs/loader_exc_cb.bpf.o" -p exc_missing --target x86_64 --key "$tmp/k" -o "$tmp/b.bvc"
has err "exception callback type id not found in func_info"
[ -e "$tmp/b.bvc" ] && fail "a refused build left $tmp/b.bvc"

for target in x86_64 arm64; do
	"$bpfvc" build "$obj" --target $target --key "$tmp/k" -o "$tmp/$target.bvc" -w 2 \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	checks=$((checks + 1))
	if [ $rc -eq 1 ]; then
		# no back end yet: the promised message, and no file
		has err "^bpfvc: $obj: xdp_parse: unsupported: JIT for $target"
		[ -e "$tmp/$target.bvc" ] && fail "failed build left $tmp/$target.bvc"
	elif [ $rc -eq 0 ]; then
		has out "^$tmp/$target.bvc: xdp_parse for $target: [0-9]+ bytes of code, .* signed by key $id$"
		[ "$(stat -c %a "$tmp/$target.bvc")" = 644 ] || fail "blob mode"
		run 0 "$bpfvc" inspect "$tmp/$target.bvc" --pubkey "$tmp/k.pub"
		has out "^program: xdp_parse, type xdp \(6\)"
		has out "target $target"
		has out "verified with"
		sha=$(sed -n 's/^bytecode sha256: //p' "$tmp/out")
		[ ${#sha} -eq 64 ] || fail "sha256 '$sha'"
	else
		fail "build for $target exited $rc: $(cat "$tmp/err")"
	fi
done

# --- build on a cluster ---------------------------------------------------
# -w 2 verifies on two local workers: the JIT compiles from the facts merged
# over their paths, so code, relocations, maps and program table equal the
# in-process build's (only the verifier's counters in the metadata differ).
for spec in "xdp_parser x86_64" "subprog_loop arm64" "tail_calls x86_64 -p tc_entry"; do
	set -- $spec
	obj=$1 arch=$2
	shift 2
	run 0 "$bpfvc" build "$progs/$obj.bpf.o" "$@" --target "$arch" --key "$tmp/k" -o "$tmp/w0.bvc" -w 0
	run 0 "$bpfvc" build "$progs/$obj.bpf.o" "$@" --target "$arch" --key "$tmp/k" -o "$tmp/w2.bvc" -w 2
	"$bpfvc" inspect "$tmp/w0.bvc" | grep -v -e '^verifier:' -e 'bytes$' >"$tmp/i0"
	"$bpfvc" inspect "$tmp/w2.bvc" | grep -v -e '^verifier:' -e 'bytes$' >"$tmp/i2"
	checks=$((checks + 1))
	cmp -s "$tmp/i0" "$tmp/i2" || fail "$obj: -w 2 build differs:$(diff "$tmp/i0" "$tmp/i2" | head -5)"
	checks=$((checks + 1))
	[ "$(wc -l <"$tmp/i2")" -gt 10 ] || fail "$obj: inspect printed too little"
done

cli_checks_done
