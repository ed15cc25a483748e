# SPDX-License-Identifier: GPL-2.0
#
# Build, install and test entry points. Kbuild itself reads ./Kbuild
# (obj-m += kernel/), not this file.
#
# On a user's machine, like any out-of-tree module (Documentation/admin-guide.rst):
#   make, make module     kernel/smchan.ko against the running kernel (KDIR)
#   make modules_install  into /lib/modules/<release>/$(INSTALL_MOD_DIR), then depmod
#   make install          modules_install + make -C userspace install
#   make uninstall        undoes make install (modules_uninstall: the module)
#   make dkms-src         the module's sources + dkms.conf to /usr/src/smchan-<version>
#   make dkms-install     dkms-src, then dkms add + install for KVER
#   make version          the package version (PACKAGE_VERSION in dkms.conf)
#
# Tests and the User Mode Linux kernels they use; everything is built
# under build/ (tests/README.md describes the layout and the cache keys),
# the scripts doing the work are in tests/uml/:
#   make demo         the walk-through: app -> /dev/smchan -> kernel ->
#                     smchanctl relay -> pcscd -> virtual card, in UML
#   make demo-usb     the same on Debian's 6.12 kernel in qemu, through
#                     qemu's USB CCID reader and libccid
#   make check        all stages; last line "N passed, N failed"
#   make check-quick  KUnit on the cached normal UML kernel only
#   make check-long   the slow tests: the admin guide followed in qemu
#   make module-uml   smchan.ko + smchan_kunit.ko against the UML kernel
#                     (build/mod-uml/kernel/)
#   make kunit        KUnit suites on the normal UML kernel
#   make kunit-debug  KUnit suites on the KASAN/UBSAN/kmemleak UML kernel
#   make style        W=1 + sparse (Debian's headers, UML), checkpatch --strict
#   make deps         install the Debian packages the above need (root)
#   make uml uml-debug  build (or reuse) the UML kernels
#   make clean        module objects and logs; distclean: all of build/
#
# Variables: KVER (default: uname -r), KDIR (default /lib/modules/$KVER/build),
# DESTDIR or INSTALL_MOD_PATH, INSTALL_MOD_DIR (default extra),
# DEPMOD (default depmod; DEPMOD=true skips it), PREFIX (userspace),
# JOBS (default: nproc), SUITE=glob (kunit*, check-quick: show only these
# suites), V=1.

JOBS ?= $(shell nproc)
PYTHON ?= python3
export JOBS PYTHON SUITE

UML := tests/uml
BUILD := $(CURDIR)/build

# The one place the version is written: dkms.conf (DKMS reads it there).
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$$/\1/p' $(CURDIR)/dkms.conf)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
# The release the headers were built for, as in the module's vermagic.
# (Debian's 6.1 headers have the upstream version in kernel.release, so
# kbuild gets KERNELRELEASE from here, as DKMS passes it.)
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
KBUILD = $(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KRELEASE) \
	$(if $(shell grep -s '^CONFIG_UML=y' $(KDIR)/.config),ARCH=um)
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= extra
DEPMOD ?= depmod
DKMS ?= dkms
DKMS_SRCDIR ?= /usr/src/smchan-$(VERSION)

ifeq ($(V),1)
export SMCHAN_VERBOSE := 1
endif

# The stages share build/ and must not run two kernel builds at once.
.NOTPARALLEL:
.PHONY: all demo demo-usb check check-quick check-long deps src uml uml-debug module kunit \
	kunit-debug style clean distclean module-uml modules_install install \
	modules_uninstall uninstall \
	dkms-src dkms-install version kdir-check

all: module

# A user's build: only smchan.ko, in the source tree as every out-of-tree
# module does. CONFIG_KUNIT= keeps the test modules out where the kernel
# has KUnit (only kernel/Kbuild reads it; a single kernel/smchan.ko
# target would leave no modules.order for modules_install).
kdir-check:
	@if [ ! -e "$(KDIR)/Makefile" ]; then \
		echo "smchan: no kernel build directory at KDIR=$(KDIR)" >&2; \
		echo "smchan: install the headers of the kernel (Debian: apt-get install linux-headers-$(KVER))," >&2; \
		echo "smchan: or name them: make KDIR=/lib/modules/<release>/build" >&2; \
		exit 1; \
	fi

module: kdir-check
	$(KBUILD) CONFIG_KUNIT= modules

# Distribution headers never hold the kernel's signing key: kbuild's
# attempt to sign with it is skipped (Documentation/admin-guide.rst,
# "Module signing"); a kernel you built yourself keeps certs/signing_key.pem.
modules_install: module
	$(KBUILD) CONFIG_KUNIT= INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=) \
		modules_install
	$(DEPMOD) -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

install: modules_install
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR)

# Undo modules_install and install (before switching to DKMS, which does
# not replace a module of the same version found in extra/).
modules_uninstall:
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/$(INSTALL_MOD_DIR)/kernel/smchan.ko*
	$(DEPMOD) -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

uninstall: modules_uninstall
	$(MAKE) -C userspace uninstall DESTDIR=$(DESTDIR)

version:
	@echo $(VERSION)

# The sources DKMS builds smchan.ko from: dkms.conf, Kbuild and kernel/
# without the tests and build products.
dkms-src:
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	mkdir -p $(DESTDIR)$(DKMS_SRCDIR)
	cp dkms.conf Kbuild $(DESTDIR)$(DKMS_SRCDIR)/
	find kernel -path kernel/tests -prune -o -type f \( -name Kbuild -o \
		-name '*.[ch]' ! -name '*.mod.c' \) -print0 | \
		xargs -0 cp --parents -t $(DESTDIR)$(DKMS_SRCDIR)

# DKMS then rebuilds it for every new kernel. DKMS="dkms --dkmstree ..."
# for private trees.
dkms-install: dkms-src
	$(DKMS) status smchan/$(VERSION) | grep -q . || $(DKMS) add smchan/$(VERSION)
	$(DKMS) install smchan/$(VERSION) -k $(KVER)

demo:
	@demo/demo.sh

demo-usb:
	@demo/demo.sh --usb

check:
	@$(UML)/check.sh full

check-quick:
	@$(UML)/check.sh quick

# The long forms (tests/check-long.sh): the admin guide followed in qemu.
check-long:
	@tests/check-long.sh

# The benchmark in UML (Documentation/performance.rst); SMCHAN_BENCH_N=50
# for a smoke run.
.PHONY: bench
bench: deps
	@tests/bench/run.sh

# The engine beside OpenSSL, and 1 to 64 channels at once
# (Documentation/performance.rst, "Engine cost" and "Scale").
.PHONY: bench-engine bench-scale
bench-engine: deps
	@tests/bench/engine.sh
bench-scale: deps
	@tests/bench/scale.sh

deps:
	@$(UML)/deps.sh

src: deps
	@$(UML)/kernel.sh src

uml: deps
	@$(UML)/kernel.sh build normal

uml-debug: deps
	@$(UML)/kernel.sh build debug

module-uml: deps
	@$(UML)/module.sh $(BUILD)/uml/normal

kunit: deps
	@SMCHAN_RESULTS=/dev/null $(UML)/kunit.sh normal

kunit-debug: deps
	@SMCHAN_RESULTS=/dev/null $(UML)/kunit.sh debug

style: deps
	@SMCHAN_RESULTS=/dev/null $(UML)/style.sh

clean:
	rm -rf $(BUILD)/mod-* $(BUILD)/check
	$(if $(wildcard $(KDIR)/Makefile),$(KBUILD) clean)

distclean: clean
	rm -rf $(BUILD)
