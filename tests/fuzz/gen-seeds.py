#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seed corpora for the fuzz targets, from the test vectors (tests/vectors/).

Usage: gen-seeds.py OUTDIR    (writes OUTDIR/<target>/<sha1>, one file a seed)

The input formats are those the targets' comments describe: sm-fuzz.c
(S F X, then 2-byte-length-prefixed messages), card-fuzz.c (S, then
messages). Seeds for ctl and nl are written by those targets' own lists
below. The vector files are the reference; nothing here is checked in
as a seed.
"""
import hashlib
import os
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
        # The card: GET CHALLENGE (RC from the vector), INITIALIZE SESSION,
        # the pairs, each long answer fetched with GET RESPONSE.
        cmds = [h('0084000010'), init]
        for a, r in zip(apdus, rsps):
            cmds += [a] + (get_response(r) if a[4] != 0 else [])
        seeds['card'].append(bytes([i]) + msgs(cmds))

    neg = files['negative']
    prefix = [h(p['protected_apdu']) for p in neg['prefix']]
    prefix_rsp = [h(p['protected_response']) for p in neg['prefix']]
    for r in neg['card']:
        extra = [h(r['then_apdu'])] if 'then_apdu' in r else []
        seeds['sm'].append(bytes([8, 0, 0]) + msgs(prefix + [h(r['apdu'])] + extra))
        seeds['card'].append(bytes([8]) + msgs([h('0084000010'), h(neg['session'][0]['init_apdu'])]
                                               + prefix + [h(r['apdu'])] + extra))
    for r in neg['terminal']:
        seeds['sm'].append(bytes([8, 1, 0]) + msgs(prefix_rsp + [h(r['response'])]))
    for r in neg['plain']:
        seeds['sm'].append(bytes([8, 0, 0]) + msgs([h(r['apdu'])]))
        seeds['card'].append(bytes([8]) + msgs([h(r['apdu'])]))
    for sec, idx, pre in (('opkey-card', 9, 'opkey-prefix'),
                          ('opkey-zero-card', 10, 'opkey-zero-prefix')):
        for r in neg[sec]:
            n = int(r.get('n', len(neg[pre]) + 1))
            p = [h(x['protected_apdu']) for x in neg[pre][:n - 1]]
            seeds['sm'].append(bytes([idx, 0, 0]) + msgs(p + [h(r['apdu'])]))
    for r in neg['init']:
        if 'apdu' in r:
            seeds['sm'].append(bytes([8, 2, 0]) + msgs([h(r['apdu'])]))

    for target, items in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for data in items:
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
                f.write(data)
        print(f'  SEEDS  {target}: {len(items)} in {d}')


if __name__ == '__main__':
    main()
