# afftrack build. `make` builds build/afftrack; `make run` installs what is missing,
# builds, seeds demo data into ./data and serves on 127.0.0.1:8080; `make test` runs
# every test tier that exists (unit, fuzz replay, e2e incl. the SIGKILL durability test, browser).

CC       ?= cc
BUILD    ?= build
SANITIZE ?=
PKGS      = libh2o-evloop jansson sqlite3 libcrypto libssl libsodium libpcre2-8 libmaxminddb libargon2 icu-i18n icu-uc

CFLAGS  ?= -O2 -g
# `override` keeps the project's flags when CFLAGS is given on the command line.
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers \
           -Isrc -I$(BUILD) -DH2O_USE_LIBUV=0 -pthread -fno-strict-aliasing
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lh2o-evloop -ljansson -lsqlite3 -lssl -lcrypto -lsodium -lpcre2-8 -lmaxminddb -largon2 -licui18n -licuuc -licudata) -lz -lpthread -lm
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
export LSAN_OPTIONS = suppressions=$(abspath tests/lsan.supp)
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
endif

SRC       := $(sort $(wildcard src/*/*.c))
# The dashboard's files (web/ and a few npm module files) become a generated C table,
# $(BUILD)/gen/web_assets.c (scripts/embed-web.js), linked like any other object.
WEB_FILES := $(shell find web -type f 2>/dev/null | sort)
NPM_STAMP := node_modules/.package-lock.json
ASSETS_C  := $(BUILD)/gen/web_assets.c
OBJ       := $(SRC:%.c=$(BUILD)/%.o) $(ASSETS_C:.c=.o)
MAIN_OBJ  := $(BUILD)/src/main.o
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c))
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/%.o)

.PHONY: race all deps run test unit e2e browser clean format format-check bench bench-quick geo

all: $(BUILD)/afftrack

$(BUILD)/afftrack: $(MAIN_OBJ) $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSETS_C): scripts/embed-web.js $(WEB_FILES) $(NPM_STAMP)
	node scripts/embed-web.js $@

$(ASSETS_C:.c=.o): $(ASSETS_C)
	$(CC) $(CFLAGS) -c -o $@ $<

# Generated sources (docs/fraud.md): the known-bot list of the npm package
# crawler-user-agents (package.json, installed by `npm ci`) as C, with each pattern's
# required literal.
BOTUA_JSON := node_modules/crawler-user-agents/crawler-user-agents.json
$(BUILD)/gen/botua_list.h: scripts/gen-botua.js $(BOTUA_JSON)
	@mkdir -p $(dir $@)
	node scripts/gen-botua.js node_modules/crawler-user-agents $@
$(BUILD)/src/track/botua.o: $(BUILD)/gen/botua_list.h
$(BOTUA_JSON): $(NPM_STAMP)
	@touch $@

# Optional IP databases for the fraud rules hosting_asn and blocked_country
# (docs/fraud.md): npm packages pinned in geo/package.json; the ASN ranges come as CSV,
# so scripts/mmdb-write.js turns them into geo/asn.mmdb. Not part of `make test`.
GEO_COUNTRY := geo/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb
geo: geo/asn.mmdb
	@echo "geo: add to the config file:"
	@echo "  asn_db = $(abspath geo/asn.mmdb)"
	@echo "  country_db = $(abspath $(GEO_COUNTRY))"
geo/asn.mmdb: geo/package.json geo/package-lock.json scripts/mmdb-write.js
	cd geo && npm ci --no-audit --no-fund
	node scripts/mmdb-write.js $@ --asn-csv geo/node_modules/@ip-location-db/asn/asn-ipv4.csv \
		geo/node_modules/@ip-location-db/asn/asn-ipv6.csv

deps:
	@bash scripts/deps.sh

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

e2e: $(BUILD)/afftrack
	AFFTRACK_BIN=$(abspath $(BUILD)/afftrack) node --test --test-concurrency=1 tests/e2e/

# Browser tests: Debian's Chromium driven by playwright-core against the real server;
# screenshots of every main page land in tests/browser/screenshots/.
browser: $(BUILD)/afftrack
	AFFTRACK_BIN=$(abspath $(BUILD)/afftrack) node --test --test-concurrency=1 tests/browser/

test: deps
	$(MAKE) format-check
	$(MAKE) all $(BUILD)/unit-tests
	$(BUILD)/unit-tests
	$(MAKE) fuzz-replay
	AFFTRACK_BIN=$(abspath $(BUILD)/afftrack) node --test --test-concurrency=1 tests/e2e/ tests/browser/
	$(MAKE) race

# Race check: the multi-loop load test (tests/e2e/workers.test.js) against a
# ThreadSanitizer build, which stops the server at the first data race, so the test fails
# on a race the load happened not to turn into a crash.
race:
	$(MAKE) BUILD=build/tsan SANITIZE=thread CFLAGS="-O1 -g" build/tsan/afftrack
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" AFFTRACK_BIN=$(abspath build/tsan/afftrack) \
	    node --test tests/e2e/workers.test.js

run: deps
	$(MAKE) all
	$(BUILD)/afftrack demo --data ./data
	$(BUILD)/afftrack serve --listen 127.0.0.1:8080 --data ./data --affiliate-signup on

# C style (.clang-format, STYLE.md rule 14): `make format` rewrites the files in place,
# `make format-check` fails, naming each line, if any file is not formatted. Both cover
# src/, the unit tests, the fuzz targets and bench/pace.c, headers included.
CLANG_FORMAT ?= clang-format
FORMAT_SRC   := $(sort $(SRC) src/main.c $(wildcard src/*/*.h) $(UNIT_SRC) $(wildcard tests/unit/*.h tests/unit/*/*.h) \
                $(wildcard tests/fuzz/*.c tests/fuzz/*.h) bench/pace.c)

format:
	$(CLANG_FORMAT) -i $(FORMAT_SRC)

format-check:
	$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf $(BUILD)

# Benchmarks B1-B4 against nginx, PostgreSQL and SQLite references measured in the same run
# (docs/benchmarks.md): installs what is missing, builds build/release, prints a table of
# figures and ratios and rewrites this mode's results section of docs/benchmarks.md.
bench:
	bash bench/run.sh full

bench-quick:
	bash bench/run.sh quick

# Fuzzing (tests/fuzz/README.md). `make fuzz-replay` (part of `make test`) builds every
# tests/fuzz/fuzz_*.c with the replay driver under gcc and ASan+UBSan into build/fuzz and
# runs each on its seed corpus plus deterministic mutations of it: seconds, no clang.
# `make fuzz` builds the same targets with clang's libFuzzer into build/fuzz-clang and
# fuzzes each for FUZZ_SECONDS, one at a time; new inputs and crashes stay under
# build/fuzz-clang, never in the repo's corpus.
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_OBJ     := $(FUZZ_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/fuzz/replay.o
FUZZ_SECONDS ?= 30
FUZZ_DRIVER  ?= $(BUILD)/tests/fuzz/replay.o
FUZZ_LDFLAGS ?=
FUZZ_SAN     ?= $(shell printf 'int main(void){return 0;}' | $(CC) -fsanitize=address,undefined -x c - -o /dev/null 2>/dev/null && echo address,undefined)

.PHONY: fuzz fuzz-replay fuzz-bins
.SECONDARY: $(FUZZ_OBJ)

# Without sanitizer support in $(CC) the replay still runs, from objects kept apart.
FUZZ_REPLAY_BUILD = build/fuzz$(if $(FUZZ_SAN),,-nosan)

fuzz-replay:
	$(MAKE) BUILD=$(FUZZ_REPLAY_BUILD) SANITIZE=$(FUZZ_SAN) CFLAGS="-O2 -g $(if $(FUZZ_SAN),-fno-sanitize-recover=all)" fuzz-bins
	bash tests/fuzz/run.sh replay $(FUZZ_REPLAY_BUILD)

fuzz:
	bash tests/fuzz/deps.sh
	$(MAKE) CC=clang BUILD=build/fuzz-clang SANITIZE=address,undefined FUZZ_DRIVER= FUZZ_LDFLAGS=-fsanitize=fuzzer \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link -fno-sanitize-recover=all" fuzz-bins
	bash tests/fuzz/run.sh fuzz build/fuzz-clang $(FUZZ_SECONDS)

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/bin/fuzz_%)

$(BUILD)/bin/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_DRIVER) $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(FUZZ_OBJ:.o=.d)
