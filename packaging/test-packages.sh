#!/bin/bash
# The packages, end to end: build the .debs from the dist tarball, lintian
# them, install them into a fresh Debian 12 root (debootstrap, minbase),
# check the nsswitch.conf edit, run meshd there (no systemd in a chroot: as
# the user mesh, in its own pid and mount namespace), make a node with
# meshctl init as the admin does (root), resolve it with getent, check its
# overlay (UDP port, members, invite, counters), then join a second node
# from another network namespace by invite and resolve each from the other.
# Then purge and check that nsswitch.conf is byte for byte what it was --
# also when the admin edited another line in between.  Last, rpmbuild the
# .rpms from the same tarball.
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
    unshare:util-linux ip:iproute2; do
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
# The two machines of the overlay test: network namespaces joined by a veth
# pair (ip netns; the names carry our pid, so parallel runs do not meet).
ns_a=nssmesh-pkg-a-$$
ns_b=nssmesh-pkg-b-$$
cleanup() {
	ip netns del "$ns_a" 2>/dev/null || true
	ip netns del "$ns_b" 2>/dev/null || true
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
die() {
	echo "FAIL: $*" >&2
	for f in /tmp/meshd-*.log; do
		[ -s "$f" ] || continue
		echo "--- $f" >&2
		tail -20 "$f" >&2
	done
	exit 1
}
ok() { echo "    ok: $*"; }
apt_q() { apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; die "apt-get $*"; }; }
debs() { ls /tmp/debs/*.deb | grep -v -- -dbgsym_; }

# Two machines share this root: a runs here; b has its own network
# namespace (/tmp/netns-b, made with ip netns outside), its own /run/mesh
# and its own /var/lib/mesh and /etc/mesh/meshd.conf, all held by the
# process b_holder.  on NODE CMD...: run CMD (a program) on that machine.
b_holder=
on() {
	local n=$1
	shift
	if [ "$n" = a ]; then
		"$@"
	else
		nsenter --target "$b_holder" --mount --net --root --wd -- "$@"
	fi
}

# start_meshd [NODE]: what meshd.service would do -- RuntimeDirectory=,
# ExecStartPre=meshd -n, then meshd as mesh with UMask=0027; its pid in
# meshd_pid, its output in /tmp/meshd-NODE.log.
start_meshd() {
	local n=${1:-a}
	local -a pre=() mesh=(setpriv --reuid mesh --regid mesh --init-groups --inh-caps=-all)
	[ "$n" = a ] || pre=(nsenter --target "$b_holder" --mount --net --root --wd --)
	on "$n" install -d -o mesh -g mesh -m 0755 /run/mesh
	"${pre[@]}" "${mesh[@]}" meshd -n >/dev/null || die "meshd -n as mesh on $n"
	(umask 0027 && exec "${pre[@]}" "${mesh[@]}" meshd) >"/tmp/meshd-$n.log" 2>&1 &
	meshd_pid=$!
	for _ in $(seq 50); do
		on "$n" test -S /run/mesh/nss.sock && on "$n" test -S /run/mesh/meshd.sock &&
		    return 0
		kill -0 "$meshd_pid" 2>/dev/null || break
		sleep 0.1
	done
	die "meshd on $n did not start"
}
# stop_meshd PID
stop_meshd() {
	kill -TERM "$1"
	wait "$1" || die "meshd exited $? on SIGTERM"
}

# Every file meshctl (run as root) and meshd left in state directory $1 is
# mesh:mesh, the secret ones 0600, and the user mesh reads them all: meshd
# runs as mesh.
check_state() {
	local f mode
	for f in "$1"/*; do
		mode=$(stat -c '%U:%G %a' "$f")
		case ${f##*/} in
		node.key|network.key|invites)
			[ "$mode" = "mesh:mesh 600" ] || die "$f is $mode, want mesh:mesh 600" ;;
		*)
			[ "${mode% *}" = mesh:mesh ] || die "$f is $mode, want mesh:mesh" ;;
		esac
		setpriv --reuid mesh --regid mesh --init-groups cat "$f" >/dev/null ||
		    die "the user mesh cannot read $f"
	done
	[ "$(stat -c '%U:%G %a' "$1")" = "mesh:mesh 750" ] ||
	    die "$1 is $(stat -c '%U:%G %a' "$1")"
}
# udp_owner NODE PORT: the uid of each UDP socket bound to PORT on NODE.
udp_owner() {
	on "$1" cat /proc/net/udp /proc/net/udp6 |
	    awk -v p="$(printf '%04X' "$2")" 'FNR > 1 {
		n = split($2, a, ":"); if (a[n] == p) print $8 }'
}
# members_has NODE NAME STATE VIA: NODE's meshctl members --json says so.
members_has() {
	on "$1" meshctl --json members | tr -d ' \n' |
	    grep -qF "\"name\":\"$2\",\"state\":\"$3\",\"via\":\"$4\""
}
# counter NODE KEY: one overlay counter of NODE's meshctl status --json.
counter() {
	on "$1" meshctl --json status | tr -d ' \n' |
	    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
# resolves NODE NAME ADDR: getent on NODE answers NAME.mesh with ADDR.
resolves() {
	[ "$(on "$1" getent hosts "$2.mesh" | awk '{ print $1 }')" = "$3" ]
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
	# No systemd here: check by reading that the unit gives meshd what the
	# run below gives it -- the user mesh, /var/lib/mesh writable under
	# ProtectSystem=strict, /run/mesh, IP sockets, and the network.
	u=/lib/systemd/system/meshd.service
	for l in User=mesh StateDirectory=mesh RuntimeDirectory=mesh UMask=0027; do
		grep -qx "$l" "$u" || die "meshd.service has no $l"
	done
	af=$(sed -n 's/^RestrictAddressFamilies=//p' "$u")
	for f in AF_UNIX AF_INET AF_INET6; do
		case " $af " in *" $f "*) ;; *) die "meshd.service forbids $f" ;; esac
	done
	! grep -Eq '^(PrivateNetwork=yes|IPAddressDeny=)' "$u" ||
	    die "meshd.service cuts meshd off the network"
	ok "meshd.service: User=mesh, StateDirectory=mesh, AF_INET/AF_INET6, network"
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

	# As README and meshctl(8) tell the admin: meshctl init as root.
	addr=$(meshctl init --name testnode)
	case $addr in fd6d:*) ;; *) die "meshctl init printed '$addr'" ;; esac
	check_state /var/lib/mesh
	ok "meshctl init (as root) -> $addr; $(cd /var/lib/mesh && echo *):" \
	    "mesh:mesh, keys 0600, all readable by mesh"
	start_meshd a
	a_pid=$meshd_pid
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$a_pid/status")
	[ "$uid" = "$(id -u mesh)" ] || die "meshd runs as uid $uid"
	ok "meshd runs as user mesh (uid $uid, pid $a_pid)"
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

	# The overlay, with the packaged meshd.conf (listen = [::]:51830).
	grep -q 'testnode.mesh listening on UDP \[::\]:51830' /tmp/meshd-a.log ||
	    die "meshd did not say it listens on [::]:51830"
	[ "$(udp_owner a 51830)" = "$(id -u mesh)" ] || {
		cat /proc/net/udp6
		die "no one UDP socket of mesh's on port 51830"
	}
	ok "overlay on: UDP [::]:51830 bound, by uid mesh (/proc/net/udp6)"
	members_has a testnode alive self || {
		meshctl members
		die "meshctl members: testnode not alive as self"
	}
	ok "meshctl members: testnode alive, via self"
	status=$(meshctl --json status | tr -d ' \n')
	for k in '"overlay":true' '"overlay":{' '"handshakes":' \
	    '"drop_replay":' '"records_rejected":{' '"records_accepted":'; do
		case $status in *"$k"*) ;; *) die "meshctl status --json has no $k" ;; esac
	done
	ok "meshctl status --json: overlay on, its counters there"
	tok=$(meshctl invite other) || die "meshctl invite other"
	case $tok in mesh1-*) ;; *) die "meshctl invite printed '$tok'" ;; esac
	check_state /var/lib/mesh
	ok "meshctl invite other (as root) -> ${tok:0:16}...; invites mesh:mesh 0600"

	# Machine b: its own network namespace, /run/mesh, state directory and
	# configuration, as a second machine with the packages installed has.
	mkdir /tmp/b
	install -d -o mesh -g mesh -m 0750 /tmp/b/state
	cp -p /etc/mesh/meshd.conf /tmp/b/meshd.conf
	nsenter --net=/tmp/netns-b unshare --mount --propagation unchanged -- \
	    sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run/mesh &&
		mount --bind /tmp/b/state /var/lib/mesh &&
		mount --bind /tmp/b/meshd.conf /etc/mesh/meshd.conf &&
		touch /tmp/b/ready && exec sleep infinity' &
	b_holder=$!
	for _ in $(seq 50); do
		[ -e /tmp/b/ready ] && break
		kill -0 "$b_holder" 2>/dev/null || break
		sleep 0.1
	done
	[ -e /tmp/b/ready ] || die "machine b did not come up"
	[ "$(readlink /proc/$b_holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] ||
	    die "machine b shares a's network namespace"
	ok "machine b: own netns ($(on b cat /proc/net/dev | awk -F: 'NR > 2 { print $1 }' | xargs)), /run/mesh, /var/lib/mesh"

	out=$(on b meshctl join "$tok" 2>&1) || die "meshctl join on b: $out"
	check_state /tmp/b/state
	ok "b: meshctl join (as root): $out; $(cd /tmp/b/state && echo *): mesh:mesh"
	start_meshd b
	b_pid=$meshd_pid
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$b_pid/status")
	[ "$uid" = "$(id -u mesh)" ] || die "meshd on b runs as uid $uid"
	[ "$(udp_owner b 51830)" = "$(id -u mesh)" ] || die "b: no UDP port 51830"
	ok "b: meshd runs as mesh (pid $b_pid), UDP [::]:51830 bound"
	addr_b=$(on b getent hosts other.mesh | awk '{ print $1 }')
	case $addr_b in fd6d:*) ;; *) die "b: getent hosts other.mesh: '$addr_b'" ;; esac
	t0=$(date +%s%N)
	for _ in $(seq 150); do
		resolves a other "$addr_b" && resolves b testnode "$addr" &&
		    members_has a other alive direct &&
		    members_has b testnode alive direct && break
		sleep 0.1
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	for n in a b; do
		echo "    members on $n:"
		on "$n" meshctl members | sed 's/^/      /'
	done
	resolves a other "$addr_b" || die "a does not resolve other.mesh"
	resolves b testnode "$addr" || die "b does not resolve testnode.mesh"
	members_has a other alive direct || die "a: other not alive, direct"
	members_has b testnode alive direct || die "b: testnode not alive, direct"
	ok "a: getent hosts other.mesh = $addr_b; b: testnode.mesh = $addr;" \
	    "both alive, direct (${ms} ms)"
	[ "$(on b getent hosts "$addr" | awk '{ print $2 }')" = testnode.mesh ] ||
	    die "b: reverse lookup of $addr"
	[ "$(getent hosts "$addr_b" | awk '{ print $2 }')" = other.mesh ] ||
	    die "a: reverse lookup of $addr_b"
	ok "reverse lookups across the two machines"
	[ "$(counter a joins_ok)" = 1 ] || die "a: joins_ok is $(counter a joins_ok)"
	h=$(counter a handshakes)
	[ "${h:-0}" -ge 1 ] || die "a: no handshakes counted"
	ok "a's counters: joins_ok 1, handshakes $h"
	check_state /var/lib/mesh
	check_state /tmp/b/state
	ok "state directories still all mesh:mesh after meshd wrote in them"

	stop_meshd "$b_pid"
	stop_meshd "$a_pid"
	ok "both meshd stopped on SIGTERM"
	kill "$b_holder"
	wait "$b_holder" 2>/dev/null || true
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

