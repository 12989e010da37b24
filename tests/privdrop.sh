#!/bin/sh
# meshd started as root becomes the user of meshd.conf's "user" key once its
# sockets are open.  The test user is nobody:nogroup (65534), which every
# Debian system has, so no account is made.  Runs in its own mount and
# network namespace: the overlay's UDP port is private to it.
#
#   user = nobody, state dir nobody's  -> runs as 65534 (/proc/PID/status),
#                                         answers meshctl status and lookups,
#                                         sends LAN beacons, hears addresses
#                                         come (rtnetlink)
#   user = nobody, state dir root's    -> refuses to start, and says why
#   user = root                        -> stays root
#   user = no-such-user                -> refuses to start, and says why
#   no user key, no "mesh" user here   -> stays root, and says so
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd unshare ip awk

if [ -z "$MESH_PRIVDROP_INNER" ]; then
	MESH_PRIVDROP_INNER=1 exec unshare --mount --net --propagation private \
		"${SHELL:-/bin/sh}" "$0" "$@"
fi

top_builddir=$(cd "$top_builddir" && pwd)
MESHD=$top_builddir/meshd
MESHCTL=$top_builddir/meshctl/meshctl
id -u nobody >/dev/null 2>&1 || skip "no user nobody"
uid=$(id -u nobody)
gid=$(id -g nobody)
[ "$uid" != 0 ] || skip "nobody is uid 0 here"

