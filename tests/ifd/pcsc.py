#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The PC/SC side of tests/ifd, with python3-pyscard, unmodified.

  pcsc.py state              one line per reader: NAME<TAB>present|empty<TAB>ATR
                             (from SCardGetStatusChange: no connection)
  pcsc.py rw READER SEED     connects to READER, selects EF 5F02 by path,
                             writes 1..200 random bytes at a random offset
                             with UPDATE BINARY and reads them back; prints
                             "OFFSET HEX" of what it wrote; exit 1 if the
                             answer differs or a status word is not 90 00
"""
import random
import sys

from smartcard.scard import (SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_S_SUCCESS,
                             SCARD_SCOPE_USER, SCARD_STATE_PRESENT,
                             SCARD_STATE_UNAWARE, SCardEstablishContext,
                             SCardGetStatusChange, SCardListReaders,
                             SCardReleaseContext)
from smartcard.System import readers


def state():
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rv != SCARD_S_SUCCESS:
        sys.exit('SCardEstablishContext: %#x' % rv)
    rv, names = SCardListReaders(ctx, [])
    if rv != SCARD_S_SUCCESS:
        names = []
    if names:
        rv, states = SCardGetStatusChange(ctx, 0, [(n, SCARD_STATE_UNAWARE) for n in names])
        for name, ev, atr in states:
            present = ev & SCARD_STATE_PRESENT
            print('%s\t%s\t%s' % (name, 'present' if present else 'empty',
                                  bytes(atr).hex().upper() if present else ''))
    SCardReleaseContext(ctx)


def rw(reader, seed):
    rnd = random.Random(seed)
    r = [x for x in readers() if str(x) == reader]
    if not r:
        sys.exit('no reader %r' % reader)
    conn = r[0].createConnection()
    conn.connect(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)

    def tx(apdu, what):
        data, sw1, sw2 = conn.transmit(list(apdu))
        if (sw1, sw2) != (0x90, 0x00):
            sys.exit('%s: SW %02X %02X' % (what, sw1, sw2))
        return bytes(data)

    tx(bytes.fromhex('00A4080C045F005F02'), 'SELECT 3F00/5F00/5F02')
    n = rnd.randint(1, 200)
    off = rnd.randint(0, 8192 - n)
    data = bytes(rnd.getrandbits(8) for _ in range(n))
    tx(bytes([0x00, 0xD6, off >> 8, off & 0xFF, n]) + data, 'UPDATE BINARY')
    got = tx(bytes([0x00, 0xB0, off >> 8, off & 0xFF, n]), 'READ BINARY')
    conn.disconnect()
    if got != data:
        sys.exit('read back %s, wrote %s' % (got.hex(), data.hex()))
    print('%d %s' % (off, data.hex().upper()))


if __name__ == '__main__':
    if sys.argv[1:2] == ['state']:
        state()
    elif sys.argv[1:2] == ['rw'] and len(sys.argv) == 4:
        rw(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
