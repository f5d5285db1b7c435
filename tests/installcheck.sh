#!/bin/sh
# make installcheck: the installed programs, as an operator would run them.
# The Makefile passes the installed paths (DESTDIR included):
#   SBINDIR BINDIR PKGDATADIR SYSCONFDIR MANDIR, and UNITDIR (without
#   DESTDIR; empty: no unit installed) with DESTDIR
#   DEMO (tests/data/demo.pcap) WORK (a scratch directory)
# Asserts: skyprobe is in sbindir and collector-test in bindir, the element
# file in pkgdatadir; the installed probe meters the demo trace into an
# IPFIX file that the installed collector-test decodes into 18 flow
# records (two of them Skype-marked), 1 Skype session record and the
# statistics record; the example configurations, the manual pages and the
# unit are installed and the examples pass --check-config.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
probe="$SBINDIR/skyprobe"
col="$BINDIR/collector-test"
xml="$PKGDATADIR/skyprobe.xml"
[ -x "$probe" ] || fail "$probe is not installed"
[ -x "$col" ] || fail "$col is not installed"
[ -f "$xml" ] || fail "$xml is not installed"
[ ! -e "$BINDIR/skyprobe" ] || fail "skyprobe is in bindir, not only sbindir"

rm -rf "$WORK"
mkdir -p "$WORK"
"$probe" -q -r "$DEMO" --elements "$xml" -o "$WORK/demo.ipfix" ||
	fail "installed skyprobe exited $?"
"$col" --elements "$xml" "$WORK/demo.ipfix" > "$WORK/demo.json" ||
	fail "installed collector-test exited $?"
flows=$(grep -c '"octetDeltaCount"' "$WORK/demo.json" || true)
marked=$(grep '"octetDeltaCount"' "$WORK/demo.json" |
	grep -vc '"skypeFlowRole":0' || true)
sessions=$(grep -c '"skypeSessionStartMilliseconds"' "$WORK/demo.json" || true)
stats=$(grep -c '"_options":true.*"packetTotalCount"\|"_options":true.*"exportedFlowRecordTotalCount"' \
	"$WORK/demo.json" || true)
[ "$flows" -eq 18 ] || fail "demo: $flows flow records, expected 18"
[ "$marked" -eq 2 ] || fail "demo: $marked Skype-marked flows, expected 2"
[ "$sessions" -eq 1 ] || fail "demo: $sessions session records, expected 1"
[ "$stats" -ge 1 ] || fail "demo: no statistics record"

for f in site egress-live offline; do
	ex="$SYSCONFDIR/skyprobe/$f.yaml.example"
	[ -f "$ex" ] || fail "$ex is not installed"
	"$probe" -c "$ex" --check-config > /dev/null ||
		fail "$ex does not pass --check-config"
done
for p in man8/skyprobe.8 man5/skyprobe.yaml.5 man1/collector-test.1; do
	[ -f "$MANDIR/$p" ] || fail "$MANDIR/$p is not installed"
done
if [ -n "$UNITDIR" ]; then
	unit="${DESTDIR:-}$UNITDIR/skyprobe@.service"
	[ -f "$unit" ] || fail "$unit is not installed"
	grep -q "^ExecStart=${SBINDIR#"${DESTDIR:-}"}/skyprobe " "$unit" ||
		fail "$unit does not start ${SBINDIR#"${DESTDIR:-}"}/skyprobe"
fi
rm -rf "$WORK"
echo "installcheck: $flows flows, $marked Skype-marked, $sessions session from the installed probe"
