#!/bin/sh
# The progress line of an offline run, with standard error on a
# pseudo-terminal (python3's pty module) and the capture fed slowly through
# a named pipe given to -r (about 2 s for the trace):
#  - on a terminal, a line is rewritten several times ("\r...\033[K"),
#    saying the share read (packets read for a pipe: its size is unknown), packets
#    per second, flows open and Skype sessions, and it is erased before the
#    statistics;
#  - not on a terminal, there is none; --progress forces it; -q silences
#    it even with --progress;
#  - the share of a regular file: a file read to the end was read 100%
#    (skyprobe --progress on a file, last line before the erase).
. "$top_srcdir/tests/lib.sh"
need python3
"$TRACEGEN" many-clients "$T/trace.pcap" || fail "tracegen"

cat > "$T/run.py" <<'PY'
import os, pty, subprocess, sys, threading, time
tty, fifo, trace, out = sys.argv[1] == "tty", sys.argv[2], sys.argv[3], sys.argv[4]
argv = sys.argv[5:]

def feed():
    data = open(trace, "rb").read()
    n = 8
    with open(fifo, "wb") as f:
        for i in range(n):
            f.write(data[i * len(data) // n:(i + 1) * len(data) // n])
            f.flush()
            time.sleep(0.25)

if fifo != "-":
    threading.Thread(target=feed, daemon=True).start()
if tty:
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    got = b""
    while True:
        try:
            d = os.read(master, 65536)
        except OSError:
            break
        if not d:
            break
        got += d
    rc = p.wait()
else:
    with open(out + ".pipe", "wb") as e:
        rc = subprocess.call(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=e)
    got = open(out + ".pipe", "rb").read()
open(out, "wb").write(got)
sys.exit(rc)
PY

run() {   # run tty|pipe OUT skyprobe-options...
	mode=$1 out=$2
	shift 2
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	python3 "$T/run.py" "$mode" "$T/fifo" "$T/trace.pcap" "$out" \
		"$SKYPROBE" -r "$T/fifo" -o "$T/out.ipfix" "$@" ||
		fail "skyprobe $* ($mode) exited $?"
}

lines() {   # progress lines written
	tr '\r' '\n' < "$1" | grep -c '^skyprobe: .* read, [0-9]* packets/s, [0-9]* flows open, [0-9]* Skype sessions ([0-9]* in all)' || true
}

run tty "$T/tty.out"
n=$(lines "$T/tty.out")
echo "# terminal: $n progress lines in about 2 s"
[ "$n" -ge 3 ] || fail "terminal: $n progress lines, expected 3 or more: $(od -c "$T/tty.out" | head)"
tr '\r' '\n' < "$T/tty.out" | grep -q '^skyprobe: [1-9][0-9]* packets read, ' ||
	fail "terminal: a pipe's line does not count the packets read"
tr '\r' '\n' < "$T/tty.out" | grep -q 'packets/s, [1-9][0-9]* flows open' ||
	fail "terminal: never a flow open"
tr '\r' '\n' < "$T/tty.out" | grep -q '([1-9][0-9]* in all)' ||
	fail "terminal: never a Skype session"
# Erased before the statistics: "\r\033[K" then "packets read:".
printf '\r\033[Kpackets read:' > "$T/erase"
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); e=open(sys.argv[2],"rb").read(); sys.exit(0 if e in d else 1)' \
	"$T/tty.out" "$T/erase" || fail "terminal: the line is not erased before the statistics"

run pipe "$T/pipe.out"
[ "$(lines "$T/pipe.out")" -eq 0 ] || fail "not a terminal: progress lines written"
grep -q '^packets read:' "$T/pipe.out" || fail "not a terminal: no statistics"

run pipe "$T/forced.out" --progress
[ "$(lines "$T/forced.out")" -ge 3 ] || fail "--progress: no progress lines"

run tty "$T/quiet.out" -q --progress
[ ! -s "$T/quiet.out" ] || fail "-q: something written: $(head -c 300 "$T/quiet.out")"

# A regular file: the last line before the erase says 100.0%, when one was
# shown (a file read faster than the first interval shows none).
"$SKYPROBE" --progress -r "$T/trace.pcap" -o "$T/f.ipfix" 2> "$T/file.out" ||
	fail "--progress on a file exited $?"
if [ "$(lines "$T/file.out")" -gt 0 ]; then
	tr '\r' '\n' < "$T/file.out" | grep '% read' | tail -1 | grep -q '100.0% read' ||
		fail "file: the last share is not 100.0%"
fi
pass "progress line: on a terminal only, --progress forces, -q silences"
