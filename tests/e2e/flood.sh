#!/bin/sh
# End to end, issue 9 (blinding): spoofed 18-byte probes and 18-byte
# answers, from 70,000 sources or from one address with 100,000 ports
# (tracegen --list-floods), merged with many-clients' 20 real sessions.
# Every flow record is exact (the spoofed flows too: each one is a positive
# probe that starts a session of its own, so session ids stay exact); every
# real session record is exact; each spoofed session is exported once,
# never connected, ended as evicted or at shutdown.  Under the default
# table sizes (65,536 clients: 70,000 sources overflow it) and under small
# tables (the eviction policy at work on every packet).  Nothing here
# measures time: tests/bench/flood.sh does.
. "$top_srcdir/tests/lib.sh"

"$TRACEGEN" --list-floods > "$T/floods"
grep -qx flood-many-sources "$T/floods" || fail "no flood-many-sources"
grep -qx flood-one-source "$T/floods" || fail "no flood-one-source"

cat > "$T/small.yaml" <<'YAML'
signature:
  max_clients: 4096
  max_sessions: 3072
YAML

spoofed='172\.\(1[6-9]\|2[0-9]\|3[01]\)\.'
for s in flood-many-sources flood-one-source; do
	"$TRACEGEN" "$s" "$T/$s.pcap"
	"$TRACEGEN" --records "$s" --idle 60 --active 1800 | grep -v '^#' \
		> "$T/$s.want"
	nflood=$(sed -n 's/^flood-sessions //p' "$T/$s.want")
	[ "${nflood:-0}" -ge 70000 ] || fail "$s: too few spoofed sessions"
	grep '^session ' "$T/$s.want" | sort > "$T/$s.want-real"
	[ "$(wc -l < "$T/$s.want-real")" -eq 20 ] || fail "$s: not 20 real sessions"
	grep -v '^session\|^sessions\|^flood-sessions' "$T/$s.want" |
		sort > "$T/$s.want-flows"
	for tables in default small; do
		cfg=
		[ $tables = small ] && cfg="-c $T/small.yaml"
		# shellcheck disable=SC2086
		"$SKYPROBE" $cfg -r "$T/$s.pcap" -o "$T/$s-$tables.ipfix" \
			-I 60s -A 30m > "$T/$s-$tables.out" 2> "$T/$s-$tables.err" ||
			fail "$s ($tables tables): skyprobe exited $?"
		decode_file "$T/$s-$tables.ipfix" > "$T/$s-$tables.json"
		$PY records "$T/$s-$tables.json" > "$T/$s-$tables.got"
		grep -v '^session\|^sessions' "$T/$s-$tables.got" |
			sort > "$T/$s-$tables.got-flows"
		diff -u "$T/$s.want-flows" "$T/$s-$tables.got-flows" > "$T/diff" ||
			{ head -20 "$T/diff"; fail "$s ($tables tables): flow records differ"; }
		grep '^session ' "$T/$s-$tables.got" | grep -v "client=$spoofed" |
			sort > "$T/$s-$tables.got-real"
		diff -u "$T/$s.want-real" "$T/$s-$tables.got-real" ||
			fail "$s ($tables tables): real sessions differ"
		grep '^session ' "$T/$s-$tables.got" | grep "client=$spoofed" \
			> "$T/spoofed"
		[ "$(wc -l < "$T/spoofed")" -eq "$nflood" ] ||
			fail "$s ($tables tables): $(wc -l < "$T/spoofed") spoofed sessions, want $nflood"
		! grep -v 'connected=no .*end=\(evicted\|shutdown\) ' "$T/spoofed" |
			head -3 | grep . ||
			fail "$s ($tables tables): a spoofed session connected or ended otherwise"
		# the statistics at exit: room was made by evicting spoofed
		# clients, never a connected session
		ev=$(sed -n 's/^clients evicted: *//p' "$T/$s-$tables.err")
		[ "${ev:-0}" -gt 0 ] || fail "$s ($tables tables): no client evicted"
		grep -q '^sessions evicted: .*(connected 0)$' "$T/$s-$tables.err" ||
			fail "$s ($tables tables): a connected session was evicted"
		grep -q '^client limit hits: *0$' "$T/$s-$tables.err" ||
			fail "$s ($tables tables): a client was not tracked"
	done
	pass "$s: 20 real sessions exact, $nflood spoofed ones each once, default and small tables"
done
