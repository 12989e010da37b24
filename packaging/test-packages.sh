#!/bin/bash
# The packages, end to end: build the .debs from the dist tarball, lintian
# them, install them into a fresh Debian 12 root (debootstrap, minbase),
# check the nsswitch.conf edit, run meshd there (no systemd in a chroot: as
# the user mesh, in its own pid and mount namespace), make a node with
# meshctl init, resolve it with getent, then purge and check that
# nsswitch.conf is byte for byte what it was -- also when the admin edited
# another line in between.  Last, rpmbuild the .rpms from the same tarball.
#
#     packaging/test-packages.sh            (root; about 3-5 minutes)
#
# The debootstrapped root is cached in /var/cache/nss-mesh-test (delete it to
# start over); downloaded .debs are cached there too.  NSS_MESH_KEEP=1 keeps
# the work directory.  Exit 0 pass, 1 fail, 77 skipped (not root, or a tool
# missing: the message names the Debian package).
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $0 needs root (debootstrap, chroot, dpkg in the new root)"
	exit 77
fi
for t in debootstrap:debootstrap dpkg-buildpackage:dpkg-dev dh:debhelper \
    fakeroot:fakeroot lintian:lintian rpmbuild:rpm scdoc:scdoc \
    unshare:util-linux; do
	if ! command -v "${t%%:*}" >/dev/null 2>&1; then
		echo "SKIP: ${t%%:*} not found: install the Debian package ${t#*:}"
		exit 77
	fi
done

