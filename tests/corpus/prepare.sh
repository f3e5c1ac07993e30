#!/usr/bin/env bash
# Makes the kernel-parity corpus in the build tree, never in the source tree
# (the selftests are GPL): extracts what is needed of Debian's
# linux-source-6.12 tarball, makes vmlinux.h from the running kernel's BTF and
# bpf_helper_defs.h from the tarball's UAPI header, and compiles every
# tools/testing/selftests/bpf/progs/*.c with clang-19 -target bpf: tier 1
# the verifier_*.c (-mcpu=v4), tier 2 all the others (-mcpu=v3). A file
# that does not compile is recorded with the compiler's first error line,
# not fatal.
#
# Cached: a second run recompiles nothing unless the tarball, the compiler,
# the flags, the kernel's BTF or this script changed.
#
# Usage: tests/corpus/prepare.sh OUT_DIR
#   OUT_DIR/cache/src   the extracted sources
#   OUT_DIR/cache/hdr   vmlinux.h and bpf/*.h
#   OUT_DIR/cache/obj   tier 1: NAME.o and NAME.status ("ok" or why not),
#                       COMPILER, FLAGS, support/ (objects named by __btf_path)
#   OUT_DIR/cache/obj2  tier 2, the same files
# Env: BVC_KSRC_TARBALL (default /usr/src/linux-source-6.12.tar.xz),
#      BVC_CLANG (default clang-19), BVC_CORPUS_JOBS (default 2),
#      BVC_CORPUS_COMPILE_TIMEOUT (seconds per file, default 300),
#      BVC_CORPUS_TIER2=0 (do not compile tier 2).
# Exit: 0 ready, 77 a dependency is missing (scripts/deps.sh corpus), 1 error.
set -euo pipefail

