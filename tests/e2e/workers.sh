#!/bin/sh
# End to end, issue 11: N metering workers (-w 2, 3, 4) export the same
# flow and session records as one, compared as sets with session ids
# renumbered (records.py canon), for every scenario of the trace generator
# and every shared capture.  The site's inside prefixes are the
# generator's client networks: packets are spread by the inside host, so
# a client's probes, super-node connections and logins meet on one
# worker.  The shared captures run without prefixes: the key is then the
# address pair (README, "Workers").  The live fanout is live.sh's.
. "$top_srcdir/tests/lib.sh"

cat > "$T/site.yaml" <<'YAML'
site:
  internal: [192.0.2.0/24, "2001:db8::/48"]
YAML

# canon FILE.pcap NAME WORKERS [OPTIONS]: the run's canonical records
canon() {
	pcap=$1 name=$2 w=$3
	shift 3
	"$SKYPROBE" -q -r "$pcap" -o "$T/$name-$w.ipfix" -w "$w" -m 65536 "$@" ||
		fail "$name: skyprobe -w $w exited $?"
	decode_file "$T/$name-$w.ipfix" > "$T/$name-$w.json"
	$PY canon "$T/$name-$w.json" > "$T/$name-$w.canon"
}

# same PCAP NAME [OPTIONS]: -w 2, 3 and 4 give what -w 1 gives
same() {
	pcap=$1 name=$2
	shift 2
	canon "$pcap" "$name" 1 "$@"
	for w in 2 3 4; do
		canon "$pcap" "$name" "$w" "$@"
		diff -u "$T/$name-1.canon" "$T/$name-$w.canon" ||
			fail "$name: -w $w exported other records than -w 1"
	done
}

"$TRACEGEN" --list > "$T/scenarios"
n=0
while read -r s; do
	"$TRACEGEN" "$s" "$T/$s.pcap"
	same "$T/$s.pcap" "$s" -c "$T/site.yaml" -I 60s -A 30m
	n=$((n + 1))
done < "$T/scenarios"
[ "$n" -ge 30 ] || fail "tracegen lists too few scenarios"
pass "$n generator scenarios: -w 2, 3, 4 export the records of -w 1"

# The default timeouts split the keep-alive gaps: continuity across
# workers' clocks (each worker ages its flows by the reader's clock).
for s in gap-sn-2006 gap-restricted-443 real-2006-like; do
	same "$T/$s.pcap" "$s-30" -c "$T/site.yaml"
done
pass "idle splits under the default timeouts: the same records"

# Not one record lost or doubled, whatever the worker count.
[ "$(grep -c '' "$T/many-clients-4.canon")" -eq \
  "$(grep -c '' "$T/many-clients-1.canon")" ] || fail "many-clients: record count"
grep -q '^sessions 20$' "$T/many-clients-4.canon" ||
	fail "many-clients: 20 sessions expected with 4 workers"
pass "many-clients: 20 sessions with 4 workers, ids unique"

if [ -d "$SKYPROBE_SHARED/pcaps" ]; then
	m=0
	for f in "$SKYPROBE_SHARED"/pcaps/*.pcap "$SKYPROBE_SHARED"/pcaps/*.pcapng; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		same "$f" "shared-$b"
		m=$((m + 1))
	done
	pass "$m shared captures: -w 2, 3, 4 export the records of -w 1"
else
	echo "# $SKYPROBE_SHARED/pcaps absent: shared captures skipped"
fi