# in_root PART [NETNS_B]: with NETNS_B, in the network namespace ns_a, and
# NETNS_B appears in the root as /tmp/netns-b (machine b's).
in_root() {
	local -a pre=()
	[ -z "${2:-}" ] || pre=(ip netns exec "$ns_a")
	"${pre[@]}" unshare --mount --pid --fork --kill-child -- /bin/sh -c '
	    set -e
	    mount -t proc proc "$1/proc"
	    mount --bind "$2" "$1/var/cache/apt/archives"
	    if [ -n "$4" ]; then
		touch "$1/tmp/netns-b"
		mount --bind "$4" "$1/tmp/netns-b"
	    fi
	    exec chroot "$1" /tmp/steps.sh "$3"' sh "$root" "$cache/archives" "$1" "${2:-}"
}

stage "install .debs in the root"
in_root install
stage "two machines (ip netns)"
# a and b on one link; the run stage is a, b is entered from inside.
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add mesh-pkg-a netns "$ns_a" type veth peer name mesh-pkg-b netns "$ns_b"
ip -n "$ns_a" addr add 198.51.100.1/24 dev mesh-pkg-a
ip -n "$ns_b" addr add 198.51.100.2/24 dev mesh-pkg-b
ip -n "$ns_a" link set mesh-pkg-a up
ip -n "$ns_b" link set mesh-pkg-b up
ip -n "$ns_a" link set lo up
ip -n "$ns_b" link set lo up
echo "    $ns_a 198.51.100.1 <-> $ns_b 198.51.100.2"
stage "meshd, getent, overlay"
in_root run "/run/netns/$ns_b"
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
