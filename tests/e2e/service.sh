#!/bin/sh
# The systemd unit skyprobe@.service:
#  - `systemd-analyze verify` accepts an instance of it (made from the
#    template with this build's skyprobe in ExecStart), its Documentation=
#    manual pages included (found in man/ here);
#  - it keeps what issue 10 asks: simple service, reload by SIGHUP, restart
#    on failure, a dynamic user with CAP_NET_RAW and CAP_NET_ADMIN only,
#    a read-only system but for its state directory, the listed address
#    families and system call set;
#  - `systemd-analyze security` rates its exposure 3.0 or lower (where
#    systemd-analyze can rate a unit file offline);
#  - the unit made for installation names the installed paths.
. "$top_srcdir/tests/lib.sh"
need systemd-analyze "Debian package systemd"
in="$top_srcdir/systemd/skyprobe@.service.in"
unit="$T/skyprobe@site.service"
sed -e "s|@sbindir@|$top_builddir|g" -e "s|@sysconfdir@|$T/etc|g" "$in" > "$unit"

man=--man=no
if command -v man >/dev/null 2>&1; then
	for p in skyprobe.8 skyprobe.yaml.5 collector-test.1; do
		s=${p##*.}
		mkdir -p "$T/man/man$s"
		ln -s "$top_srcdir/man/$p" "$T/man/man$s/$p"
	done
	man=--man=yes
fi
MANPATH="$T/man" systemd-analyze verify $man "$unit" > "$T/verify" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$T/verify")"
[ ! -s "$T/verify" ] || fail "systemd-analyze verify says: $(cat "$T/verify")"

has() {
	grep -qx "$1" "$unit" || fail "the unit has no line '$1'"
}
has "Type=simple"
has "ExecStart=$top_builddir/skyprobe -c $T/etc/skyprobe/%i.yaml -U ''"
has 'ExecReload=/bin/kill -HUP $MAINPID'
has "Restart=on-failure"
has "DynamicUser=yes"
has "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN"
has "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN"
has "NoNewPrivileges=yes"
has "ProtectSystem=strict"
has "StateDirectory=skyprobe"
has "PrivateTmp=yes"
has "ProtectHome=yes"
has "ProtectKernelTunables=yes"
has "ProtectKernelModules=yes"
has "ProtectKernelLogs=yes"
has "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK"
has "SystemCallFilter=@system-service"
has "StandardError=journal"
[ "$(grep -c '^CapabilityBoundingSet=' "$unit")" -eq 1 ] ||
	fail "more than one CapabilityBoundingSet= line"

if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	systemd-analyze security --offline=yes "$unit" > "$T/security" 2>&1 ||
		fail "systemd-analyze security: $(tail -5 "$T/security")"
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
		"$T/security")
	[ -n "$level" ] || fail "no exposure level: $(tail -3 "$T/security")"
	echo "# exposure level $level"
	awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }' ||
		fail "exposure level $level is above 3.0"
fi

built="$top_builddir/systemd/skyprobe@.service"
if [ -f "$built" ]; then
	! grep -q '@[a-z]*@' "$built" || fail "$built keeps a placeholder"
	grep -q '^ExecStart=/.*/skyprobe -c /.*/skyprobe/%i.yaml' "$built" ||
		fail "$built: ExecStart names no installed path"
fi
pass "skyprobe@.service verifies, hardened, exposure ${level:-unrated}"
