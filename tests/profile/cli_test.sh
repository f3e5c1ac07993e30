#!/usr/bin/env bash
# Target profiles on the command line (issue #17): capture and show, bad
# profiles refused with exit 2, verify/build --profile, one program with a
# different verdict per profile, and a device refusing a blob verified for
# another kernel.
# Usage: cli_test.sh BPFVC BPFVC_RUN PROGS_DIR
set -u
bpfvc=$1 run_dev=$2 progs=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../common/cli_checks.sh"

pair=$progs/profile_pair.bpf.o

# --- capture and show, from given files ------------------------------------
printf 'CONFIG_BPF=y\nCONFIG_HZ=250\n# CONFIG_X is not set\n' >"$tmp/a.config"
run 0 "$bpfvc" profile capture -o "$tmp/a.profile" --btf "$progs/profile_btf_a.bpf.o" \
	--config "$tmp/a.config" --release 6.1.0-dev-a --arch aarch64
has out "^$tmp/a.profile: kernel 6.1.0-dev-a \(aarch64\), BTF [0-9]+ bytes, program types unknown, helpers unknown, Kconfig$"
run 0 "$bpfvc" profile capture -o "$tmp/b.profile" --btf "$progs/profile_btf_b.bpf.o" \
	--release 6.1.0-dev-b --arch aarch64
has out "no Kconfig$"
run 0 "$bpfvc" profile show "$tmp/a.profile"
has out "^release: +6.1.0-dev-a$"
has out "^arch: +aarch64$"
has out "^btf: +[0-9]+ bytes, sha256 [0-9a-f]{64}$"
# the two Kconfig lines, the comment and the three values libbpf computes
has out "^kconfig: +6 lines"
run 0 "$bpfvc" profile show "$tmp/b.profile"
has out "^kconfig: +none$"
run 0 "$bpfvc" profile btf "$tmp/a.profile" -o "$tmp/a.btf"
run 0 "$bpfvc" profile btf "$tmp/b.profile" -o "$tmp/b.btf"
cmp -s "$tmp/a.btf" "$tmp/b.btf" && fail "two layouts, one BTF"

# this machine, when it has BTF: its program types and helpers from the BTF
if [ -r /sys/kernel/btf/vmlinux ]; then
	run 0 "$bpfvc" profile capture -o "$tmp/host.profile"
	has out "^$tmp/host.profile: kernel $(uname -r) \($(uname -m)\), BTF [0-9]+ bytes, [0-9]+ program types, [0-9]+ helpers, "
	run 0 "$bpfvc" profile show "$tmp/host.profile"
	has out "^program types: [0-9]+: .* xdp "
	has out "^helpers: +[0-9]+ \(ids 0\.\.[0-9]+\)$"
fi

# --- bad input: exit 2, one line -------------------------------------------
run 2 "$bpfvc" profile capture -o "$tmp/x.profile" --btf "$tmp/a.config"
has err "BTF: bad magic"
run 2 "$bpfvc" profile capture -o "$tmp/x.profile" --btf "$tmp/none"
has err "$tmp/none: No such file or directory"
run 2 "$bpfvc" profile capture -o "$tmp/x.profile" --btf "$tmp/a.btf" --release "6.1 x"
has err "release: byte 3 is 0x20"
run 2 "$bpfvc" profile show "$tmp/a.config"
has err "not a bpfvc profile"
size=$(stat -c %s "$tmp/a.profile")
for cut in 8 16 20 24 40 $((size - 8)) $((size - 1)); do
	head -c "$cut" "$tmp/a.profile" >"$tmp/cut.profile"
	run 2 "$bpfvc" profile show "$tmp/cut.profile"
	has err "cut.profile: "
done
cp "$tmp/a.profile" "$tmp/v.profile"
printf '\x02' | dd of="$tmp/v.profile" bs=1 seek=8 conv=notrunc 2>/dev/null
run 2 "$bpfvc" profile show "$tmp/v.profile"
has err "profile format version 2, this reader knows version 1$"
cp "$tmp/a.profile" "$tmp/l.profile"
printf '\xff\xff\x00\x00' | dd of="$tmp/l.profile" bs=1 seek=20 conv=notrunc 2>/dev/null
run 2 "$bpfvc" profile show "$tmp/l.profile"
has err "entry 0 \(release\): length 65535 outside"
run 2 "$bpfvc" verify "$pair" --profile "$tmp/v.profile"
has err "profile format version 2"
run 2 "$bpfvc" verify "$pair" --profile "$tmp/a.profile" -w 1
has err "--profile is not supported with workers yet"

# --- one program, two kernels, two verdicts --------------------------------
run 0 "$bpfvc" verify "$pair" --profile "$tmp/a.profile"
has out "^$pair: read_rec: accepted \(processed [0-9]+ insns\)$"
run 1 "$bpfvc" verify "$pair" --profile "$tmp/b.profile"
has out "^$pair: read_rec: rejected at insn [0-9]+: invalid access to map value, value_size=8 off=16 size=4$"
# the running kernel has no struct dev_rec: libbpf's poisoned load
if [ -r /sys/kernel/btf/vmlinux ]; then
	run 1 "$bpfvc" verify "$pair"
	has out "rejected at insn [0-9]+: invalid func unknown#195896080$"
