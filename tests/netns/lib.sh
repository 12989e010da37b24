# tests/netns/lib.sh: topologies of network namespaces for multi-node tests.
# Sourced (POSIX sh) by topo-selftest.sh, multinode.sh, bench/gossip.sh and
# scripts/demo-mesh.sh.  Needs root, iproute2, util-linux (unshare, nsenter)
# and nftables (or iptables) for the NAT.
#
# The standard topology (topo_standard N), as the tests use it:
#
#            segment "lan": a bridge br0 in the switch namespace "sw-lan"
#            10.77.1.0/24  fd77:1::/64
#   +--------+--------+--------+-- ... --+-------------------------+
#   |        |        |        |         |                         |
# node1    node2    node3    node4     nodeN                   gw (NAT)
# .11      .12      .13      .14       .10+N                   lan: .1
#                                                               | masquerade
#                                                               | out of "lan"
#            segment "home": bridge in "sw-home"  192.168.77.0/24
#   +-----------------------------------------------------------+
#   |
# natnode .2 (default via .1): reaches the lan, nobody reaches it
#
# With NETNS_INTERNET=1 the router's outside is a third segment "inet"
# (203.0.113.0/24, gw at .2) that a core router "isp" joins (.1) and routes
# to the lan (as .254): lan nodes then see the NAT node as 203.0.113.2.
#
# Every namespace belongs to a "holder": a long-lived `unshare --net --mount
# --uts` process that sleeps.  Nodes enter it with nsenter; there are no
# /run/netns names, so nothing here can touch a namespace we did not create,
# and when the holder and everything inside it dies, the kernel frees the
# namespace.  Each node's mount namespace has its own tmpfs on /run (so
# /run/mesh/{nss,meshd}.sock are the node's), and bind mounts of its own
# /etc/nsswitch.conf ("hosts: files mesh [!UNAVAIL=return] dns"), /etc/hosts
# and /etc/resolv.conf; its state dir and config are in $NETNS_DIR/NAME.
# Holders watch the owning shell and clean up if it dies without teardown.
#
#   netns_init              make $NETNS_DIR, arm the teardown trap
#   seg_add SEG P4 [P6]     a segment: seg_add lan 10.77.1 fd77:1
#   node_add NAME SEG HOST  a node at P4.HOST (and P6::HOST)
#   router_add NAME; router_attach NAME SEG HOST; router_nat NAME IN OUT
#   router_nat_fw NAME IN OUT [FLAGS]   the same with a home router's firewall
#   seg_gateway SEG IP      default route for nodes added to SEG afterwards
#   seg_static_arp SEG      permanent ARP entries (for dozens of nodes)
#   node_exec NAME CMD...   run in the node's net+mount+uts namespaces
#   node_getent NAME ARGS   getent through the node's nsswitch.conf
#   node_conf NAME [LINES]  write its meshd.conf; node_meshctl NAME ARGS
#   members_json NODE; field_of VIEWER NAME FIELD; counter NODE NAME
#                           what NODE's meshctl says: its members, one
#                           field of one ("absent", "badjson"), one overlay
#                           counter (0 when meshd does not answer)
#   start_meshd / stop_meshd / kill_meshd / restart_meshd NAME
#   node_kill NAME SIGNAL [COMM]   signal what runs inside a node
#   netns_teardown          kill everything inside, remove $NETNS_DIR

: "${top_builddir:=.}" "${top_srcdir:=.}"

netns_skip() { echo "SKIP: $*"; exit 77; }
netns_fail() { echo "FAIL: $*" >&2; exit 1; }
netns_log() { [ -n "${NETNS_QUIET:-}" ] || echo "# $*"; }
# ms: monotonic enough milliseconds (wall clock, as tests/lib.sh).
netns_ms() { date +%s%3N; }

netns_need() {
	[ "$(id -u)" = 0 ] || netns_skip "needs root (network and mount namespaces)"
	for c in ip unshare nsenter mount "$@"; do
		command -v "$c" >/dev/null 2>&1 || netns_skip "needs $c"
	done
}

