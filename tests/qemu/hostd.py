#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/qemu/hostd.py RUN QMP: the host side of a qemu guest's USB readers.

tests/qemu-run starts it beside qemu when the guest has USB CCID readers
(--usb, --usb-card). The guest cannot reach a host socket, but it shares
build/ with the host (9p, no cache), so requests travel as files in
RUN/ctl/: the guest's tests/qemu/hostctl writes req.SEQ (atomically, by
rename), this daemon carries it out and answers in ack.SEQ ("ok ..." or
"error ..."). Reader SLOT is qemu's usb-ccid "ccidSLOT" on xhci port
SLOT+1, with ccid-card-passthru "cardSLOT" on chardev "vscSLOT", a unix
socket client (reconnect=1) to RUN/usb/SLOT.sock, where the card listens.

Requests (one line, words separated by blanks):
  card-start SLOT IMAGE LOG [DEMOLOG]  smchan-vcard --vscard on SLOT's socket
  card-stop SLOT                       SIGTERM, then SIGKILL after 5 s
  card-remove SLOT, card-insert SLOT   "remove"/"insert" to the card's
                                       control FIFO (VSC_CardRemove, VSC_ATR)
  card-remove-in-flight SLOT           "remove-next": the card leaves with
                                       the next command, which fails
  card-pause SLOT, card-resume SLOT    SIGSTOP, SIGCONT: a card that hangs
  reader-unplug SLOT                   QMP device_del ccidSLOT, the card
                                       stopped meanwhile (waits for
                                       DEVICE_DELETED)
  reader-plug SLOT                     QMP device_add usb-ccid + the passthru
