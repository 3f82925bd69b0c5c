#!/bin/sh
# The systemd unit: the hardening it promises is there, `systemd-analyze
# verify` accepts it, and `systemd-analyze security` finds no exposure
# beyond the ones the exporter needs (listed below with the reason).
set -eu
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
O=$BUILD
UNIT_IN="$TOP/packaging/kvmmem_exporter.service"
tmpdir_with_cleanup

# 1. Directives the unit must carry, exactly (no systemd needed).
cat >"$T/want" <<'LINES'
AmbientCapabilities=CAP_DAC_READ_SEARCH
CapabilityBoundingSet=CAP_DAC_READ_SEARCH
EnvironmentFile=-@SYSCONFDIR@/default/kvmmem_exporter
ExecStart=@BINDIR@/kvmmem_exporter $ARGS
Group=kvmmem
NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=yes
ProtectSystem=strict
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallFilter=@system-service
User=kvmmem
LINES
grep -E '^(AmbientCapabilities|CapabilityBoundingSet|EnvironmentFile|ExecStart|Group|NoNewPrivileges|PrivateTmp|ProtectHome|ProtectSystem|RestrictAddressFamilies|SystemCallFilter|User)=' \
	"$UNIT_IN" | grep -v '^SystemCallFilter=~' | LC_ALL=C sort >"$T/got"
diff -u "$T/want" "$T/got"
# These would break the exporter: hidden QEMU processes, no /proc/meminfo,
# a capability that means nothing on host files.
if grep -nE '^(ProtectProc=invisible|ProcSubset=pid|PrivateUsers=yes|PrivateNetwork=yes)' "$UNIT_IN"; then
	echo "FAIL: the unit hides what the exporter has to read"
	exit 1
fi
# A group named in the unit fails it where the group does not exist (a
# Proxmox VE node has no libvirt group): the package gives the user its groups.
if grep -nE '^(SupplementaryGroups|Group)=' "$UNIT_IN" | grep -v '^[0-9]*:Group=kvmmem$'; then
	echo "FAIL: the unit names a group that not every host has"
	exit 1
fi
ok "1. the unit's directives"

if ! command -v systemd-analyze >/dev/null; then
	skip_part "2-3. systemd-analyze verify and security" "systemd-analyze not installed (apt-get install systemd)"
	finish
fi
require_exporter

# 2. verify: the unit as `make install` writes it, pointing at the built
# binary (verify insists that ExecStart exists) and a man tree holding the
# page named in Documentation= (verify runs man on it).
mkdir -p "$T/man/man1" "$T/etc/default"
cp "$TOP/man/kvmmem_exporter.1" "$T/man/man1/"
cp "$TOP/packaging/kvmmem_exporter.default" "$T/etc/default/kvmmem_exporter"
sed -e "s|@BINDIR@|$O|g" -e "s|@SYSCONFDIR@|$T/etc|g" "$UNIT_IN" >"$T/kvmmem_exporter.service"
if ! MANPATH="$T/man" systemd-analyze verify "$T/kvmmem_exporter.service" >"$T/verify.log" 2>&1; then
	cat "$T/verify.log"
	echo "FAIL: systemd-analyze verify failed"
	exit 1
fi
if [ -s "$T/verify.log" ]; then
	cat "$T/verify.log"
	echo "FAIL: systemd-analyze verify complained"
	exit 1
fi
ok "2. systemd-analyze verify: clean ($(systemd-analyze --version | head -n1))"

# 3. security: every exposure left is one the exporter needs.
if ! systemd-analyze security --offline=true "$T/kvmmem_exporter.service" >"$T/security.log" 2>&1; then
	cat "$T/security.log"
	skip_part "3. systemd-analyze security" "--offline is not supported by this systemd"
	finish
fi
cat >"$T/want" <<'LINES'
AmbientCapabilities=
CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)
DeviceAllow=
IPAddressDeny=
PrivateNetwork=
PrivateUsers=
ProcSubset=
ProtectProc=
RestrictAddressFamilies=~AF_(INET|INET6)
RestrictAddressFamilies=~AF_UNIX
RootDirectory=/RootImage=
LINES
# Why each is accepted: CAP_DAC_READ_SEARCH (ambient, bounding) reads the
# QEMU processes' 0400 ksm_stat; AF_UNIX reaches libvirt and AF_INET/AF_INET6 serve scrapes, from
# any address (no IPAddressDeny); ProtectProc/ProcSubset/PrivateUsers would
# hide what is read; DeviceAllow is ProtectClock's read-only rtc; the
# binary runs from the host's root.
awk '$1 == "✗" { print $2 }' "$T/security.log" | LC_ALL=C sort >"$T/got"
if ! diff -u "$T/want" "$T/got"; then
	cat "$T/security.log"
	echo "FAIL: systemd-analyze security: exposures changed (+ new, - gone); harden the unit or justify them here"
	exit 1
fi
grep 'Overall exposure level' "$T/security.log"
ok "3. systemd-analyze security: only the exposures listed here"
finish
