#!/bin/sh
# make bench-live (also the end of make bench): live capture on a veth pair.
#
# Creates a network namespace holding one end of a veth pair (the capture
# side: every contender runs in the namespace, on that end, which nothing
# else on the machine sends to or reads from) and keeps the other end in
# the host (the sender's side: tests/bench/pktsend replays the real-mix
# trace on it).  Both ends have IPv6 off and no address, so only the
# replayed frames cross the pair.  The namespace and the pair are removed
# on exit (trap).  The measurement itself is tests/bench/live.py.
#
# Skips with a message (exit 0) when not root or when the namespace or
# the pair cannot be created.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

skip() {
	echo "bench-live: skipped: $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "needs root (a network namespace and a veth pair)"
command -v ip >/dev/null 2>&1 || skip "no ip(8) (iproute2)"

# Unique per run: at most 15 characters per interface name.
ns=skybench$$
snd=skys$$
rcv=skyr$$
cleanup() {
	ip link del "$snd" 2>/dev/null || :
	ip netns del "$ns" 2>/dev/null || :
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ip netns add "$ns" 2>/dev/null || skip "ip netns add failed"
ip link add "$snd" type veth peer name "$rcv" netns "$ns" 2>/dev/null ||
	skip "cannot create a veth pair"
sysctl -qw "net.ipv6.conf.$snd.disable_ipv6=1" 2>/dev/null || :
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$rcv.disable_ipv6=1" \
	2>/dev/null || :
ip link set "$snd" up
ip -n "$ns" link set lo up
ip -n "$ns" link set "$rcv" up

LIVE_NS=$ns LIVE_SND=$snd LIVE_RCV=$rcv python3 "$here/live.py"
