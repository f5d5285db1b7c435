#!/bin/sh
# End to end, interoperability with the collectors people run:
#  1. skyprobe -> UDP, nfdump profile -> nfcapd -> `nfdump -o raw`: every
#     flow record with its exact counts both ways, start and end times,
#     end reason, and the Skype applicationId with its name on exactly the
#     flows the signature marked (all nine role names across the traces);
#     and for every session of every trace (many-clients: 20 interleaved
#     clients), `nfdump 'observation point id N'` shows exactly the flow
#     records collector-test shows with skypeSessionId N (N = 0: those of
#     no session), and `nfdump -A opid` counts them alike;
#  2. skyprobe -> IPFIX file -> libfixbuf's ipfixDump, with the element
#     file and with RFC 5610 type records only: every enterprise element
#     by name, and the Skype view equal to collector-test's;
#  3. skyprobe -> UDP (both profiles) and TCP on loopback, captured, then
#     decoded by tshark: no malformed message, no expert warning, every
#     flow record decoded; `cflow.common_properties_id` selects, for
#     every session, the records collector-test shows with that session.
# Each part is skipped on its own when its tool is missing.
. "$top_srcdir/tests/lib.sh"

PARTS_RUN=0
PARTS_SKIPPED=""

# Run a part in a subshell with its own clean-up: lib.sh's need/skip exit
# 77, which then skips that part only.
run_part() {
	set +e
	(
		set -e
		PIDS=""
		trap 'rc=$?; set +e; for p in $PIDS; do kill "$p" 2>/dev/null
		      done; exit $rc' EXIT
		"$@"
	)
	rc=$?
	set -e
	case $rc in
	0) PARTS_RUN=$((PARTS_RUN + 1)) ;;
	77) PARTS_SKIPPED="$PARTS_SKIPPED $1" ;;
	*) exit "$rc" ;;
	esac
}

# Wait (at most ~5 s) until FILE contains PATTERN.
wait_for_line() {
	for _ in $(seq 50); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$3"
}

# Wait (at most ~5 s) until the UDP sockets bound to these ports have
# nothing left to read, so a collector stopped now has seen every message.
wait_udp_drained() {
	python3 - "$@" <<'EOF'
import sys, time
ports = {int(p) for p in sys.argv[1:]}
for _ in range(50):
    busy = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            port = int(f[1].split(":")[1], 16)
            if port in ports and int(f[4].split(":")[1], 16):
                busy += 1
    if not busy:
        sys.exit(0)
    time.sleep(0.1)
sys.exit("UDP data still queued for ports %s" % sorted(ports))
EOF
}

# --- 1. nfcapd / nfdump ---------------------------------------------------------
# Together the traces carry every skypeFlowRole 1..9.
NF_SCENARIOS="metering-basic session-v14 login-full restricted-443
session-refused-then-accepted udp-probe-negative restricted-80-v14
login-skypeout login-contacts many-clients"

