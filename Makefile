# odooctl build. `make` builds build/odooctl; `make check` runs every test.
CC      ?= cc
PKGS    := libcurl jansson inih libpq libarchive libcrypto
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

# Everything CI runs: the normal build with its unit tests, then the same
# under ASan/UBSan, then the end-to-end suite against real services driving
# the sanitized binary.
check:
	$(MAKE) all unit
	$(MAKE) B=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit build/asan/odooctl
	ODOOCTL=$(CURDIR)/build/asan/odooctl tests/e2e/run.sh

demo: all
	bash tools/demo.sh

clean:
	rm -rf build

.PHONY: all unit check demo clean
