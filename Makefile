# Waybill build. `make` builds build/waybill; `make test` runs every suite;
# `make demo` runs the one-machine demo; `make bench` the benchmark.
# SAN=1 builds everything with ASan + UBSan into build/san/.
# Missing Debian packages are installed by `make deps` (run automatically).

.DEFAULT_GOAL := all
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= cc
OPT ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral -Wvla
CPPFLAGS += -D_GNU_SOURCE -I. -I$(BUILD)/gen -MMD -MP
CFLAGS_BASE := -std=c17 $(OPT) $(SANFLAGS)
CFLAGS += $(CFLAGS_BASE) $(WARN)
LDFLAGS += $(SANFLAGS)

# pkg-config flags are written by deps.mk after `make deps` made sure the
# packages exist; GNU make restarts itself once deps.mk has been (re)built.
PKGS := libsodium lmdb libuv libprotobuf-c inih jansson libmicrohttpd
-include $(BUILD)/deps.mk
$(BUILD)/deps.mk: Makefile scripts/deps.sh
	@mkdir -p $(@D)
	@sh scripts/deps.sh check >/dev/null 2>&1 || sh scripts/deps.sh install
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS) cmocka)"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(PKGS))"; \
	   echo "CMOCKA_LIBS := $$(pkg-config --libs cmocka)"; } > $@

CPPFLAGS += $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -lm -lpthread

.PHONY: all deps test unit sim cluster demo bench bench-compare bench-store bench-tree bench-devices \
	bench-risk bench-state clean fuzz sim-valset
all: $(BUILD)/waybill

deps:
	sh scripts/deps.sh install

# ---- generated protobuf code ------------------------------------------------
PROTO_C := $(BUILD)/gen/proto/waybill.pb-c.c
PROTO_H := $(BUILD)/gen/proto/waybill.pb-c.h
$(PROTO_C) $(PROTO_H) &: proto/waybill.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen proto/waybill.proto
$(BUILD)/obj/gen/proto/waybill.pb-c.o: $(PROTO_C)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS_BASE) -w -c $< -o $@

# ---- generated reference data -------------------------------------------------
# The country codes of ledger/data/ become a C table linked into libledger
# (ledger/country.h): ISO 3166-1 first, then the codes UN/LOCODE adds.
COUNTRY_DATA := ledger/data/iso3166-1.tsv ledger/data/unlocode-countries.tsv
COUNTRY_C := $(BUILD)/gen/ledger/countries.c
$(COUNTRY_C): ledger/data/gen_countries.awk $(COUNTRY_DATA)
	@mkdir -p $(@D)
	LC_ALL=C awk -f ledger/data/gen_countries.awk $(COUNTRY_DATA) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/ledger/countries.o: $(COUNTRY_C)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
# The UN/LOCODE places with coordinates (ledger/locode.h), the same way.
LOCODE_DATA := ledger/data/unlocode-coords.tsv
LOCODE_C := $(BUILD)/gen/ledger/locodes.c
$(LOCODE_C): ledger/data/gen_locodes.awk $(LOCODE_DATA)
	@mkdir -p $(@D)
	LC_ALL=C awk -f ledger/data/gen_locodes.awk $(LOCODE_DATA) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/ledger/locodes.o: $(LOCODE_C)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# ---- modules: one static archive per folder ---------------------------------
MODULES := common ledger risk consensus storage node
common_EXTRA := $(BUILD)/obj/gen/proto/waybill.pb-c.o
ledger_EXTRA := $(BUILD)/obj/gen/ledger/countries.o $(BUILD)/obj/gen/ledger/locodes.o
# The test seams' state belongs to the seams build only (below).
consensus_EXCLUDE := consensus/seam.c
define module_rules
$(1)_SRC := $$(filter-out $$($(1)_EXCLUDE),$$(wildcard $(1)/*.c $(1)/*/*.c))
$(1)_OBJ := $$(patsubst %.c,$(BUILD)/obj/%.o,$$($(1)_SRC)) $$($(1)_EXTRA)
# The Makefile is a prerequisite so that a changed object list rebuilds the archive.
$(BUILD)/lib$(1).a: $$($(1)_OBJ) Makefile
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$(filter %.o,$$^)
endef
$(foreach m,$(MODULES),$(eval $(call module_rules,$(m))))

$(BUILD)/obj/%.o: %.c $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Libraries a program needs, by its lowest module (link order: top first).
LIBS_common := $(BUILD)/libcommon.a
LIBS_ledger := $(BUILD)/libledger.a $(LIBS_common)
LIBS_consensus := $(BUILD)/libconsensus.a $(LIBS_ledger)
LIBS_storage := $(BUILD)/libstorage.a $(LIBS_ledger)
LIBS_risk := $(BUILD)/librisk.a $(LIBS_ledger)
LIBS_node := $(BUILD)/libnode.a $(BUILD)/librisk.a $(BUILD)/libstorage.a $(BUILD)/libconsensus.a \
	$(LIBS_ledger)