# Absolute build paths: meshd, meshctl, the module glibc dlopens by name.
netns_paths() {
	NETNS_BUILD=$(cd "$top_builddir" && pwd)
	MESHD=$NETNS_BUILD/meshd
	MESHCTL=$NETNS_BUILD/meshctl/meshctl
	NETNS_LIBDIR=$NETNS_BUILD/nss/.libs
	NETNS_PRELOAD=
	if [ -f "$NETNS_LIBDIR/libnss_mesh.so.2" ] &&
	    readelf -d "$NETNS_LIBDIR/libnss_mesh.so.2" 2>/dev/null | grep -q libasan; then
		# An ASan module needs its runtime first in line in getent.
		NETNS_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so)
	fi
}

# overlay_available: meshctl knows the issue 3 commands.
overlay_available() {
	"$MESHCTL" -h 2>/dev/null | grep -q '^ *meshctl members'
}

# netns_init [DIR]: a fresh directory (or DIR, made here) for this topology.
# NETNS_PERSIST=1 (the demo): no trap, holders outlive this shell.
netns_init() {
	netns_paths
	if [ -n "${1:-}" ]; then
		NETNS_DIR=$1
		[ ! -e "$NETNS_DIR" ] || netns_fail "$NETNS_DIR exists: tear it down first"
		mkdir -p "$NETNS_DIR"
	else
		NETNS_DIR=$(mktemp -d /tmp/mesh-netns.XXXXXX)
	fi
	# Nodes mount a tmpfs on /run before their bind mounts from here.
	case $NETNS_DIR in /run/*) netns_fail "NETNS_DIR must not be under /run" ;; esac
	: > "$NETNS_DIR/holders"
	if [ -n "${NETNS_PERSIST:-}" ]; then
		NETNS_OWNER=0
	else
		NETNS_OWNER=$$
		# The status shows in the log: a script that ended early (a
		# failing command under an exit) then says so.
		trap '_rc=$?; [ $_rc = 0 ] || echo "# exit status $_rc"
			netns_teardown 2>/dev/null' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
	NETNS_NAT=${NETNS_NAT:-}
	if [ -z "$NETNS_NAT" ]; then
		if command -v nft >/dev/null 2>&1; then NETNS_NAT=nft
		elif command -v iptables >/dev/null 2>&1; then NETNS_NAT=iptables
		else netns_skip "needs nft or iptables for the NAT"; fi
	fi
}

# netns_attach DIR: use a topology another shell made (demo: poke, down).
netns_attach() {
	netns_paths
	NETNS_DIR=$1
	[ -f "$NETNS_DIR/holders" ] || netns_fail "no topology in $NETNS_DIR"
}

_pid() {
	[ -f "$NETNS_DIR/$1/pid" ] || netns_fail "no namespace '$1' here"
	cat "$NETNS_DIR/$1/pid"
}

# _holder NAME MOUNTS: start the holder (MOUNTS=yes: private /run and /etc).
_holder() {
	_hd=$NETNS_DIR/$1
	mkdir -p "$_hd"
	if [ "$2" = yes ]; then
		sed '/^hosts:/d' /etc/nsswitch.conf > "$_hd/nsswitch.conf"
		echo 'hosts: files mesh [!UNAVAIL=return] dns' >> "$_hd/nsswitch.conf"
		printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' > "$_hd/hosts"
		# No resolver: a leaked .mesh name fails fast instead of waiting.
		echo 'nameserver 127.0.0.1' > "$_hd/resolv.conf"
	fi
	# shellcheck disable=SC2016
	unshare --net --mount --uts --propagation private sh -c '
		name=$1 _hd=$2 mounts=$3 owner=$4
		hostname "$name"
		ip link set lo up
		if [ "$mounts" = yes ]; then
			mount -t tmpfs -o mode=0755 tmpfs /run &&
			mkdir -p /run/mesh &&
			mount --bind "$_hd/nsswitch.conf" /etc/nsswitch.conf &&
			mount --bind "$_hd/hosts" /etc/hosts &&
			mount --bind "$_hd/resolv.conf" /etc/resolv.conf || exit 1
		fi
		readlink /proc/$$/ns/net > "$_hd/netns"
		echo $$ > "$_hd/pid.new" && mv "$_hd/pid.new" "$_hd/pid"
		[ "$owner" = 0 ] && exec sleep infinity
		# The owner died without tearing down: take our namespace with us.
		while kill -0 "$owner" 2>/dev/null; do sleep 1; done
		me=$(readlink /proc/$$/ns/net)
		for p in /proc/[0-9]*; do
			[ "${p#/proc/}" = $$ ] && continue
			[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] &&
				kill -9 "${p#/proc/}" 2>/dev/null
		done
		rm -rf "${_hd%/*}"
		exit 0' holder "$1" "$_hd" "$2" "$NETNS_OWNER" \
		< /dev/null > /dev/null 2> "$_hd/holder.err" &
	for _ in $(seq 1 200); do
		[ -f "$_hd/pid" ] && break
		kill -0 $! 2>/dev/null || { cat "$_hd/holder.err" >&2; netns_fail "namespace $1 did not start"; }
		sleep 0.01
	done
	[ -f "$_hd/pid" ] || netns_fail "namespace $1 did not start"
	echo "$1" >> "$NETNS_DIR/holders"
}

# _in NAME CMD...: run in NAME's namespaces (no environment changes).
_in() {
	_p=$(_pid "$1"); shift
	nsenter -t "$_p" -n -m -u -- "$@"
}

# seg_add SEG P4 [P6]: a segment P4.0/24 (and P6::/64): a bridge in "sw-SEG".
seg_add() {
	_holder "sw-$1" no
	_in "sw-$1" ip link add br0 type bridge || netns_fail "no bridge for $1"
	_in "sw-$1" ip link set br0 up
	echo "$2 ${3:-}" > "$NETNS_DIR/sw-$1/prefix"
	echo 0 > "$NETNS_DIR/sw-$1/ports"
}

seg_gateway() { echo "$2" > "$NETNS_DIR/sw-$1/gateway"; }

# _plug NAME SEG HOST IFNAME: a veth from the segment's bridge into NAME.
_plug() {
	_s=$NETNS_DIR/sw-$2
	[ -f "$_s/prefix" ] || netns_fail "no segment $2"
	_pn=$(($(cat "$_s/ports") + 1)); echo "$_pn" > "$_s/ports"
	read -r _p4 _p6 < "$_s/prefix"
	_in "sw-$2" ip link add "p$_pn" type veth peer name "$4" netns "$(_pid "$1")" ||
		netns_fail "cannot plug $1 into $2"
	_in "sw-$2" ip link set "p$_pn" master br0 up
	_in "$1" ip addr add "$_p4.$3/24" dev "$4"
	[ -z "$_p6" ] || _in "$1" ip -6 addr add "$_p6::$3/64" dev "$4" nodad
	_in "$1" ip link set "$4" up
	echo "$1 $4 $_p4.$3" >> "$_s/members"
}

# seg_static_arp SEG: permanent ARP entries between all of SEG's members
# (call it again after adding one).  The kernel's neighbour table is one for
# all namespaces, and its limit (net.ipv4.neigh.default.gc_thresh3, 1024,
# settable in the host's namespace only) counts every namespace's entries:
# 50 nodes that all talk to each other overflow it, and then every
# namespace on the machine loses packets to new neighbours.  Permanent
# entries do not count against it.
seg_static_arp() {
	_s=$NETNS_DIR/sw-$1
	: > "$_s/arp"
	while read -r _an _ai _aip; do
		# Not /sys/class/net: that sysfs is the host's.
		_mac=$(_in "$_an" ip -o link show dev "$_ai" | sed 's/.*link\/ether \([^ ]*\).*/\1/')
		echo "$_aip $_mac" >> "$_s/arp"
	done < "$_s/members"
	while read -r _an _ai _aip; do
		awk -v me="$_aip" -v dev="$_ai" '$1 != me {
			printf "neigh replace %s lladdr %s dev %s nud permanent\n", $1, $2, dev }' \
			"$_s/arp" > "$_s/arp.batch"
		_in "$_an" ip -batch "$_s/arp.batch" || netns_fail "static ARP in $_an"
	done < "$_s/members"
}