top=$(cd "$(dirname "$0")/.." && pwd)
cache=/var/cache/nss-mesh-test
suite=bookworm
arch=$(dpkg --print-architecture)
work=$(mktemp -d /tmp/nss-mesh-pkgtest.XXXXXX)
root=$work/root
keep=${NSS_MESH_KEEP:-0}
cleanup() {
	if [ "$keep" = 1 ]; then
		echo "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
mkdir -p "$cache/archives/partial"

t_all=$(date +%s)
t_stage=$t_all
stage() {
	local now
	now=$(date +%s)
	[ -z "${stage_name:-}" ] || printf '=== %-28s %4ss\n' "$stage_name" $((now - t_stage))
	stage_name=$1
	t_stage=$now
	[ -z "$1" ] || echo "--- $1"
}
die() {
	echo "FAIL: $*" >&2
	exit 1
}

# The mirror this machine's apt already uses (one-line or deb822 sources).
mirror() {
	local f u
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		u=$(awk '
		    /^deb[ \t]/ && /debian/ && !/security/ {
		        for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }
		    /^URIs:/ && /debian/ && !/security/ { print $2; exit }' "$f")
		if [ -n "$u" ]; then
			echo "$u"
			return
		fi
	done
	echo http://deb.debian.org/debian
}

# ---------------------------------------------------------------------------
stage "dist tarball"
if [ -f "$top/Makefile" ]; then
	b=$top
else
	[ -x "$top/configure" ] || (cd "$top" && ./bootstrap >/dev/null)
	b=$work/build
	mkdir "$b"
	(cd "$b" && "$top/configure" -q --disable-tests)
fi
name=$(sed -n 's/^PACKAGE = //p' "$b/Makefile")-$(sed -n 's/^VERSION = //p' "$b/Makefile")
make -C "$b" -s dist-gzip >/dev/null
mv "$b/$name.tar.gz" "$work/"
tarball=$work/$name.tar.gz
echo "$tarball"

# ---------------------------------------------------------------------------
stage "build .debs"
mkdir "$work/debs"
DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
    "$top/packaging/build-deb.sh" -o "$work/debs" -t "$tarball" \
    >"$work/build-deb.log" 2>&1 || {
	tail -40 "$work/build-deb.log"
	die "build-deb.sh failed (log above)"
}
ls "$work/debs"/*.deb
for p in libnss-mesh meshd; do
	echo "$p:"
	dpkg-deb -c "$work/debs/${p}_"*.deb | awk '$NF !~ /\/$/ { print "   ", $1, $2, $NF }'
	dpkg-deb -f "$work/debs/${p}_"*.deb Depends | sed 's/^/    Depends: /'
done

# ---------------------------------------------------------------------------
stage "lintian"
changes=$(ls "$work/debs"/*.changes)
lintian --fail-on error --display-level '>=warning' "$changes" \
    >"$work/lintian.txt" 2>&1 && lint_rc=0 || lint_rc=$?
sed 's/^/    /' "$work/lintian.txt"
echo "    errors: $(grep -c '^E:' "$work/lintian.txt" || true)," \
    "warnings: $(grep -c '^W:' "$work/lintian.txt" || true)"
[ "$lint_rc" = 0 ] || die "lintian reports errors"

# ---------------------------------------------------------------------------
stage "make install = .debs"
# From the same tarball, configured as the packages are: the same files in
# the same places (man pages are compressed in the .deb only).
mkdir "$work/src" "$work/inst"
tar -xzf "$tarball" -C "$work/src"
(cd "$work/src/$name" &&
    ./configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
	--libdir=/usr/lib/"$(dpkg-architecture -qDEB_HOST_MULTIARCH)" \
	--disable-tests &&
    make -s -j2 && make -s install DESTDIR="$work/inst") >"$work/install.log" 2>&1 || {
	tail -30 "$work/install.log"
	die "make install failed"
}
(cd "$work/inst" && find . ! -type d | sort) >"$work/inst.list"
for p in libnss-mesh meshd; do
	dpkg-deb -c "$work/debs/${p}_"*.deb | awk '$1 !~ /^d/ { print $NF }'
done | grep -v '^\./usr/share/doc/' | sed 's/\.gz$//' | sort >"$work/deb.list"
diff -u "$work/deb.list" "$work/inst.list" || die "make install and the .debs differ"
echo "    same $(wc -l <"$work/inst.list") files"
rm -rf "$work/src"

stage "systemd-analyze security"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze security --offline=true \
	    "$work/inst/lib/systemd/system/meshd.service" 2>&1 |
	    grep -E 'Overall exposure' | sed 's/^/    /'
else
	echo "    systemd-analyze not found (Debian package systemd); skipped"
fi

# ---------------------------------------------------------------------------
stage "fresh Debian 12 root"
base=$cache/$suite-minbase-$arch.tar
if [ ! -f "$base" ]; then
	m=$(mirror)
	echo "debootstrap --variant=minbase $suite from $m (cached as $base)"
	debootstrap --variant=minbase "$suite" "$work/boot" "$m" \
	    >"$work/debootstrap.log" 2>&1 || {
		tail -20 "$work/debootstrap.log"
		die "debootstrap failed"
	}
	tar -C "$work/boot" -cf "$base.tmp" .
	mv "$base.tmp" "$base"
	rm -rf "$work/boot"
fi
mkdir "$root"
tar -C "$root" -xf "$base"
echo "$(sed -n 's/^deb //p' "$root/etc/apt/sources.list" | head -1)"

# ---------------------------------------------------------------------------
# Everything in the root runs in its own mount and pid namespace: the mounts
# vanish and meshd dies with it, whatever happens.
mkdir -p "$root/tmp/debs"
cp "$work/debs"/*.deb "$root/tmp/debs/"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"

cat >"$root/tmp/steps.sh" <<'STEPS'
#!/bin/bash
# Runs inside the new root.  $1: which part.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "    ok: $*"; }
apt_q() { apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; die "apt-get $*"; }; }
debs() { ls /tmp/debs/*.deb | grep -v -- -dbgsym_; }

start_meshd() {
	# What systemd's RuntimeDirectory= would do, then meshd as mesh.
	install -d -o mesh -g mesh -m 0755 /run/mesh
	setpriv --reuid mesh --regid mesh --init-groups --inh-caps=-all \
	    meshd >/tmp/meshd.log 2>&1 &
	meshd_pid=$!
	for _ in $(seq 50); do
		[ -S /run/mesh/nss.sock ] && [ -S /run/mesh/meshd.sock ] && return 0
		kill -0 "$meshd_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat /tmp/meshd.log
	die "meshd did not start"
}
stop_meshd() {
	kill -TERM "$meshd_pid"
	wait "$meshd_pid" || die "meshd exited $? on SIGTERM"
}

case $1 in
install)
	cp /etc/nsswitch.conf /tmp/nsswitch.before
	echo "    before: $(grep '^hosts:' /etc/nsswitch.conf)"
	apt_q update
	apt_q install --no-install-recommends $(debs)
	ok "apt-get install $(debs | xargs -n1 basename | xargs)"
	line=$(grep '^hosts:' /etc/nsswitch.conf)
	echo "    after:  $line"
	[ "$line" = "hosts:          files mesh [!UNAVAIL=return] dns" ] ||
	    die "unexpected hosts line"
	n=$({ diff /tmp/nsswitch.before /etc/nsswitch.conf || true; } | grep -c '^[<>]')
	[ "$n" = 2 ] || die "more than the hosts line changed"
	ok "nsswitch.conf: only the hosts line changed"
	cp /etc/nsswitch.conf /tmp/nsswitch.installed
	apt_q install --reinstall --no-install-recommends $(debs)
	dpkg-reconfigure libnss-mesh >/dev/null 2>&1 || true
	cmp /tmp/nsswitch.installed /etc/nsswitch.conf || die "reinstall changed nsswitch.conf"
	ok "installing twice changes nothing more"

	getent passwd mesh >/dev/null || die "no user mesh"
	[ "$(stat -c '%U:%G %a' /var/lib/mesh)" = "mesh:mesh 750" ] ||
	    die "/var/lib/mesh is $(stat -c '%U:%G %a' /var/lib/mesh)"
	[ -f /etc/mesh/meshd.conf ] || die "no /etc/mesh/meshd.conf"
	[ -f /lib/systemd/system/meshd.service ] || die "no unit"
	[ -L /etc/systemd/system/multi-user.target.wants/meshd.service ] ||
	    die "meshd.service not enabled"
	ok "user mesh, /var/lib/mesh mesh:mesh 0750, conffile, unit enabled"
	meshd -n >/dev/null || die "meshd -n"
	ok "meshd -n: $(meshd -n)"
	;;
run)
	# Agent down: a .mesh lookup fails at once, not via DNS.
	t0=$(date +%s%N)
	rc=0; getent hosts down.mesh >/dev/null || rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$rc" = 2 ] || die "getent with meshd down: exit $rc, want 2"
	ok "agent down: getent hosts down.mesh exit 2 in ${ms} ms"

	addr=$(meshctl init --name testnode)
	[ "$(stat -c '%U:%G %a' /var/lib/mesh/node.key)" = "mesh:mesh 600" ] ||
	    die "node.key is $(stat -c '%U:%G %a' /var/lib/mesh/node.key)"
	ok "meshctl init (as root) -> $addr, node.key mesh:mesh 0600"
	start_meshd
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$meshd_pid/status")
	[ "$uid" = "$(id -u mesh)" ] || die "meshd runs as uid $uid"
	ok "meshd runs as user mesh (uid $uid, pid $meshd_pid)"
	got=$(getent hosts testnode.mesh) || die "getent hosts testnode.mesh failed"
	echo "    getent hosts testnode.mesh: $got"
	[ "$(echo "$got" | awk '{ print $1 }')" = "$addr" ] || die "wrong address"
	[ "$(echo "$got" | awk '{ print $2 }')" = testnode.mesh ] || die "wrong name"
	got=$(getent hosts "$addr") || die "reverse lookup failed"
	echo "    getent hosts $addr: $got"
	rc=0; getent hosts nobody.mesh >/dev/null || rc=$?
	[ "$rc" = 2 ] || die "nobody.mesh: exit $rc"
	ok "getent hosts nobody.mesh: not found (exit 2)"
	su -s /bin/sh nobody -c 'getent hosts testnode.mesh' >/dev/null ||
	    die "an unprivileged user cannot resolve"
	ok "user nobody resolves too"
	meshctl status | sed 's/^/      /'
	meshctl resolve testnode.mesh >/dev/null || die "meshctl resolve"
	stop_meshd
	ok "meshd stopped on SIGTERM"
	;;
purge)
	apt_q purge libnss-mesh meshd
	cmp /tmp/nsswitch.before /etc/nsswitch.conf || {
		diff /tmp/nsswitch.before /etc/nsswitch.conf
		die "nsswitch.conf differs after purge"
	}
	[ ! -e /var/lib/mesh ] || die "/var/lib/mesh left after purge"
	[ ! -e /var/lib/libnss-mesh ] || die "/var/lib/libnss-mesh left after purge"
	[ ! -e /etc/mesh ] || die "/etc/mesh left after purge"
	ok "purge: nsswitch.conf byte-identical to before, state gone"

	# Again, with an admin edit of other lines while installed.
	apt_q install --no-install-recommends $(debs)
	grep -q '^hosts:.*files mesh \[!UNAVAIL=return\] dns' /etc/nsswitch.conf ||
	    die "reinstall after purge did not add mesh"
	sed -i 's/^networks:.*/networks:       files dns/' /etc/nsswitch.conf
	echo '# admin: local note' >>/etc/nsswitch.conf
	sed 's/^networks:.*/networks:       files dns/' /tmp/nsswitch.before >/tmp/want
	echo '# admin: local note' >>/tmp/want
	apt_q remove libnss-mesh meshd
	cmp /tmp/want /etc/nsswitch.conf || die "remove after admin edit: differs"
	ok "remove after an admin edit: our words gone, the admin's kept"
	apt_q purge libnss-mesh meshd
	cmp /tmp/want /etc/nsswitch.conf || die "purge after admin edit: differs"
	ok "purge after an admin edit: nsswitch.conf = before + admin's edit, byte for byte"
	;;
esac
STEPS
chmod +x "$root/tmp/steps.sh"

in_root() {
	unshare --mount --pid --fork --kill-child -- /bin/sh -c '
	    set -e
	    mount -t proc proc "$1/proc"
	    mount --bind "$2" "$1/var/cache/apt/archives"
	    exec chroot "$1" /tmp/steps.sh "$3"' sh "$root" "$cache/archives" "$1"
}

stage "install .debs in the root"
in_root install
stage "meshd + getent in the root"
in_root run
stage "purge, admin edit, purge"
in_root purge

# ---------------------------------------------------------------------------
stage "rpmbuild"
mkdir -p "$work/rpm/SOURCES"
cp "$tarball" "$work/rpm/SOURCES/"
rpmbuild -bb --nodeps --nocheck \
    --define "_topdir $work/rpm" \
    --define "debug_package %{nil}" \
    "$top/packaging/rpm/meshd.spec" >"$work/rpmbuild.log" 2>&1 || {
	tail -40 "$work/rpmbuild.log"
	die "rpmbuild failed"
}
for r in "$work/rpm/RPMS"/*/*.rpm; do
	echo "$(basename "$r"):"
	rpm -qlp "$r" 2>/dev/null | sed 's/^/    /'
done
n=$(ls "$work/rpm/RPMS"/*/*.rpm | wc -l)
[ "$n" = 2 ] || die "rpmbuild made $n packages, want 2"
rpm -qp --scripts "$work/rpm/RPMS"/*/libnss-mesh-*.rpm 2>/dev/null |
    grep -q 'nsswitch-edit add' || die "libnss-mesh.rpm has no nsswitch scriptlet"

stage ""
echo "PASS: packages built, installed, resolved, purged cleanly ($(( $(date +%s) - t_all ))s)"
