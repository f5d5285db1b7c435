#!/bin/sh
# End to end, live capture (issue 11): a veth pair in a network namespace
# of its own, a known set of frames sent into one end (sendframes.py),
# captured on the other.
#  - skyprobe -i (ring.c's TPACKET_V3 reader) exports exactly the flows,
#    packets and octets both ways that skyprobe -r exports from the pcap
#    file of the same frames (VLAN tags the kernel took out included);
#  - ringcat, through capture_open(), with the ring and the libpcap
#    readers, alone and as 2 and 3 sockets of one CBPF fanout group: every
#    frame arrives exactly once, on socket fanout_hash() % N as computed
#    in userspace, and every packet of one inside host on one socket;
#  - the ring applies the BPF filter.
# Needs root and ip(8): else skipped.
. "$top_srcdir/tests/lib.sh"
: "${RINGCAT:=$top_builddir/tests/tools/ringcat}"

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, veth pair)"
need ip
need python3

NS="skyprobe-live-$$"
VA="spa$$"
VB="spb$$"
ip netns add "$NS" 2> "$T/err" ||
	skip "cannot create a network namespace: $(cat "$T/err")"
live_cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	cleanup
}
trap live_cleanup EXIT
# (in the background, ip netns exec itself: $! is then the program's pid,
# not a subshell's)
nsx() { ip netns exec "$NS" "$@"; }

# No IPv6 autoconfiguration traffic of the kernel's own on the pair.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 2> "$T/err" ||
	skip "cannot configure the namespace: $(cat "$T/err")"
nsx ip link add "$VA" type veth peer name "$VB" 2> "$T/err" ||
	skip "cannot create a veth pair: $(cat "$T/err")"
nsx ip link set "$VA" up
nsx ip link set "$VB" up

SEND="python3 $top_srcdir/tests/e2e/sendframes.py"
set -- $($SEND "$T/frames.pcap")
total=$1 nip=$2 nvlan=$3 nv6=$4
nnonip=$((total - nip))

# --- skyprobe: live equals offline ----------------------------------------------
"$SKYPROBE" -q -r "$T/frames.pcap" -o "$T/want.ipfix" ||
	fail "offline run exited $?"
decode_file "$T/want.ipfix" > "$T/want.json"
$PY flows "$T/want.json" | sort > "$T/want"
[ -s "$T/want" ] || fail "the offline run exported no flow"

# live_run NAME [OPTIONS]: skyprobe -i while the frames are sent, then
# its flows, which must be the offline run's
live_run() {
	name=$1
	shift
	ip netns exec "$NS" "$SKYPROBE" -q -i "$VB" -o "$T/$name.ipfix" "$@" \
		2> "$T/$name.err" &
	spid=$!
	sleep 1
	kill -0 "$spid" 2>/dev/null ||
		fail "skyprobe -i $*: exited: $(cat "$T/$name.err")"
	nsx $SEND "$T/sent-$name.pcap" "$VA" > /dev/null
	sleep 0.5
	kill -INT "$spid"
	wait "$spid" || fail "skyprobe -i $* exited $?: $(cat "$T/$name.err")"
	decode_file "$T/$name.ipfix" > "$T/$name.json"
	$PY flows "$T/$name.json" | sort > "$T/$name.got"
	diff -u "$T/want" "$T/$name.got" ||
		fail "live capture $*: flows differ from the offline run"
}
live_run live
pass "skyprobe -i: $(wc -l < "$T/want") flows, packets and octets both ways as read offline"
# Workers: one socket each in a fanout group; the kernel spreads by the
# inside host, every frame is metered once, the records are the same.
live_run w2 -w 2
live_run w3 -w 3 --live-reader libpcap
pass "skyprobe -i -w 2 (ring) and -w 3 (libpcap): the same flows"

