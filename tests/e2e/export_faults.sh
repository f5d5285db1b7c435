#!/bin/sh
# End to end, export faults (issue 9: never blind, never stalled, never
# corrupt): a TCP collector that accepts and never reads costs records,
# counted exactly, and never the capture; a full filesystem leaves a file
# that is read to its end; with -U the collectors are opened as the user,
# so rotation and a reload keep working, and a directory the user cannot
# write is refused at start.  The parts that need root (a tmpfs, -U) are
# skipped without it.
. "$top_srcdir/tests/lib.sh"

: "${MKBENCH:=$top_builddir/tests/bench/mkbench}"
[ -x "$MKBENCH" ] || skip "no $MKBENCH"
"$MKBENCH" stress "$T/s.pcap" 20000 > /dev/null

# Flow and statistics records in collector-test's JSON lines.
records() {
	grep -c '"flowEndReason"\|"exportedFlowRecordTotalCount"' "$1" || true
}
flows() {
	grep -c '"flowEndReason"' "$1" || true
}
# "records not sent: N" of the statistics printed at exit.
not_sent() {
	sed -n 's/^records not sent: *//p' "$1"
}

"$SKYPROBE" -q --no-signature -r "$T/s.pcap" -o "$T/ref.ipfix"
decode_file "$T/ref.ipfix" > "$T/ref.json"
want=$(records "$T/ref.json")
[ "$(flows "$T/ref.json")" -eq 20000 ] || fail "reference: $(flows "$T/ref.json") flows"

# --- a TCP collector that accepts and never reads ------------------------------
# It keeps every connection unread until told, then reads what its kernel
# holds and keeps the whole messages.
cat > "$T/stall.py" <<'PY'
import os, socket, sys
port, ready, go, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen(8)
l.settimeout(0.05)
open(ready, "w").close()
conns = []
while not os.path.exists(go):
    try:
        conns.append(l.accept()[0])
    except socket.timeout:
        pass
with open(out, "wb") as f:
    for c in conns:
        c.settimeout(5)
        data = bytearray()
        try:
            while True:
                d = c.recv(1 << 20)
                if not d:
                    break
                data += d
        except OSError:
            pass
        off = 0
        while off + 16 <= len(data):
            n = int.from_bytes(data[off + 2:off + 4], "big")
            if n < 16 or off + n > len(data):
                break
            off += n
        f.write(data[:off])
PY
"$MKBENCH" stress "$T/big.pcap" 200000 > /dev/null
port=$(free_port tcp)
python3 "$T/stall.py" "$port" "$T/ready" "$T/go" "$T/stall.ipfix" &
spid=$!
for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
[ -e "$T/ready" ] || fail "the stalled collector did not start"
"$SKYPROBE" --no-signature -r "$T/big.pcap" -o "tcp://127.0.0.1:$port" \
	-o "$T/big.ipfix" 2> "$T/err" || fail "skyprobe exited $?: $(cat "$T/err")"
touch "$T/go"
wait "$spid"
lost=$(not_sent "$T/err")
decode_file "$T/big.ipfix" > "$T/big.json" || fail "file collector unreadable"
decode_file "$T/stall.ipfix" > "$T/stall.json" ||
	fail "what the stalled collector got is unreadable"
produced=$(records "$T/big.json")
got=$(records "$T/stall.json")
[ "$(flows "$T/big.json")" -eq 200000 ] ||
	fail "the file collector lost flows behind the stalled one"
[ "$lost" -gt 0 ] || fail "nothing counted as lost: $(cat "$T/err")"
[ $((got + lost)) -eq "$produced" ] ||
	fail "stalled collector: $got read + $lost not sent != $produced produced"
grep -qx "skyprobe: warning: export: tcp://127.0.0.1:$port: $lost records not sent" "$T/err" ||
	fail "no per-collector loss line: $(cat "$T/err")"
pass "stalled TCP collector: file complete, $got read + $lost counted = $produced records"

# --- a full filesystem -------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "# not root: full filesystem and -U skipped"
	exit 0
fi
mkdir "$T/fs"
trap 'umount "$T/fs" 2> /dev/null || true; cleanup' EXIT
if mount -t tmpfs -o size=256k tmpfs "$T/fs" 2> /dev/null; then
	"$SKYPROBE" --no-signature -r "$T/s.pcap" -o "$T/fs/out.ipfix" \
		2> "$T/err" || { umount "$T/fs"; fail "skyprobe exited $?: $(cat "$T/err")"; }
	cp "$T/fs/out.ipfix" "$T/full.ipfix"
	umount "$T/fs"
	grep -q "No space left on device" "$T/err" ||
		fail "the filesystem did not fill up: $(cat "$T/err")"
	decode_file "$T/full.ipfix" > "$T/full.json" ||
		fail "the file on a full filesystem is not read to its end"
	got=$(records "$T/full.json")
	lost=$(not_sent "$T/err")
	[ "$got" -gt 0 ] && [ $((got + lost)) -eq "$want" ] ||
		fail "full filesystem: $got read + $lost not sent != $want produced"
	pass "full filesystem: read to the end, $got read + $lost counted = $want records"
