#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile wire between vpcd and a card: test only.

  mitm.py serve --listen PORT --vpcd PORT --ctl FIFO --status FILE
                [--log FILE]
      the card (smchan-vcard --port PORT) connects here; for every card
      connection we connect to vpcd, whose slot then sees the card.
      Control lines come through FIFO (made if missing), each ending with
      a token; after each, FILE is replaced by the state as one JSON
      object with that "token" (a FIFO and a file, not a socket: a
      Python client would cost a second per call in UML).

Frames are vpcd's: a 2-byte big-endian length and the payload; a 1-byte
payload is a control message (00 power off, 01 on, 02 reset, 04 ATR; only
04 is answered).  The wire is strictly one exchange at a time, so the
proxy is a loop: a frame from vpcd, the card's answer, back to vpcd.

It follows the sessions it sees: an INITIALIZE SESSION (80 8A) starts one,
and every protected command (CLA & EC = 0C or 84) with its answer is kept,
so that they can be replayed later, in the same session or another.

Control lines (before the token):
  arm CASE AFTER [HOLD_MS]   the next time AFTER protected commands have
        passed since this line, do CASE to the one that follows (once):
        flip-cmd, flip-rsp      flip one bit in the middle of the body
        trunc-cmd, trunc-rsp    cut the frame 5 bytes short
        drop-rsp                the card runs it; its answer is dropped;
                                after HOLD_MS the card connection is cut
                                (what a reader does with a silent card)
        delay-rsp               the answer goes to vpcd HOLD_MS late
        replay-cmd              the card gets the previous protected
                                command of this session instead
        replay-cmd-old          ... the command at the same place of an
                                earlier session (or its last one)
        replay-rsp, replay-rsp-old   the card runs the command; vpcd gets
                                an earlier answer (this session / earlier)
        reorder                 the command is held HOLD_MS (vpcd gets a
                                bare 6F00 then), and delivered to the card
                                after the next protected command's answer
        bare-sw                 the card runs it; vpcd gets a bare 90 00
        chain                   the card runs it; vpcd gets 256 bytes and
                                61 00, and the same for every GET RESPONSE
        chain0                  ... 61 00 alone, for ever
                                (a test's bound: after CHAIN_LIMIT s,
                                10, a bare 6F 00 ends it)
  status        only the state: {"armed", "fired", "case", "card_sw": the card's answers
                 to what we injected, "sent": APDUs sent to the card since
                 the arm, "injected": the indexes (1-based) among them of
                 those that were a replay, "sessions": sessions seen,
                 "pieces": the 61 00 pieces of the last chain,
                 "released": reorder's held command has been answered}
  quit
"""
import json
import os
import socket
import struct
import sys
import threading
import time

lock = threading.Lock()
state = {'armed': None, 'after': 0, 'hold': 0, 'fired': False, 'case': None,
         'card_sw': [], 'sent': 0, 'injected': [], 'sessions': 0,
         'pieces': 0, 'released': False}
sessions = []          # [[(cmd, rsp), ...], ...]
pending = []           # commands to deliver after the next protected answer
logf = None
CHAIN_LIMIT = 10


def log(msg):
    if logf:
        logf.write('%.3f %s\n' % (time.monotonic(), msg))
        logf.flush()


def read_full(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        # vpcd sends a frame's length and payload in two writes without
        # TCP_NODELAY: ACK at once, or Nagle holds the payload ~40 ms
        # (as the card does, userspace/vcard/vpcd.c).
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        if not c:
            raise EOFError
        b += c
    return b


def recv_frame(s):
    n, = struct.unpack('>H', read_full(s, 2))
    return read_full(s, n)


def send_frame(s, p):
    s.sendall(struct.pack('>H', len(p)) + p)


def protected(cmd):
    return len(cmd) >= 4 and cmd[0] & 0xEC in (0x0C, 0x84)


def flip(b):
    b = bytearray(b)
    b[len(b) // 2] ^= 0x10
    return bytes(b)


def sw(rsp):
    return rsp[-2:].hex().upper() if len(rsp) >= 2 else rsp.hex().upper()


class Conn:
    def __init__(self, card, vpcd):
        self.card, self.vpcd = card, vpcd

    def to_card(self, cmd, injected=False):
        send_frame(self.card, cmd)
        rsp = recv_frame(self.card)
        with lock:
            if state['fired'] or state['armed']:
                state['sent'] += 1
                if injected:
                    state['injected'].append(state['sent'])
                    state['card_sw'].append(sw(rsp))
        log('card %s -> %s' % (cmd.hex(), rsp.hex()))
        return rsp

    def earlier(self, which, idx):
        """An earlier protected (command, answer) pair: the previous one of
        this session, or the one at the same place in an earlier one."""
        if which == 'old':
            for s in reversed(sessions[:-1]):
                if s:
                    return s[min(idx, len(s) - 1)]
            return None
        cur = sessions[-1] if sessions else []
        return cur[-1] if cur else None

    def chain(self, first, empty):
        """Answer vpcd with 61 00 pieces for as long as it asks."""
        piece = (b'' if empty else os.urandom(256)) + b'\x61\x00'
        send_frame(self.vpcd, piece)
        n = 1
        with lock:
            state['pieces'] = n
        end = time.monotonic() + CHAIN_LIMIT
        while True:
            cmd = recv_frame(self.vpcd)
            if len(cmd) == 1:       # pcscd's presence poll, between two
                send_frame(self.card, cmd)
                if cmd[0] == 0x04:
                    send_frame(self.vpcd, recv_frame(self.card))
                continue
            if len(cmd) != 5 or cmd[1] != 0xC0:
                log('chain: %d pieces, then %s' % (n, cmd.hex()))
                return cmd
            piece = (b'' if empty else os.urandom(256)) + b'\x61\x00'
            if time.monotonic() > end:
                log('chain: %d pieces in %d s, ending it' % (n, CHAIN_LIMIT))
                piece = b'\x6F\x00'
            send_frame(self.vpcd, piece)
            n += 1
            with lock:
                state['pieces'] = n

    def run(self):
        cmd = None
        while True:
            if cmd is None:
                cmd = recv_frame(self.vpcd)
            nxt = None
            if len(cmd) == 1:
                send_frame(self.card, cmd)
                if cmd[0] == 0x04:
                    send_frame(self.vpcd, recv_frame(self.card))
                cmd = None
                continue
            if cmd[:2] == b'\x80\x8A':
                with lock:
                    sessions.append([])
                    state['sessions'] = len(sessions)
            case = None
            hold = state['hold'] / 1000.0
            if protected(cmd):
                with lock:
                    if state['armed']:
                        if state['after'] > 0:
                            state['after'] -= 1
                        else:
                            case = state['armed']
                            state['armed'] = None
                            state['fired'] = True
            rsp = None
            idx = len(sessions[-1]) if sessions else 0
            log('vpcd %s%s' % (cmd.hex(), ' [%s]' % case if case else ''))
            if case == 'flip-cmd':
                rsp = self.to_card(flip(cmd))
            elif case == 'trunc-cmd':
                rsp = self.to_card(cmd[:-5])
            elif case in ('replay-cmd', 'replay-cmd-old'):
                old = self.earlier('old' if case.endswith('old') else 'same', idx)
                rsp = self.to_card(old[0] if old else flip(cmd), injected=True)
            elif case == 'reorder':
                time.sleep(hold)
                pending.append(cmd)
                rsp = b'\x6F\x00'
                with lock:
                    state['released'] = True
            else:
                rsp = self.to_card(cmd)
            real = rsp
            if case == 'flip-rsp':
                rsp = flip(rsp)
            elif case == 'trunc-rsp':
                rsp = rsp[:-5]
            elif case in ('replay-rsp', 'replay-rsp-old'):
                old = self.earlier('old' if case.endswith('old') else 'same', idx)
                rsp = old[1] if old else flip(rsp)
            elif case == 'bare-sw':
                rsp = b'\x90\x00'
            elif case == 'delay-rsp':
                log('delay: the answer held %d ms' % (hold * 1000))
                time.sleep(hold)
            elif case == 'drop-rsp':
                time.sleep(hold)
                log('drop: cutting the card connection')
                return
            if protected(cmd) and sessions:
                sessions[-1].append((cmd, real))
            if case in ('chain', 'chain0'):
                nxt = self.chain(rsp, case == 'chain0')
            else:
                send_frame(self.vpcd, rsp)
            if protected(cmd) and case != 'reorder' and pending:
                for p in pending:
                    self.to_card(p, injected=True)
                del pending[:]
            cmd = nxt


def serve(listen, vpcd_port, fifo, status, logpath):
    global logf
    if logpath:
        logf = open(logpath, 'a')
    threading.Thread(target=control, args=(fifo, status), daemon=True).start()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', listen))
    ls.listen(1)
    while True:
        card, _ = ls.accept()
        card.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            vpcd = socket.create_connection(('127.0.0.1', vpcd_port))
        except OSError:
            card.close()
            time.sleep(0.2)
            continue
        vpcd.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log('card connected')
        try:
            Conn(card, vpcd).run()
        except (EOFError, OSError) as e:
            log('connection ended: %r' % e)
        card.close()
        vpcd.close()


def control(fifo, status):
    """Lines from the FIFO; after each, the state as JSON in the status
    file (replaced whole), with the line's last word as "token"."""
    try:
        os.mkfifo(fifo)
    except FileExistsError:
        pass
    while True:
        with open(fifo) as f:
            for line in f:
                handle(line.split(), status)


def handle(line, status):
    if not line:
        return
    token, line = line[-1], line[:-1]
    with lock:
        if line and line[0] == 'arm':
            state.update(armed=line[1], after=int(line[2]),
                         hold=int(line[3]) if len(line) > 3 else 0,
                         fired=False, case=line[1], card_sw=[], sent=0,
                         injected=[], pieces=0, released=False)
        elif line and line[0] == 'disarm':
            state['armed'] = None
        out = dict(state, token=token)
    with open(status + '.new', 'w') as f:
        json.dump(out, f)
        f.write('\n')
    os.replace(status + '.new', status)
    if line and line[0] == 'quit':
        os._exit(0)


if __name__ == '__main__':
    a = sys.argv[1:]
    opt = dict(zip(a[1::2], a[2::2]))
    serve(int(opt['--listen']), int(opt['--vpcd']), opt['--ctl'],
          opt['--status'], opt.get('--log'))