# --- ringcat: every frame once, on the worker fanout_hash() names ----------------
# $1 reader, $2 sockets; the output of ringcat is left in $T/rc.
run_ringcat() {
	ip netns exec "$NS" "$RINGCAT" -i "$VB" -r "$1" -n "$2" -p 10.9.0.0/24 \
		-p 2001:db8:9::/64 -c "$total" -t 10 > "$T/rc" 2> "$T/rc.err" &
	rpid=$!
	for _ in $(seq 50); do
		grep -q '^ready' "$T/rc" 2>/dev/null && break
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^ready' "$T/rc" || fail "ringcat $1 x$2: $(cat "$T/rc.err")"
	nsx $SEND "$T/sent.pcap" "$VA" > /dev/null
	wait "$rpid" || fail "ringcat $1 x$2 exited $?: $(cat "$T/rc.err")"
}

for reader in ring libpcap; do
	for n in 1 2 3; do
		run_ringcat "$reader" "$n"
		what="$reader reader, $n socket(s)"
		got=$(awk '/^socket/ { s += $3 } END { print s + 0 }' "$T/rc")
		[ "$got" -eq "$total" ] ||
			fail "$what: $got frames, sent $total"
		# each numbered frame once, the non-IP ones too
		awk -v nip="$nip" -v nnonip="$nnonip" '
			/^pkt/ && $3 == "-" { nonip++; next }
			/^pkt/ { if (seen[$3]++) { print "twice: " $3; bad = 1 } }
			END {
				for (i = 1; i <= nip; i++)
					if (!(i in seen)) { print "lost: " i; bad = 1 }
				if (nonip != nnonip) { print "non-IP " nonip; bad = 1 }
				exit bad
			}' "$T/rc" > "$T/bad" ||
			fail "$what: $(head -5 "$T/bad")"
		# the kernel's worker is the userspace key % N
		awk -v n="$n" '/^pkt/ && $7 % n != $2 { print; bad = 1 }
			END { exit bad }' "$T/rc" > "$T/bad" ||
			fail "$what: socket is not fanout_hash % $n: $(head -3 "$T/bad")"
		# one inside host, one socket
		awk 'function inside(a) {
				return a ~ /^10\.9\.0\./ || a ~ /^2001:db8:9::/
			}
			/^pkt/ && $3 != "-" {
				h = ""
				if (inside($4) && !inside($5)) h = $4
				if (inside($5) && !inside($4)) h = $5
				if (h == "") next
				hosts[h] = 1
				if ((h in sock) && sock[h] != $2) {
					print h " on " sock[h] " and " $2; bad = 1
				}
				sock[h] = $2
			}
			# 8 + 4 plain, 4 + 1 behind PPPoE or MPLS
			END { if (length(hosts) != 17) { print length(hosts) " hosts"; bad = 1 }
			      exit bad }' "$T/rc" > "$T/bad" ||
			fail "$what: an inside host on two sockets: $(head -3 "$T/bad")"
		tagged=$(awk '/^pkt/ && $6 == 42' "$T/rc" | wc -l)
		[ "$tagged" -eq "$nvlan" ] ||
			fail "$what: $tagged frames in VLAN 42, sent $nvlan"
		if [ "$n" -gt 1 ]; then
			used=$(awk '/^socket/ && $3 > 0' "$T/rc" | wc -l)
			[ "$used" -eq "$n" ] ||
				fail "$what: only $used sockets got frames"
		fi
		pass "$what: $total frames once each, socket = fanout_hash % $n, one socket per inside host, VLAN ids kept"
	done
done

# --- the ring's filter ----------------------------------------------------------------
ip netns exec "$NS" "$RINGCAT" -i "$VB" -f ip6 -c "$nv6" -t 10 > "$T/rc" \
	2> "$T/rc.err" &
rpid=$!
for _ in $(seq 50); do
	grep -q '^ready' "$T/rc" 2>/dev/null && break
	sleep 0.1
done
nsx $SEND "$T/sent.pcap" "$VA" > /dev/null
wait "$rpid" || fail "ringcat -f ip6 exited $?: $(cat "$T/rc.err")"
got=$(awk '/^socket/ { print $3 }' "$T/rc")
v6=$(awk '/^pkt/ && $4 ~ /:/' "$T/rc" | wc -l)
[ "$got" -eq "$nv6" ] && [ "$v6" -eq "$nv6" ] ||
	fail "filter ip6: $got frames, $v6 of them IPv6, sent $nv6"
pass "the ring applies the filter: $nv6 IPv6 frames only"