# node_add NAME SEG HOST: a node (own /run, /etc files, state dir) at P4.HOST.
node_add() {
	_holder "$1" yes
	_plug "$1" "$2" "$3" eth0
	if [ -f "$NETNS_DIR/sw-$2/gateway" ]; then
		_in "$1" ip route add default via "$(cat "$NETNS_DIR/sw-$2/gateway")"
	fi
	read -r _p4 _ < "$NETNS_DIR/sw-$2/prefix"
	echo "$_p4.$3" > "$NETNS_DIR/$1/ip"
	echo "$1" >> "$NETNS_DIR/nodes"
}

# node_ip NAME: its address on its segment.
node_ip() { cat "$NETNS_DIR/$1/ip"; }
nodes() { cat "$NETNS_DIR/nodes" 2>/dev/null; }

router_add() {
	_holder "$1" no
	_in "$1" sysctl -qw net.ipv4.ip_forward=1
	_in "$1" sysctl -qw net.ipv6.conf.all.forwarding=1
}

# router_attach ROUTER SEG HOST: interface named SEG at P4.HOST.
router_attach() { _plug "$1" "$2" "$3" "$2"; }

# router_nat ROUTER INSIDE OUTSIDE: masquerade what leaves by OUTSIDE, and
# forward into INSIDE only what answers a flow from inside, as a home router.
router_nat() {
	if [ "$NETNS_NAT" = nft ]; then
		_in "$1" nft -f - <<NFT || netns_fail "nft rules in $1"
table ip meshnat {
	chain masq {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$3" masquerade
	}
	chain guard {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "$2" oifname "$3" accept
	}
}
NFT
	else
		_in "$1" iptables -t nat -A POSTROUTING -o "$3" -j MASQUERADE &&
		_in "$1" iptables -P FORWARD DROP &&
		_in "$1" iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT &&
		_in "$1" iptables -A FORWARD -i "$2" -o "$3" -j ACCEPT ||
			netns_fail "iptables rules in $1"
	fi
	_in "$1" sysctl -qw net.ipv6.conf.all.forwarding=0
}

