#!/usr/bin/env bash
# Compiles the kernel selftests' CO-RE relocation programs
# (progs/test_core_reloc_*.c) and their target BTFs (progs/btf__core_reloc_*.c)
# from Debian's linux-source-6.12 tarball into OUT_DIR, for
# tests/profile/test_core_libbpf.c. Build tree only: the selftests are GPL.
# Reuses the corpus's extracted sources when tests/corpus/prepare.sh ran in
# the same build tree; else extracts what it needs (~1 minute). Cached.
# Usage: core_prepare.sh OUT_DIR. Exit 0 ready, 77 a dependency is missing.
set -euo pipefail
out=${1:?usage: core_prepare.sh OUT_DIR}
tarball=${BVC_KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
clang=${BVC_CLANG:-clang-19}
command -v "$clang" >/dev/null 2>&1 || clang=clang
if [ ! -r "$tarball" ] || ! command -v "$clang" >/dev/null 2>&1; then
	echo "core_prepare: needs $tarball (linux-source-6.12) and clang: scripts/deps.sh corpus" >&2
	exit 77
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
stamp="$(stat -c '%n %s %Y' "$tarball") $($clang --version | head -n1) $(sha256sum <"$self")"
if [ "$(cat "$out/.stamp" 2>/dev/null || true)" = "$stamp" ]; then
	exit 0
fi
top=$(basename "$tarball" .tar.xz)
corpus_src=$out/../../../corpus/cache/src/$top
if [ -d "$corpus_src/tools/testing/selftests/bpf/progs" ] && [ -d "$corpus_src/tools/include/uapi" ]; then
	ksrc=$corpus_src
elif [ -f "$out/src/.done" ]; then
	ksrc=$out/src/$top
else
	echo "core_prepare: extracting the CO-RE selftests from $tarball"
	rm -rf "$out/src"
	mkdir -p "$out/src"
	tar -xJf "$tarball" -C "$out/src" --wildcards \
		"$top/tools/testing/selftests/bpf/progs/test_core_reloc_*.c" \
		"$top/tools/testing/selftests/bpf/progs/btf__core_reloc_*.c" \
		"$top/tools/testing/selftests/bpf/progs/core_reloc_types.h" \
		"$top/tools/include/uapi" \
		"$top/tools/lib/bpf/*.h"
	touch "$out/src/.done"
	ksrc=$out/src/$top
fi
progs=$ksrc/tools/testing/selftests/bpf/progs
hdr=$out/hdr
mkdir -p "$hdr/bpf"
for h in bpf_helpers.h bpf_tracing.h bpf_core_read.h bpf_endian.h; do
	cp "$ksrc/tools/lib/bpf/$h" "$hdr/bpf/$h"
done
# glibc's gnu/stubs.h wants stubs-32.h for a target that is not x86_64;
# BPF programs need none of it (the selftests ship an empty one too).
mkdir -p "$hdr/gnu"
echo "/* empty: no glibc stubs for BPF */" >"$hdr/gnu/stubs.h"
# libbpf-dev's helper definitions: the same helpers (frozen before 6.12).
cp /usr/include/bpf/bpf_helper_defs.h "$hdr/bpf/"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
cflags="-g -O2 --target=bpf -mcpu=v3 -Wall -std=gnu11 -fno-strict-aliasing -Wno-compare-distinct-pointer-types"
cflags+=" -D__TARGET_ARCH_x86 -I$progs/.. -I$ksrc/tools/include/uapi -I$hdr -idirafter /usr/include/$multiarch"
n=0
for src in "$progs"/test_core_reloc_*.c "$progs"/btf__core_reloc_*.c; do
	name=$(basename "$src" .c)
	[ "$name" = test_core_reloc_module ] && continue # needs vmlinux.h, no target BTF
	# shellcheck disable=SC2086
	if "$clang" $cflags -c "$src" -o "$out/$name.o" 2>"$out/$name.err"; then
		n=$((n + 1))
	else
		echo "core_prepare: $name does not compile: $(grep -m1 error: "$out/$name.err" || true)" >&2
	fi
done
echo "core_prepare: $n objects in $out"
echo "$stamp" >"$out/.stamp"
