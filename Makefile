# memtrain — build, test and run.  `make help` lists the targets.
#
#   make deps    install the Debian packages memtrain needs (root or sudo)
#   make         build build/memtrain and build/libmemtrain.a
#   make check   build and run the whole test suite (ends with "N passed, N failed")
#   make paper   train the paper's MNIST network, 2PCM+3T1C beside its software twin
#   make docs    regenerate docs/parameters.md from the parameter table
#
# Variables: CC=gcc|clang, BUILD=build, SAN=1 (ASan+UBSan), MARCH=native|x86-64-v2, V=1 (verbose)

CC      ?= gcc
BUILD   ?= build
MARCH   ?= native
OPT     ?= -O3
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# clang warns when it cannot honour a `#pragma omp simd` (the pulse kernel's gathers
# and scatters under ASan, or at -O0): a lost speed-up, not a defect
ifneq ($(findstring clang,$(CC)),)
  WARN  += -Wno-pass-failed
endif
# x86: let the vectoriser use whole 512-bit registers where the target has them (gcc and
# clang default to 256 for most Intel tunings): the rounding's 64-bit hashes (vpmullq) and
# the forward read run twice the lanes per instruction.  Measured on an AVX-512 Xeon:
# 2pcm3t1c training x1.23, float twin x1.12 (docs/performance.md, step 43); results are
# byte-identical (the code fixes every sum's order).  No effect on targets without AVX-512.
ifneq ($(filter x86_64% i686% i386%,$(shell $(CC) -dumpmachine)),)
  VECTOR_WIDTH := -mprefer-vector-width=512
endif
# -ffp-contract=off: a product then a sum stays two roundings, never one FMA.  gcc does
# so in ISO C mode already; clang fused them by default, so its builds summed reads
# differently from gcc's and from the reads' own vector paths (written as products and
# sums).  Results are then the same whichever compiler builds them.
# -fno-trapping-math: no floating-point trap is ever enabled, so gcc may compute a
# float operation a branch would skip and keep the result it needs (clang assumes so by
# default).  Without it, where a loop chose between a product and 0 gcc kept the choice
# a branch, and a target without masked vector operations (AVX2) ran the pulse kernel
# scalar.  It permits no change of any value (that would be -ffast-math's parts).
CFLAGS  := -std=c11 $(OPT) -march=$(MARCH) $(VECTOR_WIDTH) -ffp-contract=off -fno-math-errno -fno-trapping-math -g $(WARN) -fopenmp -Iinclude -Isrc \
           -D_POSIX_C_SOURCE=200809L -DMT_DATA_DIR='"$(CURDIR)/data"' $(EXTRA_CFLAGS)
LDLIBS  := -lconfig -lz -lm
LDFLAGS := -fopenmp $(EXTRA_LDFLAGS)

ifeq ($(SAN),1)
  CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

LIB      := $(BUILD)/libmemtrain.a
BIN      := $(BUILD)/memtrain
TESTBIN  := $(BUILD)/test_memtrain

DEBIAN_PACKAGES := build-essential clang libconfig-dev zlib1g-dev libomp-dev gnuplot-nox \
                   dataset-fashion-mnist valgrind python3 python3-numpy \
                   python3-torch python3-torchvision

.PHONY: all deps check test paper docs clean help
all: $(BIN) $(LIB)

Q := $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Objects depend on the flags too.
$(LIB_OBJ) $(CLI_OBJ) $(TEST_OBJ): Makefile

$(BUILD)/tests/%.o: CFLAGS += -DMT_SOURCE_DIR='"$(CURDIR)"'

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(TESTBIN): $(TEST_OBJ) $(LIB)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Install every Debian package memtrain, its tests and its tools need.
deps:
	@if dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1; then echo "deps: all installed"; \
	 else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	      $$SUDO apt-get update -qq && \
	      DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEBIAN_PACKAGES); fi

# The suite, then the CHECK_EXTRA parts (sanitizers, valgrind, fuzzing: see the
# section at the end); one total line.  `make check CHECK_EXTRA=` runs the suite only.
check: $(BIN) $(TESTBIN)
	$(CHECK_RECIPE)

test: check

paper: $(BIN)
	@mkdir -p results
	$(BIN) train --preset mnist --cell 2pcm3t1c --pulse-stats --json results/paper-mnist.jsonl

# Regenerate the generated parts of docs/.
docs: $(BIN)
	bash tools/gen_parameters_doc.sh $(BIN) > docs/parameters.md

clean:
	rm -rf $(BUILD)

help:
	@sed -n '1,12p' Makefile

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

