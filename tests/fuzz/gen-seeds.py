#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seed corpora for the fuzz targets, from the test vectors (tests/vectors/).

Usage: gen-seeds.py OUTDIR    (writes OUTDIR/<target>/<sha1>, one file a seed)

The input formats are those the targets' comments describe: sm-fuzz.c
(S F X, then 2-byte-length-prefixed messages), card-fuzz.c (S F, then
messages), ctl-fuzz.c (key file, then NUL-separated arguments), nl-fuzz.c
(OP, then datagrams). sm and card seeds are the vectors' sessions and
negative cases; ctl and nl seeds are the command lines of smchanctl(8) and
the messages of Documentation/netlink/specs/smchan.yaml, built here with
the numbers of the uapi header. Nothing here is checked in as a seed.
"""
import hashlib
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(HERE, '..', 'vectors')

# The session table of sm-fuzz.c and card-fuzz.c, in the same order.
SESSIONS = [
    ('session-xor-aes128', 'session', ['pair']),
    ('session-xor-aes256', 'session', ['pair']),
    ('session-list-aes128', 'session', ['pair']),
    ('session-list-aes256', 'session', ['pair']),
    ('session-opkey-aes128', 'session', ['pair']),
    ('session-opkey-aes256', 'session', ['pair']),
    ('session-ratchet-aes128', 'session', ['pair']),
    ('session-ratchet-aes256', 'session', ['pair']),
    ('negative', 'session', ['prefix', 'state']),
    ('negative', 'opkey-session', ['opkey-prefix', 'opkey-state']),
    ('negative', 'opkey-zero-session', ['opkey-zero-prefix']),
]


def parse(name):
    """{section: [record dict, ...]} of one vector file."""
    secs, cur, rec = {}, None, {}
    with open(os.path.join(VEC, name + '.txt')) as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('#'):
                continue
            if line.startswith('['):
                if rec:
                    secs[cur].append(rec)
                cur, rec = line[1:-1], {}
                secs.setdefault(cur, [])
            elif not line.strip():
                if rec:
                    secs[cur].append(rec)
                rec = {}
            else:
                k, _, v = line.partition(' =')
                rec[k] = v.strip()
        if rec:
            secs[cur].append(rec)
    return secs


def h(s):
    return bytes.fromhex(s)


def msgs(items):
    return b''.join(len(m).to_bytes(2, 'big') + m for m in items)


def chain(rsp):
    """The pieces a card sends for a long answer to a short command."""
    if len(rsp) <= 258:
        return [rsp]
    out = []
    while len(rsp) > 256:
        left = len(rsp) - 256
        out.append(rsp[:256] + bytes([0x61, left if left < 256 else 0]))
        rsp = rsp[256:]
    return out + [rsp]


def get_response(rsp):
    """GET RESPONSEs the terminal sends to fetch a chained answer."""
    pieces = chain(rsp)
    return [bytes([0, 0xc0, 0, 0, p[-1]]) for p in pieces[:-1]]


def ctl_seeds():
    key16 = b'00112233445566778899aabbccddeeff\n'
    key32 = b'  ' + b'00112233445566778899AABBCCDDEEFF' * 2 + b'\n'
    lines = [
        (key16, 'channel add card0 reader Virtual_PCD_00_00 mode ratchet key-file - '
                'timeout 5000 rekey-limit 100 auto-establish on'),
        (key32, 'channel add c1 reader r mode list group 18 suite aes256 key-file k'),
        (key16, 'channel set card0 keyring smchan:card0 mode opkey group 32'),
        (key16, 'channel set card0 key-file k keyring smchan:x'),
        (key16, 'channel add card0 reader r mode xor suite aes128 timeout 4294967295'),
        (b'0011', 'key add smchan:card0 key-file - keyring session'),
        (key32, 'key add smchan:card0 key-file k keyring user'),
        (b'', 'channel del card0'),
        (b'', 'channel show card0 --json'),
        (b'', 'show --json'),
        (b'', 'session start card0'),
        (b'', 'session stop card0'),
        (b'', 'apdu card0 00a4000c020101 00:b0:00:00:10'),
        (b'', '--help'),
        (b'', '--version'),
        (b'', 'channel --help'),
        (b'', 'relay --foreground --debug'),
    ]
    return [len(k).to_bytes(2, 'big') + k + '\0'.join(a.split()).encode()
            for k, a in lines]


def uapi_enum(name):
    """The values of one enum of the uapi header, in order."""
    path = os.path.join(HERE, '..', '..', 'kernel', 'include', 'uapi', 'linux', 'smchan.h')
    text = open(path).read()
    body = re.search(r'enum ' + name + r' \{(.*?)\};', text, re.S).group(1)
    body = re.sub(r'/\*.*?\*/', '', body, flags=re.S)
    vals, v = {}, 0
    for item in body.split(','):
        item = item.strip()
        if not item:
            continue
        k, _, init = item.partition('=')
        k = k.strip()
        if init.strip():
            try:
                v = int(init.strip(), 0)
            except ValueError:
                continue
        vals[k] = v
        v += 1
    return vals


FAMILY = 0x20


def nla(t, data):
    a = struct.pack('=HH', 4 + len(data), t) + data
    return a + b'\0' * (-len(a) % 4)


def nlmsg(t, flags, seq, payload):
    return struct.pack('=IHHII', 16 + len(payload), t, flags, seq, 0) + payload


def genl(cmd, attrs):
    return struct.pack('=BBH', cmd, 1, 0) + b''.join(attrs)


def dgram(*msgs):
    return b''.join(msgs)


def nl_seeds():
    A = uapi_enum('smchan_attr')
    C = uapi_enum('smchan_cmd')
    S = uapi_enum('smchan_stat')
    u8 = lambda t, v: nla(A[t], struct.pack('=B', v))
    u32 = lambda t, v: nla(A[t], struct.pack('=I', v))
    u64 = lambda t, v: nla(A[t], struct.pack('=Q', v))
    st = lambda t, v: nla(A[t], v.encode() + b'\0')
    stats = nla(A['SMCHAN_A_STATS'] | 0x8000, b''.join(
        nla(S[k], struct.pack('=Q', 7)) for k in
        ('SMCHAN_STAT_COMMANDS', 'SMCHAN_STAT_SM_FAILURES', 'SMCHAN_STAT_SESSIONS',
         'SMCHAN_STAT_REINITS')))
    info = [st('SMCHAN_A_CHANNEL', 'ch0'), u8('SMCHAN_A_MODE', 4), u8('SMCHAN_A_SUITE', 1),
            u8('SMCHAN_A_GROUP_SIZE', 2), u32('SMCHAN_A_REKEY_LIMIT', 100),
            u32('SMCHAN_A_TIMEOUT_MS', 5000), u8('SMCHAN_A_AUTO_ESTABLISH', 1),
            u8('SMCHAN_A_KEY_SOURCE', 2), st('SMCHAN_A_KEYRING', 'smchan:card0'),
            st('SMCHAN_A_READER', 'Virtual PCD 00 00'), nla(A['SMCHAN_A_WEAK'], b''),
            u8('SMCHAN_A_STATE', 3), u64('SMCHAN_A_N', 12), u8('SMCHAN_A_TRANSPORT', 1),
            u32('SMCHAN_A_ERROR', 5), stats]
    get = C['SMCHAN_CMD_CHANNEL_GET']
    ack = lambda seq, err=0, flags=0x100, tlvs=b'': nlmsg(
        2, flags, seq, struct.pack('=i', err) + struct.pack('=IHHII', 16, FAMILY, 5, seq, 0) + tlvs)
    done = lambda seq, err=0: nlmsg(3, 2, seq, struct.pack('=i', err))
    reply = nlmsg(FAMILY, 0, 1, genl(get, info))
    msg = lambda b: len(b).to_bytes(2, 'big') + b
    out = [
        bytes([0]) + msg(dgram(reply, ack(1))),
        bytes([0]) + msg(reply) + msg(ack(1)),
        bytes([0]) + msg(ack(1, -22, 0x300, nla(1, b'Invalid channel name\n') + nla(5, struct.pack('=I', 1)))),
        bytes([0]) + msg(nlmsg(FAMILY, 0, 1, genl(get, info[:1]))) + msg(ack(1, -2)),
        bytes([1]) + msg(dgram(nlmsg(FAMILY, 2, 1, genl(get, info)),
                               nlmsg(FAMILY, 2, 1, genl(get, [st('SMCHAN_A_CHANNEL', 'ch1')])),
                               done(1))),
        bytes([1]) + msg(dgram(nlmsg(FAMILY, 0x12, 1, genl(get, info)), done(1))) +
        msg(dgram(nlmsg(FAMILY, 2, 2, genl(get, info)), done(2))),
    ]
    tx = C['SMCHAN_CMD_TRANSMIT']
    req = lambda ch, rid, apdu, tmo: nlmsg(FAMILY, 0, 0, genl(tx, [
        st('SMCHAN_A_CHANNEL', ch), u64('SMCHAN_A_REQUEST_ID', rid),
        nla(A['SMCHAN_A_APDU'], apdu), u32('SMCHAN_A_TIMEOUT_MS', tmo)]))
    apdu = bytes.fromhex('0ca4000c1d871101f8ac17a57ee00dee789cc8d9d2b5eabc8e08a0de4affb468a3c300')
    for op in (2, 3):
        out.append(bytes([op]) + msg(dgram(req('ch0', 1, apdu, 5000), req('ch1', 2, b'\0\xa4\0\0', 0))))
        out.append(bytes([op]) + msg(req('ch0', 7, b'\0\xa4', 10)) + msg(ack(1)))
    ev = C['SMCHAN_CMD_EVENT']
    evmsg = lambda e, *a: nlmsg(FAMILY, 0, 0, genl(ev, [u8('SMCHAN_A_EVENT', e), st('SMCHAN_A_CHANNEL', 'ch0')] + list(a)))
    grp = nla(1 | 0x8000, nla(1, b'events\0') + nla(2, struct.pack('=I', 5)))
    ctrl = lambda cmd: nlmsg(0x10, 0, 0, genl(cmd, [nla(1, struct.pack('=H', FAMILY)), nla(2, b'smchan\0'),
                                                    nla(7 | 0x8000, grp)]))
    out.append(bytes([4]) + msg(dgram(evmsg(1, u64('SMCHAN_A_REQUEST_ID', 3)),
                                      evmsg(2, u8('SMCHAN_A_END_REASON', 2)),
                                      evmsg(9, u32('SMCHAN_A_ERROR', 110)))))
    out.append(bytes([4]) + msg(ctrl(2)) + msg(ctrl(1)) + msg(ctrl(7)))
    return out


def main():
    out = sys.argv[1]
    files = {}
    seeds = {'sm': [], 'card': []}
    table = []
    for i, (fname, sec, pairsecs) in enumerate(SESSIONS):
        v = files.setdefault(fname, parse(fname))
        s = v[sec][0]
        pairs = [p for ps in pairsecs for p in v[ps]]
        table.append((v, s, pairs))
        apdus = [h(p['protected_apdu']) for p in pairs]
        rsps = [h(p['protected_response']) for p in pairs]
        chal = h(s['rc']) + b'\x90\x00'
        init = h(s['init_apdu'])
        sm = seeds['sm']
        sm.append(bytes([i, 0, 0]) + msgs(apdus))
        sm.append(bytes([i, 2, 0]) + msgs([init] + apdus))
        sm.append(bytes([i, 1, 0]) + msgs(p for r in rsps for p in chain(r)))
        sm.append(bytes([i, 3, 0]) + msgs([chal, h(s['init_response'])] +
                                          [p for r in rsps for p in chain(r)]))
        for flags, x in ((4, 3), (4, 17), (8, 1), (16, 0), (17, 0)):
            sm.append(bytes([i, flags, x]) + msgs(apdus if not flags & 1 else rsps))
        # Loopback (sm-fuzz.c flag 0x20): plain commands of every shape,
        # then one touched pair: a command, a response, a replay.
        lb = lambda op, pos, cla, ins, p1, p2, ne, data=b'': msgs([bytes(
            [op, pos >> 8, pos & 255, 1 << (pos % 8), cla, ins, p1, p2, ne >> 8, ne & 255]) + data])
        plain = (lb(0, 0, 0x00, 0xa4, 0x00, 0x0c, 0, b'\x01\x01') +
                 lb(0, 0, 0x00, 0xb0, 0x00, 0x00, 16) +
                 lb(0, 0, 0x00, 0xd6, 0x00, 0x00, 0, bytes(range(256)) * 2) +
                 lb(0, 0, 0x80, 0xca, 0x9f, 0x7f, 0xffff, b'abc' * 30) +
                 lb(0, 0, 0x13, 0xb0, 0x00, 0x10, 256, bytes(255)) +
                 lb(0, 0, 0x00, 0xb0, 0x90, 0x00, 0x0101, b'\x55' * 300))
        for tail in (b'', lb(1, 9, 0, 0xb0, 0, 0, 8, b'x'), lb(2, 3, 0, 0xb0, 0, 0, 8, b'y'),
                     lb(3, 0, 0, 0xb0, 0, 0, 8, b'z')):
            sm.append(bytes([i, 0x20, 0]) + plain + tail)
        sm.append(bytes([i, 0x60, 3]) + plain)
        # The card: GET CHALLENGE (RC from the vector), INITIALIZE SESSION,
        # the pairs, each long answer fetched with GET RESPONSE.
        cmds = [h('0084000010'), init]
        for a, r in zip(apdus, rsps):
            cmds += [a] + (get_response(r) if a[4] != 0 else [])
        seeds['card'].append(bytes([i, 0]) + msgs(cmds))
        # The default image patched (flag 1): a byte of the header, of the
        # file table, of a file; cut short.
        for patch in (b'\x00\x00\x01', b'\x00\x10\x80\x00\x40\x01', b'\x01\x00\xff', b'\x00\x30'):
            seeds['card'].append(bytes([i, 1]) + msgs([patch] + cmds[:6]))

    neg = files['negative']
    prefix = [h(p['protected_apdu']) for p in neg['prefix']]
    prefix_rsp = [h(p['protected_response']) for p in neg['prefix']]
    for r in neg['card']:
        extra = [h(r['then_apdu'])] if 'then_apdu' in r else []
        seeds['sm'].append(bytes([8, 0, 0]) + msgs(prefix + [h(r['apdu'])] + extra))
        seeds['card'].append(bytes([8, 0]) + msgs([h('0084000010'), h(neg['session'][0]['init_apdu'])]
                                               + prefix + [h(r['apdu'])] + extra))
    for r in neg['terminal']:
        seeds['sm'].append(bytes([8, 1, 0]) + msgs(prefix_rsp + [h(r['response'])]))
    for r in neg['plain']:
        seeds['sm'].append(bytes([8, 0, 0]) + msgs([h(r['apdu'])]))
        seeds['card'].append(bytes([8, 0]) + msgs([h(r['apdu'])]))
    for sec, idx, pre in (('opkey-card', 9, 'opkey-prefix'),
                          ('opkey-zero-card', 10, 'opkey-zero-prefix')):
        for r in neg[sec]:
            n = int(r.get('n', len(neg[pre]) + 1))
            p = [h(x['protected_apdu']) for x in neg[pre][:n - 1]]
            seeds['sm'].append(bytes([idx, 0, 0]) + msgs(p + [h(r['apdu'])]))
    for r in neg['init']:
        if 'apdu' in r:
            seeds['sm'].append(bytes([8, 2, 0]) + msgs([h(r['apdu'])]))

    # diff-fuzz.c: S, then the messages of sm's card-role seeds.
    seeds['diff'] = [x[:1] + x[3:] for x in seeds['sm'] if x[1] == 0 and x[2] == 0]
    seeds['ctl'] = ctl_seeds()
    seeds['nl'] = nl_seeds()
    for target, items in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for data in items:
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
                f.write(data)
        print(f'  SEEDS  {target}: {len(items)} in {d}')


if __name__ == '__main__':
    main()
