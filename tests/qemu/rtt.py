#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""rtt.py READER_SUBSTRING N [APDU_HEX]: the round-trip time of a plain
APDU through PC/SC (SCardTransmit, libpcsclite via ctypes), N times after
20 not counted, to the one reader whose name contains READER_SUBSTRING.
Prints: READER n=N median_us= p90_us= p99_us= min_us= max_us= (every
answer must end in 90 00). tests/qemu/rtt.sh runs it in a qemu guest for
qemu's USB CCID reader and for vpcd side by side."""
import ctypes
import sys
import time

pcsc = ctypes.CDLL('libpcsclite.so.1')
LONG, DWORD = ctypes.c_long, ctypes.c_ulong


class IoRequest(ctypes.Structure):
    _fields_ = [('dwProtocol', DWORD), ('cbPciLength', DWORD)]


def check(rv, what):
    if rv:
        raise SystemExit('rtt: %s: 0x%08X' % (what, rv & 0xFFFFFFFF))


def main():
    want, n = sys.argv[1], int(sys.argv[2])
    apdu = bytes.fromhex(sys.argv[3] if len(sys.argv) > 3 else '00A4000C023F00')
    ctx = LONG()
    check(pcsc.SCardEstablishContext(2, None, None, ctypes.byref(ctx)), 'SCardEstablishContext')
    size = DWORD(0)
    check(pcsc.SCardListReaders(ctx, None, None, ctypes.byref(size)), 'SCardListReaders')
    buf = ctypes.create_string_buffer(size.value)
    check(pcsc.SCardListReaders(ctx, None, buf, ctypes.byref(size)), 'SCardListReaders')
    names = [r for r in buf.raw[:size.value].decode().split('\0') if r and want in r]
    if len(names) != 1:
        raise SystemExit('rtt: %d readers match %r' % (len(names), want))
    card, proto = LONG(), DWORD()
    check(pcsc.SCardConnect(ctx, names[0].encode(), 1, 3, ctypes.byref(card),
                            ctypes.byref(proto)), 'SCardConnect')
    pci = IoRequest(proto.value, ctypes.sizeof(IoRequest))
    cmd = (ctypes.c_ubyte * len(apdu))(*apdu)
    rsp = (ctypes.c_ubyte * 300)()
    times = []
    for i in range(n + 20):
        rlen = DWORD(300)
        t0 = time.perf_counter()
        check(pcsc.SCardTransmit(card, ctypes.byref(pci), cmd, DWORD(len(apdu)), None,
                                 rsp, ctypes.byref(rlen)), 'SCardTransmit')
        t1 = time.perf_counter()
        if bytes(rsp[rlen.value - 2:rlen.value]) != b'\x90\x00':
            raise SystemExit('rtt: answer %s' % bytes(rsp[:rlen.value]).hex())
        if i >= 20:
            times.append((t1 - t0) * 1e6)
    pcsc.SCardDisconnect(card, 0)
    pcsc.SCardReleaseContext(ctx)
    times.sort()
    q = lambda f: times[min(len(times) - 1, int(f * len(times)))]
    print('%s n=%d median_us=%.0f p90_us=%.0f p99_us=%.0f min_us=%.0f max_us=%.0f'
          % (names[0], n, q(0.5), q(0.9), q(0.99), times[0], times[-1]))


main()