# ============================================================================
# Fuzzing and sanitizer checks (fuzz/README.md).  `make check` runs the normal
# suite and then every part listed in CHECK_EXTRA, and ends with ONE total line.
#
#   make fuzz-build               libFuzzer harnesses fuzz/fuzz_*.c (clang, ASan+UBSan) -> build-fuzz/
#   make fuzz FUZZ_SECONDS=600    fuzz each harness FUZZ_SECONDS; new inputs stay in build-fuzz/corpus;
#                                 FUZZ_MERGE=1 merges and minimises them into fuzz/corpus
#   make fuzz-smoke               each harness over its committed corpus + FUZZ_SMOKE_SECONDS of fuzzing
#   make fuzz-regressions         replay fuzz/regressions/<harness>/* (crashers found earlier)
#   make check-san                the whole suite built with SAN=1 into build-san/ (gcc ASan+UBSan)
#   make check-valgrind           the unit tests (VG_UNIT_TESTS=names: some) and a short train under valgrind
#                                 (build-valgrind/, MARCH=x86-64-v2: valgrind knows no AVX-512)
#   make check CHECK_EXTRA=       the normal suite only
# ============================================================================

FUZZ_CC            ?= clang
FUZZ_BUILD         ?= build-fuzz
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 10
SAN_BUILD          ?= build-san
VG_BUILD           ?= build-valgrind
VG_MARCH           ?= x86-64-v2
VG_UNIT_TESTS      ?=
CHECK_EXTRA        ?= check-san check-valgrind fuzz-smoke fuzz-regressions
# Sub-makes of the checks build in parallel even under a serial `make check`.
CHECK_JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
SUBMAKE_J           = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(CHECK_JOBS))

# libFuzzer's runtime ships in libclang-rt-14-dev on Debian 12.
DEBIAN_PACKAGES += libclang-rt-14-dev

# UBSan checks stay recoverable in the fuzz build; the harnesses default to
# halt_on_error=1 (fuzz/fuzz_common.h), so any report still stops the run.
# -Wno-pass-failed: see WARN (the fuzz build is clang's whatever CC is).
FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -Wno-pass-failed
FUZZ_NAMES    := $(sort $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c)))
FUZZ_BINS     := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJ  := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB      := $(FUZZ_BUILD)/libmemtrain.a

# Every sanitizer report goes to $(SAN_LOGS).<pid> (a test that checks stderr
# line by line cannot be upset by one), and check-san fails if any holds an error.
# allocator_may_return_null: the suite checks that absurd allocations fail cleanly
# (exit 5); ASan logs a WARNING for them, which is not a finding.
# lsan.supp: leaks inside libconfig itself (fuzz/README.md, Findings).
SAN_LOGS := $(CURDIR)/$(SAN_BUILD)/sanitizer-logs/report
SAN_ENV  := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:log_path=$(SAN_LOGS) \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(SAN_LOGS) \
            LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp
VALGRIND := valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite,indirect

.PHONY: fuzz-build fuzz fuzz-smoke fuzz-regressions check-san check-valgrind clean-fuzz

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CFLAGS) $(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB_OBJ): Makefile

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h $(wildcard include/*.h src/*/*.h) $(FUZZ_LIB) Makefile
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(CFLAGS) $(FUZZ_SANFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) $(LDFLAGS) $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_MERGE=$(FUZZ_MERGE) bash fuzz/fuzz.sh run $(FUZZ_SECONDS)

fuzz-smoke:
	@echo "== fuzz smoke test (fuzz/corpus + $(or $(FUZZ_SMOKE_RUNS:%=% runs),$(FUZZ_SMOKE_SECONDS) s) per harness)"
	@$(MAKE) --no-print-directory $(SUBMAKE_J) fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SMOKE_RUNS=$(FUZZ_SMOKE_RUNS) bash fuzz/fuzz.sh smoke $(FUZZ_SMOKE_SECONDS)

fuzz-regressions:
	@echo "== fuzz regressions (fuzz/regressions)"
	@$(MAKE) --no-print-directory $(SUBMAKE_J) fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz_regressions.sh

