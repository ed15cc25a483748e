#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the test vectors (tests/vectors/*.txt) into C tables for KUnit.

Reads every vector file and writes one C file (kernel/tests/vectors.c) that
defines smchan_tv_sections[] with the types of kernel/tests/tv.h: every
record of every section of every file, its fields in file order, each with
its name, its raw text and, for hex fields, its bytes.

The parser knows the format only (tests/vectors/README.md and the header of
every file), not what the vectors mean:

  # comment            anywhere
  [section]            starts a section
  name = value         a field; a record is a run of fields ended by a
                       blank line (or the end of the file)

Values are lowercase hex byte strings of even length ('name = ' is zero
bytes), except the plain-text and decimal fields the file headers list.
Anything else is an error with file:line, so that a damaged vector file
cannot turn into a table that silently tests less: an unknown line, an
odd-length or non-lowercase hex value, a malformed decimal, a duplicate
field in a record, a field outside a section, a duplicate or empty section.

Usage: gen-vectors.py [-o OUTPUT] [FILE_OR_DIR ...]
  (default: the .txt files of tests/vectors next to this script, output to
  standard output)
"""

import argparse
import os
import re
import sys

# The kernel's generated-file banner (as YNL-GEN's); no '*.txt' in it, which
# gcc would take for a nested comment.
BANNER = '/* Do not edit directly, auto-generated from: */'

# Field types, as the file headers state them.
TEXT_FIELDS = frozenset((
    'label', 'case', 'mode', 'suite_name', 'verdict', 'reason', 'session',
    'desc', 'probe_desc', 'note',
))
# "n, L, N, selector, count fields and other integers are decimal"; s1, s2,
# s3 are the patent's selectors (patent.txt).
DECIMAL_FIELDS = frozenset((
    'n', 'L', 'N', 'selector', 'prev_selector', 'response_length',
))
DECIMAL_FIELD_RE = re.compile(r's[0-9]+\Z')
# "'excluded' is a space-separated list of decimal selectors (empty: none)"
DECIMAL_LIST_FIELDS = frozenset(('excluded',))

STEM_RE = re.compile(r'[A-Za-z0-9_.-]+\Z')
SECTION_RE = re.compile(r'\[([A-Za-z0-9][A-Za-z0-9_-]*)\]\Z')
FIELD_RE = re.compile(r'([A-Za-z][A-Za-z0-9_]*) =(?: (.*))?\Z')
HEX_RE = re.compile(r'[0-9a-f]*\Z')
DECIMAL_RE = re.compile(r'[0-9]+\Z')
DECIMAL_LIST_RE = re.compile(r'(?:[0-9]+(?: [0-9]+)*)?\Z')

BYTES_PER_LINE = 16
TEXT_CHARS_PER_LINE = 64


class VectorError(Exception):
    """A malformed vector file; str() is 'file:line: message'."""


def field_kind(name):
    """'text', 'decimal', 'list' or 'hex'."""
    if name in TEXT_FIELDS:
        return 'text'
    if name in DECIMAL_FIELDS or DECIMAL_FIELD_RE.match(name):
        return 'decimal'
    if name in DECIMAL_LIST_FIELDS:
        return 'list'
    return 'hex'


class Record:
    def __init__(self, line):
        self.line = line
        self.fields = []        # (name, text, bytes or None)
        self.names = set()


class Section:
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.records = []


def parse_file(path):
    """Return (base name, [Section]) or raise VectorError."""
    base = os.path.basename(path)
    if not base.endswith('.txt'):
        raise VectorError(f'{path}: not a .txt vector file')
    stem = base[:-len('.txt')]
    if not STEM_RE.match(stem):
        raise VectorError(f'{path}: file name must be [A-Za-z0-9_.-]+.txt')
    sections = []
    seen = {}
    section = None
    record = None

    def fail(lineno, msg):
        raise VectorError(f'{path}:{lineno}: {msg}')

    with open(path, 'rb') as f:
        raw = f.read()
    try:
        content = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        lineno = raw[:e.start].count(b'\n') + 1
        raise VectorError(f'{path}:{lineno}: not UTF-8') from None
    lines = content.split('\n')
    if lines and lines[-1] == '':
        lines.pop()             # the newline ending the last line

    for lineno, line in enumerate(lines, 1):
        if '\r' in line or '\t' in line or '\0' in line:
            fail(lineno, 'carriage return, tab or NUL in line')
        if line.startswith('#'):
            continue
        if line == '':
            record = None
            continue
        if line.startswith('['):
            m = SECTION_RE.match(line)
            if not m:
                fail(lineno, f'malformed section header {line!r}')
            if record is not None:
                fail(lineno, 'section header inside a record '
                     '(a blank line must end the record)')
            name = m.group(1)
            if name in seen:
                fail(lineno, f'section [{name}] already started at line '
                     f'{seen[name]}')
            seen[name] = lineno
            section = Section(name, lineno)
            sections.append(section)
            continue
        m = FIELD_RE.match(line)
        if not m:
            fail(lineno, f'malformed line {line!r} '
                 "(expected '# comment', '[section]', 'name = value' or "
                 'a blank line)')
        name, text = m.group(1), m.group(2) or ''
        if section is None:
            fail(lineno, f'field {name!r} outside any section')
        if record is None:
            record = Record(lineno)
            section.records.append(record)
        if name in record.names:
            fail(lineno, f'duplicate field {name!r} in the record of line '
                 f'{record.line}')
        record.names.add(name)

        kind = field_kind(name)
        data = None
        if kind == 'hex':
            if not HEX_RE.match(text):
                fail(lineno, f'field {name!r}: not lowercase hex: {text!r}')
            if len(text) % 2:
                fail(lineno, f'field {name!r}: odd number of hex digits '
                     f'({len(text)})')
            data = bytes.fromhex(text)
        elif kind == 'decimal':
            if not DECIMAL_RE.match(text):
                fail(lineno, f'field {name!r}: not a decimal number: '
                     f'{text!r}')
        elif kind == 'list':
            if not DECIMAL_LIST_RE.match(text):
                fail(lineno, f'field {name!r}: not a space-separated list '
                     f'of decimal numbers: {text!r}')
        record.fields.append((name, text, data))

    for s in sections:
        if not s.records:
            fail(s.line, f'section [{s.name}] has no records')
    if not sections:
        raise VectorError(f'{path}:1: no sections')
    return stem, sections


def c_text(s):
    """s as the pieces of a C string literal (without quotes)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '\\"?':
            out.append('\\' + ch)
        elif 0x20 <= o < 0x7f:
            out.append(ch)
        else:
            # Octal escapes stop after three digits, unlike \x.
            out.extend(f'\\{b:03o}' for b in ch.encode('utf-8'))
    return ''.join(out)


