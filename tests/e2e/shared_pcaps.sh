#!/bin/sh
# End to end on the real third-party captures of ../shared/pcaps (read in
# place, never copied; skipped where the folder is absent):
#  - every capture is metered with the same per-flow packets and octets
#    both ways as tshark reads (where tshark is installed);
#  - no flow or session is marked Skype in the captures the MANIFEST labels
#    as holding no Skype (the false-positive corpus);
#  - the Skype-labelled ones give exactly the marks recorded below.
. "$top_srcdir/tests/lib.sh"
dir=$(shared_pcaps)
manifest="$dir/MANIFEST.tsv"
[ -f "$manifest" ] || skip "no MANIFEST.tsv in $dir"

have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1

# Expected Skype marks on the Skype-labelled captures: "file flows sessions"
# (flows = records with skypeFlowRole != 0, sessions = session records).
# 2015-2021 Skype/Teams is not the 2006 client: only the SSLv2-framed R1
# on 443, L1/L2 logins and skype_udp.pcap's 2006 partial probe match.
cat > "$T/expected-skype" <<'EXP'
skype-conference-call.pcap 0 0
skype.pcap 30 1
skype_no_unknown.pcap 24 1
skype_udp.pcap 1 1
stun.pcap 0 0
stun_msteams_unidir.pcap 0 0
teams.pcap 0 0
EXP

tail -n +2 "$manifest" | cut -f1,10 | while IFS="$(printf '\t')" read -r f label; do
	[ -f "$dir/$f" ] || fail "MANIFEST names $f, not in $dir"
	"$SKYPROBE" -q -r "$dir/$f" -o "$T/out.ipfix" -I 1h -A 1d 2> "$T/err" ||
		fail "$f: skyprobe exited $?: $(cat "$T/err")"
	decode_file "$T/out.ipfix" > "$T/out.json"
	marked=$($PY select "$T/out.json" skypeFlowRole | grep -vc '^0$\|^-$' || true)
	sessions=$(grep -c '"skypeSessionStartMilliseconds"' "$T/out.json" || true)
	case "$label" in
	yes*)
		echo "# $f ($label): $marked Skype-marked flows, $sessions sessions"
		want=$(grep "^$f " "$T/expected-skype" || echo "$f ? ?")
		[ "$want" = "$f $marked $sessions" ] ||
			fail "$f: $marked marked flows, $sessions sessions; expected: $want"
		;;
	*)
		[ "$marked" -eq 0 ] && [ "$sessions" -eq 0 ] ||
			fail "$f (labelled '$label'): $marked flows, $sessions sessions marked Skype"
		;;
	esac
	if [ "$have_tshark" = 1 ]; then
		$PY flows "$T/out.json" | sort > "$T/got"
		$PY tshark "$dir/$f" | sort > "$T/want"
		diff -u "$T/want" "$T/got" > "$T/diff" ||
			fail "$f: flows differ from tshark: $(head -20 "$T/diff")"
	fi
done
pass "real captures: no false positive, flows equal tshark's"
