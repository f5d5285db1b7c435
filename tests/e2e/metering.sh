#!/bin/sh
# End to end, metering: skyprobe on generated traces -> IPFIX file and TCP
# -> collector-test; every flow's packets and octets both ways equal what
# the generator wrote and what tshark reads from the same trace; bad input
# gives one clear line and a documented exit code, and loses nothing.
. "$top_srcdir/tests/lib.sh"

"$TRACEGEN" metering-basic "$T/m.pcap"
"$TRACEGEN" --expect metering-basic | sort > "$T/want"

# --- to a file ---------------------------------------------------------------
"$SKYPROBE" -q -r "$T/m.pcap" -o "$T/m.ipfix" -I 30s -A 5m ||
	fail "skyprobe exited $?"
decode_file "$T/m.ipfix" > "$T/m.json"
$PY flows "$T/m.json" | sort > "$T/got"
diff -u "$T/want" "$T/got" || fail "file export: flows differ from the generator's"
pass "file export: every flow's packets and octets both ways"

if command -v tshark >/dev/null 2>&1; then
	$PY tshark "$T/m.pcap" | sort > "$T/tshark"
	diff -u "$T/tshark" "$T/got" || fail "flows differ from tshark's reading"
	pass "flows equal tshark's per-conversation counts"
fi

# --- standard output, then standard input -------------------------------------
"$SKYPROBE" -q -r - -o - < "$T/m.pcap" > "$T/stdout.ipfix"
decode_file - < "$T/stdout.ipfix" > "$T/stdout.json"
$PY flows "$T/stdout.json" | sort > "$T/got2"
diff -u "$T/want" "$T/got2" || fail "stdin/stdout export differs"
pass "reads standard input, writes standard output"

# --- to a TCP collector ----------------------------------------------------------
# tcp_export HOST NAME: the trace exported to a collector-test listening on
# 127.0.0.1, reached as tcp://HOST:PORT; its JSON lines in $T/NAME.json,
# its flows must be the file's, flow record for flow record.
nrec=$(grep -c '"octetDeltaCount"' "$T/m.json")
tcp_export() {
	port=$(free_port tcp)
	"$COLLECTOR" --elements "$ELEMENTS" --listen "tcp://127.0.0.1:$port" \
		--count "$(wc -l < "$T/m.json")" --timeout 20 > "$T/$2.json" &
	cpid=$!
	wait_tcp "$port"
	"$SKYPROBE" -q -r "$T/m.pcap" -o "tcp://$1:$port" -I 30s -A 5m
	wait "$cpid" || true
	$PY flows "$T/$2.json" | sort > "$T/$2.flows"
	diff -u "$T/want" "$T/$2.flows" || fail "TCP export to $1 differs"
	[ "$(grep -c '"octetDeltaCount"' "$T/$2.json")" -eq "$nrec" ] ||
		fail "TCP collector ($1) got a different number of flow records"
}
tcp_export 127.0.0.1 tcp
pass "TCP export: $nrec flow records, same flows"

# A collector named by host name: looked up in the background, then every
# address tried in turn (localhost may give ::1 first; the collector
# listens on 127.0.0.1 only).
tcp_export localhost name
pass "TCP collector by host name: $nrec flow records, same flows"

# A name that does not resolve is a collector that is down: the capture
# runs to its end, the file collector gets every flow, the others count.
"$SKYPROBE" -r "$T/m.pcap" -o "tcp://skyprobe-test.invalid:4739" \
	-o "$T/noname.ipfix" 2> "$T/err" ||
	fail "unresolvable collector made skyprobe fail: $(cat "$T/err")"
grep -q "records not sent: *[1-9]" "$T/err" ||
	fail "unresolvable collector: unsent records not counted: $(cat "$T/err")"
grep -q "skyprobe-test.invalid" "$T/err" ||
	fail "unresolvable collector: not named: $(cat "$T/err")"
decode_file "$T/noname.ipfix" | $PY flows /dev/stdin | sort > "$T/got6"
diff -u "$T/want" "$T/got6" || fail "the file collector lost records"
pass "unresolvable collector name: records counted as not sent, file complete"

# --- bad input ---------------------------------------------------------------------
set +e
"$SKYPROBE" -q -r "$T/missing.pcap" -o "$T/x.ipfix" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 3 ] || fail "missing file: exit $rc, expected 3"
grep -q "missing.pcap" "$T/err" || fail "missing file: message does not name it"
pass "missing file: exit 3 naming the file"