Every action is logged to RUN/hostd.log. Ends when qemu's QMP socket closes.
"""
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

RUN, QMP_PATH = sys.argv[1], sys.argv[2]
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VCARD = os.path.join(TOP, 'userspace', 'build', 'smchan-vcard')
CTL = os.path.join(RUN, 'ctl')
USB = os.path.join(RUN, 'usb')
cards = {}
log = open(os.path.join(RUN, 'hostd.log'), 'a', buffering=1)


def say(msg):
    log.write('%.3f %s\n' % (time.monotonic(), msg))


class Qmp:
    """QMP over a unix socket; a thread reads every message into a queue."""

    def __init__(self, path):
        for _ in range(200):
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                time.sleep(0.05)
        else:
            raise SystemExit('hostd: no QMP socket at %s' % path)
        self.f = self.s.makefile('rw')
        self.q = queue.Queue()
        self.events = []
        threading.Thread(target=self._reader, daemon=True).start()
        self.next(30)                   # the greeting
        self.cmd('qmp_capabilities')

    def _reader(self):
        for line in self.f:
            self.q.put(json.loads(line))
        self.q.put(None)

    def next(self, timeout):
        m = self.q.get(timeout=timeout)
        if m is None:
            raise EOFError
        return m

    def cmd(self, name, **args):
        self.f.write(json.dumps({'execute': name, 'arguments': args}) + '\n')
        self.f.flush()
        while True:
            m = self.next(30)
            if 'event' in m:
                self.events.append(m)
                continue
            if 'error' in m:
                raise RuntimeError('%s: %s' % (name, m['error'].get('desc')))
            return m.get('return')

    def wait_event(self, name, dev, timeout):
        end = time.monotonic() + timeout
        while True:
            for m in self.events:
                if m['event'] == name and m.get('data', {}).get('device') == dev:
                    self.events.remove(m)
                    return
            try:
                self.events.append(self.next(max(0.01, end - time.monotonic())))
            except queue.Empty:
                raise RuntimeError('no %s for %s in %s s' % (name, dev, timeout))

    def idle(self, timeout):
        """Collects events for up to timeout s; EOFError when qemu is gone."""
        try:
            self.events.append(self.next(timeout))
        except queue.Empty:
            pass
        del self.events[:-50]


def slot_of(word):
    n = int(word)
    if not 0 <= n < 8:
        raise ValueError('bad slot %s' % word)
    return n


def card_stop(slot):
    p = cards.pop(slot, None)
    if not p:
        return 'no card running'
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return 'stopped (exit %d)' % p.returncode


def control(slot, word):
    fifo = os.path.join(USB, '%d.ctl' % slot)
    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, (word + '\n').encode())
    finally:
        os.close(fd)
    return word


def handle(qmp, words):
    op, args = words[0], words[1:]
    if op == 'card-start':
        slot = slot_of(args[0])
        card_stop(slot)
        sock = os.path.join(USB, '%d.sock' % slot)
        fifo = os.path.join(USB, '%d.ctl' % slot)
        cmd = [VCARD, '--image', args[1], '--vscard', sock, '--control', fifo,
               '--log', args[2]]
        if len(args) > 3:
            cmd += ['--demo-log', args[3]]
        err = open(args[2] + '.err', 'a')
        cards[slot] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        end = time.monotonic() + 10
        while not (os.path.exists(sock) and os.path.exists(fifo)):
            if cards[slot].poll() is not None or time.monotonic() > end:
                raise RuntimeError('the card did not start (%s)' % args[2] + '.err')
            time.sleep(0.02)
        return 'pid %d' % cards[slot].pid
    if op == 'card-stop':
        return card_stop(slot_of(args[0]))
    if op == 'card-remove':
        return control(slot_of(args[0]), 'remove')
    if op == 'card-remove-in-flight':
        # The card leaves with the next command it gets, which fails.
        return control(slot_of(args[0]), 'remove-next')
    if op == 'card-insert':
        return control(slot_of(args[0]), 'insert')
    if op in ('card-pause', 'card-resume'):
        p = cards.get(slot_of(args[0]))
        if not p:
            raise RuntimeError('no card running')
        p.send_signal(signal.SIGSTOP if op == 'card-pause' else signal.SIGCONT)
        return op[5:] + 'd'
    if op == 'reader-unplug':
        # The card is stopped while the reader goes: qemu 7.2 clears the
        # passthru card's parent bus before it stops reading the card's
        # socket, and an answer arriving in between crashes qemu in
        # ccid_card_send_apdu_to_guest() (NULL parent_bus; seen with a
        # core, 1 run in 2 with the card answering back to back).
        slot = slot_of(args[0])
        p = cards.get(slot)
        if p:
            p.send_signal(signal.SIGSTOP)
        try:
            qmp.cmd('device_del', id='ccid%d' % slot)
            qmp.wait_event('DEVICE_DELETED', 'ccid%d' % slot, 10)
        finally:
            if p:
                p.send_signal(signal.SIGCONT)
        return 'unplugged'
    if op == 'reader-plug':
        slot = slot_of(args[0])
        qmp.cmd('device_add', driver='usb-ccid', id='ccid%d' % slot,
                bus='xhci.0', port=str(slot + 1))
        qmp.cmd('device_add', driver='ccid-card-passthru', id='card%d' % slot,
                chardev='vsc%d' % slot, bus='ccid%d.0' % slot)
        return 'plugged'
    raise ValueError('unknown request %s' % op)


def main():
    os.makedirs(CTL, exist_ok=True)
    qmp = Qmp(QMP_PATH)
    say('up')
    seq = 0
    try:
        while True:
            req = os.path.join(CTL, 'req.%d' % seq)
            if not os.path.exists(req):
                qmp.idle(0.05)
                continue
            with open(req) as f:
                words = f.read().split()
            try:
                ans = 'ok ' + handle(qmp, words)
            except (RuntimeError, ValueError, IndexError, OSError) as e:
                ans = 'error %s' % e
            say('%d: %s -> %s' % (seq, ' '.join(words), ans))
            tmp = os.path.join(CTL, 'ack.%d.tmp' % seq)
            with open(tmp, 'w') as f:
                f.write(ans + '\n')
            os.rename(tmp, os.path.join(CTL, 'ack.%d' % seq))
            seq += 1
    except (EOFError, ConnectionError):
        say('qemu is gone')
    finally:
        for slot in list(cards):
            card_stop(slot)


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    main()
