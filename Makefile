# Makefile - thin wrapper over CMake/CTest (GNU make).
#
#   make deps          install the Debian packages the build needs (scripts/deps.sh)
#   make build         configure and build into $(BUILD_DIR) with -Werror
#   make test          build, then run the whole CTest suite
#   make demo          build, then scripts/demo.sh: bgcopy /transfer of three files from
#                      bgcopy-testserver on 127.0.0.1, checksums compared (state in build/demo)
#   make asan          ASan+UBSan build in $(ASAN_BUILD_DIR), then run the suite there
#   make tsan          ThreadSanitizer build in $(TSAN_BUILD_DIR), then the threaded tests
#   make format        clang-format -i every tracked (or new, unignored) .c/.h file
#   make format-check  fail if any of those files is not clang-format clean
#   make fuzz          install clang and its libFuzzer runtime (scripts/deps.sh fuzz), build the
#                      libFuzzer targets with clang (ASan+UBSan) in $(FUZZ_BUILD_DIR),
#                      run each for FUZZ_SECONDS (default 60) growing a scratch copy of its corpus;
#                      FUZZ_MERGE=1 merges new inputs back into fuzz/corpus/ (scripts/run-fuzz.sh)
#   make install       configure with CMAKE_INSTALL_PREFIX=$(PREFIX) (default /usr/local), build,
#                      install under $(DESTDIR)$(PREFIX): libraries, headers, bgcopy.pc, the CMake
#                      package, programs, docs; then ldconfig when installing for real as root
#   make docs          the API reference: Doxygen (installed by `scripts/deps.sh docs`) renders
#                      include/ and docs/api.md into $(DOCS_DIR)/html; any warning fails
#   make bench         install the benchmark peers (scripts/deps.sh bench: wget2, aria2, GNU
#                      time), build, then bench/run.sh: every benchmark on 127.0.0.1 (throughput
#                      against curl, wget2 and aria2c; many transfers; resume; engine at rest;
#                      notifications; simulation), about 7 minutes; writes bench/results.md
#                      (RUNS, BENCH_SIZE override the defaults; see bench/run.sh)
#   make bench-http    the same for the throughput and resume benchmarks only; writes
#                      bench/results-http.md
#   make bench-cli     build, then bench/cli_bench.py: bgcopy /list start-to-exit with 0 and 100
#                      jobs, /transfer of 100 MiB from nginx against curl; writes
#                      bench/results-cli.md
#   make cross-win     cross-compile the library, the native engine (backend-win/) and
#                      bgcopy-conformance.exe for 64-bit Windows with mingw-w64 into
#                      $(CROSS_BUILD_DIR) (installs the Windows tools: scripts/deps.sh win)
#   make wine-smoke    build, cross-win, then tests/conformance/run.py wine: the conformance
#                      scenarios on Wine's BITS through the native engine, on the Windows build's
#                      emulated engine, and the trace comparison with the Linux emulated engine
#   make bench-store   build, then bench/store_bench.sh: time to open a store of 10,000 jobs, and
#                      1 GiB from nginx with checkpoints on, off and without a store; writes
#                      bench/results-store.md (RUNS, JOBS_COUNT, BENCH_SIZE override the defaults)
#   make bench-service build, then bench/service_bench.sh: 1 GiB from nginx in-process and through
#                      bgcopyd, and API round trips per second; writes bench/results-service.md
#   make clean         remove the build directories
#
# Overridable: BUILD_DIR, ASAN_BUILD_DIR, CROSS_BUILD_DIR, JOBS, CTEST_JOBS, BUILD_TYPE, CMAKE,
# CTEST, PREFIX, DESTDIR, DOCS_DIR, DOXYGEN,
# CLANG_FORMAT, CMAKE_ARGS (extra configure arguments), FUZZ_BUILD_DIR, FUZZ_SECONDS, FUZZ_MERGE,
# FUZZ_TARGETS (names to run, default all), CLANG, CLANGXX.

BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
TSAN_BUILD_DIR ?= build-tsan
CROSS_BUILD_DIR ?= build-win
JOBS           ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS     ?= 2
BUILD_TYPE     ?= RelWithDebInfo
CMAKE          ?= cmake
CTEST          ?= ctest
CLANG_FORMAT   ?= clang-format
CMAKE_ARGS     ?=
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS   ?= 60
FUZZ_MERGE     ?= 0
FUZZ_TARGETS   ?=
CLANG          ?= clang
CLANGXX        ?= clang++
PREFIX         ?= /usr/local
DESTDIR        ?=
DOCS_DIR       ?= $(BUILD_DIR)/docs
DOXYGEN        ?= doxygen

# Keep cmake's own make quiet about directories.
MAKEFLAGS += --no-print-directory

