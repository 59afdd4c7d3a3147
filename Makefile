# feedrx — one Makefile for BPF objects, user-space binaries, tests and benchmarks.
#
#   make            build everything into build/
#   make deps       install missing Debian packages (idempotent, fast when done)
#   make test       deps + build + every test, in the normal and the ASan/UBSan
#                   build; last line "N passed, N failed, N skipped"
#   make demo       deps + build + the embedded default (feedsim in namespaces)
#   make bench      deps + build + side-by-side benchmarks into build/bench/
#   make install    PREFIX=/usr/local DESTDIR=: programs, libfeedrx.a/.so,
#                   public headers, feedrx.pc, man pages, bash completion
#   make fuzz       deps + the libFuzzer targets (tests/fuzz_*.c, built with
#                   clang into build-fuzz/), each run FUZZ_SECONDS (default 60)
#   make soak       deps + build + 30 min per mode at 20,000 msgs/s: RSS, fds,
#                   flow map entries over time into build/soak/ (SOAK_MINUTES,
#                   SOAK_MODES="kernel xdp"); not part of make test
#   make SAN=1 ...  ASan/UBSan build (into build-san/)
#   make V=1 ...    show every command

ifeq ($(FUZZ),1)
# The fuzz tree: every module compiled by clang with coverage for libFuzzer
# and ASan/UBSan; only the fuzz targets are linked with the fuzzer's main().
# Never a tree from the environment (tests/run.sh exports BUILD=build).
BUILD    := build-fuzz
CC       := $(or $(CLANG),clang)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
else ifeq ($(SAN),1)
BUILD    ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD    ?= build
SANFLAGS :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
LLHTTP_SRC := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp
ARCH_INC := /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -MMD -MP $(SANFLAGS)
# user/ holds the two programs' main() files and one folder per part
# (kernel, fast, proto, core, feed, stats, sim). A header from another
# folder is included with its folder ("proto/utf8.h"), one from the same
# folder bare; so only user/ itself is on the include path.
CPPFLAGS += -Iinclude -Iuser -I$(BUILD)/bpf -I$(LLHTTP_INC) -D_GNU_SOURCE
LDFLAGS  += $(SANFLAGS)
LDLIBS   += -lxdp -lbpf -lelf -lz -lssl -lcrypto -lev -lwslay -lcares -lnghttp2 -lm -lpthread

BPF_CFLAGS := -O2 -g -Wall -Wextra -Werror -target bpf -Iinclude -I$(ARCH_INC)

