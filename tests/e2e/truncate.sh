#!/bin/sh
# End to end, a capture file truncated while skyprobe reads it in place
# (issue 9 B): no SIGBUS; one line "FILE: truncated while reading at
# offset N", exit 1, and every packet before the cut exported, with the
# last statistics record.
#
# Deterministic: the probe writes its IPFIX to a FIFO that nobody reads
# yet, so it blocks (pipe full) a few thousand packets into a trace of
# 60000; the file is cut at packet 30000, then the FIFO is drained.
. "$top_srcdir/tests/lib.sh"

N=60000
CUT=30000
REC=78          # 16-byte record header + 62-byte frame

python3 - "$T/big.pcap" "$N" <<'PY'
import struct, sys
out, n = sys.argv[1], int(sys.argv[2])
T0 = 1153821600 * 10**6

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        src = bytes([10, 1 + (i >> 16), (i >> 8) & 255, i & 255])
        udp = struct.pack("!HHHH", 1000 + i % 50000, 53, 28, 0) + b"q" * 20
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 48, 0, 0, 64, 17, 0,
                         src, bytes([192, 0, 2, 1]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        fr = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp
        t = T0 + i * 10000
        f.write(struct.pack("<IIII", t // 10**6, t % 10**6, len(fr), len(fr)) + fr)
PY
[ "$(wc -c < "$T/big.pcap")" -eq $((24 + N * REC)) ] || fail "trace size"

mkfifo "$T/pipe"
# the reader opens the FIFO at once, reads only once told
sh -c 'exec 3< "$1"; while [ ! -f "$2" ]; do sleep 0.05; done; cat <&3 > "$3"' \
	sh "$T/pipe" "$T/go" "$T/out.ipfix" &
rpid=$!
"$SKYPROBE" -r "$T/big.pcap" -o - -I 1s > "$T/pipe" 2> "$T/err" &
ppid=$!
sleep 1
kill -0 "$ppid" 2>/dev/null ||
	fail "skyprobe finished before the file was cut: $(cat "$T/err")"
truncate -s $((24 + CUT * REC + 40)) "$T/big.pcap"
touch "$T/go"
set +e
wait "$ppid"; rc=$?
set -e
wait "$rpid" || true

[ "$rc" -eq 1 ] || fail "exit $rc, expected 1: $(cat "$T/err")"
grep -qx "skyprobe: .*big.pcap: truncated while reading at offset $((24 + CUT * REC))" "$T/err" ||
	grep -q "big.pcap: truncated while reading at offset $((24 + CUT * REC))\$" "$T/err" ||
	fail "no truncation line naming the offset: $(cat "$T/err")"
decode_file "$T/out.ipfix" > "$T/out.json"
pkts=$($PY flows "$T/out.json" | awk '{s += $6 + $8} END {print s}')
[ "$pkts" -eq "$CUT" ] || fail "$pkts packets exported, expected $CUT"
grep -q "\"skypeProbePacketsRead\":$CUT[,}]" "$T/out.json" ||
	fail "no last statistics record with $CUT packets read"
pass "file cut under the reader: exit 1, offset named, the $CUT packets before exported with the statistics"
