#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Random sessions for the relay tests, with a model of the card's file.

  session.py gen IMAGE SEED N PREFIX   writes PREFIX.cmds (one APDU per
        line, after a SELECT of 3F00/5F00/5F02), PREFIX.expect (the answer
        each must get, as `smchanctl apdu` prints it) and PREFIX.model (the
        EF's content once they have all run), starting from IMAGE's EF 5F02
  session.py check IMAGE PREFIX        exit 0 if IMAGE's EF 5F02 is PREFIX.model
  session.py gen IMAGE SEED N PREFIX OFF LEN   the same, with every
        write and read inside bytes OFF..OFF+LEN-1 of the EF (LEN >= 256),
        so that sessions on disjoint regions can run at the same time
  session.py check-all IMAGE PREFIX...  exit 0 if IMAGE's EF 5F02 is the
        initial EF with each PREFIX's region as its PREFIX.model has it
  session.py check-cut IMAGE PREFIX K  for a session cut short after K
        confirmed answers: exit 0 if IMAGE's EF 5F02 holds exactly the
        writes among the first K commands, or those and command K+1 (the
        one whose outcome is unknown); says which

Writes and reads of 1 to 255 bytes at random offsets of EF 5F02 (8192
bytes, readable and writable under SM only), some of them 224 to 256
bytes, whose protected answers come in 61xx pieces."""
import random
import struct
import sys

FID, SIZE = 0x5F02, 8192


def ef(image):
    img = open(image, 'rb').read()
    assert img[:8] == b'SMCHANVC'
    p = 12
    while p < len(img) - 4:
        fid, _, _, _, size = struct.unpack('>HHBBI', img[p:p + 10])
        if fid == FID:
            return bytearray(img[p + 10:p + 10 + size])
        p += 10 + size
    raise SystemExit('no EF %04X in %s' % (FID, image))


def gen(image, seed, n, prefix, base=0, size=SIZE):
    rnd = random.Random(seed)
    model = ef(image)
    cmds, expect = ['00A4080C045F005F02'], ['9000']
    for _ in range(n - 1):
        big = rnd.random() < 0.1
        ln = rnd.randint(224, 255) if big else rnd.randint(1, 200)
        off = base + rnd.randint(0, size - ln)
        if rnd.random() < 0.5:
            data = bytes(rnd.getrandbits(8) for _ in range(ln))
            ins = rnd.choice(['D6', 'D0'])
            cmds.append('00%s%04X%02X%s' % (ins, off, ln, data.hex().upper()))
            expect.append('9000')
            model[off:off + ln] = data
        else:
            cmds.append('00B0%04X%02X' % (off, ln))
            expect.append('%s 9000' % model[off:off + ln].hex().upper())
    open(prefix + '.cmds', 'w').write('\n'.join(cmds) + '\n')
    open(prefix + '.expect', 'w').write('\n'.join(expect) + '\n')
    open(prefix + '.model', 'wb').write(model)
    open(prefix + '.initial', 'wb').write(ef(image))
    open(prefix + '.region', 'w').write('%d %d\n' % (base, size))


def check_all(image, prefixes):
    model = ef(image)
    want = None
    for p in prefixes:
        base, size = map(int, open(p + '.region').read().split())
        mine = open(p + '.model', 'rb').read()
        if want is None:
            want = bytearray(open(p + '.initial', 'rb').read())
        want[base:base + size] = mine[base:base + size]
    if model == want:
        return 0
    bad = [i for i in range(len(model)) if model[i] != want[i]]
    print('%d bytes differ, the first at %d' % (len(bad), bad[0]))
    return 1


def apply(model, cmd):
    """The effect of one command of PREFIX.cmds on the EF."""
    if cmd[2:4] in ('D6', 'D0'):
        off, ln = int(cmd[4:8], 16), int(cmd[8:10], 16)
        model[off:off + ln] = bytes.fromhex(cmd[10:10 + 2 * ln])


def check_cut(image, prefix, k):
    cmds = open(prefix + '.cmds').read().split()
    model = bytearray(open(prefix + '.initial', 'rb').read())
    for c in cmds[:k]:
        apply(model, c)
    got = ef(image)
    if got == model:
        print('the %d confirmed commands, not the one cut' % k)
        return 0
    if k < len(cmds):
        apply(model, cmds[k])
        if got == model:
            print('the %d confirmed commands and the one cut (command %d, %s)'
                  % (k, k + 1, 'a write' if cmds[k][2:4] in ('D6', 'D0') else 'a read'))
            return 0
    print('neither the %d confirmed commands nor those and the next' % k)
    return 1


def check(image, prefix):
    return 0 if ef(image) == open(prefix + '.model', 'rb').read() else 1


if __name__ == '__main__':
    if sys.argv[1] == 'gen':
        region = [int(a) for a in sys.argv[6:8]]
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
            *region)
    elif sys.argv[1] == 'check-all':
        sys.exit(check_all(sys.argv[2], sys.argv[3:]))
    elif sys.argv[1] == 'check-cut':
        sys.exit(check_cut(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