if [ "${1:-}" = --compile-one ]; then
	# Internal: compile one source. $2 source, $3 output object, $4 status
	# file, $5 extra flags of this file; the flags come from the
	# environment (exported below).
	src=$2 obj=$3 status=$4 extra=${5:-}
	err="$obj.err"
	rc=0
	# shellcheck disable=SC2086
	timeout -k 10 "$CORPUS_TIMEOUT" "$CORPUS_CLANG" $CORPUS_CFLAGS $extra -c "$src" -o "$obj.tmp" \
		2>"$err" || rc=$?
	if [ $rc -eq 0 ]; then
		mv -f "$obj.tmp" "$obj"
		echo ok >"$status.tmp"
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		rm -f "$obj.tmp"
		echo "compiler timeout after ${CORPUS_TIMEOUT} s" >"$status.tmp"
	else
		rm -f "$obj.tmp"
		line=$(grep -m1 -E 'error:' "$err" || head -n1 "$err" || true)
		# drop the build directory from paths: the report stays readable
		line=${line//$CORPUS_SRC\//}
		echo "${line:-clang exited with $rc}" >"$status.tmp"
	fi
	mv -f "$status.tmp" "$status"
	exit 0
fi

self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
out=${1:?usage: prepare.sh OUT_DIR}
tarball=${BVC_KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
clang=${BVC_CLANG:-clang-19}
jobs=${BVC_CORPUS_JOBS:-2}
ctimeout=${BVC_CORPUS_COMPILE_TIMEOUT:-300}

missing=()
[ -r "$tarball" ] || missing+=("$tarball (package linux-source-6.12)")
command -v "$clang" >/dev/null 2>&1 || missing+=("$clang (package clang-19)")
if [ ${#missing[@]} -ne 0 ]; then
	echo "corpus: missing ${missing[*]}: run scripts/deps.sh corpus" >&2
	exit 77
fi

mkdir -p "$out/cache"
out=$(cd "$out" && pwd)
cache=$out/cache
top=$(basename "$tarball")
top=${top%.tar.xz}

# 1. Extract only what the corpus needs (decompressing takes ~10 s).
stamp="$(stat -c '%n %s %Y' "$tarball") v1"
if [ "$(cat "$cache/src/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
	echo "corpus: extracting $tarball"
	rm -rf "$cache/src"
	mkdir -p "$cache/src"
	tar -xJf "$tarball" -C "$cache/src" --wildcards \
		"$top/tools/testing/selftests/bpf/*.h" \
		"$top/tools/testing/selftests/bpf/progs/*.c" \
		"$top/tools/include" \
		"$top/tools/lib/bpf/*.h" \
		"$top/scripts/bpf_doc.py"
	echo "$stamp" >"$cache/src/.stamp"
fi
ksrc=$cache/src/$top
st=$ksrc/tools/testing/selftests/bpf

# 2. Headers: libbpf's BPF-side headers of the same tree, bpf_helper_defs.h
# generated from its UAPI header, vmlinux.h from the running kernel.
hdr=$cache/hdr
mkdir -p "$hdr/bpf"
for h in bpf_helpers.h bpf_tracing.h bpf_core_read.h bpf_endian.h usdt.bpf.h; do
	cmp -s "$ksrc/tools/lib/bpf/$h" "$hdr/bpf/$h" || cp "$ksrc/tools/lib/bpf/$h" "$hdr/bpf/$h"
done
defs=$hdr/bpf/bpf_helper_defs.h
if [ ! -s "$defs" ]; then
	if command -v python3 >/dev/null 2>&1 &&
		python3 "$ksrc/scripts/bpf_doc.py" --header \
			--file "$ksrc/tools/include/uapi/linux/bpf.h" >"$defs.tmp" 2>/dev/null; then
		mv "$defs.tmp" "$defs"
	else
		# libbpf-dev's copy: the same helpers (they were frozen before 6.12)
		rm -f "$defs.tmp"
		cp /usr/include/bpf/bpf_helper_defs.h "$defs"
	fi
fi
if [ -r /sys/kernel/btf/vmlinux ] && command -v bpftool >/dev/null 2>&1; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$hdr/vmlinux.h.tmp"
	if cmp -s "$hdr/vmlinux.h.tmp" "$hdr/vmlinux.h"; then
		rm -f "$hdr/vmlinux.h.tmp"
	else
		mv "$hdr/vmlinux.h.tmp" "$hdr/vmlinux.h"
	fi
else
	echo "corpus: no /sys/kernel/btf/vmlinux or bpftool: files that need vmlinux.h will not compile" >&2
	rm -f "$hdr/vmlinux.h"
fi

# 3. Compile. -mcpu=v4 and ENABLE_ATOMICS_TESTS as the selftests' cpuv4
# runner; no -Werror (a newer clang's new warnings change no program).
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
cflags="-g -O2 --target=bpf -mcpu=v4 -Wall -std=gnu11 -fno-strict-aliasing"
cflags+=" -Wno-compare-distinct-pointer-types -D__TARGET_ARCH_x86 -DENABLE_ATOMICS_TESTS"
cflags+=" -I$st -I$ksrc/tools/include/uapi -I$hdr -idirafter /usr/include/$multiarch"

# One tier's compiled objects in a directory of their own, with the key of
# its flags: a change of one tier's flags recompiles only that tier.
# $1 object directory, $2 flags.
tier_dir() {
	local dir=$1 flags=$2 key
	key=$( {
		echo "$stamp"
		echo "$compiler"
		echo "$flags"
		sha256sum "$hdr"/vmlinux.h "$hdr"/bpf/*.h 2>/dev/null
		sha256sum <"$self"
	} | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$dir/KEY" 2>/dev/null || true)" != "$key" ]; then
		rm -rf "$dir"
		mkdir -p "$dir/support"
		echo "$compiler" >"$dir/COMPILER"
		echo "$flags" >"$dir/FLAGS"
		echo "$key" >"$dir/KEY"
	fi
}
compiler=$("$clang" --version | head -n1)
tier_dir "$cache/obj" "$cflags"
obj=$cache/obj

export CORPUS_CLANG=$clang CORPUS_TIMEOUT=$ctimeout CORPUS_SRC=$ksrc
todo=()
total=0
cached=0
for src in "$st"/progs/verifier_*.c; do
	name=$(basename "$src" .c)
	total=$((total + 1))
	if [ -f "$obj/$name.status" ]; then
		cached=$((cached + 1))
	else
		todo+=("$src" "$obj/$name.o" "$obj/$name.status" "")
	fi
done
# Objects that tests name with __btf_path("X.bpf.o"): progs/X.c.
while read -r ref; do
	src=$st/progs/${ref%.bpf.o}.c
	[ -f "$src" ] || continue
	[ -f "$obj/support/$ref.status" ] ||
		todo+=("$src" "$obj/support/$ref" "$obj/support/$ref.status" "")
done < <(grep -ho '__btf_path("[^"]*")' "$st"/progs/verifier_*.c | sort -u |
	sed 's/__btf_path("\(.*\)")/\1/')
fresh=$((${#todo[@]} / 4))
if [ "$fresh" -gt 0 ]; then
	echo "corpus: compiling $fresh files with $compiler (-j$jobs)"
	printf '%s\0' "${todo[@]}" | CORPUS_CFLAGS=$cflags xargs -0 -n4 -P"$jobs" "$self" --compile-one
fi
ok=$(grep -lx ok "$obj"/verifier_*.status 2>/dev/null | wc -l)
echo "corpus: $total selftest files, $ok compiled, $((total - ok)) not; $cached from the cache"

# 4. Tier 2: every other progs/*.c, built as the selftests' test_progs
# builds them: -mcpu=v3, ENABLE_ATOMICS_TESTS, and the Makefile's per-file
# -fno-inline of the two *_noinline programs. BVC_CORPUS_TIER2=0 skips it.
[ "${BVC_CORPUS_TIER2:-1}" = 0 ] && exit 0
cflags2=${cflags/-mcpu=v4/-mcpu=v3}
tier_dir "$cache/obj2" "$cflags2"
obj2=$cache/obj2
todo=()
total=0
cached=0
for src in "$st"/progs/*.c; do
	name=$(basename "$src" .c)
	case $name in verifier_*) continue ;; esac
	total=$((total + 1))
	extra=
	case $name in test_l4lb_noinline | test_xdp_noinline) extra=-fno-inline ;; esac
	if [ -f "$obj2/$name.status" ]; then
		cached=$((cached + 1))
	else
		todo+=("$src" "$obj2/$name.o" "$obj2/$name.status" "$extra")
	fi
done
fresh=$((${#todo[@]} / 4))
if [ "$fresh" -gt 0 ]; then
	echo "corpus: tier 2: compiling $fresh files with $compiler (-j$jobs)"
	printf '%s\0' "${todo[@]}" | CORPUS_CFLAGS=$cflags2 xargs -0 -n4 -P"$jobs" "$self" --compile-one
fi
ok=$(grep -lx ok "$obj2"/*.status 2>/dev/null | wc -l)
echo "corpus: tier 2: $total selftest files, $ok compiled, $((total - ok)) not; $cached from the cache"
