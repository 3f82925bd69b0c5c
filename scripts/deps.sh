#!/bin/sh
# deps.sh run|test - install the Debian/Ubuntu packages kvmmem needs.
#
# As root, missing packages are installed with apt-get.  Otherwise the
# exact apt-get line is printed and the script fails, so nothing half-works.
set -eu

BUILD="make gcc libc6-dev pkg-config libvirt-dev libxml2-dev libjson-c-dev libmicrohttpd-dev zlib1g-dev libyaml-dev libcrypt-dev libgnutls28-dev libncurses-dev"
RUNTIME="libvirt0 libxml2 libjson-c5 libmicrohttpd12 zlib1g libyaml-0-2 libncursesw6"
# promtool (prometheus), a real collectd, curl for HTTP tests, cmocka for unit tests,
# python3 and python3-yaml for the dashboard and rule checkers.
TEST="libcmocka-dev prometheus curl collectd-core collectd-dev libvirt-clients gzip python3 python3-yaml influxdb influxdb-client qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu busybox-static iproute2"
# Packaging checks: man rendering, systemd-analyze for the unit, the Debian build and lintian.
TEST="$TEST man-db groff-base systemd dpkg-dev debhelper fakeroot lintian"
# A real systemd as PID 1 for the packages (tests/packaging/test_systemd.sh): a Debian tree made
# with mmdebstrap from the package mirror, booted with systemd-nspawn.
TEST="$TEST mmdebstrap systemd-container"
# kvmmem-top in a real terminal (tests/top/test_terminal.sh): a private tmux server.
TEST="$TEST tmux"
# TLS and basic auth tests: throwaway certificates (openssl) and bcrypt hashes (htpasswd).
TEST="$TEST openssl apache2-utils clang-format"
# Fuzzing: clang with libFuzzer from compiler-rt (valgrind, for test_valgrind.sh too, is below).
TEST="$TEST clang libclang-rt-14-dev"
# make bench: callgrind instruction counts and the Debian anchor exporter (bench/run.sh also installs them).
TEST="$TEST valgrind prometheus-libvirt-exporter"

case "${1:-}" in
run) WANT="$BUILD $RUNTIME" ;;
test) WANT="$BUILD $RUNTIME $TEST" ;;
*) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=""
for p in $WANT; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "kvmmem needs these packages; run as root:" >&2
	echo "  $line" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when apt cannot find a package we want.
if ! apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends $missing; then
	apt-get -o DPkg::Lock::Timeout=900 update
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends $missing
fi
