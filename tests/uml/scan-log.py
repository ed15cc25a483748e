#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Find kernel problems in a UML console log.

Usage: scan-log.py CONSOLE_LOG

Prints every line that shows a kernel problem (BUG, WARNING, Oops, panic,
KASAN, UBSAN, kmemleak, lockdep, RCU stalls, list corruption, call traces)
and exits 1 if there is one, 0 if the log is clean. A KASAN or UBSAN report
inside a KUnit test also fails that test; this scan catches what happens
outside tests (module init/exit, boot, leaks) too.

Ignored, exactly: the PROVE_LOCKING false positive of UML 6.1, a
"suspicious RCU usage" splat about lib/maple_tree.c from UML's
fork_handler/force_flush_all at the first forks (tests/README.md).
"""

import re
import sys

PROBLEM = re.compile(
    r'BUG:|WARNING:|\bOops\b|Kernel panic|kernel BUG|'
    r'general protection fault|KASAN:|UBSAN:|'
    r'kmemleak: .*new suspected memory leak|unreferenced object 0x|'
    r'Call Trace:|stack backtrace:|-+\[ cut here \]-+|'
    r'list_(add|del) corruption|refcount_t: |'
    r'INFO: task .* blocked for more than|'
    r'rcu: INFO: |self-detected stall|detected stall|'
    r'possible circular locking|inconsistent lock state|'
    r'Segfault with no mm|Kernel mode fault|'
    r'Unable to handle kernel|segfault at'
)

# The one known false positive: the header and the file:line of a lockdep
# RCU splat about lib/maple_tree.c.
RCU_SPLAT = re.compile(r'WARNING: suspicious RCU usage')
MAPLE = re.compile(r'lib/maple_tree\.c:\d+ suspicious rcu_dereference')


def splat_end(lines, i):
    """Index after the lockdep splat that starts at lines[i].

    The splat ends with "stack backtrace:", the CPU line, "Stack:" and
    "Call Trace:" with their indented lines; it ends at the first line
    after the backtrace that is none of these.
    """
    j = i
    while j < len(lines) and 'stack backtrace:' not in lines[j]:
        j += 1
        if j - i > 60:
            return i + 1
    j += 1
    while j < len(lines):
        line = lines[j]
        if (not line.strip() or line.startswith((
                ' ', '\t', '[<', 'CPU:', 'Stack:', 'Call Trace',
                'Hardware name'))):
            j += 1
            continue
        break
    return j


def scan(lines):
    problems, ignored = [], 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if RCU_SPLAT.search(line) and any(
                MAPLE.search(l) for l in lines[i + 1:i + 5]):
            ignored += 1
            i = splat_end(lines, i)
            continue
        if PROBLEM.search(line):
            problems.append((i + 1, line))
        i += 1
    return problems, ignored


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], errors='replace') as f:
        lines = f.read().splitlines()
    problems, ignored = scan(lines)
    if ignored:
        print(f'scan-log: ignored {ignored} known maple_tree RCU splat(s)')
    for num, line in problems[:50]:
        print(f'{sys.argv[1]}:{num}: {line}')
    if len(problems) > 50:
        print(f'... and {len(problems) - 50} more')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
