#!/bin/sh
# End to end, pmacct's nfacctd (Debian 12: 1.7.7) as a collector:
# skyprobe -> UDP (full profile) -> nfacctd with custom primitives for
# skypeSessionId and skypeFlowRole (aggregate_primitives, field_type
# PEN:ID with the ids of templates/skyprobe.xml) -> print plugin, JSON.
# For every flow record and every session record of the run, nfacctd's
# session id and flow role equal collector-test's decoding of the same
# run (a full-profile file written alongside).  nfacctd keys custom
# fields by element id across PENs, so this fails if a skyprobe element
# shares its id with another element of its template.
. "$top_srcdir/tests/lib.sh"

need nfacctd "pmacct, the interoperability test with nfacctd"

# nfacctd 1.7.7 blocks SIGTERM for long stretches (lib.sh's clean-up
# would leave it running): stop it with SIGINT, and SIGKILL after 5 s.
stop_nfacctd() {
	kill -INT "$1" 2>/dev/null || return 0
	( sleep 5; kill -KILL "$1" 2>/dev/null ) &
	killer=$!
	wait "$1" 2>/dev/null || true
	kill "$killer" 2>/dev/null || true
}
NFACCTD_PIDS=""
trap 'for p in $NFACCTD_PIDS; do stop_nfacctd "$p"; done; cleanup' EXIT

# The element ids come from the element file, by name: it alone numbers them.
element_id() {
	python3 - "$ELEMENTS" "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
for rec in re.findall(r"<record>(.*?)</record>", text, re.S):
    if re.search(r"<name>%s</name>" % sys.argv[2], rec):
        print(re.search(r"<elementId>(\d+)</elementId>", rec).group(1))
        break
else:
    sys.exit("no element %s in %s" % (sys.argv[2], sys.argv[1]))
EOF
}
SESSION_ID=$(element_id skypeSessionId)
ROLE_ID=$(element_id skypeFlowRole)

# many-clients: 20 interleaved sessions; background-mixed: IPv4 and IPv6,
# Skype and not.
SCENARIOS="many-clients background-mixed"

for s in $SCENARIOS; do
	d="$T/$s"
	mkdir -p "$d"
	"$TRACEGEN" "$s" "$d/t.pcap"
	port=$(free_port udp)
	echo "$port" > "$d/port"
	cat > "$d/primitives.lst" <<EOF
name=skype_session_id field_type=32473:$SESSION_ID len=4 semantics=u_int
name=skype_flow_role field_type=32473:$ROLE_ID len=1 semantics=u_int
EOF
	cat > "$d/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $port
aggregate_primitives: $d/primitives.lst
plugins: print[skype]
aggregate[skype]: proto, src_host, src_port, dst_host, dst_port, timestamp_start, skype_session_id, skype_flow_role
print_output[skype]: json
print_output_file[skype]: $d/out.json
print_output_file_append[skype]: true
print_refresh_time[skype]: 1
timestamps_utc: true
EOF
	nfacctd -f "$d/nfacctd.conf" > "$d/nfacctd.log" 2>&1 &
	echo $! > "$d/pid"
	NFACCTD_PIDS="$NFACCTD_PIDS $!"
done
for s in $SCENARIOS; do
	d="$T/$s"
	for _ in $(seq 100); do
		grep -q "waiting for NetFlow/IPFIX data" "$d/nfacctd.log" && break
		kill -0 "$(cat "$d/pid")" 2>/dev/null ||
			fail "$s: nfacctd exited: $(cat "$d/nfacctd.log")"
		sleep 0.1
	done
	grep -q "waiting for NetFlow/IPFIX data" "$d/nfacctd.log" ||
		fail "$s: nfacctd did not start: $(cat "$d/nfacctd.log")"
done

for s in $SCENARIOS; do
	d="$T/$s"
	"$SKYPROBE" -q -r "$d/t.pcap" -o "udp://127.0.0.1:$(cat "$d/port")" \
		-o "$d/full.ipfix" || fail "$s: skyprobe exited $?"
	decode_file "$d/full.ipfix" > "$d/full.json"
	$PY pmacct --json "$d/full.json" > "$d/want"
	n=$(wc -l < "$d/want")
	[ "$n" -gt 0 ] || fail "$s: collector-test shows no record"
	# The print plugin writes what it holds every second: wait until
	# every record is out (one line per record, all keys differ).
	for _ in $(seq 150); do
		[ "$(grep -c '"purge"' "$d/out.json" 2>/dev/null || true)" -ge "$n" ] &&
			break
		sleep 0.1
	done
	stop_nfacctd "$(cat "$d/pid")"
	[ -s "$d/out.json" ] || fail "$s: nfacctd wrote nothing:" \
		"$(tail -5 "$d/nfacctd.log")"
	$PY pmacct "$d/out.json" > "$d/got"
	diff -u "$d/want" "$d/got" ||
		fail "$s: nfacctd's session ids / flow roles differ from collector-test's"
	grep -q "^flow .* session=[1-9][0-9]* role=[1-9]" "$d/got" ||
		fail "$s: no Skype flow with its session in nfacctd's output"
	grep -q "^session .* session=[1-9]" "$d/got" ||
		[ "$s" = background-mixed ] ||
		fail "$s: no session record in nfacctd's output"
done
sessions=$(grep -c "^session" "$T/many-clients/got")
[ "$sessions" -eq 20 ] ||
	fail "many-clients: $sessions session records in nfacctd, want 20"
pass "nfacctd (custom primitives 32473:$SESSION_ID, 32473:$ROLE_ID):" \
	"session id and flow role of every flow and session record equal" \
	"collector-test's"
