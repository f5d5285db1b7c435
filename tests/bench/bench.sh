#!/bin/sh
# make bench: build the benchmark traces (kept out of git, in $BENCH_DIR)
# and run every contender on each.  See tests/bench/bench.py.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/bench.py"