# Tracked files plus new files git does not ignore, NUL-separated.
FORMAT_FILES = git ls-files -z --cached --others --exclude-standard -- '*.c' '*.h'

.PHONY: all deps build test demo format format-check asan tsan clean bench bench-http \
	bench-store bench-service fuzz cross-win wine-smoke install docs

all: build

deps:
	sh scripts/deps.sh

build: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DBGCOPY_WERROR=ON $(CMAKE_ARGS)
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

test: build
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j$(CTEST_JOBS)

demo: build
	BUILD_DIR=$(BUILD_DIR) sh scripts/demo.sh

format:
	$(FORMAT_FILES) | xargs -0 -r $(CLANG_FORMAT) -i

format-check:
	$(FORMAT_FILES) | xargs -0 -r $(CLANG_FORMAT) --dry-run --Werror

asan: deps
	$(CMAKE) -S . -B $(ASAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DBGCOPY_WERROR=ON \
		-DBGCOPY_SANITIZE=address $(CMAKE_ARGS)
	$(CMAKE) --build $(ASAN_BUILD_DIR) -j$(JOBS)
	$(CTEST) --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j$(CTEST_JOBS)

# The tests whose code runs on several threads (real-mode engine, notifier pool, HTTP I/O,
# the service and its clients).
TSAN_TESTS ?= unit_(realmode|notify_threads|http_smoke|service)|service_.*|integration_http|example_download-progress

tsan: deps
	$(CMAKE) -S . -B $(TSAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DBGCOPY_WERROR=ON \
		-DBGCOPY_SANITIZE=thread $(CMAKE_ARGS)
	$(CMAKE) --build $(TSAN_BUILD_DIR) -j$(JOBS)
	$(CTEST) --test-dir $(TSAN_BUILD_DIR) --output-on-failure -R '$(TSAN_TESTS)' --repeat until-fail:3

# clang and its libFuzzer runtime are needed only here (`scripts/deps.sh fuzz` installs clang and
# libclang-rt-14-dev); the replays of the corpora build with any compiler as part of `make test`.
fuzz: deps
	sh scripts/deps.sh fuzz
	$(CMAKE) -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_C_COMPILER=$(CLANG) -DCMAKE_CXX_COMPILER=$(CLANGXX) \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBGCOPY_SANITIZE=address -DBGCOPY_LIBFUZZER=ON \
		-DBUILD_TESTING=OFF $(CMAKE_ARGS)
	$(CMAKE) --build $(FUZZ_BUILD_DIR) --target fuzz_targets -j$(JOBS)
	FUZZ_BUILD_DIR=$(FUZZ_BUILD_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_MERGE=$(FUZZ_MERGE) \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" sh scripts/run-fuzz.sh

install: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DBGCOPY_WERROR=ON \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)
	DESTDIR="$(DESTDIR)" $(CMAKE) --install $(BUILD_DIR)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then \
		echo ldconfig; ldconfig; fi

docs:
	sh scripts/deps.sh docs
	mkdir -p $(DOCS_DIR)
	BGCOPY_DOCS_OUT=$(DOCS_DIR) \
	BGCOPY_VERSION=$$(sed -n 's/^#define BGCOPY_VERSION_STRING "\(.*\)"$$/\1/p' include/bgcopy.h) \
		$(DOXYGEN) docs/Doxyfile
	@echo "make docs: $(DOCS_DIR)/html/index.html"

bench: build
	sh scripts/deps.sh bench
	BUILD_DIR=$(BUILD_DIR) bash bench/run.sh

bench-http: build
	sh scripts/deps.sh bench
	BUILD_DIR=$(BUILD_DIR) RESULTS=bench/results-http.md bash bench/run.sh throughput resume

bench-service: build
	BUILD_DIR=$(BUILD_DIR) bash bench/service_bench.sh

.PHONY: bench-cli
bench-cli: build
	BUILD_DIR=$(BUILD_DIR) python3 bench/cli_bench.py

# No CMocka, libuv or libcurl for mingw-w64: the Windows build has no unit tests, and its emulated
# engine no HTTP transport (docs/fidelity.md).
cross-win:
	sh scripts/deps.sh win
	$(CMAKE) -S . -B $(CROSS_BUILD_DIR) -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
		-DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DBGCOPY_WERROR=ON -DBUILD_TESTING=OFF
	$(CMAKE) --build $(CROSS_BUILD_DIR) -j$(JOBS)

wine-smoke: build cross-win
	python3 tests/conformance/run.py wine --build $(BUILD_DIR) --cross-build $(CROSS_BUILD_DIR)
bench-store: build
	BUILD_DIR=$(BUILD_DIR) bash bench/store_bench.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(FUZZ_BUILD_DIR) $(TSAN_BUILD_DIR) $(CROSS_BUILD_DIR)
