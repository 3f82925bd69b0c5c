# kvmmem - one non-recursive GNU Makefile.
#
#   make                  build build/kvmmem_exporter (and build/kvmmem.so when collectd-dev is there)
#   make run              install missing packages (as root), build, start the exporter
#   make demo             the same, serving the bundled sample host tests/fixtures/hosts/k6.18 on the same port
#   make check            install what the tests need, then run every test (check-run), then the unit and
#                         golden tests again on a WERROR=1 SANITIZE=address,undefined build (check-strict)
#   make update-golden    regenerate golden files from the current build
#   O=dir                 build somewhere else; SANITIZE=address,undefined; WERROR=1

O ?= build
PKG_CONFIG ?= pkg-config
CC ?= cc
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# User CFLAGS win over nothing: project flags are appended, never replace them.
CFLAGS ?= -O2 -g
PROJECT_CFLAGS := -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-missing-field-initializers -fPIC -fvisibility=hidden -D_GNU_SOURCE -MMD -MP -Icommon
PROJECT_LDFLAGS :=
ifeq ($(WERROR),1)
PROJECT_CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
PROJECT_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
PROJECT_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# pkg-config is asked lazily (=, not :=) so `make check` can install
# packages first and only then need them.
CORE_PKGS := libvirt libxml-2.0 json-c
EXPORTER_PKGS := libmicrohttpd zlib yaml-0.1 gnutls
CORE_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(CORE_PKGS))
CORE_LIBS = $(shell $(PKG_CONFIG) --libs $(CORE_PKGS)) -lpthread -lm
EXPORTER_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(EXPORTER_PKGS))
EXPORTER_LIBS = $(shell $(PKG_CONFIG) --libs $(EXPORTER_PKGS)) -lcrypt
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka)
COLLECTD_INCLUDE ?= /usr/include/collectd
COLLECTD_CFLAGS = -DHAVE_CONFIG_H -I$(COLLECTD_INCLUDE)
HAVE_COLLECTD := $(wildcard $(COLLECTD_INCLUDE)/core/daemon/plugin.h)

ALL_CFLAGS = $(PROJECT_CFLAGS) $(CORE_CFLAGS) $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = $(PROJECT_LDFLAGS) $(LDFLAGS)