# router_nat_fw ROUTER INSIDE OUTSIDE [FLAGS]: router_nat (nftables only),
# and what comes in by OUTSIDE unasked for the router itself is dropped, as
# a home router's firewall does.  FLAGS go to masquerade: "random,fully-random"
# makes it port-randomising.  The input rule matters for hole punching: a
# router that answers an unsolicited probe itself keeps a conntrack entry for
# it, and its masquerade then gives its own member's probe to that peer
# another port (see doc/overlay.md, "Linux's race").
router_nat_fw() {
	[ "$NETNS_NAT" = nft ] || netns_skip "router_nat_fw needs nft"
	_in "$1" nft -f - <<NFT || netns_fail "nft rules in $1"
table ip meshnat {
	chain masq {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$3" masquerade ${4:-}
	}
	chain guard {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "$2" oifname "$3" accept
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "$3" ct state new drop
	}
}
NFT
	_in "$1" sysctl -qw net.ipv6.conf.all.forwarding=0
}

# topo_standard N: N nodes node1..nodeN on "lan", a NAT router "gw" and
# "natnode" behind it (see the diagram at the top).
topo_standard() {
	seg_add lan 10.77.1 fd77:1
	seg_add home 192.168.77 fd77:2
	router_add gw
	router_attach gw home 1
	if [ -n "${NETNS_INTERNET:-}" ]; then
		seg_add inet 203.0.113
		router_add isp
		router_attach isp inet 1
		router_attach isp lan 254
		router_attach gw inet 2
		_in gw ip route add default via 203.0.113.1
		router_nat gw home inet
		seg_gateway lan 10.77.1.254
	else
		router_attach gw lan 1
		router_nat gw home lan
	fi
	seg_gateway home 192.168.77.1
	_i=1
	while [ "$_i" -le "$1" ]; do
		node_add "node$_i" lan $((10 + _i))
		_i=$((_i + 1))
	done
	node_add natnode home 2
	# Immune to a full neighbour table (another test's 50 nodes, say).
	seg_static_arp lan
	seg_static_arp home
	[ -z "${NETNS_INTERNET:-}" ] || seg_static_arp inet
}

