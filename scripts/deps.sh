#!/usr/bin/env bash
# Installs the Debian 12 packages bpfvc needs that are missing, and nothing
# else. The one list of the project's system dependencies: add new ones here.
# Usage: scripts/deps.sh [build|corpus|arm64|demo|bench|fuzz]   (default: build)
#   arm64, demo: also the arm64 device's cross toolchain, OpenSSL for arm64
#   (Debian multiarch: adds the arm64 architecture to dpkg) and qemu-user;
#   and qemu-system-arm for the bare-metal firmware (also with corpus, which
#   make test installs).
set -euo pipefail

build_pkgs=(
	build-essential cmake pkg-config git xxd
	clang llvm                      # BPF test programs (Debian's clang 14)
	libbpf-dev libelf-dev zlib1g-dev linux-libc-dev
	libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
	libssl-dev libhwloc-dev
	libcriterion-dev
	libunicorn-dev libcapstone-dev    # arm64 JIT tests: run and disassemble its code
	binutils-arm-none-eabi gcc-arm-none-eabi  # thumbv7m: JIT code reassembled, the freestanding Ed25519 built, for cortex-m4
	bpftool                         # checks tests/progs against the kernel
)
# The kernel-parity corpus (the kernel's selftests, compiled at test time).
corpus_pkgs=(linux-source-6.12 clang-19 llvm-19)
# The benchmark (make bench): plots and peak RSS.
bench_pkgs=(gnuplot-nox time)

# The libFuzzer harnesses (make fuzz): libFuzzer and the sanitizer
# runtimes of Debian's clang 14.
fuzz_pkgs=(libclang-rt-14-dev)

# The arm64 device (make demo, tests/runtime_arm64): bpfvc-run cross-built
# with cmake/aarch64-linux-gnu.cmake, run under qemu-aarch64 user mode.
arm64_pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libssl-dev:arm64)

# The bare-metal thumbv7m device (tests/firmware, make test and make demo):
# the mps2-an386 firmware boots in QEMU's system emulator (Cortex-M4,
# semihosting); it is cross-built with build_pkgs' gcc-arm-none-eabi, no libc.
baremetal_pkgs=(qemu-system-arm)

want=("${build_pkgs[@]}")
case "${1:-build}" in
corpus) want+=("${corpus_pkgs[@]}" "${baremetal_pkgs[@]}") ;; # make test: deps-corpus
arm64 | demo) want+=("${arm64_pkgs[@]}" "${baremetal_pkgs[@]}") ;;
bench) want+=("${bench_pkgs[@]}") ;;
fuzz) want+=("${fuzz_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive
case " ${missing[*]} " in
*:arm64\ *)
	dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64 ;;
esac
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
