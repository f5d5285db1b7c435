#!/bin/sh
# End to end, the capture's clock (issue 9, flow_table.c "Time"): one
# packet stamped an hour ahead of (or behind) the rest in the middle of a
# trace is counted, never stalls the idle expiry of the other flows and
# ends none early; a real hour-long gap in a capture is believed.
#
# The trace: 200 UDP flows (request, reply 10 ms later), one starting every
# 0.5 s; idle timeout 5 s.  Flow i's last packet is at i * 0.5 s + 10 ms,
# the last packet of the trace at 99.51 s: flows 0..189 end by idle
# timeout, 190..199 at the end of the file (forced).
. "$top_srcdir/tests/lib.sh"

# gen OUT ODD: ODD is "none", "future", "past" (one more packet, of a flow
# of its own, after flow 50's reply, stamped an hour off) or "gap" (flows
# 100 on happen an hour later: a real gap in the capture).
gen() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
out, odd = sys.argv[1], sys.argv[2]
T0 = 1153821600 * 10**6
HOUR = 3600 * 10**6

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(src, sport, dst, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp

recs = []
def pkt(ts, *a):
    f = frame(*a)
    recs.append(struct.pack("<IIII", ts // 10**6, ts % 10**6, len(f), len(f)) + f)

server = [192, 0, 2, 1]
for i in range(200):
    t = T0 + i * 500000 + (HOUR if odd == "gap" and i >= 100 else 0)
    client = [10, 0, i >> 8, i & 255]
    pkt(t, client, 1000 + i, server, 53, b"q" * 20)
    pkt(t + 10000, server, 53, client, 1000 + i, b"r" * 40)
    if i == 50 and odd in ("future", "past"):
        pkt(t + 20000 + (HOUR if odd == "future" else -HOUR),
            [10, 9, 9, 9], 9, server, 53, b"x" * 30)
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(b"".join(recs))
PY
}

# run NAME: meter $T/NAME.pcap; prints "idle forced" end reason counts.
run() {
	"$SKYPROBE" -r "$T/$1.pcap" -o "$T/$1.ipfix" -I 5s -A 1h \
		2> "$T/$1.err" || fail "$1: skyprobe exited $?: $(cat "$T/$1.err")"
	decode_file "$T/$1.ipfix" > "$T/$1.json"
	$PY select "$T/$1.json" flowEndReason > "$T/$1.reasons"
	echo "$(grep -cx 1 "$T/$1.reasons" || true)" \
		"$(grep -cx 4 "$T/$1.reasons" || true)"
}

stat() { sed -n "s/^$2: *//p" "$T/$1.err"; }

for odd in none future past gap; do
	gen "$T/$odd.pcap" "$odd"
done

got=$(run none)
[ "$got" = "190 10" ] || fail "clean trace: idle/forced ends $got, expected 190 10"
[ "$(stat none 'time outliers')" = 0 ] || fail "clean trace: outliers counted"
pass "clean trace: 190 flows end by idle timeout, 10 at the end"

for odd in future past; do
	got=$(run $odd)
	# the odd flow is counted at the clock's time: it idles out too
	[ "$got" = "191 10" ] ||
		fail "$odd-stamped packet: idle/forced ends $got, expected 191 10"
	[ "$(stat $odd 'time outliers')" = 1 ] ||
		fail "$odd-stamped packet: not counted: $(cat "$T/$odd.err")"
	[ "$(stat $odd 'clock jumps')" = 0 ] || fail "$odd: clock jumped"
	$PY flows "$T/$odd.json" | grep -q "^17 10.9.9.9 9 192.0.2.1 53 1 58 0 0$" ||
		fail "$odd-stamped packet: not in its flow"
	# and it is exported at the capture's time, not an hour off
	when=$($PY select "$T/$odd.json" flowStartMilliseconds sourceIPv4Address=10.9.9.9)
	[ "$when" = $((1153821600000 + 25010)) ] ||
		fail "$odd-stamped packet: flow starts at $when"
	pass "one packet stamped an hour $odd: counted, expiry goes on (191 idle ends)"
done

got=$(run gap)
[ "$got" = "190 10" ] || fail "real gap: idle/forced ends $got, expected 190 10"
[ "$(stat gap 'time outliers')" = 0 ] || fail "real gap: outliers counted"
[ "$(stat gap 'clock jumps')" = 1 ] || fail "real gap: jump not counted"
when=$($PY select "$T/gap.json" flowStartMilliseconds sourceIPv4Address=10.0.0.100)
[ "$when" = $((1153821600000 + 3600000 + 50000)) ] ||
	fail "real gap: the first flow after it starts at $when"
pass "a real hour-long gap: believed, every flow keeps its times"