fi

# --- the blob names its kernel; another kernel's device refuses it --------
run 0 "$bpfvc" keygen -o "$tmp/k"
run 0 "$bpfvc" build "$pair" --profile "$tmp/a.profile" --target x86_64 --key "$tmp/k" \
	-o "$tmp/a.bvc"
run 1 "$bpfvc" build "$pair" --profile "$tmp/b.profile" --target x86_64 --key "$tmp/k" \
	-o "$tmp/b.bvc"
has err "invalid access to map value"
[ -e "$tmp/b.bvc" ] && fail "a rejected build left $tmp/b.bvc"
run 0 "$bpfvc" inspect "$tmp/a.bvc"
sha=$("$bpfvc" profile show "$tmp/a.profile" | sed -n 's/^btf: .*sha256 //p')
has out "^kernel: 6.1.0-dev-a \(aarch64\), BTF sha256 $sha$"
if [ "$(uname -m)" = x86_64 ]; then
	printf '\x00%.0s' $(seq 64) >"$tmp/pkt"
	run 0 "$run_dev" "$tmp/a.bvc" --pubkey "$tmp/k.pub" --btf "$tmp/a.btf" --packet "$tmp/pkt"
	run 2 "$run_dev" "$tmp/a.bvc" --pubkey "$tmp/k.pub" --btf "$tmp/b.btf" --packet "$tmp/pkt"
	has err "blob was verified for kernel 6.1.0-dev-a \(BTF sha256 ${sha:0:16}\.\.\.\), this device's kernel BTF is [0-9a-f]{16}\.\.\. \($tmp/b.btf\): another kernel$"
	run 2 "$run_dev" "$tmp/a.bvc" --pubkey "$tmp/k.pub" --btf "$tmp/none" --packet "$tmp/pkt"
	has err "this device has no kernel BTF to compare \($tmp/none: No such file or directory\)$"
	# no --btf: this machine's kernel, which is not 6.1.0-dev-a
	run 2 "$run_dev" "$tmp/a.bvc" --pubkey "$tmp/k.pub" --packet "$tmp/pkt"
	has err "blob was verified for kernel 6.1.0-dev-a"
fi

# --- what the kernel offers: program types and helpers from its BTF ------
run 0 "$bpfvc" profile capture -o "$tmp/c.profile" --btf "$progs/profile_btf_c.bpf.o" \
	--release 6.6.0-small
has out "2 program types, 2 helpers, no Kconfig$"
run 0 "$bpfvc" profile show "$tmp/c.profile"
has out "^program types: 2: unspec xdp$"
has out "^helpers: +2 \(ids 0\.\.1\)$"
run 0 "$bpfvc" verify "$pair" --profile "$tmp/c.profile"
run 1 "$bpfvc" verify "$progs/xdp_parser.bpf.o" --profile "$tmp/c.profile"
has out "rejected at insn [0-9]+: helper bpf_map_update_elem#2 is not offered by the target kernel 6.6.0-small$"
run 1 "$bpfvc" verify "$progs/socket_filter.bpf.o" --profile "$tmp/c.profile"
has out "rejected at insn 0: program type socket_filter is not offered by the target kernel 6.6.0-small$"
run 1 "$bpfvc" build "$progs/xdp_parser.bpf.o" --profile "$tmp/c.profile" --target x86_64 \
	--key "$tmp/k" -o "$tmp/c.bvc"
has err "helper bpf_map_update_elem#2 is not offered by the target kernel 6.6.0-small"
[ -e "$tmp/c.bvc" ] && fail "a rejected build left $tmp/c.bvc"

# --- .kconfig externs take the profile's values, never this machine's -----
printf 'CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=250\n' >"$tmp/old.config"
run 0 "$bpfvc" profile capture -o "$tmp/old.profile" --btf "$progs/profile_btf_a.bpf.o" \
	--config "$tmp/old.config" --release 5.10.0-old --arch x86_64
run 0 "$bpfvc" build "$progs/kconfig.bpf.o" -p kconfig_values --profile "$tmp/old.profile" \
	--target x86_64 --key "$tmp/k" -o "$tmp/kc.bvc"
run 0 "$bpfvc" inspect "$tmp/kc.bvc"
has out "^kconfig externs \(7, map .kconfig, profile: profile 5.10.0-old\):$"
has out "^  CONFIG_HZ = 250 \(0xfa\)$"
has out "^  LINUX_KERNEL_VERSION = 330240 \(0x50a00\)$"
has out "^  LINUX_HAS_BPF_COOKIE = 0 \(0\)$"
has out "^kernel: 5.10.0-old \(x86_64\), BTF sha256 "
# a profile without Kconfig: a strong extern is missing, not taken from here
run 2 "$bpfvc" verify "$progs/kconfig.bpf.o" -p kconfig_values --profile "$tmp/b.profile"
has err "extern 'CONFIG_BPF_SYSCALL' \(strong\): not resolved \(profile 6.1.0-dev-b\)$"

cli_checks_done