check-san:
	@echo "== test suite under AddressSanitizer + UndefinedBehaviorSanitizer ($(SAN_BUILD)/)"
	@$(MAKE) --no-print-directory $(SUBMAKE_J) BUILD=$(SAN_BUILD) SAN=1 \
	    EXTRA_CFLAGS=-fsanitize=float-cast-overflow $(SAN_BUILD)/memtrain $(SAN_BUILD)/test_memtrain
	@rm -rf $(dir $(SAN_LOGS)) && mkdir -p $(dir $(SAN_LOGS)); out=$$(mktemp); trap 'rm -f "$$out"' EXIT; \
	 $(SAN_ENV) MEMTRAIN=$(CURDIR)/$(SAN_BUILD)/memtrain TESTBIN=$(CURDIR)/$(SAN_BUILD)/test_memtrain \
	     bash tests/run.sh 2>&1 | tee $$out; \
	 line=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' $$out | tail -n 1); \
	 if [ -n "$$line" ]; then set -- $$line; passed=$$1; failed=$$3; else passed=0; failed=1; fi; \
	 reports=$$(grep -lE 'ERROR: |runtime error' $(SAN_LOGS).* 2>/dev/null); \
	 if [ -n "$$reports" ]; then echo "FAIL sanitizer reports ($(dir $(SAN_LOGS))):"; cat $$reports; \
	     failed=$$((failed + $$(echo "$$reports" | wc -l))); \
	 else echo "PASS no sanitizer reports ($$(ls $(SAN_LOGS).* 2>/dev/null | wc -l) warning logs)"; passed=$$((passed + 1)); fi; \
	 echo "$$passed passed, $$failed failed"; [ $$failed -eq 0 ]

# valgrind does not know AVX-512: its build ($(VG_BUILD)/) targets $(VG_MARCH).
check-valgrind:
	@echo "== valgrind ($(VALGRIND)) on $(VG_BUILD)/ (MARCH=$(VG_MARCH))"
	@$(MAKE) --no-print-directory $(SUBMAKE_J) BUILD=$(VG_BUILD) MARCH=$(VG_MARCH) $(VG_BUILD)/memtrain $(VG_BUILD)/test_memtrain
	@passed=0; failed=0; out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	 $(VALGRIND) $(VG_BUILD)/test_memtrain $(VG_UNIT_TESTS) >$$out/unit 2>&1; rc=$$?; cat $$out/unit; \
	 line=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' $$out/unit | tail -n 1); \
	 if [ -n "$$line" ]; then set -- $$line; passed=$$((passed + $$1)); failed=$$((failed + $$3)); fi; \
	 if [ $$rc -ne 0 ] && { [ -z "$$line" ] || [ "$$3" = 0 ]; }; then \
	     echo "FAIL valgrind: $(VG_BUILD)/test_memtrain exit $$rc"; failed=$$((failed + 1)); fi; \
	 OMP_NUM_THREADS=2 $(VALGRIND) $(VG_BUILD)/memtrain train --preset digits --epochs 1 --set net.hidden=16 \
	     --train-limit 400 --json $$out/train.jsonl >$$out/train 2>&1; rc=$$?; \
	 if [ $$rc -eq 0 ]; then echo "PASS valgrind: memtrain train --preset digits --epochs 1"; passed=$$((passed + 1)); \
	 else cat $$out/train; echo "FAIL valgrind: memtrain train --preset digits --epochs 1 (exit $$rc)"; failed=$$((failed + 1)); fi; \
	 echo "$$passed passed, $$failed failed"; [ $$failed -eq 0 ]

# Run the normal suite, then every CHECK_EXTRA part even if one fails; sum their
# "N passed, N failed" lines (a part that prints none counts as one failure).
define CHECK_RECIPE
+@log=$$(mktemp -d); trap 'rm -rf "$$log"' EXIT; \
 MEMTRAIN=$(CURDIR)/$(BIN) TESTBIN=$(CURDIR)/$(TESTBIN) bash tests/run.sh 2>&1 | tee $$log/0-suite; \
 i=1; for part in $(CHECK_EXTRA); do \
     $(MAKE) --no-print-directory $$part 2>&1 | tee $$log/$$i-$$part; i=$$((i + 1)); done; \
 passed=0; failed=0; echo "== total of every part"; \
 for f in $$log/*; do \
     line=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' $$f | tail -n 1); \
     if [ -z "$$line" ]; then echo "$${f##*/[0-9]-}: no summary line (failed to build or crashed)"; failed=$$((failed + 1)); \
     else echo "$${f##*/[0-9]-}: $$line"; set -- $$line; passed=$$((passed + $$1)); failed=$$((failed + $$3)); fi; \
 done; \
 echo "$$passed passed, $$failed failed"; [ $$failed -eq 0 ]
endef

clean-fuzz:
	rm -rf $(FUZZ_BUILD) $(SAN_BUILD) $(VG_BUILD)

-include $(FUZZ_LIB_OBJ:.o=.d)
