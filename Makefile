# SPDX-License-Identifier: GPL-2.0
#
# Build and test entry points. Kbuild itself reads ./Kbuild
# (obj-m += kernel/), not this file. Everything is built under build/
# (tests/README.md describes the layout and the cache keys); the scripts
# doing the work are in tests/uml/.
#
#   make demo         the walk-through: app -> /dev/smchan -> kernel ->
#                     smchanctl relay -> pcscd -> virtual card, in UML
#   make check        all stages; last line "N passed, N failed"
#   make check-quick  KUnit on the cached normal UML kernel only
#   make module       smchan.ko (+ smchan_kunit.ko) against KDIR
#   make kunit        KUnit suites on the normal UML kernel
#   make kunit-debug  KUnit suites on the KASAN/UBSAN/kmemleak UML kernel
#   make style        W=1 + sparse (Debian's headers, UML), checkpatch --strict
#   make deps         install the Debian packages the above need (root)
#   make uml uml-debug  build (or reuse) the UML kernels
#   make clean        module objects and logs; distclean: all of build/
#
# Variables: KDIR (default: the normal UML kernel), JOBS (default: nproc),
# SUITE=glob (kunit*, check-quick: show only these suites), V=1.

JOBS ?= $(shell nproc)
PYTHON ?= python3
export JOBS PYTHON SUITE

UML := tests/uml
BUILD := $(CURDIR)/build
KDIR ?= $(BUILD)/uml/normal

ifeq ($(V),1)
export SMCHAN_VERBOSE := 1
endif

# The stages share build/ and must not run two kernel builds at once.
.NOTPARALLEL:
.PHONY: all demo check check-quick deps src uml uml-debug module kunit \
	kunit-debug style clean distclean

all: module

demo:
	@demo/demo.sh

check:
	@$(UML)/check.sh full

check-quick:
	@$(UML)/check.sh quick

# The benchmark in UML (Documentation/performance.rst); SMCHAN_BENCH_N=50
# for a smoke run.
.PHONY: bench
bench: deps
	@tests/bench/run.sh

deps:
	@$(UML)/deps.sh

src: deps
	@$(UML)/kernel.sh src

uml: deps
	@$(UML)/kernel.sh build normal

uml-debug: deps
	@$(UML)/kernel.sh build debug

module: deps
	@$(UML)/module.sh $(KDIR)

kunit: deps
	@SMCHAN_RESULTS=/dev/null $(UML)/kunit.sh normal

kunit-debug: deps
	@SMCHAN_RESULTS=/dev/null $(UML)/kunit.sh debug

style: deps
	@SMCHAN_RESULTS=/dev/null $(UML)/style.sh

clean:
	rm -rf $(BUILD)/mod-* $(BUILD)/check

distclean:
	rm -rf $(BUILD)
