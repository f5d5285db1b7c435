#!/usr/bin/env python3
"""Seeds for the fuzz targets, written at run time (never kept in git):

  seeds.py packet OUTDIR PCAP...   fuzz_packet's frame format (see
                                   fuzz_packet.c), at most MAX bytes each
  seeds.py capture OUTDIR PCAP...  the files' first MAX bytes as they are

Classic pcap files only for `packet` (others are skipped); the link type
selector follows the file's link type.
"""
import os
import struct
import sys

MAX = 8192
# LINKTYPE -> fuzz_packet selector
SELECT = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 12: 5, 101: 6, 14: 7}


def frames(path):
    b = open(path, "rb").read()
    if len(b) < 24:
        return None
    magic = struct.unpack("<I", b[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e = ">"
    else:
        return None
    ns = magic in (0xa1b23c4d, 0x4d3cb2a1)
    link = struct.unpack(e + "I", b[20:24])[0] & 0xffff
    if link not in SELECT:
        return None
    out, off, prev = bytearray(), 24, None
    while off + 16 <= len(b):
        sec, frac, cl, _ = struct.unpack(e + "IIII", b[off:off + 16])
        data = b[off + 16:off + 16 + cl][:65535]
        off += 16 + cl
        t = sec * 1000 + (frac // 10**6 if ns else frac // 1000)
        step = 0 if prev is None else max(-2**31, min(2**31 - 1, t - prev))
        prev = t
        rec = struct.pack(">HBi", len(data), SELECT[link], step) + data
        if len(out) + len(rec) > MAX:
            break
        out += rec
    return bytes(out)


def main():
    kind, outdir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for f in files:
        data = frames(f) if kind == "packet" else open(f, "rb").read()[:MAX]
        if data:
            name = os.path.basename(f)
            with open(os.path.join(outdir, name + ".seed"), "wb") as o:
                o.write(data)
            n += 1
    print("%d seeds in %s" % (n, outdir))


main()
