# tests/ovnet.sh: a few meshd nodes on one veth bridge, for the overlay's
# shell tests (overlay.sh, renew.sh).  Sourced after tests/lib.sh, inside
# `unshare --mount --net` (the caller re-executes itself there), with:
#   OVNET_NODES   how many nodes (n1 .. nN)
#   OVNET_NS      the namespace prefix (node i is "$OVNET_NS$i")
#   OVNET_V4      the IPv4 /24, e.g. 10.77.0 (node i is .i)
#   OVNET_V6      an IPv6 /64 prefix, e.g. 2001:db8:77: (empty: none)
# It makes $tmp, a private /run, an nsswitch.conf with the mesh module
# (bind-mounted over /etc/nsswitch.conf), the bridge and one namespace per
# node with $tmp/nI/meshd.conf, and tears it all down on exit.
#
#   node_run I CMD...    in node I's namespaces (its private /run/mesh once
#                        its meshd runs)
#   ctl I ARGS...        meshctl of node I
#   start_node I / stop_node I   its meshd ($MESHD), as a child of a
#                        subshell (kill -9 stays quiet); log in $tmp/nI/log;
#                        start_node returns once meshd answers meshctl
#   resolves I J         node I resolves nJ.mesh to $tmp/nJ/addr
#   state_of I J / wait_state I J STATE SECONDS   nJ in I's members table

top_builddir=$(cd "$top_builddir" && pwd)
MESHD=${MESHD_OVERRIDE:-$top_builddir/meshd}
MESHCTL=$top_builddir/meshctl/meshctl
module=$top_builddir/nss/.libs/libnss_mesh.so.2
[ -f "$module" ] || fail "no module at $module"

tmp=$(mktemp -d /tmp/mesh-ovnet.XXXXXX)
# A meshd with libfaketime preloaded (renew.sh, overlay.sh) leaves a
# semaphore and a shared-memory file named after its pid in /dev/shm when
# it is stopped; they go with it.
forget_pid() {
	rm -f "/dev/shm/faketime_shm_$1" "/dev/shm/sem.faketime_sem_$1"
}
ovnet_cleanup() {
	for f in "$tmp"/*.pid; do
		[ -f "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null
		forget_pid "$(cat "$f")"
	done
	# Whatever else still runs in a node (a wrapper's child, a server a
	# test started) goes too: nothing of ours outlives the test.
	for i in $(seq 1 "$OVNET_NODES"); do
		ip netns pids "$OVNET_NS$i" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.2
	for i in $(seq 1 "$OVNET_NODES"); do
		ip netns pids "$OVNET_NS$i" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$OVNET_NS$i" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap ovnet_cleanup EXIT

# ip netns keeps its handles under /run/netns: a private /run for them.
mount -t tmpfs tmpfs /run
sed '/^hosts:/d' /etc/nsswitch.conf > "$tmp/nsswitch.conf"
echo 'hosts: files mesh [!UNAVAIL=return]' >> "$tmp/nsswitch.conf"
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf
export LD_LIBRARY_PATH="$top_builddir/nss/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ASAN_PRELOAD=
if readelf -d "$module" | grep -q 'libasan'; then
	# getent and meshctl need the runtime preloaded (and leaks off: they
	# are not ours to judge); meshd runs with leak detection on.
	ASAN_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so)
fi

ip link set lo up
ip link add "${OVNET_NS}br0" type bridge || fail "cannot make a bridge"
ip link set "${OVNET_NS}br0" up
for i in $(seq 1 "$OVNET_NODES"); do
	ip netns add "$OVNET_NS$i" || fail "cannot make namespace $OVNET_NS$i"
	ip link add "${OVNET_NS}v$i" type veth peer name eth0 netns "$OVNET_NS$i"
	ip link set "${OVNET_NS}v$i" master "${OVNET_NS}br0" up
	ip -n "$OVNET_NS$i" link set lo up
	ip -n "$OVNET_NS$i" addr add "$OVNET_V4.$i/24" dev eth0
	[ -z "$OVNET_V6" ] ||
		ip -n "$OVNET_NS$i" addr add "$OVNET_V6:$i/64" dev eth0 nodad
	ip -n "$OVNET_NS$i" link set eth0 up
	mkdir -p "$tmp/n$i"
	cat > "$tmp/n$i/meshd.conf" <<CONF
state_dir = $tmp/n$i/state
user = root
log_level = debug
CONF
done

node_run() {
	n=$1; shift
	if [ -f "$tmp/n$n.pid" ]; then
		nsenter -t "$(cat "$tmp/n$n.pid")" -m -n env \
			${ASAN_PRELOAD:+LD_PRELOAD=$ASAN_PRELOAD ASAN_OPTIONS=detect_leaks=0} "$@"
	else
		ip netns exec "$OVNET_NS$n" "$@"
	fi
}
ctl() { n=$1; shift; node_run "$n" "$MESHCTL" -c "$tmp/n$n/meshd.conf" "$@"; }

start_node() {
	n=$1
	(ip netns exec "$OVNET_NS$n" unshare --mount --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/mesh &&
		echo $$ > "$1" && exec "$2" -c "$3"' sh "$tmp/n$n.pid.new" \
		"$MESHD" "$tmp/n$n/meshd.conf" >> "$tmp/n$n/log" 2>&1 &)
	for _ in $(seq 1 600); do
		[ -s "$tmp/n$n.pid.new" ] && break
		sleep 0.05
	done
	mv "$tmp/n$n.pid.new" "$tmp/n$n.pid"
	for _ in $(seq 1 600); do
		nsenter -t "$(cat "$tmp/n$n.pid")" -m test -S /run/mesh/nss.sock && break
		sleep 0.05
	done
	# meshd binds its sockets first and answers once it has loaded its
	# state and set up its TUN, which on a loaded machine can take longer
	# than the module waits for an answer (250 ms): wait until meshctl gets
	# one (any exit status but 3, "no agent").
	for _ in $(seq 1 600); do
		ctl "$n" status > /dev/null 2>&1
		[ $? != 3 ] && return 0
		sleep 0.05
	done
	fail "meshd of node $n did not start: $(tail -5 "$tmp/n$n/log")"
}
stop_node() {
	kill "$(cat "$tmp/n$1.pid")" 2>/dev/null
	for _ in $(seq 1 600); do
		kill -0 "$(cat "$tmp/n$1.pid")" 2>/dev/null || break
		sleep 0.05
	done
	forget_pid "$(cat "$tmp/n$1.pid")"
	rm -f "$tmp/n$1.pid"
}

resolves() {
	[ "$(node_run "$1" getent hosts "n$2.mesh" | cut -d' ' -f1)" = "$(cat "$tmp/n$2/addr")" ]
}
state_of() {
	ctl "$1" members --json 2>/dev/null | python3 -c "
import json, sys
for m in json.load(sys.stdin):
    if m['name'] == 'n$2': print(m['state'])" 2>/dev/null
}
wait_state() {	# wait_state I J STATE SECONDS
	for _ in $(seq 1 $(($4 * 10))); do
		[ "$(state_of "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	echo "  n$1 sees n$2 as '$(state_of "$1" "$2")', not $3"
	return 1
}
