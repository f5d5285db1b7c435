# tests/lib.sh - helpers shared by the end-to-end tests (sourced).
# The Makefile exports SKYPROBE, COLLECTOR, TRACEGEN, ELEMENTS, top_srcdir,
# top_builddir and SKYPROBE_SHARED.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${SKYPROBE:=$top_builddir/skyprobe}"
: "${COLLECTOR:=$top_builddir/collector-test/collector-test}"
: "${TRACEGEN:=$top_builddir/tests/tools/tracegen}"
: "${ELEMENTS:=$top_srcdir/templates/skyprobe.xml}"
: "${SKYPROBE_SHARED:=$top_srcdir/../shared}"
PY="python3 $top_srcdir/tests/e2e/records.py"

T=$(mktemp -d "${TMPDIR:-/tmp}/skyprobe-e2e.XXXXXX")
# Background processes a test left running (it failed half-way) are
# stopped, and killed if they ignore SIGTERM (nfacctd does), so that the
# final wait cannot hang.  jobs goes to a file: dash runs $(jobs -p) in a
# subshell, which has no jobs.
cleanup() {
	jobs -p > "$T/.jobs" 2>/dev/null || true
	left=$(cat "$T/.jobs" 2>/dev/null || true)
	for p in $left; do kill "$p" 2>/dev/null || true; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=
		for p in $left; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in $left; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed${2:+ ($2)}"
}

# A free port on 127.0.0.1 for tcp or udp.
free_port() {
	python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1]=="tcp" else socket.SOCK_DGRAM)
s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}

# Wait until a TCP port accepts connections (at most ~5 s).
wait_tcp() {
	for _ in $(seq 50); do
		python3 -c 'import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' "$1" \
			2>/dev/null && return 0
		sleep 0.1
	done
	fail "nothing listens on tcp port $1"
}

shared_pcaps() {
	[ -d "$SKYPROBE_SHARED/pcaps" ] ||
		skip "no shared captures at $SKYPROBE_SHARED/pcaps"
	echo "$SKYPROBE_SHARED/pcaps"
}

# collector-test over an IPFIX file, JSON lines on stdout.
decode_file() {
	"$COLLECTOR" --elements "$ELEMENTS" "$1"
}
