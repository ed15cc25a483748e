#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Looks for key bytes in files, as raw bytes and as hex text.

  scan.py keys KEYLOG...            prints how many distinct keys the key
                                    logs hold (smchan-vcard's
                                    SMCHAN_VCARD_KEYLOG, "LABEL S.N HEX")
  scan.py snap DIR TAG=PID...       copies the readable files of each
                                    /proc/PID (and TAG "top" with PID "-":
                                    /proc's own) into DIR/TAG.PID/, never
                                    mem, pagemap, kcore, kmsg and the like
  scan.py scan KEYLOG... -- FILE... prints "LEAK FILE OFFSET FORM LABEL S.N"
                                    per find and exits 1 if there is one;
                                    "-" reads a list of files on stdin

Every key is cut into 16-byte blocks (a 32-byte key gives two, so half an
AES-256 key is found too), and each block is looked for:
  - as its 16 raw bytes, at any offset;
  - as 32 hex digits, upper or lower case (or mixed), at any offset of a
    run of hex digits, also when the bytes are written with one space,
    colon or dash between them ("AB CD ..", "ab:cd:..").
Files that cannot be read are reported ("UNREADABLE FILE why") but are
not a leak; the caller decides which files must be readable."""
import array
import re
import struct
import sys

HEXRUN = re.compile(rb'[0-9A-Fa-f]{32,}')
SEPRUN = re.compile(rb'(?:[0-9A-Fa-f]{2}[ :-]){15,}[0-9A-Fa-f]{2}')
BLOCK = 16
_INTS = {}


def pieces_int(pieces):
    if id(pieces) not in _INTS:
        _INTS[id(pieces)] = {struct.unpack('=Q', p)[0] for p in pieces}
    return _INTS[id(pieces)]


def load(logs):
    blocks = {}
    for path in logs:
        for line in open(path, encoding='ascii'):
            if line.startswith('#') or not line.strip():
                continue
            label, idx, hexkey = line.split()
            key = bytes.fromhex(hexkey)
            if len(key) not in (16, 32):
                raise SystemExit('%s: a key of %d bytes' % (path, len(key)))
            for off in range(0, len(key), BLOCK):
                part = '' if len(key) == BLOCK else '[%d]' % (off // BLOCK)
                blocks.setdefault(key[off:off + BLOCK],
                                  '%s%s %s' % (label, part, idx))
    return blocks


def eights(blocks):
    """Every 8-byte piece of every block, at offsets 0 to 8: a block found
    anywhere in a file covers one whole 8-byte-aligned piece of the file."""
    pieces = {}
    for blk in blocks:
        for off in range(BLOCK - 8 + 1):
            pieces.setdefault(blk[off:off + 8], []).append((blk, off))
    return pieces


def scan(path, data, blocks, pieces, out):
    found = 0
    seen = set()
    aligned = len(data) // 8 * 8
    hits = set()
    # 1 MiB at a time, all-zero stretches (sparse cores) skipped
    for off in range(0, aligned, 1 << 20):
        chunk = data[off:min(off + (1 << 20), aligned)]
        if not chunk.strip(b"\0"):
            continue
        arr = array.array('Q')
        arr.frombytes(chunk)
        hits |= set(arr) & pieces_int(pieces)
    for v in hits:
        piece = struct.pack('=Q', v)
        start = 0
        while True:
            j = data.find(piece, start, aligned)
            if j < 0:
                break
            start = j + 1
            if j % 8:
                continue
            for blk, off in pieces[piece]:
                i = j - off
                if i >= 0 and data[i:i + BLOCK] == blk and i not in seen:
                    seen.add(i)
                    out.append('LEAK %s %d raw %s' % (path, i, blocks[blk]))
                    found += 1
    for rx, sep in ((HEXRUN, False), (SEPRUN, True)):
        for m in rx.finditer(data):
            run = m.group(0)
            if sep:
                run = re.sub(rb'[ :-]', b'', run)
                offsets = range(0, len(run) - 2 * BLOCK + 1, 2)
            else:
                offsets = range(0, len(run) - 2 * BLOCK + 1)
            for j in offsets:
                try:
                    blk = bytes.fromhex(run[j:j + 2 * BLOCK].decode())
                except ValueError:
                    continue
                if blk in blocks:
                    out.append('LEAK %s %d hex%s %s' % (
                        path, m.start(), '-separated' if sep else '',
                        blocks[blk]))
                    found += 1
    return found


# memory (this is not a memory scan), blocking, or write-only
NOT_PROC = {'mem', 'pagemap', 'clear_refs', 'kcore', 'kmsg', 'sysrq-trigger',
            'kpagecount', 'kpageflags', 'kpagecgroup', 'pagetypeinfo'}


def snap(outdir, specs):
    import os
    import signal
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(TimeoutError()))
    n = 0
    for spec in specs:
        tag, pid = spec.split('=')
        base = '/proc' if pid == '-' else '/proc/' + pid
        if not os.path.isdir(base):
            continue
        dest = os.path.join(outdir, '%s.%s' % (tag, pid))
        os.makedirs(dest, exist_ok=True)
        names = [e for e in os.listdir(base) if e not in NOT_PROC]
        if pid != '-':
            names += ['net/netlink'] + ['fdinfo/' + f for f in
                                        os.listdir(base + '/fdinfo')]
        for name in names:
            path = os.path.join(base, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            try:
                signal.alarm(2)
                with open(path, 'rb') as f:
                    data = f.read()
            except (OSError, TimeoutError):
                continue
            finally:
                signal.alarm(0)
            with open(os.path.join(dest, name.replace('/', '+')), 'wb') as f:
                f.write(data)
            n += 1
    print('SNAPPED %d files' % n)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == 'snap':
        snap(sys.argv[2], sys.argv[3:])
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == 'keys':
        print(len(load(sys.argv[2:])))
        return 0
    if len(sys.argv) < 4 or sys.argv[1] != 'scan' or '--' not in sys.argv:
        raise SystemExit(__doc__)
    sep = sys.argv.index('--')
    blocks = load(sys.argv[2:sep])
    pieces = eights(blocks)
    files = sys.argv[sep + 1:]
    if files == ['-']:
        files = [line.rstrip('\n') for line in sys.stdin if line.strip()]
    out, leaks, nbytes = [], 0, 0
    for path in files:
        try:
            with open(path, 'rb') as f:
                data = f.read()
        except OSError as e:
            print('UNREADABLE %s %s' % (path, e.strerror))
            continue
        nbytes += len(data)
        leaks += scan(path, data, blocks, pieces, out)
    for line in out[:50]:
        print(line)
    print('SCANNED %d files %d bytes %d key blocks %d leaks' % (
        len(files), nbytes, len(blocks), leaks))
    return 1 if leaks else 0


if __name__ == '__main__':
    sys.exit(main())
