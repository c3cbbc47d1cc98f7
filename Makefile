# afftrack build. `make` builds build/afftrack; `make run` installs what is missing,
# builds, seeds demo data into ./data and serves on 127.0.0.1:8080; `make test` runs
# every test tier that exists (unit, e2e incl. the SIGKILL durability test).

CC       ?= cc
BUILD    ?= build
SANITIZE ?=
PKGS      = libh2o-evloop jansson sqlite3 libcrypto libssl libsodium

CFLAGS  ?= -O2 -g
# `override` keeps the project's flags when CFLAGS is given on the command line.
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers \
           -Isrc -DH2O_USE_LIBUV=0 -pthread -fno-strict-aliasing
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lh2o-evloop -ljansson -lsqlite3 -lssl -lcrypto -lsodium) -lz -lpthread -lm
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
export LSAN_OPTIONS = suppressions=$(abspath tests/lsan.supp)
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
endif

SRC       := $(sort $(wildcard src/*/*.c))
OBJ       := $(SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ  := $(BUILD)/src/main.o
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c))
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/%.o)

.PHONY: all deps run test unit e2e clean format bench bench-quick

all: $(BUILD)/afftrack

$(BUILD)/afftrack: $(MAIN_OBJ) $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)

deps:
	@bash scripts/deps.sh

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

e2e: $(BUILD)/afftrack
	AFFTRACK_BIN=$(abspath $(BUILD)/afftrack) node --test --test-concurrency=1 tests/e2e/

test: deps
	$(MAKE) all $(BUILD)/unit-tests
	$(BUILD)/unit-tests
	AFFTRACK_BIN=$(abspath $(BUILD)/afftrack) node --test --test-concurrency=1 tests/e2e/

run: deps
	$(MAKE) all
	$(BUILD)/afftrack demo --data ./data
	$(BUILD)/afftrack serve --listen 127.0.0.1:8080 --data ./data

format:
	clang-format -i $(SRC) src/main.c $(UNIT_SRC) tests/unit/*.h src/*/*.h

clean:
	rm -rf $(BUILD)

# Benchmarks B1-B4 against nginx, PostgreSQL and SQLite references measured in the same run
# (docs/benchmarks.md): installs what is missing, builds build/release, prints a table of
# figures and ratios and rewrites this mode's results section of docs/benchmarks.md.
bench:
	bash bench/run.sh full

bench-quick:
	bash bench/run.sh quick
