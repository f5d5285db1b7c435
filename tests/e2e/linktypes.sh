#!/bin/sh
# End to end on the link types besides Ethernet (captures written by
# tests/tools/mklinks: PPP with and without address/control and protocol
# compression, Cisco HDLC, LINKTYPE_IPV4/IPV6, 802.11, PPI carrying
# Ethernet and 802.11, and a pcapng file whose seven interfaces have six
# link types, packets of one flow spread over all of them):
#  - every capture is metered with the same per-flow packets and octets
#    both ways as tshark reads (where tshark is installed), and with the
#    flow count written down here otherwise;
#  - the pcapng file read from standard input gives the same flows;
#  - a BPF filter applies on every interface of the pcapng file;
#  - PPI carrying a link type the probe does not decode (Frame Relay) is
#    refused with one warning naming it, its packets counted not-ip.
. "$top_srcdir/tests/lib.sh"
: "${MKLINKS:=$top_builddir/tests/tools/mklinks}"
"$MKLINKS" "$T" || fail "mklinks failed"

have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1
[ "$have_tshark" = 1 ] || echo "# tshark absent: flow counts only"

meter() {   # meter CAPTURE OUT.json [skyprobe options]
	cap=$1 out=$2
	shift 2
	"$SKYPROBE" -q -r "$cap" -o "$T/out.ipfix" -I 1h -A 1d "$@" \
		2> "$T/err" || fail "$cap: skyprobe exited $?: $(cat "$T/err")"
	decode_file "$T/out.ipfix" > "$out"
}

for f in ppp:7 ppp-bare:7 chdlc:7 ipv4:4 ipv6:3 wlan:7 ppi-eth:7 ppi-wlan:7 \
	 mixed.pcapng:7; do
	name=${f%:*} want_flows=${f#*:}
	case "$name" in *.pcapng) cap="$T/$name" ;; *) cap="$T/$name.pcap" ;; esac
	meter "$cap" "$T/out.json"
	[ ! -s "$T/err" ] || fail "$name: skyprobe said: $(cat "$T/err")"
	$PY flows "$T/out.json" | sort > "$T/got"
	n=$(wc -l < "$T/got")
	[ "$n" -eq "$want_flows" ] || fail "$name: $n flows, expected $want_flows"
	if [ "$have_tshark" = 1 ]; then
		$PY tshark "$cap" | sort > "$T/want"
		diff -u "$T/want" "$T/got" > "$T/diff" ||
			fail "$name: flows differ from tshark: $(head -20 "$T/diff")"
		pk=$(awk '{ n += $6 + $8 } END { print n }' "$T/got")
		echo "# $name: $n flows, $pk packets, equal to tshark's"
	fi
done

# The pcapng file from standard input.
"$SKYPROBE" -q -r - -o "$T/stdin.ipfix" -I 1h -A 1d < "$T/mixed.pcapng" ||
	fail "mixed.pcapng from standard input: skyprobe exited $?"
decode_file "$T/stdin.ipfix" > "$T/stdin.json"
$PY flows "$T/stdin.json" | sort > "$T/got-stdin"
$PY flows "$T/out.json" | sort | cmp -s - "$T/got-stdin" ||
	fail "mixed.pcapng: standard input gives other flows"

# A classic pcap from standard input still goes through libpcap.
"$SKYPROBE" -q -r - -o "$T/stdin2.ipfix" -I 1h -A 1d < "$T/ppp.pcap" ||
	fail "ppp.pcap from standard input: skyprobe exited $?"
decode_file "$T/stdin2.ipfix" > "$T/stdin2.json"
[ "$($PY flows "$T/stdin2.json" | wc -l)" -eq 7 ] ||
	fail "ppp.pcap from standard input: not 7 flows"

# A filter on the pcapng file: compiled for each interface's link type.
meter "$T/mixed.pcapng" "$T/tcp.json" -f tcp
$PY flows "$T/tcp.json" | sort > "$T/got-tcp"
$PY flows "$T/out.json" | sort | grep '^6 ' > "$T/want-tcp"
diff -u "$T/want-tcp" "$T/got-tcp" > "$T/diff" ||
	fail "mixed.pcapng -f tcp: $(head -20 "$T/diff")"

# PPI carrying Frame Relay: refused, said once, counted.
"$SKYPROBE" -r "$T/ppi-other.pcap" -o "$T/other.ipfix" 2> "$T/err" ||
	fail "ppi-other.pcap: skyprobe exited $?"
[ "$(grep -c 'link type 107 (FRELAY), carried in PPI, is not decoded' "$T/err")" -eq 1 ] ||
	fail "ppi-other.pcap: no single refusal: $(cat "$T/err")"
grep -q '^rejected not-ip *45$' "$T/err" ||
	fail "ppi-other.pcap: not 45 packets counted not-ip: $(cat "$T/err")"
pass "link types: flows equal tshark's; pcapng per-interface link types"
