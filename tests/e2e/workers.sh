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

# run FILE.pcap NAME WORKERS [OPTIONS]: the run's records, as JSON
run() {
	pcap=$1 name=$2 w=$3
	shift 3
	"$SKYPROBE" -q -r "$pcap" -o "$T/$name-$w.ipfix" -w "$w" -m 65536 "$@" ||
		fail "$name: skyprobe -w $w exited $?"
	decode_file "$T/$name-$w.ipfix" > "$T/$name-$w.json"
}

# same PCAP NAME [OPTIONS]: -w 2, 3 and 4 give what -w 1 gives
same() {
	pcap=$1 name=$2
	shift 2
	for w in 1 2 3 4; do
		run "$pcap" "$name" "$w" "$@"
	done
	$PY same "$T/$name-1.json" "$T/$name-2.json" "$T/$name-3.json" \
		"$T/$name-4.json" ||
		fail "$name: -w 2, 3 or 4 exported other records than -w 1"
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

# fed PCAP NAME [OPTIONS]: -w 2 on standard input, where one reader
# decodes and hands the packets out (a classic pcap file is read whole by
# every worker instead), gives what -w 1 gave on the file.
fed() {
	pcap=$1 name=$2
	shift 2
	"$SKYPROBE" -q -r - -o "$T/$name-fed.ipfix" -w 2 -m 65536 "$@" \
		< "$pcap" || fail "$name: skyprobe -r - -w 2 exited $?"
	decode_file "$T/$name-fed.ipfix" > "$T/$name-fed.json"
	$PY same "$T/$name-1.json" "$T/$name-fed.json" ||
		fail "$name: -w 2 on standard input exported other records"
}

while read -r s; do
	fed "$T/$s.pcap" "$s" -c "$T/site.yaml" -I 60s -A 30m
done < "$T/scenarios"
pass "$n generator scenarios on standard input: -w 2 exports the records of -w 1"

# The default timeouts split the keep-alive gaps: continuity across
# workers' clocks (each worker ages its flows by the reader's clock).
for s in gap-sn-2006 gap-restricted-443 real-2006-like; do
	same "$T/$s.pcap" "$s-30" -c "$T/site.yaml"
done
pass "idle splits under the default timeouts: the same records"

# Twenty sessions, each with its own id, whatever the worker count.
$PY records "$T/many-clients-4.json" > "$T/mc4"
grep -q '^sessions 20$' "$T/mc4" ||
	fail "many-clients: 20 sessions expected with 4 workers"
[ "$(grep -o '^session id=[0-9]*' "$T/mc4" | sort -u | wc -l)" -eq 20 ] ||
	fail "many-clients: session ids not unique across 4 workers"
pass "many-clients: 20 sessions with 4 workers, ids unique"

if [ -d "$SKYPROBE_SHARED/pcaps" ]; then
	m=0
	for f in "$SKYPROBE_SHARED"/pcaps/*.pcap "$SKYPROBE_SHARED"/pcaps/*.pcapng; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		same "$f" "shared-$b"
		fed "$f" "shared-$b"
		m=$((m + 1))
	done
	pass "$m shared captures: -w 2, 3, 4 (and -w 2 on standard input) export the records of -w 1"
else
	echo "# $SKYPROBE_SHARED/pcaps absent: shared captures skipped"
fi