tmp=$(mktemp -d /tmp/mesh-privdrop.XXXXXX)
meshd=
cleanup() {
	[ -n "$meshd" ] && kill "$meshd" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# The state directories below must be reachable by nobody; the sockets stay
# in a root-only folder (meshd makes them as root, before dropping).
chmod 0711 "$tmp"
mkdir -m 0700 "$tmp/run"
ip link set lo up

# conf NAME [LINE...]: $tmp/NAME.conf with its own state dir and sockets.
conf() {
	n=$1; shift
	{
		echo "state_dir = $tmp/$n"
		echo "nss_socket = $tmp/run/$n-nss.sock"
		echo "control_socket = $tmp/run/$n-ctl.sock"
		echo "listen = 127.0.0.1:51830"
		for l; do echo "$l"; done
	} > "$tmp/$n.conf"
}
# start NAME: meshd -c NAME.conf in the background, pid in $meshd.
start() {
	"$MESHD" -c "$tmp/$1.conf" 2> "$tmp/$1.log" &
	meshd=$!
}
# ids PID: "Uid: r e s fs / Gid: r e s fs / Groups:" of a running process.
ids() {
	awk '/^Uid:/ { printf "uid %s %s %s %s; ", $2, $3, $4, $5 }
	     /^Gid:/ { printf "gid %s %s %s %s; ", $2, $3, $4, $5 }
	     /^Groups:/ { $1 = ""; printf "groups%s", $0 }' "/proc/$1/status"
}
# exits NAME: meshd stopped by itself with a non-zero status (within 30 s:
# it first sets up the TUN, which can wait on rtnl).
exits() {
	for _ in $(seq 1 600); do
		kill -0 "$meshd" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$meshd" 2>/dev/null; then
		echo "  meshd still runs: $(ids "$meshd")"
		kill "$meshd"; wait "$meshd" 2>/dev/null; meshd=
		return 1
	fi
	wait "$meshd"; rc=$?; meshd=
	[ "$rc" != 0 ] || { echo "  meshd exited 0"; return 1; }
}
stop() { kill "$meshd"; wait "$meshd" 2>/dev/null; meshd=; }

# --- user = nobody, its own state directory: runs as nobody ------------------
mkdir "$tmp/a"
chown "$uid:$gid" "$tmp/a"
conf a "user = nobody"
addr=$("$MESHCTL" -c "$tmp/a.conf" init --name dropper 2>/dev/null) || fail "meshctl init"
check "meshctl init as root left nobody's files in nobody's directory" \
	sh -c "[ -z \"\$(find '$tmp/a' ! -user $uid)\" ]"
start a
wait_for_socket "$tmp/run/a-ctl.sock"
# Root is dropped after the TUN is set up, which can wait on rtnl.
eventually 60 grep -q 'dropped root' "$tmp/a.log" ||
	fail "meshd never dropped root: $(cat "$tmp/a.log")"
want="uid $uid $uid $uid $uid; gid $gid $gid $gid $gid; groups $gid"
got=$(ids "$meshd")
check "meshd runs as nobody: $got" [ "$got" = "$want" ] || echo "  wanted: $want"
check "and logs it" grep -q "dropped root: running as user nobody (uid $uid, gid $gid)" "$tmp/a.log"
out=$("$MESHCTL" -c "$tmp/a.conf" status 2>&1); rc=$?
check "meshctl status answers (exit $rc)" sh -c "[ $rc = 0 ] && echo '$out' | grep -q dropper"
out=$("$MESHCTL" -c "$tmp/a.conf" resolve dropper.mesh 2>&1)
check "it answers for its own name" sh -c "echo '$out' | grep -q '$addr'"
# LAN beacons and the address watch need no privilege (issue 10).
check "LAN beacons set up as nobody" grep -q "lan: beacons on UDP" "$tmp/a.log"
if ip link add lnpd0 type veth peer name lnpd1 2>/dev/null; then
	ip link set lnpd0 up
	ip addr add 10.99.0.1/24 dev lnpd0
	for _ in $(seq 1 600); do
		grep -q "netwatch: local addresses changed" "$tmp/a.log" && break
		sleep 0.05
	done
	check "an address that appears is heard, as nobody (rtnetlink)" \
		grep -q "netwatch: local addresses changed" "$tmp/a.log"
	ip link del lnpd0
fi
kill -HUP "$meshd"
check "a reload, as nobody, still reads the keys" \
	eventually 10 grep -q "reloaded $tmp/a.conf" "$tmp/a.log"
check "meshd still runs" kill -0 "$meshd"
stop
check "no sanitizer report" sh -c "! grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error' '$tmp/a.log'"

# --- user = nobody, a state directory root keeps: refused, clearly ----------------
mkdir -m 0755 "$tmp/b"
conf b "user = nobody"
start b
check "a state directory nobody cannot write: meshd refuses to start" exits b
check "and says why" grep -q "state directory $tmp/b is not writable by user nobody" "$tmp/b.log" ||
	cat "$tmp/b.log"

# --- user = root: stays root ---------------------------------------------------------
mkdir "$tmp/c"
conf c "user = root"
start c
wait_for_socket "$tmp/run/c-ctl.sock"
got=$(ids "$meshd")
check "user = root: meshd stays root: $got" sh -c "echo '$got' | grep -q '^uid 0 0 0 0;'"
check "meshctl status answers" "$MESHCTL" -c "$tmp/c.conf" status > /dev/null
stop

# --- a user that does not exist: refused, clearly ---------------------------------------
mkdir "$tmp/d"
conf d "user = no-such-user-here"
start d
check "user = no-such-user-here: meshd refuses to start" exits d
check "and says why" grep -q "cannot become user no-such-user-here (meshd.conf): no such user" "$tmp/d.log" ||
	cat "$tmp/d.log"

# --- the default, where there is no mesh user: stays root --------------------------------
if id -u mesh >/dev/null 2>&1; then
	echo "ok - # SKIP the default: this machine has a user mesh"
else
	mkdir "$tmp/e"
	conf e
	start e
	wait_for_socket "$tmp/run/e-ctl.sock"
	got=$(ids "$meshd")
	check "no user key and no user mesh: stays root: $got" sh -c "echo '$got' | grep -q '^uid 0 0 0 0;'"
	check "and says so" eventually 30 grep -q "no user mesh here: staying root" "$tmp/e.log"
	stop
fi

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
