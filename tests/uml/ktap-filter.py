#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keep only some suites of a module KTAP log.

Usage: ktap-filter.py GLOB[,GLOB...] < kunit.ktap > filtered.ktap

KUnit in 6.1 has no filter for suites loaded from a module: every suite
in smchan_kunit.ko runs at insmod. This keeps the suites whose name
matches one of the shell globs (and the lines between suites), and
renumbers the top-level results so that kunit.py parse accepts the rest.
"""

import fnmatch
import re
import sys

SUITE_START = re.compile(r'^ {4}KTAP version \d+$')
SUBTEST = re.compile(r'^ {4}# Subtest: (\S+)')
SUITE_END = re.compile(r'^(not ok|ok) (\d+) (\S+)(.*)$')


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    globs = sys.argv[1].split(',')
    lines = sys.stdin.read().splitlines()
    out, block, number = [], None, 0

    def flush(end=None):
        nonlocal number
        name = next((m.group(1) for m in map(SUBTEST.match, block) if m),
                    None)
        if name and any(fnmatch.fnmatchcase(name, g) for g in globs):
            out.extend(block)
            if end:
                number += 1
                out.append(f'{end.group(1)} {number} {end.group(3)}'
                           f'{end.group(4)}')

    for line in lines:
        if block is None:
            if SUITE_START.match(line):
                block = [line]
            else:
                out.append(line)
            continue
        end = SUITE_END.match(line)
        if end:
            flush(end)
            block = None
        else:
            block.append(line)
    if block is not None:
        flush()
    print('\n'.join(out))


if __name__ == '__main__':
    main()
