#!/bin/sh
# The manual pages in man/:
#  - skyprobe(8), skyprobe.yaml(5) and collector-test(1) are lint-clean:
#    no word from `groff -ww -z -man` nor from `mandoc -Tlint` (each run
#    where installed; skipped when neither is);
#  - skyprobe.yaml(5) documents every configuration key, under its
#    section: the keys `skyprobe --check-config` prints for the example
#    configurations (collectors of all three types included) and the keys
#    of every key table in probe/config.c;
#  - skyprobe(8) names every long option of `skyprobe --help`, and
#    collector-test(1) every option of `collector-test --help`.
. "$top_srcdir/tests/lib.sh"
man="$top_srcdir/man"
pages="$man/skyprobe.8 $man/skyprobe.yaml.5 $man/collector-test.1"

linted=
if command -v groff >/dev/null 2>&1; then
	for p in $pages; do
		groff -ww -z -man "$p" > "$T/lint" 2>&1 || true
		[ ! -s "$T/lint" ] || fail "groff -ww on ${p##*/}: $(cat "$T/lint")"
	done
	linted="groff"
fi
if command -v mandoc >/dev/null 2>&1; then
	for p in $pages; do
		mandoc -Tlint "$p" > "$T/lint" 2>&1 || true
		[ ! -s "$T/lint" ] || fail "mandoc -Tlint on ${p##*/}: $(cat "$T/lint")"
	done
	linted="$linted mandoc"
fi
[ -n "$linted" ] || skip "neither groff nor mandoc is installed"

# "section.key" of every key the page documents: a .TP item whose tag is
# .B key, under the .SS of its section.
awk '/^\.SH/ { sec = "" } /^\.SS/ { sec = $2 }
     tp && /^\.B [a-z_0-9]+$/ && sec != "" { print sec "." $2 }
     { tp = /^\.TP/ }' "$man/skyprobe.yaml.5" | sort -u > "$T/documented"

# Keys printed by --check-config: indentation 2 under a section, 6 inside
# a collector entry ("    - type:" opens one).
for c in "$top_srcdir"/config/*.yaml; do
	"$SKYPROBE" -c "$c" --check-config
done | awk '/^[a-z_]+:/ { sec = substr($1, 1, length($1) - 1); next }
	/^  [a-z_]+:/ { k = $1; sub(/:$/, "", k); print sec "." k; next }
	/^    - [a-z_]+:/ { k = $2; sub(/:$/, "", k); print "collectors." k; next }
	/^      [a-z_]+:/ { k = $1; sub(/:$/, "", k); print "collectors." k }' |
	sort -u > "$T/printed"
[ "$(wc -l < "$T/printed")" -ge 40 ] ||
	fail "--check-config printed only $(wc -l < "$T/printed") keys"

# Keys of the tables in probe/config.c: "static const struct key_spec
# NAME_keys[]" then CK("key", ...) or COLK("key", ...) lines.
awk '/^static const struct key_spec [a-z]+_keys\[\]/ {
		t = $5; sub(/_keys\[\].*/, "", t); if (t == "collector") t = "collectors"; next }
	/^};/ { t = "" }
	t != "" && /(CK|COLK)\("/ { k = $0; sub(/.*K\("/, "", k); sub(/".*/, "", k); print t "." k }' \
	"$top_srcdir/probe/config.c" | sort -u > "$T/table"
[ "$(wc -l < "$T/table")" -ge 40 ] ||
	fail "found only $(wc -l < "$T/table") keys in probe/config.c"

for list in printed table; do
	missing=$(comm -23 "$T/$list" "$T/documented")
	[ -z "$missing" ] ||
		fail "skyprobe.yaml(5) lacks keys ($list): $(echo $missing)"
done

# Options.
"$SKYPROBE" --help | grep -o -- '--[a-z][a-z-]*' | sort -u > "$T/opts"
for o in $(cat "$T/opts"); do
	esc=$(echo "$o" | sed 's/-/\\\\-/g')
	grep -q -- "$esc" "$man/skyprobe.8" || fail "skyprobe(8) lacks $o"
done
"$COLLECTOR" --help 2>&1 | grep -o -- ' --*[a-z][a-z-]*' | sort -u > "$T/copts"
for o in $(cat "$T/copts"); do
	esc=$(echo "$o" | sed 's/-/\\\\-/g')
	grep -q -- "$esc" "$man/collector-test.1" ||
		fail "collector-test(1) lacks $o"
done
pass "manual pages lint-clean ($linted), $(wc -l < "$T/table") keys documented"