part_nfdump() {
	need nfcapd "part 1, nfdump interoperability"
	need nfdump "part 1, nfdump interoperability"
	# One nfcapd per trace, all at once: start-up is the slow part.
	for s in $NF_SCENARIOS; do
		d="$T/nf-$s"
		mkdir -p "$d/data"
		"$TRACEGEN" "$s" "$d/t.pcap"
		port=$(free_port udp)
		echo "$port" > "$d/port"
		nfcapd -w "$d/data" -p "$port" -b 127.0.0.1 > "$d/nfcapd.log" 2>&1 &
		echo $! > "$d/pid"
		PIDS="$PIDS $!"
	done
	for s in $NF_SCENARIOS; do
		wait_for_line "$T/nf-$s/nfcapd.log" "Startup" \
			"nfcapd did not start: $(cat "$T/nf-$s/nfcapd.log")"
	done
	for s in $NF_SCENARIOS; do
		d="$T/nf-$s"
		# the same run also writes a full-profile file for comparison
		"$SKYPROBE" -q -r "$d/t.pcap" \
			-o "udp://127.0.0.1:$(cat "$d/port")" -P nfdump \
			-o "$d/full.ipfix" || fail "$s: skyprobe exited $?"
	done
	# shellcheck disable=SC2046
	wait_udp_drained $(cat "$T"/nf-*/port)
	sleep 0.2       # and process the last one read
	for s in $NF_SCENARIOS; do
		kill -TERM "$(cat "$T/nf-$s/pid")"
	done
	for s in $NF_SCENARIOS; do
		wait "$(cat "$T/nf-$s/pid")" ||
			fail "$s: nfcapd exited $?: $(cat "$T/nf-$s/nfcapd.log")"
	done
	for s in $NF_SCENARIOS; do
		d="$T/nf-$s"
		nfdump -R "$d/data" -o raw > "$d/raw" ||
			fail "$s: nfdump could not read nfcapd's files"
		decode_file "$d/full.ipfix" > "$d/full.json"
		grep -q "Flow Record" "$d/raw" || fail "$s: nfdump shows no flow"

		# per record: counts, times, end reason, app id and name
		$PY nfdump "$d/raw" > "$d/got"
		$PY nfdump --json "$d/full.json" > "$d/want"
		diff -u "$d/want" "$d/got" ||
			fail "$s: nfdump's records differ from the probe's"
		# per flow: what the generator wrote
		"$TRACEGEN" --expect "$s" | sort > "$d/want-flows"
		$PY nfdump --flows "$d/raw" | sort > "$d/got-flows"
		diff -u "$d/want-flows" "$d/got-flows" ||
			fail "$s: nfdump's flows differ from the generator's"
		! grep -q "<no info>" "$d/raw" ||
			fail "$s: an application name did not reach nfdump"
	done
	# following a session: the session id in observationPointId
	for s in $NF_SCENARIOS; do
		d="$T/nf-$s"
		$PY nfdump --opid "$d/raw" > "$d/got-opid"
		$PY join "$d/full.json" skypeSessionId > "$d/want-opid"
		diff -u "$d/want-opid" "$d/got-opid" ||
			fail "$s: nfdump's observation point ids differ from" \
				"collector-test's session ids"
		for sid in $($PY sessions "$d/full.json"); do
			nfdump -R "$d/data" -o raw "observation point id $sid" \
				> "$d/opid-$sid.raw" ||
				fail "$s: nfdump 'observation point id $sid' failed"
			$PY nfdump "$d/opid-$sid.raw" > "$d/got-$sid"
			$PY nfdump --session "$sid" "$d/full.json" > "$d/want-$sid"
			diff -u "$d/want-$sid" "$d/got-$sid" ||
				fail "$s: nfdump 'observation point id $sid' shows" \
					"other flows than collector-test's session $sid"
		done
		# aggregated per session: "ID FLOWS"
		nfdump -R "$d/data" -q -A opid -o 'fmt:%opid %fl' |
			python3 -c 'import sys
for l in sys.stdin: i, n = l.split(); print(int(i, 16), n)' |
			sort -n > "$d/got-aggr"
		sort -n "$d/want-opid" | diff -u - "$d/got-aggr" ||
			fail "$s: nfdump -A opid counts other flows per session"
	done
	n=$($PY sessions "$T/nf-many-clients/full.json" | grep -c -v '^0$')
	[ "$n" -eq 20 ] || fail "many-clients: $n sessions, want 20"
	# every role name reached nfdump, each with its own selector
	cat "$T"/nf-*/got | sed -n 's/.* app=20\.\.32473\.\.\([0-9]*\):.*/\1/p' |
		sort -nu | tr '\n' ' ' > "$T/nf-roles"
	[ "$(cat "$T/nf-roles")" = "1 2 3 4 5 6 7 8 9 " ] ||
		fail "roles named in nfdump: $(cat "$T/nf-roles"), want 1..9"
	! grep -q "app ID" "$T/nf-metering-basic/raw" ||
		fail "metering-basic: a flow that is not Skype has an app ID"
	pass "nfcapd/nfdump: exact records, times, end reasons; app IDs and" \
		"names on exactly the Skype flows (roles 1-9); every session's" \
		"flows by observation point id"
}

# --- 2. ipfixDump ---------------------------------------------------------------
DUMP_SCENARIOS="login-full session-refused-then-accepted background-mixed
metering-basic"

