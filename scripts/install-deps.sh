#!/bin/sh
# Install what nss-mesh needs to build, test, benchmark and package, from
# Debian 12's archive.  Does nothing when everything is already there.
set -e
PKGS="build-essential autoconf automake libtool pkg-config
libsodium-dev libcurl4-openssl-dev libjansson-dev libmnl-dev check
iproute2 util-linux procps psmisc dnsmasq-base valgrind python3 curl
openssh-client openssh-server iputils-ping nftables iptables faketime clang libclang-rt-14-dev binutils
scdoc debhelper devscripts lintian fakeroot debootstrap rpm serf systemd strace"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run me as root (or with sudo)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing > /dev/null
