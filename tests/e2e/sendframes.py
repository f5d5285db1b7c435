#!/usr/bin/env python3
"""Sender of tests/e2e/live.sh: a fixed set of Ethernet frames, written to
a pcap file (what an offline run reads) and, unless --write-only, sent
one by one into an interface through an AF_PACKET socket.

  sendframes.py PCAP [IFACE]

Inside hosts (the site is 10.9.0.0/24 and 2001:db8:9::/64) talk UDP and
TCP to many outside peers and ports, both ways; some of it in 802.1Q VLAN
42, some behind PPPoE or MPLS (VLAN 7 for some); some outside pairs;
three ARP frames.  Every IP frame's payload
starts with its number (4 bytes, big endian), so a reader can tell each
frame apart.  Prints the number of frames, of IP frames, of frames in
VLAN 42 and of IPv6 frames.
"""
import socket
import struct
import sys

SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def l4(proto, sport, dport, payload):
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x18,
                       65535, 0, 0) + payload


def ipv4(src, dst, proto, seg):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0, 64,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + seg


def ipv6(src, dst, proto, seg):
    return struct.pack("!IHBB16s16s", 6 << 28, len(seg), proto, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + seg


def eth(ethertype, body, vlan=None):
    h = DST_MAC + SRC_MAC
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", ethertype) + body


def frames():
    out = []
    seq = [0]

    def ip(src, dst, proto, sport, dport, vlan=None, extra=b"x" * 20,
           wrap=None):
        seq[0] += 1
        payload = struct.pack("!I", seq[0]) + extra
        seg = l4(proto, sport, dport, payload)
        v6 = ":" in src
        pkt = ipv6(src, dst, proto, seg) if v6 else ipv4(src, dst, proto, seg)
        if wrap == "pppoe":                     # a DSL session
            pkt = struct.pack("!BBHHH", 0x11, 0, 0x2a, len(pkt) + 2,
                              0x0057 if v6 else 0x0021) + pkt
            out.append(eth(0x8864, pkt, vlan))
        elif wrap == "mpls":                    # two labels
            pkt = struct.pack("!II", 100 << 12 | 64, 200 << 12 | 1 << 8 | 64) + pkt
            out.append(eth(0x8847, pkt, vlan))
        else:
            out.append(eth(0x86dd if v6 else 0x0800, pkt, vlan))

    for h in range(1, 9):                       # inside IPv4 clients
        me = "10.9.0.%d" % h
        for p in range(1, 11):
            peer = "198.51.100.%d" % (p * 7 % 250 + 1)
            sport = 40000 + h * 100 + p
            dport = 1024 + p * 1111
            vlan = 42 if h % 4 == 0 else None
            ip(me, peer, 17, sport, dport, vlan)
            ip(peer, me, 17, dport, sport, vlan)
            if p % 3 == 0:
                ip(me, peer, 6, sport, 443, vlan)
                ip(peer, me, 6, 443, sport, vlan)
    for h in range(1, 5):                       # inside IPv6 clients
        me = "2001:db8:9::%x" % h
        for p in range(1, 7):
            peer = "2001:db8:77::%x" % (p * 13)
            ip(me, peer, 17, 50000 + p, 3478 + h)
            ip(peer, me, 17, 3478 + h, 50000 + p)
    for h in range(9, 13):                      # behind PPPoE or MPLS
        me = "10.9.0.%d" % h
        wrap = "pppoe" if h < 11 else "mpls"
        vlan = 7 if h % 2 else None
        for p in range(1, 5):
            peer = "198.51.100.%d" % (p * 11)
            ip(me, peer, 17, 41000 + h * 10 + p, 3478, vlan, wrap=wrap)
            ip(peer, me, 17, 3478, 41000 + h * 10 + p, vlan, wrap=wrap)
    ip("2001:db8:9::9", "2001:db8:77::1", 17, 5999, 53, wrap="pppoe")
    ip("2001:db8:77::1", "2001:db8:9::9", 17, 53, 5999, wrap="pppoe")
    for p in range(1, 9):                       # neither inside
        a, b = "203.0.113.%d" % p, "198.51.100.%d" % (200 + p)
        ip(a, b, 17, 5000 + p, 53)
        ip(b, a, 17, 53, 5000 + p)
    ip("10.9.0.1", "10.9.0.2", 17, 7000, 7001)  # both inside
    ip("10.9.0.2", "10.9.0.1", 17, 7001, 7000)
    nip = len(out)
    nvlan = sum(1 for b in out if b[12:16] == b"\x81\x00\x00\x2a")
    nv6 = sum(1 for b in out if b[12:14] == b"\x86\xdd")
    for t in range(3):                          # not IP
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC_MAC,
                          socket.inet_aton("10.9.0.%d" % (t + 1)),
                          b"\0" * 6, socket.inet_aton("10.9.0.200"))
        out.append(eth(0x0806, arp))
    return out, (nip, nvlan, nv6)


def write_pcap(path, fr):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, b in enumerate(fr):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000,
                                (i % 1000) * 1000, len(b), len(b)))
            f.write(b)


def main():
    fr, counts = frames()
    write_pcap(sys.argv[1], fr)
    if len(sys.argv) > 2:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((sys.argv[2], 0))
        for b in fr:
            s.send(b)
    print(len(fr), *counts)


if __name__ == "__main__":
    main()