def c_string_lines(s, indent):
    """A C string literal for s, split into lines of TEXT_CHARS_PER_LINE."""
    if len(s) <= TEXT_CHARS_PER_LINE:
        return f'"{c_text(s)}"'
    parts = [s[i:i + TEXT_CHARS_PER_LINE]
             for i in range(0, len(s), TEXT_CHARS_PER_LINE)]
    return f'\n{indent}'.join(f'"{c_text(p)}"' for p in parts)


def c_bytes_lines(data, indent):
    """A C string literal holding data as \\x escapes, split into lines."""
    if not data:
        return '(const u8 *)""'
    lines = []
    for i in range(0, len(data), BYTES_PER_LINE):
        chunk = data[i:i + BYTES_PER_LINE]
        lines.append('"' + ''.join(f'\\x{b:02x}' for b in chunk) + '"')
    return '(const u8 *)' + f'\n{indent}'.join(lines)


def generate(files):
    parsed = [parse_file(p) for p in files]
    stems = [stem for stem, _ in parsed]
    for stem in stems:
        if stems.count(stem) > 1:
            raise VectorError(f'{stem}.txt given more than once')

    out = [
        '// SPDX-License-Identifier: GPL-2.0',
        BANNER,
        *(f'/*\ttests/vectors/{stem}.txt */' for stem in stems),
        '/* by tests/gen-vectors.py */',
        '',
        '#include "tv.h"',
        '',
    ]
    section_entries = []
    nfield = 0
    nrecord = 0
    for stem, sections in parsed:
        for s in sections:
            rec_name = f'tv_r{len(section_entries)}'
            rec_entries = []
            for r in s.records:
                f_name = f'tv_f{nrecord}'
                nrecord += 1
                out.append(f'/* {stem}.txt:{r.line} [{s.name}] */')
                out.append('static const struct smchan_tv_field '
                           f'{f_name}[] = {{')
                for name, text, data in r.fields:
                    nfield += 1
                    ind = '\t  '
                    out.append(f'\t{{ "{name}",')
                    out.append(ind + c_string_lines(text, ind) + ',')
                    if data is None:
                        out.append(f'{ind}NULL, 0 }},')
                    else:
                        out.append(ind + c_bytes_lines(data, ind) + ',')
                        out.append(f'{ind}{len(data)} }},')
                out.append('};')
                out.append('')
                rec_entries.append(
                    f'\t{{ "{stem}", "{s.name}", {r.line}, '
                    f'ARRAY_SIZE({f_name}), {f_name} }},')
            out.append(f'static const struct smchan_tv_record {rec_name}[] '
                       '= {')
            out.extend(rec_entries)
            out.append('};')
            out.append('')
            section_entries.append(
                f'\t{{ "{stem}", "{s.name}", ARRAY_SIZE({rec_name}), '
                f'{rec_name} }},')

    out.append('const struct smchan_tv_section smchan_tv_sections[] = {')
    out.extend(section_entries)
    out.append('};')
    out.append('')
    out.append('const unsigned int smchan_tv_nsections = '
               'ARRAY_SIZE(smchan_tv_sections);')
    out.append('')
    stats = (len(parsed), len(section_entries), nrecord, nfield)
    return '\n'.join(out), stats


def vector_files(args):
    if not args:
        args = [os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             'vectors')]
    files = []
    for a in args:
        if os.path.isdir(a):
            found = sorted(os.path.join(a, n) for n in os.listdir(a)
                           if n.endswith('.txt'))
            if not found:
                raise VectorError(f'{a}: no .txt vector files')
            files.extend(found)
        else:
            files.append(a)
    return files


def main():
    ap = argparse.ArgumentParser(
        description='Generate kernel/tests/vectors.c from tests/vectors/*.txt')
    ap.add_argument('-o', '--output', help='output file (default: stdout)')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='print counts to stderr')
    ap.add_argument('inputs', nargs='*',
                    help='vector files or directories (default: '
                    'tests/vectors)')
    args = ap.parse_args()

    try:
        text, stats = generate(vector_files(args.inputs))
    except VectorError as e:
        print(f'gen-vectors: {e}', file=sys.stderr)
        return 1
    except OSError as e:
        print(f'gen-vectors: {e}', file=sys.stderr)
        return 1

    if args.output:
        # Write next to the target and rename, so that an interrupted run
        # never leaves a truncated table behind.
        tmp = f'{args.output}.tmp'
        with open(tmp, 'w', encoding='ascii') as f:
            f.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    if args.verbose:
        print('gen-vectors: %d files, %d sections, %d records, %d fields'
              % stats, file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