# The consensus core once more with its test seams (consensus/seam.h), for
# the simulator only, which is compiled with CONS_SEAMS too: objects under
# $(BUILD)/obj-seams/, archive $(BUILD)/libconsensus_seams.a. The production
# archive above and everything linked with it hold no seam.
SEAMS_SRC := $(wildcard consensus/*.c)
SEAMS_OBJ := $(patsubst %.c,$(BUILD)/obj-seams/%.o,$(SEAMS_SRC))
$(BUILD)/libconsensus_seams.a: $(SEAMS_OBJ) Makefile
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(filter %.o,$^)
$(BUILD)/obj-seams/%.o: %.c $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DCONS_SEAMS $(CFLAGS) -c $< -o $@
LIBS_consensus_seams := $(BUILD)/libconsensus_seams.a $(LIBS_ledger)

CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
CLI_LIB_OBJ := $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJ))
$(BUILD)/libcli.a: $(CLI_LIB_OBJ) Makefile
	rm -f $@ && ar rcs $@ $(filter %.o,$^)
LIBS_cli := $(BUILD)/libcli.a $(LIBS_node)

$(BUILD)/waybill: $(BUILD)/obj/cli/main.o $(LIBS_cli)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- tests ------------------------------------------------------------------
# tests/unit/<module>_<what>.c is one cmocka program linked with <module> and
# everything below it.
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
unit_mod = $(firstword $(subst _, ,$(notdir $(1))))
.SECONDARY:
.DELETE_ON_ERROR:
.SECONDEXPANSION:
$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $$(LIBS_$$(call unit_mod,$$*))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)
# It inspects the production archive, the node and the seams archive.
$(BUILD)/tests/unit/consensus_seams: | $(BUILD)/libconsensus.a $(BUILD)/waybill \
	$(BUILD)/libconsensus_seams.a

SIM_SRC := $(wildcard tests/sim/*.c)
SIM_OBJ := $(patsubst %.c,$(BUILD)/obj-seams/%.o,$(SIM_SRC))
$(BUILD)/tests/sim/sim: $(SIM_OBJ) $(LIBS_consensus_seams)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/cluster/probe: $(BUILD)/obj/tests/cluster/probe.o $(LIBS_cli)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_BINS := $(UNIT_BIN) $(if $(SIM_SRC),$(BUILD)/tests/sim/sim) $(BUILD)/tests/cluster/probe \
	$(BUILD)/bench/loadgen
unit: $(UNIT_BIN)
sim-bin: $(if $(SIM_SRC),$(BUILD)/tests/sim/sim)

test: $(BUILD)/waybill $(TEST_BINS)
	@BUILD=$(BUILD) bash tests/run.sh

SEEDS ?= 10000
sim: $(BUILD)/tests/sim/sim
	$(BUILD)/tests/sim/sim --campaign --seeds $(SEEDS)

# The campaign with validator-set changes in every seed (add, remove,
# replace all, cycling), mixed into the usual faults.
sim-valset: $(BUILD)/tests/sim/sim
	$(BUILD)/tests/sim/sim --campaign --valset any --seeds $(SEEDS)

demo: $(BUILD)/waybill $(BUILD)/tests/cluster/probe
	@BUILD=$(BUILD) bash scripts/demo.sh

# `make bench-compare`: make bench and the etcd peer benchmark alternately,
# ROUNDS times each, with issue 12's targets as ratios of the same round.
ROUNDS ?= 2
bench-compare: $(BUILD)/waybill $(BUILD)/bench/loadgen
	@BUILD=$(BUILD) QUICK=$(QUICK) ROUNDS=$(ROUNDS) bash scripts/bench_compare.sh

BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRC))
$(BUILD)/bench/loadgen: $(BENCH_OBJ) $(LIBS_cli)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# GROWTH=1: the growth run (bench/growth.sh): GROWTH_LOADS saturation loads
# filling one testnet to GROWTH_EVENTS, then catch-up and start-up times.
QUICK ?= 0
GROWTH ?= 0
GROWTH_EVENTS ?= 1000000
GROWTH_LOADS ?= 5
bench: $(BUILD)/waybill $(if $(BENCH_SRC),$(BUILD)/bench/loadgen)
	@BUILD=$(BUILD) QUICK=$(QUICK) GROWTH=$(GROWTH) GROWTH_EVENTS=$(GROWTH_EVENTS) \
		GROWTH_LOADS=$(GROWTH_LOADS) bash bench/run.sh

# The storage growth micro-benchmark (bench/store/store_growth.c): appends to
# a fresh store up to STORE_EVENTS events, printing the cost per event every
# 100,000. Not part of the loadgen (bench/*.c).
STORE_EVENTS ?= 1000000
$(BUILD)/bench/store_growth: $(BUILD)/obj/bench/store/store_growth.o \
		$(BUILD)/obj/bench/store/store_bench.o $(LIBS_storage)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
bench-store: $(BUILD)/bench/store_growth
	$(BUILD)/bench/store_growth --events $(STORE_EVENTS)

# The start-up benchmark of the item-state tree (bench/store/tree_bench.c):
# a fresh store of TREE_ITEMS items, then store_open and the tree rebuilt
# from the registration-order index, timed; last line `tree-load items=N ms=M`.
TREE_ITEMS ?= 1000000
$(BUILD)/bench/tree_bench: $(BUILD)/obj/bench/store/tree_bench.o \
		$(BUILD)/obj/bench/store/store_bench.o $(LIBS_node)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
bench-tree: $(BUILD)/bench/tree_bench
	$(BUILD)/bench/tree_bench --items $(TREE_ITEMS)

# Devices (bench/devices.sh): readings per second from `waybill device
# import` (ITEMS trackers of DAYS days each) and the time of an offline
# `waybill verify` of one such item, VERIFY_RUNS times.
DAYS ?= 30
ITEMS ?= 3
VERIFY_RUNS ?= 9
bench-devices: $(BUILD)/waybill
	@BUILD=$(BUILD) DAYS=$(DAYS) ITEMS=$(ITEMS) VERIFY_RUNS=$(VERIFY_RUNS) bash bench/devices.sh

# What the item-state commitment costs (bench/state_cost.sh): the saturation
# load on a testnet of header version 1 and one of version 2, alternately,
# ROUNDS times each, with the ratio v2 / v1 per round and the worst.
STATE_EVENTS ?= 100000
STATE_ITEMS ?= 1000
# `make bench-risk`: waybill risk --org over ITEMS items and waybill risk of
# a 1,000-event chain (bench/risk_org.sh).
bench-risk: $(BUILD)/waybill $(BUILD)/bench/loadgen
	@BUILD=$(BUILD) bash bench/risk_org.sh

bench-state: $(BUILD)/waybill $(BUILD)/bench/loadgen
	@BUILD=$(BUILD) ROUNDS=$(ROUNDS) STATE_EVENTS=$(STATE_EVENTS) STATE_ITEMS=$(STATE_ITEMS) \
		bash bench/state_cost.sh

# ---- fuzz targets ------------------------------------------------------------
# `make fuzz` builds each tests/fuzz/<name>.c (one libFuzzer target) with clang
# against the modules compiled by clang with ASan + UBSan + coverage into
# build/fuzz/ (its own objects; the gcc builds are untouched), then runs each
# for FUZZ_SECONDS from tests/fuzz/corpus/<name>/ (new inputs are kept in
# build/fuzz/corpus/<name>/, crash inputs in build/fuzz/crashes/, logs in
# build/fuzz/<name>.log) and fails if any target crashed. Needs clang with
# libFuzzer (Debian: clang libclang-rt-dev). FUZZ_TARGETS picks a subset.
FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(filter-out tests/fuzz/make_corpus.c,$(wildcard tests/fuzz/*.c)))
$(BUILD)/tests/fuzz/make_corpus: $(BUILD)/obj/tests/fuzz/make_corpus.o $(LIBS_consensus)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIBS_node)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
fuzz:
	@mkdir -p $(FUZZ_BUILD)/crashes
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > $(FUZZ_BUILD)/probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_BUILD)/probe.c -o $(FUZZ_BUILD)/probe 2>/dev/null || \
	  { echo "fuzz: '$(FUZZ_CC) -fsanitize=fuzzer' does not link; install clang and libclang-rt-dev" >&2; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	  SANFLAGS='$(FUZZ_SAN) -fsanitize=fuzzer-no-link' \
	  $(addprefix $(FUZZ_BUILD)/tests/fuzz/,$(FUZZ_TARGETS) make_corpus)
	@failed=; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t; \
	  dict=; if [ -f tests/fuzz/$$t.dict ]; then dict=-dict=tests/fuzz/$$t.dict; fi; \
	  log=$(FUZZ_BUILD)/$$t.log; start=$$(date +%s); \
	  if $(FUZZ_BUILD)/tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 $$dict \
	       -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- -print_final_stats=1 \
	       $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; then \
	    printf 'fuzz %-12s ok     %4ss  %s\n' $$t $$(( $$(date +%s) - start )) \
	      "$$(grep -E '^#[0-9]+[[:space:]]+DONE' $$log | tail -1 | sed -E 's/[[:space:]]+/ /g')"; \
	  else \
	    failed="$$failed $$t"; \
	    printf 'fuzz %-12s CRASH  %4ss  (log: %s)\n' $$t $$(( $$(date +%s) - start )) $$log; \
	    grep -E 'ERROR|SUMMARY|target:|Test unit written|==[0-9]+==' $$log | head -20; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashed:$$failed (inputs in $(FUZZ_BUILD)/crashes/)" >&2; exit 1; fi

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/obj-seams -name '*.d' 2>/dev/null)
