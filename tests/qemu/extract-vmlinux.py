#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""extract-vmlinux.py BZIMAGE OUT: the uncompressed ELF vmlinux inside
Debian's bzImage (xz for 6.1, zstd for 6.12: the zstd program). qemu boots it through its PVH entry
(CONFIG_PVH=y), which saves the ~3 s of in-guest decompression under TCG.
"""

import lzma
import os
import subprocess
import sys


def unxz(blob):
    try:
        return lzma.LZMADecompressor().decompress(blob)
    except lzma.LZMAError:
        return b''


def unzstd(blob):
    # zstd complains about the bytes after the frame, after writing it.
    return subprocess.run(['zstd', '-dcq'], input=blob, capture_output=True,
                          check=False).stdout


def main():
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, 'rb').read()
    elf = b''
    for magic, unpack in ((b'\xfd7zXZ\x00', unxz), (b'\x28\xb5\x2f\xfd', unzstd)):
        pos = data.find(magic)
        while pos >= 0 and elf[:4] != b'\x7fELF':
            elf = unpack(data[pos:])
            pos = data.find(magic, pos + 1)
        if elf[:4] == b'\x7fELF':
            break
    if elf[:4] != b'\x7fELF':
        sys.exit(f'extract-vmlinux: no xz or zstd compressed ELF in {src}')
    tmp = out + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(elf)
    os.replace(tmp, out)


if __name__ == '__main__':
    main()
