#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A CHANNEL_GET dump read slowly, with deletions between its parts.

Usage: dump-slow.py PREFIX-KEEP PREFIX-GONE N

Reads the dump with a 4 KiB buffer, so that the kernel sends it in many
parts; after the first part it deletes every PREFIX-GONE channel (with
smchan-nl), then reads the rest. Every PREFIX-KEEP channel must be in the
dump, and the kernel must have flagged it NLM_F_DUMP_INTR. Prints what it
saw; exits 1 on a failure.
"""

import socket
import struct
import subprocess
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLM_F_MULTI, NLM_F_DUMP_INTR = 2, 0x10
NLMSG_ERROR, NLMSG_DONE = 2, 3
SMCHAN_CMD_CHANNEL_GET = 4
SMCHAN_A_CHANNEL = 1


def attrs(data):
    out = {}
    while len(data) >= 4:
        alen, atype = struct.unpack_from("HH", data)
        out[atype & 0x3fff] = data[4:alen]
        data = data[(alen + 3) & ~3:]
    return out


def messages(buf):
    while len(buf) >= 16:
        mlen, mtype, flags, seq, pid = struct.unpack_from("IHHII", buf)
        yield mtype, flags, buf[16:mlen]
        buf = buf[(mlen + 3) & ~3:]


def request(sock, mtype, flags, cmd, payload, seq):
    body = struct.pack("BBH", cmd, 1, 0) + payload
    sock.send(struct.pack("IHHII", 16 + len(body), mtype, flags, seq, 0) + body)


def family_id(sock):
    name = b"smchan\0"
    attr = struct.pack("HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
    attr += b"\0" * (-len(attr) % 4)
    request(sock, GENL_ID_CTRL, NLM_F_REQUEST, CTRL_CMD_GETFAMILY, attr, 1)
    for mtype, _, data in messages(sock.recv(65536)):
        if mtype == GENL_ID_CTRL:
            return struct.unpack("H", attrs(data[4:])[CTRL_ATTR_FAMILY_ID][:2])[0]
    sys.exit("dump-slow: no smchan family")


def main():
    keep, gone, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    ctl.bind((0, 0))
    fam = family_id(ctl)
    # A new socket, only ever read with 4 KiB: the kernel sizes each part
    # of the dump to the reads it has seen (NLMSG_GOODSIZE at first).
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.bind((0, 0))
    request(sock, fam, NLM_F_REQUEST | NLM_F_DUMP, SMCHAN_CMD_CHANNEL_GET, b"", 2)
    names, parts, intr, deleted = [], 0, False, False
    done = False
    while not done:
        buf = sock.recv(4096)
        parts += 1
        for mtype, flags, data in messages(buf):
            if mtype == NLMSG_DONE:
                done = True
            elif mtype == NLMSG_ERROR:
                sys.exit("dump-slow: error %d" % struct.unpack_from("i", data)[0])
            elif mtype == fam:
                intr |= bool(flags & NLM_F_DUMP_INTR)
                names.append(attrs(data[4:])[SMCHAN_A_CHANNEL].rstrip(b"\0").decode())
        if not deleted:
            for i in range(1, n + 1):
                subprocess.run(["smchan-nl", "del", "%s%d" % (gone, i)], check=True,
                               stdout=subprocess.DEVNULL)
            deleted = True
    kept = [x for x in names if x.startswith(keep)]
    print("dump-slow: %d parts, %d channels, %d of %d kept ones, interrupted flag %s"
          % (parts, len(names), len(kept), n, intr))
    ok = len(set(kept)) == n and intr and parts > 2
    sys.exit(0 if ok else 1)


main()
