#!/bin/sh
# End to end, the Skype signature: every scenario of the trace generator
# (tests/tools/TRACES.md) through skyprobe -> IPFIX file -> collector-test.  The
# oracle is the generator itself: it knows what it wrote, and
# `tracegen --records` prints every flow record (counters, Skype role, end
# reason) and every session record (client, super node, times, changes,
# refusals, login phase, mode, version, end reason) the paper's signature
# must give.  Then: every flow of a session carries its id, and
# --no-signature marks nothing.
. "$top_srcdir/tests/lib.sh"

"$TRACEGEN" --list > "$T/scenarios"
[ "$(wc -l < "$T/scenarios")" -ge 30 ] || fail "tracegen lists too few scenarios"
n=0
while read -r s; do
	"$TRACEGEN" "$s" "$T/$s.pcap"
	"$SKYPROBE" -q -r "$T/$s.pcap" -o "$T/$s.ipfix" -I 60s -A 30m ||
		fail "$s: skyprobe exited $?"
	decode_file "$T/$s.ipfix" > "$T/$s.json"
	$PY records "$T/$s.json" | sort > "$T/$s.got"
	# (the seqid note is section 5.1 evidence, which marks no record)
	"$TRACEGEN" --records "$s" --idle 60 --active 1800 |
		grep -v '^#\|^seqid ' |
		sort > "$T/$s.want"
	diff -u "$T/$s.want" "$T/$s.got" || fail "$s: records differ from the generator's"
	n=$((n + 1))
done < "$T/scenarios"
pass "$n scenarios: exact flow records, roles and session records"

# Continuity (issue 12): the scenarios with silences again under the
# probe's default idle timeout (30 s), which splits every 2006 keep-alive
# gap (45, 60, 32 s): each later record keeps its role and session.
for s in gap-sn-2006 gap-restricted-443 gap-restricted-80 gap-login-servers \
	real-2006-like; do
	"$SKYPROBE" -q -r "$T/$s.pcap" -o "$T/$s-30.ipfix" -I 30s -A 30m ||
		fail "$s: skyprobe exited $?"
	decode_file "$T/$s-30.ipfix" > "$T/$s-30.json"
	$PY records "$T/$s-30.json" | sort > "$T/$s-30.got"
	"$TRACEGEN" --records "$s" --idle 30 --active 1800 |
		grep -v '^#' | sort > "$T/$s-30.want"
	diff -u "$T/$s-30.want" "$T/$s-30.got" ||
		fail "$s: records under a 30 s idle timeout differ"
done
pass "idle splits of Skype connections keep role and session (30 s)"

# Every Skype-marked flow of a session names a session that was exported,
# and every exported session has at least one flow.
for s in session-sn-change many-clients login-relayed restricted-443 \
	real-2006-like nat-mixed-clients gap-login-servers; do
	$PY select "$T/$s.json" skypeSessionId | grep -v '^-$\|^0$' | sort -u > "$T/ids"
	$PY select "$T/$s.json" skypeSessionId _tid=258 | sort -u > "$T/sids"
	$PY select "$T/$s.json" skypeSessionId _tid=259 | sort -u >> "$T/sids"
	sort -u -o "$T/sids" "$T/sids"
	[ -s "$T/sids" ] || fail "$s: no session record"
	diff -u "$T/sids" "$T/ids" || fail "$s: flow session ids and session records disagree"
done
pass "flows link to their exported sessions"

"$SKYPROBE" -q --no-signature -r "$T/session-v14.pcap" -o "$T/off.ipfix"
decode_file "$T/off.ipfix" > "$T/off.json"
! grep -q '"skypeSessionStartMilliseconds"' "$T/off.json" ||
	fail "--no-signature still exports sessions"
[ -z "$($PY select "$T/off.json" skypeFlowRole | grep -v '^0$\|^-$')" ] ||
	fail "--no-signature still marks flows"
pass "--no-signature: no marks"

# The quick start's bundled trace is the generator's background-mixed.
cmp -s "$top_srcdir/tests/data/demo.pcap" "$T/background-mixed.pcap" ||
	fail "tests/data/demo.pcap is not tracegen's background-mixed any more"
pass "the bundled demo trace is the generator's background-mixed"
