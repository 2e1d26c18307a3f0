# odooctl build. `make` builds build/odooctl; `make check` runs every test.
CC      ?= cc
comma   := ,
PKGS    := libcurl jansson inih libpq libarchive libmicrohttpd libssl \
           libcrypto
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS)) -Isrc
LDLIBS  := $(shell pkg-config --libs $(PKGS))

B       ?= build
# The libraries, a folder each by concern (src/*/README.md; doc/internals.md
# draws the layers); src/cmd/ holds the verbs, src/cli/ what they share.
LIB_SRC := $(filter-out src/cmd/%,$(wildcard src/*/*.c))
HEADERS := $(wildcard src/*/*.h)
CMD_SRC := $(wildcard src/cmd/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
CMD_OBJ := $(CMD_SRC:src/%.c=$(B)/obj/%.o) $(B)/obj/odooctl.o
UNIT    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

all: $(B)/odooctl $(B)/odooctl-monitor

$(B)/odooctl: $(CMD_OBJ) $(B)/libodooctl.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# The monitor's own program (src/odooctl-monitor.c): only the objects it
# calls, and --as-needed, so that it maps only the libraries those call
# (libcurl, libpq, libmicrohttpd, jansson, inih; not libarchive).
$(B)/odooctl-monitor: $(B)/obj/odooctl-monitor.o $(B)/obj/cmd/monitor.o \
		$(B)/libodooctl.a
	$(CC) $(ALL_CFLAGS) -Wl,--as-needed -o $@ $^ $(LDLIBS) -lpthread

$(B)/libodooctl.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libodooctl.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libodooctl.a $(LDLIBS) -lcmocka

# src/'s folders are its layers: includes point down, as each folder's
# README.md allows; no include circle; no file over 1,000 lines.
layers:
	python3 tools/check-layers.py src

unit: $(UNIT)
	@for t in $(UNIT); do echo "# $$t"; $$t || exit 1; done

# The parsers of outside input under libFuzzer (Debian's clang), each from
# its seeds; any finding fails: the manifest literal parser for
# FUZZ_SECONDS, then the configuration, the state files (current,
# last_good_sha, journal, history.log), the judge of an upgrade's output,
# the registry credentials file, a secrets provider's KEY=VALUE output
# the hardening gate's parsers (odoo.conf, compose config, nginx.conf)
# the Docker Engine API's replies (streams, frames, errors, inspections),
# what AWS answers the SSM provider (pages, errors, instance metadata
# credentials, the shared credentials file), the verdicts on a
# release's health answers, a plain pg_dump's scan and the odoo.conf of
# an Odoo that odooctl migrate moves (odooconf.c), for FUZZ_EACH_SECONDS
# each. HTTP and PostgreSQL replies are libcurl's and libpq's to parse,
# HTTP requests to /metrics libmicrohttpd's.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_EACH_SECONDS ?= 10
FUZZ_TARGETS := pyliteral config state upgrade regauth secrets harden engine \
                aws health dumpscan odooconf
FUZZ_FLAGS   := -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
                -fno-sanitize-recover=all \
                $(shell pkg-config --cflags $(PKGS)) -Isrc
FUZZ_OBJ     := $(LIB_SRC:src/%.c=$(B)/fuzz/obj/%.o)
FUZZ_SEEDS_pyliteral = $(shell find tests/fixtures/manifests services -name __manifest__.py) \
                $(wildcard tests/fuzz/seeds/*)
FUZZ_SEEDS_config = $(wildcard infra/stacks/*/odooctl.conf tests/fuzz/seeds-config/*)
FUZZ_SEEDS_state = $(wildcard tests/fuzz/seeds-state/*)
FUZZ_SEEDS_upgrade = $(wildcard tests/fuzz/seeds-upgrade/*)
FUZZ_SEEDS_regauth = $(wildcard tests/fuzz/seeds-regauth/*)
FUZZ_SEEDS_secrets = $(wildcard tests/fuzz/seeds-secrets/*)
FUZZ_SEEDS_harden = $(wildcard tests/fuzz/seeds-harden/*)
FUZZ_SEEDS_engine = $(wildcard tests/fuzz/seeds-engine/*)
FUZZ_SEEDS_aws = $(wildcard tests/fuzz/seeds-aws/*)
FUZZ_SEEDS_health = $(wildcard tests/fuzz/seeds-health/*)
FUZZ_SEEDS_dumpscan = $(wildcard tests/fuzz/seeds-dumpscan/*)
FUZZ_SEEDS_odooconf = $(wildcard services/*/odoo.conf \
                tests/fuzz/seeds-odooconf/*)

$(B)/fuzz/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-c -o $@ $<

$(B)/fuzz/libfuzz.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_files.h $(B)/fuzz/libfuzz.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(B)/fuzz/libfuzz.a $(LDLIBS) -lm

# fuzz-run NAME SECONDS EXTRA-FLAGS
define fuzz-run
	@rm -rf $(B)/fuzz/seeds-$(1) && mkdir -p $(B)/fuzz/seeds-$(1) $(B)/fuzz/corpus-$(1)
	@n=0; for f in $(FUZZ_SEEDS_$(1)); do n=$$((n + 1)); \
		cp "$$f" $(B)/fuzz/seeds-$(1)/seed-$$n; done
	@echo "fuzz: fuzz_$(1) for $(2) s (log: $(B)/fuzz/log-$(1))"
	@$(B)/fuzz/fuzz_$(1) -max_len=65536 -max_total_time=$(2) -timeout=10 \
		$(3) -print_final_stats=1 -artifact_prefix=$(B)/fuzz/$(1)- \
		$(B)/fuzz/corpus-$(1) $(B)/fuzz/seeds-$(1) \
		>$(B)/fuzz/log-$(1) 2>&1 || { tail -n 60 $(B)/fuzz/log-$(1); exit 1; }
	@grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' $(B)/fuzz/log-$(1)
endef

fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
	$(call fuzz-run,pyliteral,$(FUZZ_SECONDS),-dict=tests/fuzz/pyliteral.dict)
	$(call fuzz-run,config,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,state,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,upgrade,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,regauth,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,secrets,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,harden,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,engine,$(FUZZ_EACH_SECONDS),-dict=tests/fuzz/engine.dict)
	$(call fuzz-run,aws,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,health,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,dumpscan,$(FUZZ_EACH_SECONDS),)
	$(call fuzz-run,odooconf,$(FUZZ_EACH_SECONDS),)

# Everything CI runs: the normal build with its unit tests, the literal
# parser under libFuzzer for FUZZ_SECONDS, the unit tests again under
# ASan/UBSan, then the end-to-end suite against real services driving the
# sanitized binary.
# Each tier's time is printed as it ends (run.sh prints its own tiers').
TIMED = t=$$(date +%s); $(1); rc=$$?; \
	echo "\# tier $(2): $$(($$(date +%s) - t)) s"; exit $$rc
check:
	@$(call TIMED,$(MAKE) layers all unit,build and unit tests)
	@$(call TIMED,$(MAKE) fuzz,fuzzing)
	@$(call TIMED,$(MAKE) B=build/asan CFLAGS="-O1 -g -fsanitize=address$(comma)undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit build/asan/odooctl build/asan/odooctl-monitor,unit tests under ASan/UBSan)
	@$(call TIMED,ODOOCTL=$(CURDIR)/build/asan/odooctl tests/e2e/run.sh,end-to-end and chaos)

demo: all
	bash tools/demo.sh

# odooctl lint's knowledge of Odoo 19 (its modules, asset bundles and asset
# files), src/odoo/odoo19_data.c, is generated from the Odoo 19 source
# tarball by tools/gen-odoo19-data.py and committed: `make odoo19-data`
# writes it again, `make check-odoo19-data` fails when it differs (so does
# tests/e2e/t0505).
ODOO19_TARBALL ?= ../shared/odoo19/odoo-19.0-min.tar.xz
odoo19-data:
	python3 tools/gen-odoo19-data.py $(ODOO19_TARBALL) src/odoo/odoo19_data.c

check-odoo19-data:
	@mkdir -p $(B)
	python3 tools/gen-odoo19-data.py $(ODOO19_TARBALL) $(B)/odoo19_data.c
	cmp src/odoo/odoo19_data.c $(B)/odoo19_data.c

clean:
	rm -rf build

.PHONY: layers all unit fuzz check demo clean odoo19-data check-odoo19-data
