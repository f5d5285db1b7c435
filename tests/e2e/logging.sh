#!/bin/sh
# End to end, logging: with 'logging.destination: syslog' the probe sends
# RFC 3164-style datagrams ("<PRI>skyprobe[PID]: message", facility
# daemon) to logging.syslog_socket, here a unix datagram socket bound by
# a Python listener: an export error (priority 27, err), and at SIGHUP the
# reload's FILE:LINE:COLUMN report (27) and warnings (28, warning) around
# its own messages (30, info).  An unreachable socket falls back to stderr
# after one warning; the stderr destination writes one exact line.
. "$top_srcdir/tests/lib.sh"
need python3

"$TRACEGEN" metering-basic "$T/m.pcap"
SOCK="$T/log.sock"

# Every datagram received on $SOCK, one a line, in $T/syslog; the
# listener ends after 60 s without one.
python3 - "$SOCK" "$T/syslog" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a", buffering=1) as out:  # truncated between parts
    try:
        while True:
            out.write(s.recv(65536).decode() + "\n")
    except socket.timeout:
        pass
PY
listener=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || fail "the listener did not bind $SOCK"

# Wait until $T/syslog holds $1 lines (at most ~5 s).
wait_lines() {
	for _ in $(seq 50); do
		[ "$(wc -l < "$T/syslog")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# $1 = destination, $2 = socket; the collector's directory does not exist.
write_config() {
	cat > "$T/bad-export.yaml" <<Y
capture:
  file: $T/m.pcap
export:
  collectors:
    - type: file
      path: $T/nodir/x.ipfix
logging:
  destination: $1
  syslog_socket: $2
Y
}
NODIR="export: $T/nodir/x.ipfix: cannot write: No such file or directory"

# 1. An export error reaches syslog, and nothing is written to stderr.
write_config syslog "$SOCK"
set +e
"$SKYPROBE" -q -c "$T/bad-export.yaml" 2> "$T/err" &
pid=$!
wait "$pid"; rc=$?
set -e
[ "$rc" -eq 4 ] || fail "export error: exit $rc, expected 4"
wait_lines 1 || fail "export error: no syslog message"
printf '<27>skyprobe[%s]: %s\n' "$pid" "$NODIR" > "$T/want"
diff -u "$T/want" "$T/syslog" || fail "export error: wrong syslog message"
[ ! -s "$T/err" ] || fail "syslog destination wrote to stderr: $(cat "$T/err")"
pass "syslog: an export error as <27>skyprobe[PID]: message, stderr empty"

# 2. SIGHUP with a broken file, then with a file that only warns.  The
# probe reads a pipe and serves a signal at the next packet, so a third
# of the trace follows each SIGHUP.
: > "$T/syslog"
cat > "$T/live.yaml" <<Y
export:
  collectors:
    - type: file
      path: $T/live.ipfix
logging:
  destination: syslog
  syslog_socket: $SOCK
Y
mkfifo "$T/fifo"
"$SKYPROBE" -q -c "$T/live.yaml" -r - < "$T/fifo" 2> "$T/err" &
pid=$!
# Never leave the probe blocked on the pipe.
live_fail() {
	exec 3>&-
	kill "$pid" 2>/dev/null || true
	fail "$@"
}
n=$(wc -c < "$T/m.pcap")
exec 3> "$T/fifo"
head -c 24 "$T/m.pcap" >&3              # the file header: the probe is up
sleep 1
cp "$T/live.yaml" "$T/good.yaml"
printf 'flows:\n  idle_timout: 30s\n' >> "$T/live.yaml"
kill -HUP "$pid"
tail -c +25 "$T/m.pcap" | head -c $((n / 3)) >&3
wait_lines 3 || live_fail "broken reload: $(cat "$T/syslog")"
cp "$T/good.yaml" "$T/live.yaml"
printf 'flows:\n  idle_timeout: 1m\n  active_timeout: 10s\n' >> "$T/live.yaml"
kill -HUP "$pid"
tail -c +$((25 + n / 3)) "$T/m.pcap" >&3
exec 3>&-
wait "$pid" || fail "skyprobe failed across SIGHUP: $(cat "$T/err")"
wait_lines 6 || fail "reload with a warning: $(cat "$T/syslog")"
P="skyprobe[$pid]:"
cat > "$T/want" <<W
<30>$P SIGHUP: reloading the configuration
<27>$P $T/live.yaml:9:3: unknown key 'idle_timout' in 'flows', did you mean 'idle_timeout'?
<27>$P reload failed: keeping the running configuration
<30>$P SIGHUP: reloading the configuration
<28>$P configuration: warning: 'flows.active_timeout' (10s) is shorter than 'flows.idle_timeout' (1m), expected active_timeout >= idle_timeout
<30>$P configuration reloaded
W
diff -u "$T/want" "$T/syslog" || fail "reload: wrong syslog messages"
[ ! -s "$T/err" ] || fail "reload wrote to stderr: $(cat "$T/err")"
pass "syslog: the reload's FILE:LINE:COLUMN report and warnings, by priority"

# 3. No one listens: one warning on stderr, then stderr.
write_config syslog "$T/nobody.sock"
set +e
"$SKYPROBE" -q -c "$T/bad-export.yaml" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 4 ] || fail "fallback: exit $rc, expected 4"
cat > "$T/want" <<W
skyprobe: warning: syslog socket $T/nobody.sock: No such file or directory; logging to stderr
skyprobe: error: $NODIR
W
diff -u "$T/want" "$T/err" || fail "fallback: wrong stderr"
pass "syslog socket unreachable: one warning, then stderr"

# 4. The stderr destination.
write_config stderr "$SOCK"
: > "$T/syslog"
set +e
"$SKYPROBE" -q -c "$T/bad-export.yaml" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 4 ] || fail "stderr: exit $rc, expected 4"
echo "skyprobe: error: $NODIR" > "$T/want"
diff -u "$T/want" "$T/err" || fail "stderr destination: wrong line"
[ ! -s "$T/syslog" ] || fail "stderr destination sent to syslog"
pass "stderr: skyprobe: error: message"
kill "$listener"