# node_exec NAME CMD...: in NAME's namespaces, with the build's meshd and
# meshctl first on PATH and libnss_mesh.so.2 where glibc looks for it.
node_exec() {
	_p=$(_pid "$1"); shift
	# nsenter -m would start in /; keep our directory (not under the
	# node's private /run).
	_wd=/
	case $PWD in /run|/run/*) ;; *) _wd=$PWD ;; esac
	nsenter -t "$_p" -n -m -u --wd="$_wd" -- env \
		PATH="$NETNS_BUILD:$PATH" \
		LD_LIBRARY_PATH="$NETNS_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		"$@"
}

node_getent() {
	_gn=$1; shift
	if [ -n "$NETNS_PRELOAD" ]; then
		node_exec "$_gn" env LD_PRELOAD="$NETNS_PRELOAD" \
			ASAN_OPTIONS=detect_leaks=0 getent "$@"
	else
		node_exec "$_gn" getent "$@"
	fi
}

# node_conf NAME [LINE...]: its meshd.conf: state dir, UDP port, extra lines.
node_conf() {
	_d=$NETNS_DIR/$1; shift
	{
		echo "# written by tests/netns/lib.sh"
		echo "state_dir = $_d/state"
		echo "user = root"	# root-owned state: never drop to a mesh user
		[ "${NETNS_LISTEN:-}" = none ] || echo "listen = ${NETNS_LISTEN:-[::]:51830}"
		for l; do echo "$l"; done
	} > "$_d/meshd.conf"
}

node_meshctl() {
	_cn=$1; shift
	node_exec "$_cn" "$MESHCTL" -c "$NETNS_DIR/$_cn/meshd.conf" "$@"
}

members_json() { node_meshctl "$1" members --json 2>/dev/null; }
field_of() {
	members_json "$1" | python3 -c '
import json, sys
try:
    ms = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit(0)
for m in ms:
    if m.get("name") in (sys.argv[1], sys.argv[1] + ".mesh"):
        print(m.get(sys.argv[2])); sys.exit(0)
print("absent")' "$2" "$3"
}
counter() {
	node_meshctl "$1" --json status 2>/dev/null | python3 -c '
import json, sys
try:
    print(json.load(sys.stdin)["agent"]["counters"]["overlay"].get(sys.argv[1], 0))
except (ValueError, KeyError):
    print(0)' "$2"
}

# _alive PID: running, not a zombie.
_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	case $(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) in
	Z*|X*|'') return 1 ;;
	esac
}

meshd_pid() { cat "$NETNS_DIR/$1/meshd.pid" 2>/dev/null; }

# netns_stamper: the path of a perl filter that starts each line with the
# unix ms it passed through (written on first use).
netns_stamper() {
	[ -f "$NETNS_DIR/stamp.pl" ] || echo 'use Time::HiRes qw(time); $| = 1;
while (<STDIN>) { printf "%d %s", time * 1000, $_ }' > "$NETNS_DIR/stamp.pl"
	echo "$NETNS_DIR/stamp.pl"
}

# start_meshd NAME: start it in the node; return once it answers meshctl.
# NETNS_STAMP=1: meshd.log goes through netns_stamper (bench/gossip.sh
# times Serf's log the same way).
start_meshd() {
	_d=$NETNS_DIR/$1
	[ -f "$_d/meshd.conf" ] || node_conf "$1"
	rm -f "$_d/meshd.pid"
	# shellcheck disable=SC2016
	# The redirections cover the background subshell too: it lives as
	# long as meshd and must not hold our caller's stdout (a pipe).
	if [ -n "${NETNS_STAMP:-}" ]; then
		node_exec "$1" bash -c 'echo $$ > "$1"
			exec "$2" -c "$3" 2> >(exec perl "$4")' meshd \
			"$_d/meshd.pid" "$MESHD" "$_d/meshd.conf" "$(netns_stamper)"
	else
		node_exec "$1" sh -c 'echo $$ > "$1"; exec "$2" -c "$3"' meshd \
			"$_d/meshd.pid" "$MESHD" "$_d/meshd.conf"
	fi < /dev/null >> "$_d/meshd.log" 2>&1 &
	echo $! > "$_d/meshd.job"
	_root=/proc/$(_pid "$1")/root
	for _ in $(seq 1 200); do
		[ -S "$_root/run/mesh/nss.sock" ] && [ -f "$_d/meshd.pid" ] && break
		kill -0 "$(cat "$_d/meshd.job")" 2>/dev/null || break
		sleep 0.025
	done
	# meshd binds its sockets first and answers once its state and TUN
	# are set up, which on a loaded machine can take longer than the
	# module waits (250 ms): return once meshctl gets an answer (any exit
	# status but 3, "no agent").
	for _ in $(seq 1 600); do
		node_meshctl "$1" status > /dev/null 2>&1
		[ $? != 3 ] && return 0
		kill -0 "$(cat "$_d/meshd.job")" 2>/dev/null || break
		sleep 0.05
	done
	tail -5 "$_d/meshd.log" >&2
	netns_fail "meshd in $1 did not start"
}

# _stop_meshd NAME SIGNAL
_stop_meshd() {
	_d=$NETNS_DIR/$1
	_mp=$(meshd_pid "$1")
	[ -n "$_mp" ] || return 0
	kill "-$2" "$_mp" 2>/dev/null
	for _ in $(seq 1 200); do _alive "$_mp" || break; sleep 0.025; done
	_alive "$_mp" && kill -9 "$_mp" 2>/dev/null
	wait "$(cat "$_d/meshd.job" 2>/dev/null)" 2>/dev/null
	rm -f "$_d/meshd.pid" "$_d/meshd.job"
}
stop_meshd() { _stop_meshd "$1" TERM; }
kill_meshd() { _stop_meshd "$1" KILL; }
restart_meshd() { stop_meshd "$1"; start_meshd "$1"; }

# wait_file PATH [SECONDS]: until PATH exists (default 30 s), e.g. a probe's
# PROBE_READY; fails the test when it never does.
wait_file() {
	_wf=$(($(netns_ms) + ${2:-30} * 1000))
	until [ -e "$1" ]; do
		[ "$(netns_ms)" -lt "$_wf" ] || netns_fail "no $1 after ${2:-30} s"
		sleep 0.02
	done
}

# wait_until MS CMD...: poll CMD every 50 ms (WAIT_STEP s) for MS ms;
# WAITED = ms taken.
wait_until() {
	_wlimit=$1; shift
	_wt0=$(netns_ms)
	while :; do
		if "$@" >/dev/null 2>&1; then
			WAITED=$(($(netns_ms) - _wt0))
			return 0
		fi
		WAITED=$(($(netns_ms) - _wt0))
		[ "$WAITED" -lt "$_wlimit" ] || return 1
		sleep "${WAIT_STEP:-0.05}"
	done
}

# netns_procs_in NETNS-ID: pids whose network namespace is that one.
netns_procs_in() {
	# One find, not a readlink per process: teardown of 50 nodes stays fast.
	_pat=$(printf '%s' "$1" | sed 's/[][*?\\]/\\&/g')
	find /proc/[0-9]*/ns/net -maxdepth 0 -lname "$_pat" 2>/dev/null | cut -d/ -f3
}