else
	echo "# cannot mount a tmpfs here: full filesystem skipped"
fi

# --- -U: collectors opened as the user ------------------------------------------------
id nobody > /dev/null 2>&1 || skip "no user nobody"
chmod 711 "$T"
mkdir "$T/root-only" "$T/out"
chmod 755 "$T/root-only"
chown nobody "$T/out"
cat > "$T/rot.yaml" <<Y
export:
  collectors:
    - type: file
      path: $T/root-only/x.ipfix
      rotate_size: 1KiB
Y
chmod 644 "$T/rot.yaml"
set +e
"$SKYPROBE" -q -r "$T/s.pcap" -U nobody -c "$T/rot.yaml" 2> "$T/err"; rc=$?
set -e
[ "$rc" -eq 4 ] || fail "-U, directory not writable: exit $rc, expected 4"
cat > "$T/want" <<W
skyprobe: info: running as user nobody
skyprobe: error: export: $T/root-only/x.ipfix: cannot write: Permission denied
skyprobe: error: -U nobody: the collectors are opened as nobody, who must be able to write every output file and its directory
W
diff -u "$T/want" "$T/err" || fail "-U, directory not writable: wrong messages"
[ -z "$(ls "$T/root-only")" ] || fail "a file was left in $T/root-only"
pass "-U, directory the user cannot write: refused at start, exit 4"

# A directory the user can write: size rotation across the drop, and a
# reload that adds a collector.  The probe reads a pipe in three parts, a
# second apart, so that rotation (at the once-a-second tick) happens.
sed -i "s#root-only#out#" "$T/rot.yaml"
mkfifo "$T/fifo"
"$SKYPROBE" -r - -U nobody -c "$T/rot.yaml" < "$T/fifo" 2> "$T/err" &
ppid=$!
exec 3> "$T/fifo"
n=$(wc -c < "$T/s.pcap")
head -c $((n / 3)) "$T/s.pcap" >&3
sleep 1.2
cp "$T/rot.yaml" "$T/rot-good.yaml"
cat >> "$T/rot.yaml" <<Y
    - type: file
      path: $T/root-only/bad.ipfix
Y
kill -HUP "$ppid"                       # refused: the user cannot write there
tail -c +$((n / 3 + 1)) "$T/s.pcap" | head -c $((n / 3)) >&3
sleep 1.2
cp "$T/rot-good.yaml" "$T/rot.yaml"
cat >> "$T/rot.yaml" <<Y
    - type: file
      path: $T/out/added.ipfix
Y
kill -HUP "$ppid"
tail -c +$((2 * (n / 3) + 1)) "$T/s.pcap" >&3
exec 3>&-
wait "$ppid" || fail "-U with rotation: skyprobe exited $?: $(cat "$T/err")"
for line in \
	"skyprobe: error: export: $T/root-only/bad.ipfix: cannot write: Permission denied" \
	"skyprobe: error: -U nobody: the collectors are opened as nobody, who must be able to write every output file and its directory" \
	"skyprobe: error: reload: collectors could not be set up; keeping the running configuration"; do
	grep -qxF "$line" "$T/err" || fail "reload into a directory the user cannot write: no '$line' in: $(cat "$T/err")"
done
grep -q "configuration reloaded" "$T/err" || fail "reload refused: $(cat "$T/err")"
[ "$(not_sent "$T/err")" -eq 0 ] || fail "records lost: $(cat "$T/err")"
nfiles=$(ls "$T/out" | grep -c '^x\.ipfix\.' || true)
[ "$nfiles" -ge 2 ] || fail "no rotation after the drop: $(ls "$T/out")"
[ -z "$(find "$T/out" -type f ! -user nobody)" ] ||
	fail "files not created by the user: $(ls -l "$T/out")"
: > "$T/rot.json"
for f in "$T"/out/x.ipfix.*; do
	decode_file "$f" >> "$T/rot.json" || fail "$f unreadable"
done
[ "$(flows "$T/rot.json")" -eq 20000 ] ||
	fail "rotated files hold $(flows "$T/rot.json") flows, not 20000"
decode_file "$T/out/added.ipfix" > "$T/added.json"
[ "$(flows "$T/added.json")" -gt 0 ] || fail "the collector added by the reload got nothing"
pass "-U: $nfiles rotated files created by the user, every flow; a reload adds a collector, one the user cannot write is refused with the reason"
