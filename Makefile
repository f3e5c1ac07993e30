# bpfvc: the two commands a newcomer runs are `make demo` and `make test`.
# Both install what is missing (scripts/deps.sh), configure and build.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)

.PHONY: all deps deps-corpus build build-asan test demo clean

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

# Every suite in the normal build, then the unit suites under ASan + UBSan.
test: deps-corpus build build-asan
	@scripts/run-tests.sh $(BUILD) $(ASAN_BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
