#!/bin/sh
# End to end, configuration: the bundled examples validate; a broken file
# is refused with FILE:LINE:COLUMN; a file changes what is exported
# (observation domain, timeouts); SIGHUP swaps the collectors of a running
# probe without losing a record.
. "$top_srcdir/tests/lib.sh"

for f in site egress-live offline; do
	"$SKYPROBE" -c "$top_srcdir/config/$f.yaml" --check-config > "$T/$f.out" ||
		fail "config/$f.yaml does not validate"
	# The printed configuration is itself a valid file.
	"$SKYPROBE" -c "$T/$f.out" --check-config > "$T/$f.again" ||
		fail "the effective configuration of $f.yaml does not load again"
	diff -u "$T/$f.out" "$T/$f.again" || fail "$f.yaml: print is not stable"
done
pass "config/*.yaml validate, and their printed form loads again"

cat > "$T/bad.yaml" <<'Y'
site:
  observation_domain: 7
flows:
  idle_timout: 30s
  active_timeout: soon
Y
set +e
"$SKYPROBE" -c "$T/bad.yaml" --check-config > /dev/null 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad file: exit $rc, expected 2"
grep -q "^$T/bad.yaml:4:3: .*idle_timout.*idle_timeout" "$T/err" ||
	fail "unknown key not reported at 4:3 with a suggestion: $(cat "$T/err")"
grep -q "^$T/bad.yaml:5:19: " "$T/err" ||
	fail "bad duration not reported at 5:19: $(cat "$T/err")"
pass "broken file: exit 2, every problem as FILE:LINE:COLUMN"

# The file sets the observation domain and the idle timeout.
"$TRACEGEN" metering-basic "$T/m.pcap"
cat > "$T/site.yaml" <<Y
site:
  observation_domain: 4242
capture:
  file: $T/m.pcap
flows:
  idle_timeout: 1h
  active_timeout: 1d
export:
  collectors:
    - type: file
      path: $T/a.ipfix
Y
"$SKYPROBE" -q -c "$T/site.yaml" || fail "skyprobe -c failed"
decode_file "$T/a.ipfix" > "$T/a.json"
[ "$($PY select "$T/a.json" _odid | sort -u)" = 4242 ] ||
	fail "observation domain not taken from the file"
idle_long=$(grep -c '"flowEndReason": *1[,}]' "$T/a.json" || true)
"$SKYPROBE" -q -c "$T/site.yaml" -I 30s -A 5m -o "$T/b.ipfix"
decode_file "$T/b.ipfix" > "$T/b.json"
idle_short=$(grep -c '"flowEndReason": *1[,}]' "$T/b.json" || true)
[ "$idle_long" -eq 0 ] && [ "$idle_short" -gt 0 ] ||
	fail "timeouts: $idle_long idle-timeout records with 1h, $idle_short with 30s"
pass "the file sets the observation domain and the timeouts; options override it"

# SIGHUP: the probe reads a pipe; between the two halves of the trace the
# file's collector is replaced.  Every flow is in one of the two outputs.
mkfifo "$T/fifo"
cat > "$T/live.yaml" <<Y
export:
  collectors:
    - type: file
      path: $T/before.ipfix
Y
"$SKYPROBE" -q -c "$T/live.yaml" -r - -I 1h -A 1d < "$T/fifo" 2> "$T/err" &
ppid=$!
exec 3> "$T/fifo"
n=$(wc -c < "$T/m.pcap")
head -c $((n / 2)) "$T/m.pcap" >&3
sleep 1
sed -i "s#before.ipfix#after.ipfix#" "$T/live.yaml"
kill -HUP "$ppid"
sleep 0.5
tail -c +$((n / 2 + 1)) "$T/m.pcap" >&3
exec 3>&-
wait "$ppid" || fail "skyprobe failed across SIGHUP: $(cat "$T/err")"
[ -s "$T/after.ipfix" ] || fail "SIGHUP did not open the new collector"
{ decode_file "$T/before.ipfix"; decode_file "$T/after.ipfix"; } > "$T/both.json"
$PY flows "$T/both.json" | sort > "$T/got"
"$TRACEGEN" --expect metering-basic | sort > "$T/want"
diff -u "$T/want" "$T/got" || fail "records lost across SIGHUP"
pass "SIGHUP swaps the collectors without losing a record"
