#!/bin/sh
# End to end, the Skype summary (skyprobe --summary FILE, and standard
# error at the end of a run):
#  - for the Skype scenarios of tracegen and the demo trace, every session
#    row (client and port, super node and port, mode, version, login phase,
#    start, connected, end, end reason, super-node changes and refusals,
#    and the flow records, packets and octets carrying its session id) and
#    the totals (clients, sessions, refused super nodes, flow records, flow
#    records by Skype role) equal what records.py computes from
#    collector-test's decoding of the IPFIX file of the same run;
#  - the table on standard error has one row per session and the totals;
#    -q prints none of it; --summary - writes the JSON to standard output.
. "$top_srcdir/tests/lib.sh"

check() {   # check NAME PCAP
	"$SKYPROBE" -r "$2" -o "$T/$1.ipfix" -I 60s -A 30m \
		--summary "$T/$1.summary.json" 2> "$T/$1.err" ||
		fail "$1: skyprobe exited $?: $(cat "$T/$1.err")"
	decode_file "$T/$1.ipfix" > "$T/$1.json"
	$PY summary "$T/$1.json" > "$T/$1.want" || fail "$1: records.py summary"
	$PY summary --probe "$T/$1.summary.json" > "$T/$1.got" ||
		fail "$1: --summary wrote no valid JSON"
	diff -u "$T/$1.want" "$T/$1.got" > "$T/diff" ||
		fail "$1: summary differs from the collector's records: $(cat "$T/diff")"
	n=$(grep -c '^session ' "$T/$1.want" || true)
	# The table on standard error: a row per session, then the totals.
	rows=$(grep -c '^ *[0-9][0-9]* .* \(supernode-closed\|timeout\|shutdown\|evicted\|open\) ' \
		"$T/$1.err" || true)
	[ "$rows" -eq "$n" ] || fail "$1: $rows rows on standard error, $n sessions"
	grep -q "^Skype sessions: $n\$" "$T/$1.err" ||
		fail "$1: no 'Skype sessions: $n' on standard error"
	grep -q '^Skype clients: [0-9]*, sessions: [0-9]*, refused super nodes: [0-9]*$' \
		"$T/$1.err" || fail "$1: no totals line on standard error"
	grep -q '^Flows by Skype role ([0-9]* flow records):' "$T/$1.err" ||
		fail "$1: no flows-by-role line on standard error"
	echo "# $1: $n sessions, $(sed -n 's/^totals //p' "$T/$1.want")"
}

total=0
for s in session-v14 session-refused-then-accepted session-sn-change \
	 session-end-rst session-end-timeout session-v20 restricted-443 \
	 restricted-80-v14 login-full login-wrong-password login-relayed \
	 automatic-login many-clients background-mixed lookalike-stun; do
	"$TRACEGEN" "$s" "$T/$s.pcap" || fail "tracegen $s"
	check "$s" "$T/$s.pcap"
	total=$((total + $(grep -c '^session ' "$T/$s.want" || true)))
done
check demo "$top_srcdir/tests/data/demo.pcap"
[ "$total" -ge 15 ] || fail "only $total sessions in all the scenarios"

# Something was refused somewhere, and a session changed its super node.
grep -q '^totals .* refused [1-9]' "$T/session-refused-then-accepted.want" ||
	fail "session-refused-then-accepted: no refused super node in the totals"
awk '$1 == "session" && $14 >= 1 { ok = 1 } END { exit !ok }' \
	"$T/session-sn-change.want" ||
	fail "session-sn-change: no super-node change in its row"

# -q: nothing of it on standard error; --summary - on standard output.
"$SKYPROBE" -q -r "$T/many-clients.pcap" -o "$T/q.ipfix" -I 60s -A 30m \
	--summary - > "$T/q.out" 2> "$T/q.err" || fail "-q --summary -: exited $?"
[ ! -s "$T/q.err" ] || fail "-q: standard error is not empty: $(cat "$T/q.err")"
$PY summary --probe "$T/q.out" > "$T/q.got" || fail "--summary -: no JSON"
diff -u "$T/many-clients.got" "$T/q.got" > /dev/null ||
	fail "--summary - differs from --summary FILE"

# An unwritable summary file stops the probe before any work.
if "$SKYPROBE" -q -r "$T/many-clients.pcap" -o "$T/x.ipfix" \
	--summary "$T/no/such/dir/s.json" 2> "$T/x.err"; then
	fail "--summary into a missing directory succeeded"
else
	rc=$?
	[ "$rc" -eq 4 ] || fail "--summary into a missing directory: exit $rc, not 4"
fi
pass "Skype summary equals the collector's records ($total sessions)"