# Programs: user/<prog>.c holds main(); every user/*/*.c is a pipeline
# module, archived once and linked into programs, tests and benchmarks.
PROGS      := feedrx feedsim
# Small programs beside the two, without man pages: the shm ring reader.
AUX_PROGS  := feedrx-shm-read
# Installed as sources under share/doc/feedrx/examples.
EXAMPLES   := examples/top_of_book.c examples/shm_reader.py
PROG_SRCS  := $(addprefix user/,$(addsuffix .c,$(PROGS) $(AUX_PROGS)))
MOD_SRCS   := $(wildcard user/*/*.c)
MOD_OBJS   := $(MOD_SRCS:user/%.c=$(BUILD)/user/%.o)
LLHTTP_OBJS:= $(addprefix $(BUILD)/llhttp/,api.o http.o llhttp.o)
LIB        := $(BUILD)/libfeedrx.a

# make install: libfeedrx.so.$(VERSION) with soname libfeedrx.so.$(SOVER).
VERSION    := 0.1.0
SOVER      := 0
SONAME     := libfeedrx.so.$(SOVER)
SHLIB      := $(BUILD)/libfeedrx.so.$(VERSION)
PREFIX     ?= /usr/local
DESTDIR    ?=
bindir     := $(PREFIX)/bin
libdir     := $(PREFIX)/lib
includedir := $(PREFIX)/include
man1dir    := $(PREFIX)/share/man/man1
complDir   := $(PREFIX)/share/bash-completion/completions
docdir     := $(PREFIX)/share/doc/feedrx
MAN_PAGES  := $(PROGS:%=$(BUILD)/man/%.1)
COMPLETIONS:= $(PROGS:%=$(BUILD)/completion/%)
# What a program on the library includes (include/feedrx.h says what each
# is for); installed under $(includedir)/feedrx/ with their folders.
PUBLIC_HDRS:= include/feedrx.h include/feedrx_bpf.h \
	      $(addprefix user/,core/fx_err.h core/fx_log.h fast/fastpath.h fast/fast_rx.h fast/fast_types.h \
	        feed/feed_msg.h feed/order_book.h feed/feed_event.h feed/feed_event_codec.h \
	        feed/feed_event_json.h feed/feed_handler.h feed/book_sync.h \
	        shm/shm_ring.h shm/shm_sub.h sink/sink_set.h \
	        kernel/kconn.h kernel/resolve.h kernel/rx_stamp.h kernel/tls_client.h kernel/url.h \
	        link/feed_link.h link/link_kconn.h link/link_transport.h proto/json.h sink/sink.h \
	        stats/lat_hist.h stats/lat_stats.h stats/metrics.h venue/venue.h venue/binance_parse.h \
	        rest/https_get.h rest/rest_resp.h rest/rest_sched.h rest/rest_pacer.h)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKELS  := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
# Only the sources that include a skeleton wait for it (and rebuild when the
# BPF program changes); -MMD keeps the rest of the header dependencies.
SKEL_USERS := $(shell grep -l '\.skel\.h"' user/*.c user/*/*.c tests/*.c 2>/dev/null)
SKEL_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(SKEL_USERS))

TEST_SRCS  := $(wildcard tests/test_*.c)
TEST_BINS  := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(wildcard tests/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/%.c=$(BUILD)/tests/%)
# Helper programs the integration tests run (tests/tool_<name>.c), never run as tests.
TOOL_SRCS  := $(wildcard tests/tool_*.c)
TOOL_BINS  := $(TOOL_SRCS:tests/%.c=$(BUILD)/tests/%)
# libFuzzer targets (tests/fuzz_<target>.c; seeds and dictionaries in tests/fuzz/).
FUZZ_SRCS  := $(wildcard tests/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/%.c=$(BUILD)/tests/%)
FUZZ_SECONDS ?= 60

.PHONY: all deps test demo bench soak clean format check-tools install uninstall fuzz fuzz-build fuzz-bins
all: $(BPF_OBJS) $(BPF_SKELS) $(addprefix $(BUILD)/,$(PROGS) $(AUX_PROGS)) $(TEST_BINS) $(BENCH_BINS) \
     $(BUILD)/certs/server.pem $(TOOL_BINS)

deps:
	$(Q)bash scripts/deps.sh

# Each entry point installs what it needs first, then re-enters make so that
# the build sees the freshly installed tools.
test:
	$(Q)bash scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)BUILDS="build build-san" bash tests/run.sh

# The demo builds only what it runs, in parallel (not the tests and benches).
DEMO_NEEDS := $(addprefix $(BUILD)/,$(PROGS)) $(BUILD)/certs/server.pem
NPROC      := $(shell nproc 2>/dev/null || echo 2)

# The fuzz tree, when clang's fuzzer runtime is there (else tests/it_fuzz.sh
# reports SKIP with the reason); make fuzz requires it.
fuzz-build:
	$(Q)if bash scripts/fuzz.sh check; then $(MAKE) --no-print-directory FUZZ=1 fuzz-bins; fi

fuzz-bins: $(FUZZ_BINS)

fuzz:
	$(Q)bash scripts/deps.sh
	$(Q)bash scripts/fuzz.sh check || { echo "make fuzz: no usable libFuzzer runtime" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	$(Q)BUILD=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh run

demo:
	$(Q)bash scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) $(DEMO_NEEDS)
	$(Q)BUILD=$(BUILD) exec bash scripts/demo.sh

bench:
	$(Q)bash scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash scripts/bench.sh

soak:
	$(Q)bash scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash scripts/soak.sh

check-tools:
	$(Q)for tp in $(CC):gcc $(CLANG):clang $(BPFTOOL):bpftool pkg-config:pkg-config; do \
	  t=$${tp%%:*}; p=$${tp##*:}; command -v $$t >/dev/null || \
	  { echo "missing tool: $$t (apt-get install $$p, or: make deps)" >&2; exit 1; }; done
	$(Q)test -f $(LLHTTP_SRC)/llhttp.c || { echo "missing llhttp sources: apt-get install node-llhttp (or: make deps)" >&2; exit 1; }
	$(Q)for pp in libbpf:libbpf-dev libxdp:libxdp-dev openssl:libssl-dev; do \
	  p=$${pp%%:*}; d=$${pp##*:}; pkg-config --exists $$p || \
	  { echo "missing library $$p (apt-get install $$d, or: make deps)" >&2; exit 1; }; done
	$(Q)test -f /usr/include/ev.h || { echo "missing libev: apt-get install libev-dev (or: make deps)" >&2; exit 1; }
	$(Q)test -f /usr/include/wslay/wslay.h || { echo "missing wslay: apt-get install libwslay-dev (or: make deps)" >&2; exit 1; }

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | check-tools
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c | check-tools
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -O2 -g -fPIC $(SANFLAGS) -I$(LLHTTP_INC) -w -c $< -o $@

# The library's objects go into libfeedrx.a and libfeedrx.so alike. A tree
# built before they were position-independent has no stamp (written with
# the archive): its objects are rebuilt once.
$(MOD_OBJS): CFLAGS += -fPIC
ifeq ($(wildcard $(BUILD)/.pic-objects),)
$(MOD_OBJS) $(LLHTTP_OBJS): pic-rebuild
endif
.PHONY: pic-rebuild
pic-rebuild:

$(BUILD)/user/%.o: user/%.c | check-tools
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(SKEL_OBJS): $(BPF_SKELS)

# feedrx --version: `git describe` of the tree it was built from, or
# FEEDRX_VERSION from the command line (a tarball has no git). The header is
# rewritten only when the text changes, so a commit rebuilds one object.
FEEDRX_VERSION ?= $(shell git -C $(CURDIR) describe --tags --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/version.h: FORCE
	@mkdir -p $(@D)
	$(Q)printf '#define FEEDRX_VERSION "%s"\n' '$(FEEDRX_VERSION)' >$@.tmp; \
	  if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/user/feedrx.o: $(BUILD)/version.h
$(BUILD)/user/feedrx.o: CPPFLAGS += -I$(BUILD)
.PHONY: FORCE
FORCE:

$(LIB): $(MOD_OBJS) $(LLHTTP_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^ && touch $(BUILD)/.pic-objects

$(SHLIB): $(MOD_OBJS) $(LLHTTP_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(addprefix $(BUILD)/,$(PROGS) $(AUX_PROGS)): $(BUILD)/%: $(BUILD)/user/%.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%.o: tests/%.c | check-tools
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# the NATS subscriber the NATS sink's tests read with is a real client
$(BUILD)/tests/tool_nats_sub: LDLIBS += -lnats

$(FUZZ_BINS): $(BUILD)/tests/fuzz_%: $(BUILD)/tests/fuzz_%.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

# A throwaway test CA and server certificate: feedsim's default identity.
$(BUILD)/certs/server.pem: scripts/certs.sh
	@echo "  CERTS   $(@D)"
	$(Q)bash scripts/certs.sh $(@D)

# ---- install -----------------------------------------------------------------
# Man pages and bash completions are made from the programs' --help (one
# option table each), so neither can drift from the options.
$(BUILD)/man/%.1: $(BUILD)/% scripts/man/%.h2m
	@mkdir -p $(@D)
	@echo "  MAN     $@"
	$(Q)command -v help2man >/dev/null || { echo "missing help2man (apt-get install help2man, or: make deps)" >&2; exit 1; }
	$(Q)help2man -N --no-info --version-string=$(VERSION) --include=scripts/man/$*.h2m \
	  -n "$(if $(filter feedrx,$*),receive WebSocket-over-TLS market-data feeds through XDP/AF_XDP,a TLS WebSocket exchange simulator for testing feedrx)" \
	  -o $@.tmp $< && mv $@.tmp $@

$(BUILD)/completion/%: $(BUILD)/% scripts/completion.sh
	@mkdir -p $(@D)
	@echo "  COMPL   $@"
	$(Q)bash scripts/completion.sh $< $* > $@.tmp && mv $@.tmp $@

install: $(addprefix $(BUILD)/,$(PROGS) $(AUX_PROGS)) $(LIB) $(SHLIB) $(MAN_PAGES) $(COMPLETIONS)
	@echo "  INSTALL $(DESTDIR)$(PREFIX)"
	$(Q)install -d $(DESTDIR)$(bindir) $(DESTDIR)$(libdir)/pkgconfig $(DESTDIR)$(man1dir) \
	  $(DESTDIR)$(complDir) $(DESTDIR)$(includedir)/feedrx
	$(Q)install -m 0755 $(addprefix $(BUILD)/,$(PROGS) $(AUX_PROGS)) $(DESTDIR)$(bindir)/
	$(Q)install -d $(DESTDIR)$(docdir)/examples
	$(Q)install -m 0644 $(EXAMPLES) $(DESTDIR)$(docdir)/examples/
	$(Q)install -m 0644 $(LIB) $(DESTDIR)$(libdir)/
	$(Q)install -m 0755 $(SHLIB) $(DESTDIR)$(libdir)/
	$(Q)ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(libdir)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(DESTDIR)$(libdir)/libfeedrx.so
	$(Q)for h in $(PUBLIC_HDRS); do d=$${h#user/}; d=$${d#include/}; \
	  install -D -m 0644 $$h $(DESTDIR)$(includedir)/feedrx/$$d || exit 1; done
	$(Q)install -m 0644 $(MAN_PAGES) $(DESTDIR)$(man1dir)/
	$(Q)install -m 0644 $(COMPLETIONS) $(DESTDIR)$(complDir)/
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' 'libdir=$(libdir)' \
	  'includedir=$(includedir)' '' 'Name: feedrx' \
	  'Description: market-data feed receiver: WebSocket over TLS through XDP/AF_XDP' \
	  'Version: $(VERSION)' 'Requires.private: libxdp libbpf libelf zlib openssl libcares libnghttp2' \
	  'Cflags: -I$${includedir}/feedrx' 'Libs: -L$${libdir} -lfeedrx' \
	  'Libs.private: -lev -lwslay -lm -lpthread' \
	  > $(DESTDIR)$(libdir)/pkgconfig/feedrx.pc

uninstall:
	rm -f $(addprefix $(DESTDIR)$(bindir)/,$(PROGS) $(AUX_PROGS)) $(DESTDIR)$(libdir)/libfeedrx.a \
	  $(DESTDIR)$(libdir)/libfeedrx.so* $(DESTDIR)$(libdir)/pkgconfig/feedrx.pc \
	  $(addprefix $(DESTDIR)$(man1dir)/,$(notdir $(MAN_PAGES))) \
	  $(addprefix $(DESTDIR)$(complDir)/,$(PROGS))
	rm -rf $(DESTDIR)$(includedir)/feedrx $(DESTDIR)$(docdir)

format:
	clang-format -i $(wildcard user/*.[ch] user/*/*.[ch] tests/*.[ch] include/*.h bpf/*.c)

clean:
	rm -rf build build-san build-fuzz

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
