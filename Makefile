# bpfvc: the two commands a newcomer runs are `make demo` and `make test`.
# Both install what is missing (scripts/deps.sh), configure and build.

BUILD      ?= build
ASAN_BUILD ?= build-asan
RELEASE_BUILDS ?= build-release-gcc build-release-clang
ARM64_BUILD ?= build-arm64
JOBS       ?= $(shell nproc)

.PHONY: all deps deps-corpus build build-asan build-release build-arm64 test demo bench fuzz clean

all: build

deps:
	@scripts/deps.sh

# The kernel-parity corpus also needs the kernel source and clang-19.
deps-corpus:
	@scripts/deps.sh corpus

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBVC_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# Release builds with gcc and clang, warning-free (-Werror): optimisation
# finds warnings (maybe-uninitialized) that the debug builds do not.
build-release: deps
	@CC=gcc cmake -S . -B build-release-gcc -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-release-gcc -j$(JOBS) >/dev/null
	@CC=clang cmake -S . -B build-release-clang -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-release-clang -j$(JOBS) >/dev/null
	@echo "== Release builds (gcc, clang): warning-free"

# Every suite in the normal build, then the unit suites under ASan + UBSan.
test: deps-corpus build build-asan build-release
	@scripts/run-tests.sh $(BUILD) $(ASAN_BUILD)

# The arm64 device: bpfvc-run cross-built (runtime only), run under qemu-aarch64.
build-arm64:
	@scripts/deps.sh demo
	@cmake -S . -B $(ARM64_BUILD) -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
		-DBVC_RUNTIME_ONLY=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(ARM64_BUILD) -j$(JOBS)

demo: build build-arm64
	@scripts/demo.sh $(BUILD) $(ARM64_BUILD)

# bpfvc against the kernel's verifier on this machine (root; about 10 min):
# build/bench/report.md, CSV files and PNG plots. Direct: bench/run.sh build
bench: build
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)

# Coverage-guided fuzzing: every libFuzzer harness of tests/fuzz/ for
# FUZZ_SECONDS (default 120) each, from tests/fuzz/corpus/; prints
# executions, coverage and findings (scripts/fuzz.sh says more).
FUZZ_SECONDS ?= 120
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(ARM64_BUILD) $(RELEASE_BUILDS) build-fuzz
