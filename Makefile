# odooctl build. `make` builds build/odooctl; `make check` runs every test.
CC      ?= cc
PKGS    := libcurl jansson inih libpq libarchive libcrypto libmicrohttpd
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS)) -Isrc/lib
LDLIBS  := $(shell pkg-config --libs $(PKGS))

B       ?= build
LIB_SRC := $(wildcard src/lib/*.c)
CMD_SRC := $(wildcard src/cmd/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
CMD_OBJ := $(CMD_SRC:src/%.c=$(B)/obj/%.o) $(B)/obj/odooctl.o
UNIT    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

all: $(B)/odooctl

$(B)/odooctl: $(CMD_OBJ) $(B)/libodooctl.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libodooctl.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/obj/%.o: src/%.c $(wildcard src/lib/*.h src/cmd/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc/cmd -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libodooctl.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libodooctl.a $(LDLIBS) -lcmocka

unit: $(UNIT)
	@for t in $(UNIT); do echo "# $$t"; $$t || exit 1; done

# The literal parser under libFuzzer (Debian's clang) for FUZZ_SECONDS,
# from the fixture manifests and tests/fuzz/seeds; any finding fails.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRC     := src/lib/pylex.c src/lib/pyliteral.c src/lib/pyval.c src/lib/util.c
FUZZ_SEEDS    = $(shell find tests/fixtures/manifests services -name __manifest__.py) \
                $(wildcard tests/fuzz/seeds/*)

$(B)/fuzz/fuzz_pyliteral: tests/fuzz/fuzz_pyliteral.c $(FUZZ_SRC) $(wildcard src/lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Isrc/lib -o $@ $< $(FUZZ_SRC) -lm

fuzz: $(B)/fuzz/fuzz_pyliteral
	@rm -rf $(B)/fuzz/seeds && mkdir -p $(B)/fuzz/seeds $(B)/fuzz/corpus
	@n=0; for f in $(FUZZ_SEEDS); do n=$$((n + 1)); \
		cp "$$f" $(B)/fuzz/seeds/seed-$$n; done
	@echo "fuzz: fuzz_pyliteral for $(FUZZ_SECONDS) s (log: $(B)/fuzz/log)"
	@$(B)/fuzz/fuzz_pyliteral -max_len=65536 -max_total_time=$(FUZZ_SECONDS) \
		-timeout=10 -dict=tests/fuzz/pyliteral.dict -print_final_stats=1 \
		-artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus $(B)/fuzz/seeds \
		>$(B)/fuzz/log 2>&1 || { tail -n 60 $(B)/fuzz/log; exit 1; }
	@grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' $(B)/fuzz/log

# Everything CI runs: the normal build with its unit tests, the literal
# parser under libFuzzer for FUZZ_SECONDS, the unit tests again under
# ASan/UBSan, then the end-to-end suite against real services driving the
# sanitized binary.
check:
	$(MAKE) all unit
	$(MAKE) fuzz
	$(MAKE) B=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit build/asan/odooctl
	ODOOCTL=$(CURDIR)/build/asan/odooctl tests/e2e/run.sh

demo: all
	bash tools/demo.sh

clean:
	rm -rf build

.PHONY: all unit fuzz check demo clean
