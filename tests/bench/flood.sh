#!/bin/sh
# make bench-flood (issue 9): the cost of the signature under a flood of
# spoofed probes.  For each 1M-packet flood trace of tracegen
# (flood-many-sources-1m: 500,000 sources; flood-one-source-1m: 500,000
# ports of one address; both on top of many-clients' 20 real sessions),
# skyprobe's best of $RUNS runs (wall-clock, IPFIX to a file) with the
# signature on and with --no-signature, and their ratio; the target is at
# most 2x.  With SKYPROBE_BEFORE set, that binary too (e.g. the tree before
# the fix).  Prints figures only: the machine may be loaded, nothing is
# asserted.  Also the small-table variant (4096 clients, 3072 sessions).
set -eu
: "${SKYPROBE:?}" "${TRACEGEN:?}"
dir=${BENCH_DIR:-/tmp}/flood
runs=${RUNS:-3}
mkdir -p "$dir"
printf 'signature:\n  max_clients: 4096\n  max_sessions: 3072\n' > "$dir/small.yaml"

best() {        # best wall-clock seconds of $runs runs of "$@"
	b=
	i=0
	while [ $i -lt "$runs" ]; do
		s=$(date +%s.%N)
		"$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	printf '%.2f' "$b"
}

printf '%-24s %-8s %-7s %8s %8s %6s\n' trace binary tables "sig on" "sig off" ratio
for s in flood-many-sources-1m flood-one-source-1m; do
	[ -s "$dir/$s.pcap" ] || "$TRACEGEN" "$s" "$dir/$s.pcap"
	for bin in after ${SKYPROBE_BEFORE:+before}; do
		p=$SKYPROBE
		[ "$bin" = before ] && p=$SKYPROBE_BEFORE
		for tables in default small; do
			cfg=
			[ "$tables" = small ] && cfg="-c $dir/small.yaml"
			# shellcheck disable=SC2086
			on=$(best "$p" -q $cfg -r "$dir/$s.pcap" -o "$dir/out.ipfix")
			# shellcheck disable=SC2086
			off=$(best "$p" -q $cfg --no-signature -r "$dir/$s.pcap" \
				-o "$dir/out.ipfix")
			printf '%-24s %-8s %-7s %8s %8s %6.2f\n' "$s" "$bin" "$tables" \
				"$on" "$off" "$(echo "$on / $off" | bc -l)"
		done
	done
done
rm -f "$dir/out.ipfix"