COMMON_SRCS := $(sort $(wildcard common/*/*.c))
EXPORTER_SRCS := $(sort $(filter-out exporter/main.c,$(wildcard exporter/*.c)))
PLUGIN_SRCS := $(sort $(wildcard collectd-plugin/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

COMMON_OBJS := $(COMMON_SRCS:%.c=$(O)/%.o)
EXPORTER_OBJS := $(EXPORTER_SRCS:%.c=$(O)/%.o)
PLUGIN_OBJS := $(PLUGIN_SRCS:%.c=$(O)/%.o)
LIBCOMMON := $(O)/libkvmmem_common.a
LIBEXPORTER := $(O)/libkvmmem_exporter.a
EXPORTER_BIN := $(O)/kvmmem_exporter
PLUGIN_SO := $(O)/kvmmem.so
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/bin/%)

# Unit tests of the collectd plugin (tests/unit/test_plugin*.c) link the
# plugin objects and stand-ins for the symbols collectd's executable
# provides (tests/unit/collectd/); without collectd-dev they are left out.
CD_STUB_SRCS := $(sort $(wildcard tests/unit/collectd/*.c))
CD_STUB_OBJS := $(CD_STUB_SRCS:%.c=$(O)/%.o)
ifeq ($(HAVE_COLLECTD),)
UNIT_BINS := $(filter-out $(O)/tests/bin/test_plugin%,$(UNIT_BINS))
endif

ifneq ($(HAVE_COLLECTD),)
ALL_TARGETS := $(EXPORTER_BIN) $(PLUGIN_SO) $(O)/kvmmem-top
else
ALL_TARGETS := $(EXPORTER_BIN) $(O)/kvmmem-top
endif

.PHONY: all run demo check check-deps check-run check-strict unit integration update-golden lint format format-check clean \
	install uninstall e2e bench fuzz
.DEFAULT_GOAL := all

all: $(ALL_TARGETS)
ifeq ($(HAVE_COLLECTD),)
	@echo "note: $(COLLECTD_INCLUDE)/core/daemon/plugin.h not found (apt-get install collectd-dev); skipped $(PLUGIN_SO)"
endif

$(O)/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/exporter/%.o: exporter/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(EXPORTER_CFLAGS) -DKVMMEM_VERSION='"$(VERSION)"' -c -o $@ $<

$(O)/collectd-plugin/%.o: collectd-plugin/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(COLLECTD_CFLAGS) -DKVMMEM_VERSION='"$(VERSION)"' -c -o $@ $<

$(O)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(EXPORTER_CFLAGS) $(CMOCKA_CFLAGS) -Iexporter -Icollectd-plugin -Itests/unit \
		-DFIXTURES='"$(CURDIR)/tests/fixtures"' -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBEXPORTER): $(EXPORTER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The revision is compiled into one small object so a new commit relinks
# instead of rebuilding everything.
$(O)/exporter/revision.o: FORCE
	@mkdir -p $(@D)
	@printf 'const char kvmmem_revision[] = "%s";\n' '$(REVISION)' > $(O)/exporter/revision.c.new
	@cmp -s $(O)/exporter/revision.c.new $(O)/exporter/revision.c 2>/dev/null || mv $(O)/exporter/revision.c.new $(O)/exporter/revision.c
	@rm -f $(O)/exporter/revision.c.new
	@[ $@ -nt $(O)/exporter/revision.c ] || $(CC) $(ALL_CFLAGS) -c -o $@ $(O)/exporter/revision.c
FORCE:

$(EXPORTER_BIN): $(O)/exporter/main.o $(O)/exporter/revision.o $(LIBEXPORTER) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXPORTER_LIBS) $(CORE_LIBS)

# collectd resolves plugin_* symbols from its own executable at dlopen
# time, so no --no-undefined here.  Only module_register is exported.
$(PLUGIN_SO): $(PLUGIN_OBJS) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -shared -o $@ $(PLUGIN_OBJS) $(LIBCOMMON) $(CORE_LIBS)

$(O)/tests/bin/%: $(O)/tests/unit/%.o $(LIBEXPORTER) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBEXPORTER) $(LIBCOMMON) $(CMOCKA_LIBS) $(EXPORTER_LIBS) $(CORE_LIBS)

# test_worker replaces pthread_condattr_setclock to take the monotonic
# clock away (see the test).
$(O)/tests/bin/test_worker: ALL_LDFLAGS += -Wl,--wrap=pthread_condattr_setclock

# The more specific patterns win over the generic test rules above.
$(O)/tests/unit/test_plugin%.o: tests/unit/test_plugin%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(COLLECTD_CFLAGS) $(CMOCKA_CFLAGS) -Icollectd-plugin -Itests/unit -Itests/unit/collectd \
		-DFIXTURES='"$(CURDIR)/tests/fixtures"' -DTOPDIR='"$(CURDIR)"' -c -o $@ $<

$(O)/tests/unit/collectd/%.o: tests/unit/collectd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(COLLECTD_CFLAGS) -c -o $@ $<

$(O)/tests/bin/test_plugin%: $(O)/tests/unit/test_plugin%.o $(CD_STUB_OBJS) $(PLUGIN_OBJS) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CD_STUB_OBJS) $(PLUGIN_OBJS) $(LIBCOMMON) $(CMOCKA_LIBS) $(CORE_LIBS)

# --- kvmmem-top ------------------------------------------------------------------
#
# The terminal front-end (top/): its model, table and JSON are pure and
# linked into the unit tests tests/unit/test_top_*.c; only screen.c needs
# ncurses (ncursesw when pkg-config has it, for UTF-8 names).

TOP_BIN := $(O)/kvmmem-top
TOP_CURSES_PKG = $(shell $(PKG_CONFIG) --exists ncursesw && echo ncursesw || echo ncurses)
TOP_CURSES_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TOP_CURSES_PKG))
TOP_CURSES_LIBS = $(shell $(PKG_CONFIG) --libs $(TOP_CURSES_PKG))
TOP_LIB_SRCS := $(sort $(filter-out top/main.c top/screen.c,$(wildcard top/*.c)))
TOP_LIB_OBJS := $(TOP_LIB_SRCS:%.c=$(O)/%.o)
TOP_OBJS := $(TOP_LIB_OBJS) $(O)/top/screen.o $(O)/top/main.o
LIBTOP := $(O)/libkvmmem_top.a

$(O)/top/%.o: top/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DKVMMEM_VERSION='"$(VERSION)"' -c -o $@ $<

$(O)/top/screen.o: top/screen.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TOP_CURSES_CFLAGS) -c -o $@ $<

$(LIBTOP): $(TOP_LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(TOP_BIN): $(O)/top/main.o $(O)/top/screen.o $(LIBTOP) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TOP_CURSES_LIBS) $(CORE_LIBS)

$(O)/tests/unit/test_top%.o: tests/unit/test_top%.c
	@mkdir -p $(@D)
	$(CC) -Itop -Itests/unit $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -DFIXTURES='"$(CURDIR)/tests/fixtures"' \
		-DTOPDIR='"$(CURDIR)"' -c -o $@ $<

$(O)/tests/bin/test_top%: $(O)/tests/unit/test_top%.o $(LIBTOP) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBTOP) $(LIBCOMMON) $(CMOCKA_LIBS) $(CORE_LIBS)

-include $(TOP_OBJS:.o=.d)

# --- fuzzing -------------------------------------------------------------------
#
# libFuzzer targets (tests/fuzz/fuzz_<name>.c) need clang: the core and
# exporter sources are compiled a second time into $(O)/fuzz/ with coverage
# instrumentation, ASan and UBSan, so the normal build stays compiler-free.
#   make fuzz             build $(O)/fuzz/bin/fuzz_*; tests/fuzz/test_fuzz.sh runs them

FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(PROJECT_CFLAGS)) $(CORE_CFLAGS) \
	$(EXPORTER_CFLAGS) -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Iexporter -Wno-format-nonliteral
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/bin/%)
FUZZ_LIB_OBJS := $(COMMON_SRCS:%.c=$(O)/fuzz/%.o) $(EXPORTER_SRCS:%.c=$(O)/fuzz/%.o)

fuzz: $(FUZZ_BINS)

$(O)/fuzz/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(O)/fuzz/exporter/%.o: exporter/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DKVMMEM_VERSION='"$(VERSION)"' -c -o $@ $<

$(O)/fuzz/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(O)/fuzz/libfuzzlib.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(O)/fuzz/bin/%: $(O)/fuzz/tests/fuzz/%.o $(O)/fuzz/libfuzzlib.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(EXPORTER_LIBS) $(CORE_LIBS)

# --- set-up ------------------------------------------------------------------

run:
	scripts/deps.sh run
	$(MAKE) --no-print-directory $(EXPORTER_BIN)
	$(EXPORTER_BIN) $(ARGS)

# A sample host for a first look: the fixture host k6.18 (13 libvirt
# domains, KSM, cgroups) through libvirt's test driver, served where `make
# run` serves, so every family, the landing page and the dashboards have data.  The exec
# makes the exporter make's own child: stopping it by its pid ends make.
DEMO_HOST := $(CURDIR)/tests/fixtures/hosts/k6.18
demo:
	scripts/deps.sh run
	$(MAKE) --no-print-directory $(EXPORTER_BIN)
	exec $(EXPORTER_BIN) --libvirt.uri=test://$(DEMO_HOST)/libvirt.xml --path.sysfs=$(DEMO_HOST)/sys \
		--path.procfs=$(DEMO_HOST)/proc --path.libvirt-run=$(DEMO_HOST)/run \
		--path.cgroupfs=$(DEMO_HOST)/sys/fs/cgroup --path.qemu-server-run=$(DEMO_HOST)/qemu-server $(ARGS)

# --- tests -------------------------------------------------------------------

check:
	scripts/deps.sh test
	$(MAKE) --no-print-directory check-run
	$(MAKE) --no-print-directory check-strict

# Fake servers for integration tests (each source says why it is a fake).
FAKE_BINS := $(patsubst tests/fakes/%.c,$(O)/tests/fakes/%,$(wildcard tests/fakes/*.c))
$(O)/tests/fakes/%: tests/fakes/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra $(LDFLAGS) -o $@ $<

check-run: all $(UNIT_BINS) $(FAKE_BINS)
	tests/run.sh $(O)

unit: $(UNIT_BINS)
	tests/run.sh $(O) unit

integration: all $(UNIT_BINS) $(FAKE_BINS)
	tests/run.sh $(O) integration

# The same sources built again in $(STRICT_O) with warnings as errors, under AddressSanitizer and UBSan,
# and the unit and golden tests run against that build (tests that cannot run sanitized say SKIP).
STRICT_O ?= $(O)-strict
STRICT_SANITIZE ?= address,undefined
check-strict:
	$(MAKE) --no-print-directory O=$(STRICT_O) SANITIZE=$(STRICT_SANITIZE) WERROR=1 all \
		$(patsubst $(O)/%,$(STRICT_O)/%,$(UNIT_BINS))
	tests/run.sh $(STRICT_O) unit golden

e2e: all
	tests/e2e/run.sh $(O)

# A benchmark, not a test: numbers in $(O)/bench/results.md (see docs/performance.md).
$(O)/bench/floor: bench/floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -D_GNU_SOURCE $(CORE_CFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs libvirt)

# The discovery case (bench/discovery.sh): the qemu collector against the least work of finding QEMU
# processes in /proc.
$(O)/bench/floor_discovery: bench/floor_discovery.c bench/floor_args.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -D_GNU_SOURCE -o $@ $<

# The QMP case (bench/qmp.sh): the qmp collector against the least work of asking every QEMU monitor.
$(O)/bench/floor_qmp: bench/floor_qmp.c bench/floor_args.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -D_GNU_SOURCE -o $@ $<

bench: all $(O)/bench/floor $(O)/bench/floor_discovery $(O)/bench/floor_qmp
	bench/run.sh $(O)

update-golden: all
	tests/update-golden.sh $(O)

lint:
	tests/hygiene/lint.sh

format:
	clang-format -i $(COMMON_SRCS) $(wildcard common/*/*.h exporter/*.c exporter/*.h collectd-plugin/*.c collectd-plugin/*.h tests/unit/*.c tests/unit/*.h)

format-check:
	tests/hygiene/lint.sh format

clean:
	rm -rf $(O)

# --- install -----------------------------------------------------------------
#
#   make install [PREFIX=/usr/local] [DESTDIR=/tmp/root]
#
# The unit goes into $(PREFIX)/lib/systemd/system, which systemd searches for
# both /usr and /usr/local; Debian 12 packages pass UNITDIR=/lib/systemd/system.
# The defaults file lives in /etc whatever the PREFIX, because the unit reads
# it from a fixed path.  It is installed only when absent (an operator's flags
# survive a reinstall) and uninstalled only while unchanged.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
COLLECTD_PLUGINDIR ?= $(PREFIX)/lib/collectd
INSTALL ?= install
KVMMEM_DATADIR = $(DATADIR)/kvmmem
DASHBOARDS = $(wildcard dashboards/grafana/*.json)
# The promtool unit tests of the rules (*.test.yml) are not for operators.
RULES = $(filter-out %.test.yml,$(wildcard dashboards/prometheus/*.yml))

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/default
	$(INSTALL) -m 0755 $(EXPORTER_BIN) $(DESTDIR)$(BINDIR)/kvmmem_exporter
	$(INSTALL) -m 0644 man/kvmmem_exporter.1 $(DESTDIR)$(MANDIR)/man1/kvmmem_exporter.1
	$(INSTALL) -m 0755 $(TOP_BIN) $(DESTDIR)$(BINDIR)/kvmmem-top
	$(INSTALL) -m 0644 man/kvmmem-top.1 $(DESTDIR)$(MANDIR)/man1/kvmmem-top.1
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' packaging/kvmmem_exporter.service \
		>$(DESTDIR)$(UNITDIR)/kvmmem_exporter.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/kvmmem_exporter.service.tmp
	mv $(DESTDIR)$(UNITDIR)/kvmmem_exporter.service.tmp $(DESTDIR)$(UNITDIR)/kvmmem_exporter.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/kvmmem_exporter ] || \
		$(INSTALL) -m 0644 packaging/kvmmem_exporter.default $(DESTDIR)$(SYSCONFDIR)/default/kvmmem_exporter
ifneq ($(HAVE_COLLECTD),)
	$(INSTALL) -d $(DESTDIR)$(COLLECTD_PLUGINDIR) $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 0644 $(PLUGIN_SO) $(DESTDIR)$(COLLECTD_PLUGINDIR)/kvmmem.so
	$(INSTALL) -m 0644 man/collectd-kvmmem.5 $(DESTDIR)$(MANDIR)/man5/collectd-kvmmem.5
endif
ifneq ($(DASHBOARDS),)
	$(INSTALL) -d $(DESTDIR)$(KVMMEM_DATADIR)/grafana
	$(INSTALL) -m 0644 $(DASHBOARDS) $(DESTDIR)$(KVMMEM_DATADIR)/grafana/
endif
ifneq ($(RULES),)
	$(INSTALL) -d $(DESTDIR)$(KVMMEM_DATADIR)/prometheus
	$(INSTALL) -m 0644 $(RULES) $(DESTDIR)$(KVMMEM_DATADIR)/prometheus/
endif

# Shared directories (bin, man1, the unit directory) stay; $(KVMMEM_DATADIR)
# is kvmmem's own and goes completely.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kvmmem_exporter $(DESTDIR)$(MANDIR)/man1/kvmmem_exporter.1 \
		$(DESTDIR)$(BINDIR)/kvmmem-top $(DESTDIR)$(MANDIR)/man1/kvmmem-top.1 \
		$(DESTDIR)$(MANDIR)/man5/collectd-kvmmem.5 $(DESTDIR)$(COLLECTD_PLUGINDIR)/kvmmem.so \
		$(DESTDIR)$(UNITDIR)/kvmmem_exporter.service
	! cmp -s packaging/kvmmem_exporter.default $(DESTDIR)$(SYSCONFDIR)/default/kvmmem_exporter || \
		rm -f $(DESTDIR)$(SYSCONFDIR)/default/kvmmem_exporter
	rm -rf $(DESTDIR)$(KVMMEM_DATADIR)

-include $(COMMON_OBJS:.o=.d) $(EXPORTER_OBJS:.o=.d) $(PLUGIN_OBJS:.o=.d) $(O)/exporter/main.d \
	$(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%.d) $(CD_STUB_OBJS:.o=.d) \
	$(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/tests/fuzz/%.d)