# node_kill NAME SIGNAL [COMM]: signal the processes inside NAME (but its
# holder), or only those whose command name is COMM.
node_kill() {
	_kh=$(_pid "$1")
	for _kp in $(netns_procs_in "$(cat "$NETNS_DIR/$1/netns")"); do
		[ "$_kp" = "$_kh" ] && continue
		[ -z "${3:-}" ] || [ "$(cat "/proc/$_kp/comm" 2>/dev/null)" = "$3" ] || continue
		kill "-$2" "$_kp" 2>/dev/null
	done
}

# netns_teardown: kill every process inside our namespaces, then the holders;
# remove $NETNS_DIR.  Safe to call twice and from the trap.
netns_teardown() {
	[ -n "${NETNS_DIR:-}" ] && [ -f "$NETNS_DIR/holders" ] || return 0
	_tids='' _thp=''
	for _th in $(cat "$NETNS_DIR/holders"); do
		[ -f "$NETNS_DIR/$_th/netns" ] && _tids="$_tids $(cat "$NETNS_DIR/$_th/netns")"
		[ -f "$NETNS_DIR/$_th/pid" ] && _thp="$_thp $(cat "$NETNS_DIR/$_th/pid")"
	done
	# Holders first (they fork sleeps), then whatever is left inside:
	# meshd, pollers, serf ...  Only processes in our namespaces.
	for _tp in $_thp; do kill -9 "$_tp" 2>/dev/null; done
	for _ in $(seq 1 100); do
		_tleft=
		for _tid in $_tids; do
			for _tp in $(netns_procs_in "$_tid"); do
				_tleft=1
				kill -9 "$_tp" 2>/dev/null
			done
		done
		for _tp in $_thp; do _alive "$_tp" && _tleft=1; done
		[ -z "$_tleft" ] && break
		sleep 0.02
	done
	{ wait; } 2>/dev/null
	NETNS_LAST_IDS=$_tids
	rm -rf "$NETNS_DIR"
	NETNS_DIR=
}
