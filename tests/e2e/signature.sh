#!/bin/sh
# End to end, the Skype signature: every scenario of the trace generator
# (tests/TRACES.md) through skyprobe -> IPFIX file -> collector-test, and
# the exact flow roles, session links and session records it must give
# (tests/e2e/signature.expected).  Then the same over TCP for one scenario.
. "$top_srcdir/tests/lib.sh"

"$TRACEGEN" --list > "$T/scenarios"
[ -s "$T/scenarios" ] || fail "tracegen lists no scenario"
: > "$T/got"
while read -r s; do
	"$TRACEGEN" "$s" "$T/$s.pcap"
	"$SKYPROBE" -q -r "$T/$s.pcap" -o "$T/$s.ipfix" ||
		fail "$s: skyprobe exited $?"
	decode_file "$T/$s.ipfix" > "$T/$s.json"
	{ echo "== $s"; $PY skype "$T/$s.json"; } >> "$T/got"
done < "$T/scenarios"
diff -u "$top_srcdir/tests/e2e/signature.expected" "$T/got" ||
	fail "Skype marks differ from tests/e2e/signature.expected"
pass "$(wc -l < "$T/scenarios") scenarios: exact roles, sessions and session records"

# The signature can be switched off: no marks at all.
"$SKYPROBE" -q --no-signature -r "$T/session-v14.pcap" -o "$T/off.ipfix"
decode_file "$T/off.ipfix" > "$T/off.json"
! grep -q '"skypeSessionStartMilliseconds"' "$T/off.json" ||
	fail "--no-signature still exports sessions"
[ -z "$($PY select "$T/off.json" skypeFlowRole | grep -v '^0$\|^-$')" ] ||
	fail "--no-signature still marks flows"
pass "--no-signature: no marks"