part_ipfixdump() {
	need ipfixDump "part 2, libfixbuf-tools"
	names=$(sed -n 's:.*<name>\(skype[A-Za-z]*\)</name>.*:\1:p' "$ELEMENTS")
	[ "$(echo "$names" | wc -l)" -ge 27 ] ||
		fail "cannot list the elements of $ELEMENTS"
	for s in $DUMP_SCENARIOS; do
		d="$T/dump-$s"
		mkdir -p "$d"
		"$TRACEGEN" "$s" "$d/t.pcap"
		"$SKYPROBE" -q -r "$d/t.pcap" -o "$d/f.ipfix" ||
			fail "$s: skyprobe exited $?"
		decode_file "$d/f.ipfix" > "$d/f.json"
		$PY skype "$d/f.json" > "$d/want"
		ipfixDump --element-file "$ELEMENTS" --in "$d/f.ipfix" \
			> "$d/elements.txt" || fail "$s: ipfixDump --element-file failed"
		ipfixDump --rfc5610 --in "$d/f.ipfix" > "$d/rfc5610.txt" ||
			fail "$s: ipfixDump --rfc5610 failed"
		# Our elements are named from the file; with RFC 5610 records
		# alone, ours and CERT's TCP flag elements are.
		! grep -E "(ent: +32473 |\(32473/).*_alienInformationElement" \
			"$d/elements.txt" ||
			fail "$s: ipfixDump --element-file leaves an element unnamed"
		! grep "_alienInformationElement" "$d/rfc5610.txt" ||
			fail "$s: ipfixDump --rfc5610 leaves an element unnamed"
		for mode in elements rfc5610; do
			$PY ipfixdump "$d/$mode.txt" > "$d/got-$mode"
			diff -u "$d/want" "$d/got-$mode" ||
				fail "$s: ipfixDump ($mode) shows other values than collector-test"
		done
	done
	# every enterprise element appears by name in some data record
	for n in $names; do
		grep -qE "\(32473/[0-9]+\) *$n : " "$T"/dump-*/rfc5610.txt ||
			fail "ipfixDump --rfc5610 never shows $n"
		grep -qE "\(32473/[0-9]+\) *$n : " "$T"/dump-*/elements.txt ||
			fail "ipfixDump --element-file never shows $n"
	done
	pass "ipfixDump (--element-file and --rfc5610): every enterprise" \
		"element by name, flow roles, sessions and session records equal"
}