printf 'this is not a capture file at all, not even close.' > "$T/junk.pcap"
set +e
"$SKYPROBE" -q -r "$T/junk.pcap" -o "$T/x.ipfix" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 3 ] || fail "corrupt header: exit $rc, expected 3"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "corrupt header: expected one line, got: $(cat "$T/err")"
pass "corrupt file: exit 3, one line"

# A capture cut in the middle of its last packet: every flow read before
# the cut is still exported, and the exit status says the read failed.
size=$(wc -c < "$T/m.pcap")
head -c $((size - 7)) "$T/m.pcap" > "$T/cut.pcap"
set +e
"$SKYPROBE" -q -r "$T/cut.pcap" -o "$T/cut.ipfix" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "truncated file: exit $rc, expected 1"
grep -q "cut.pcap" "$T/err" || fail "truncated file: message does not name it: $(cat "$T/err")"
pkts=$(decode_file "$T/cut.ipfix" | $PY flows /dev/stdin | awk '{s += $6 + $8} END {print s}')
want=$(awk '{s += $6 + $8} END {print s - 1}' "$T/want")
[ "$pkts" -eq "$want" ] || fail "truncated file: $pkts packets exported, expected $want"
pass "truncated file: exit 1, the $want packets before the cut exported"

# Unsupported link type (LINKTYPE_IEEE802_11_RADIOTAP = 127), a valid
# empty file.
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\177\000\000\000' > "$T/wifi.pcap"
set +e
"$SKYPROBE" -q -r "$T/wifi.pcap" -o "$T/x.ipfix" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 3 ] || fail "unsupported link type: exit $rc, expected 3"
grep -q "link type 127" "$T/err" || fail "unsupported link type: $(cat "$T/err")"
pass "unsupported link type: exit 3, clear message"

# Usage errors
set +e
"$SKYPROBE" -r "$T/m.pcap" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "no collector: exit $rc, expected 2"
"$SKYPROBE" --version | grep -q '^skyprobe ' || fail "--version"
"$SKYPROBE" --help | grep -q -- '--read' || fail "--help"
pass "usage errors exit 2; --help and --version"

# An unreachable TCP collector never stops the capture: every flow is
# counted as not sent and the probe exits 0.
port=$(free_port tcp)
"$SKYPROBE" -r "$T/m.pcap" -o "tcp://127.0.0.1:$port" -o "$T/ok.ipfix" 2> "$T/err" ||
	fail "unreachable collector made skyprobe fail"
grep -q "records not sent: *[1-9]" "$T/err" || fail "unsent records not counted: $(cat "$T/err")"
decode_file "$T/ok.ipfix" | $PY flows /dev/stdin | sort > "$T/got4"
diff -u "$T/want" "$T/got4" || fail "the file collector lost records"
pass "unreachable TCP collector: records counted as not sent, file complete"

# Live capture on the loopback interface (needs CAP_NET_RAW: skipped
# otherwise): 5 UDP datagrams each way, then SIGTERM exports the open flow
# with the forced-end reason and the statistics name the kernel drops.
port=$(free_port udp)
"$SKYPROBE" -i lo -f "udp port $port" -o "$T/live.ipfix" 2> "$T/live.err" &
ppid=$!
sleep 1
if ! kill -0 "$ppid" 2>/dev/null; then
	wait "$ppid" || true
	grep -qi "permission\|operation not permitted" "$T/live.err" &&
		{ echo "# live capture not permitted here: $(cat "$T/live.err")"; exit 0; }
	fail "live capture failed: $(cat "$T/live.err")"
fi
python3 - "$port" <<'PY'
import socket, sys
port = int(sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", port))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cli.bind(("127.0.0.1", 0))
for i in range(5):
    cli.sendto(b"x" * 100, ("127.0.0.1", port))
    data, addr = srv.recvfrom(2048)
    srv.sendto(b"y" * 50, addr)
    cli.recvfrom(2048)
PY
sleep 0.5
kill -USR1 "$ppid"
sleep 0.5
kill -TERM "$ppid"
wait "$ppid" || fail "live capture: skyprobe exited $?"
grep -q "kernel dropped" "$T/live.err" || fail "SIGUSR1 printed no statistics"
decode_file "$T/live.ipfix" > "$T/live.json"
[ "$($PY flows "$T/live.json" | awk '{print $6, $7, $8, $9}')" = "5 640 5 390" ] ||
	fail "live capture: $($PY flows "$T/live.json")"
$PY select "$T/live.json" flowEndReason protocolIdentifier=17 | grep -qx 4 ||
	fail "live capture: the open flow was not exported with forced end (4)"
pass "live capture on lo: exact counts, SIGUSR1 statistics, SIGTERM exports the open flow"
