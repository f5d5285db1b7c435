#!/bin/sh
# One-command set-up on a fresh Debian 12 machine.
#   sh tests/quickstart.sh demo   install, build, run skyprobe on the bundled
#                                 trace into collector-test, show the records
#   sh tests/quickstart.sh check  install, build, run the whole test suite
# Needs root (or sudo) for apt-get; everything else runs in ./build.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-check}

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
PKGS="build-essential autoconf automake pkg-config libpcap-dev libfixbuf-dev
libyaml-dev check python3 libfixbuf-tools tshark nfdump pmacct softflowd clang
libclang-rt-14-dev valgrind systemd groff-base mandoc man-db bsdutils
iproute2 netsniff-ng tcpreplay"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	$SUDO apt-get update -q
	# tshark asks about non-root capture unless told not to.
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

[ -x configure ] || ./autogen.sh
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)" -s

case "$mode" in
demo)
	./skyprobe -r ../tests/data/demo.pcap -o demo.ipfix
	echo "--- records received by collector-test (JSON, one per line):"
	./collector-test/collector-test --elements ../templates/skyprobe.xml demo.ipfix
	;;
check)
	make -j"$(nproc)" check || { cat test-suite.log; exit 1; }
	;;
*)
	echo "usage: $0 demo|check" >&2
	exit 2
	;;
esac