# --- 3. tshark on loopback ------------------------------------------------------
part_tshark() {
	need tshark "part 3, Wireshark's IPFIX dissector"
	need dumpcap "part 3, capture on loopback"
	d="$T/tshark"
	mkdir -p "$d"
	s=background-mixed      # IPv4 and IPv6, Skype and not
	"$TRACEGEN" $s "$d/t.pcap"
	"$SKYPROBE" -q -r "$d/t.pcap" -o "$d/full.ipfix" \
		-o "$d/nfd.ipfix" -P nfdump || fail "skyprobe exited $?"
	decode_file "$d/full.ipfix" > "$d/full.json"
	decode_file "$d/nfd.ipfix" > "$d/nfd.json"
	n_full=$(wc -l < "$d/full.json")
	n_nfd=$(wc -l < "$d/nfd.json")
	n_flows=$($PY flows "$d/full.json" | wc -l)
	u1=$(free_port udp)
	u2=$(free_port udp)
	t1=$(free_port tcp)

	dumpcap -q -i lo -f "udp port $u1 or udp port $u2 or tcp port $t1" \
		-w "$d/cap.pcapng" > "$d/dumpcap.log" 2>&1 &
	cap=$!
	PIDS="$PIDS $cap"
	for _ in $(seq 50); do
		grep -q "Capturing on" "$d/dumpcap.log" && break
		kill -0 "$cap" 2>/dev/null ||
			skip "part 3: cannot capture on lo: $(cat "$d/dumpcap.log")"
		sleep 0.1
	done
	grep -q "Capturing on" "$d/dumpcap.log" ||
		skip "part 3: dumpcap did not start capturing on lo"
	sleep 0.5       # the filter is set once it says so; be generous

	for spec in "udp $u1 $n_full full" "udp $u2 $n_nfd nfd" \
		    "tcp $t1 $n_full tcp"; do
		set -- $spec
		"$COLLECTOR" --elements "$ELEMENTS" --listen "$1://127.0.0.1:$2" \
			--count "$3" --timeout 15 --ready-file "$d/$4.ready" \
			-o "$d/$4.got" 2> "$d/$4.err" &
		echo $! > "$d/$4.pid"
		PIDS="$PIDS $!"
	done
	for c in full nfd tcp; do
		wait_for_line "$d/$c.ready" "[0-9]" "collector-test ($c) not listening"
	done
	"$SKYPROBE" -q -r "$d/t.pcap" -o "udp://127.0.0.1:$u1" \
		-o "udp://127.0.0.1:$u2" -P nfdump -o "tcp://127.0.0.1:$t1" ||
		fail "skyprobe to the network exited $?"
	for c in full nfd tcp; do
		wait "$(cat "$d/$c.pid")" || fail "collector-test ($c) exited $?"
	done
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" || true
	[ -s "$d/cap.pcapng" ] || skip "part 3: nothing captured on lo"

	# the network collectors received what the files hold
	$PY skype "$d/full.json" > "$d/want"
	for c in full tcp; do
		$PY skype "$d/$c.got" | diff -u "$d/want" - ||
			fail "collector-test over $c: records differ from the file"
	done
	$PY flows "$d/nfd.json" > "$d/want-nfd"
	$PY flows "$d/nfd.got" | diff -u "$d/want-nfd" - ||
		fail "collector-test over UDP (nfdump profile): flows differ"

	dec="-d udp.port==$u1,cflow -d udp.port==$u2,cflow -d tcp.port==$t1,cflow"
	# shellcheck disable=SC2086
	tshark -n -r "$d/cap.pcapng" $dec > "$d/summary" 2>/dev/null
	# shellcheck disable=SC2086
	tshark -n -r "$d/cap.pcapng" $dec -V > "$d/verbose" 2>/dev/null
	! grep -i "malformed packet" "$d/summary" ||
		fail "tshark: malformed IPFIX"
	# Every expert warning or error, with the port and set it is in.
	awk '/^    (Destination Port|Dst Port): / { port = $NF }
	     /^    Set [0-9]+ \[id=/ { set = $3 }
	     /Expert Info \((Warning|Error)/ { print port, set, $0 }' \
		"$d/verbose" > "$d/experts"
	[ ! -s "$d/experts" ] || fail "tshark expert warnings: $(cat "$d/experts")"
	want=$(grep -c '"protocolIdentifier"' "$d/full.json")
	for port in "udp.dstport==$u1" "udp.dstport==$u2" "tcp.dstport==$t1"; do
		# shellcheck disable=SC2086
		n=$(tshark -n -r "$d/cap.pcapng" $dec -Y "cflow && $port" \
			2>/dev/null | wc -l)
		[ "$n" -gt 0 ] || fail "tshark decodes no IPFIX message for $port"
		# every flow record decoded: one protocolIdentifier each
		# shellcheck disable=SC2086
		got=$(tshark -n -r "$d/cap.pcapng" $dec -Y "cflow && $port" \
			-T fields -E occurrence=a -E aggregator=, \
			-e cflow.protocol 2>/dev/null | tr ',' '\n' | grep -c . ||
			true)
		[ "$got" -eq "$want" ] ||
			fail "tshark decodes $got flow records for $port, want $want"
	done
	# following a session: commonPropertiesId on flows and sessions
	$PY select "$d/full.json" commonPropertiesId | grep -v '^-$' |
		sort -n | uniq -c > "$d/want-cpid"
	[ -s "$d/want-cpid" ] || fail "no commonPropertiesId in $s"
	for sid in $(awk '{ print $2 }' "$d/want-cpid"); do
		want_n=$(awk -v s="$sid" '$2 == s { print $1 }' "$d/want-cpid")
		for port in "udp.dstport==$u1" "tcp.dstport==$t1"; do
			# shellcheck disable=SC2086
			got=$(tshark -n -r "$d/cap.pcapng" $dec \
				-Y "cflow.common_properties_id == $sid && $port" \
				-T fields -E occurrence=a -E aggregator=, \
				-e cflow.common_properties_id 2>/dev/null |
				tr ',' '\n' | grep -c "^$sid\$" || true)
			[ "$got" -eq "$want_n" ] || fail "tshark: $got records" \
				"with common_properties_id $sid on $port, want $want_n"
		done
	done
	[ "$n_flows" -gt 0 ] || fail "no flow in $s"
	pass "tshark decodes every message over UDP (full, nfdump) and TCP:" \
		"no malformed packet, no expert warning, all $want flow records"
}

run_part part_nfdump
run_part part_ipfixdump
run_part part_tshark

[ -z "$PARTS_SKIPPED" ] || echo "skipped:$PARTS_SKIPPED"
[ "$PARTS_RUN" -gt 0 ] || skip "none of nfcapd/nfdump, ipfixDump, tshark installed"
