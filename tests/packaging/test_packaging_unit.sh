#!/bin/sh
# The systemd unit: the hardening it promises is there, `systemd-analyze
# verify` accepts it, and `systemd-analyze security` finds no exposure
# beyond the ones the exporter needs (listed below with the reason).
set -eu
TOP=${KVMMEM_TOP:?}
O=${KVMMEM_BUILD:?}
UNIT_IN="$TOP/packaging/kvmmem_exporter.service"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# 1. Directives the unit must carry, exactly (no systemd needed).
cat >"$TMP/want" <<'LINES'
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
SupplementaryGroups=libvirt
SystemCallFilter=@system-service
User=kvmmem
LINES
grep -E '^(AmbientCapabilities|CapabilityBoundingSet|EnvironmentFile|ExecStart|Group|NoNewPrivileges|PrivateTmp|ProtectHome|ProtectSystem|RestrictAddressFamilies|SupplementaryGroups|SystemCallFilter|User)=' \
	"$UNIT_IN" | grep -v '^SystemCallFilter=~' | LC_ALL=C sort >"$TMP/got"
diff -u "$TMP/want" "$TMP/got"
# These would break the exporter: hidden QEMU processes, no /proc/meminfo,
# a capability that means nothing on host files.
if grep -nE '^(ProtectProc=invisible|ProcSubset=pid|PrivateUsers=yes|PrivateNetwork=yes)' "$UNIT_IN"; then
	echo "the unit hides what the exporter has to read"
	exit 1
fi

if ! command -v systemd-analyze >/dev/null; then
	echo "directives checked; SKIP systemd-analyze verify: systemd-analyze not installed (apt-get install systemd)"
	exit 77
fi
[ -x "$O/kvmmem_exporter" ] || { echo "no $O/kvmmem_exporter: run make first"; exit 1; }

# 2. verify: the unit as `make install` writes it, pointing at the built
# binary (verify insists that ExecStart exists) and a man tree holding the
# page named in Documentation= (verify runs man on it).
mkdir -p "$TMP/man/man1" "$TMP/etc/default"
cp "$TOP/man/kvmmem_exporter.1" "$TMP/man/man1/"
cp "$TOP/packaging/kvmmem_exporter.default" "$TMP/etc/default/kvmmem_exporter"
sed -e "s|@BINDIR@|$O|g" -e "s|@SYSCONFDIR@|$TMP/etc|g" "$UNIT_IN" >"$TMP/kvmmem_exporter.service"
if ! MANPATH="$TMP/man" systemd-analyze verify "$TMP/kvmmem_exporter.service" >"$TMP/verify.log" 2>&1; then
	cat "$TMP/verify.log"
	echo "systemd-analyze verify failed"
	exit 1
fi
if [ -s "$TMP/verify.log" ]; then
	cat "$TMP/verify.log"
	echo "systemd-analyze verify complained"
	exit 1
fi
echo "systemd-analyze verify: clean ($(systemd-analyze --version | head -n1))"

# 3. security: every exposure left is one the exporter needs.
if ! systemd-analyze security --offline=true "$TMP/kvmmem_exporter.service" >"$TMP/security.log" 2>&1; then
	cat "$TMP/security.log"
	echo "SKIP systemd-analyze security --offline: not supported by this systemd"
	exit 77
fi
cat >"$TMP/want" <<'LINES'
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
SupplementaryGroups=
LINES
# Why each is accepted: CAP_DAC_READ_SEARCH (ambient, bounding) reads the
# QEMU processes' 0400 ksm_stat; the libvirt group may guard the read-only
# socket; AF_UNIX reaches libvirt and AF_INET/AF_INET6 serve scrapes, from
# any address (no IPAddressDeny); ProtectProc/ProcSubset/PrivateUsers would
# hide what is read; DeviceAllow is ProtectClock's read-only rtc; the
# binary runs from the host's root.
awk '$1 == "✗" { print $2 }' "$TMP/security.log" | LC_ALL=C sort >"$TMP/got"
if ! diff -u "$TMP/want" "$TMP/got"; then
	cat "$TMP/security.log"
	echo "systemd-analyze security: exposures changed (+ new, - gone); harden the unit or justify them here"
	exit 1
fi
grep 'Overall exposure level' "$TMP/security.log"
