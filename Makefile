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
CFLAGS  := -std=c11 $(OPT) -march=$(MARCH) -fno-math-errno -g $(WARN) -fopenmp -Iinclude -Isrc \
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
                   dataset-fashion-mnist valgrind python3 python3-numpy

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

check: $(BIN) $(TESTBIN)
	@MEMTRAIN=$(CURDIR)/$(BIN) TESTBIN=$(CURDIR)/$(TESTBIN) bash tests/run.sh

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
