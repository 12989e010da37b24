#!/bin/sh
# The main job of issues 3, 9 and 10: a demo mesh of meshd nodes in network
# namespaces on this machine, joined by invite, two of them behind NATs of
# their own; it shows phone and tablet punching a direct path between their
# NATs (`meshctl status tablet` on phone, before and after), and ends with
# sshd in server-a and a real `ssh server-a.mesh` from phone.
#
#   scripts/demo-mesh.sh [up]            build, start the mesh, show it
#   scripts/demo-mesh.sh exec NODE CMD   run CMD inside NODE
#   scripts/demo-mesh.sh shell NODE      a shell inside NODE
#   scripts/demo-mesh.sh stop|start NODE stop or start NODE's meshd
#   scripts/demo-mesh.sh down            tear it all down
#
#        server-a   server-b   laptop   nas          gw (NAT)   gw2 (NAT)
#        10.77.1.11 .12        .13      .14          .1 |       .2 |
#   ------+----------+----------+--------+-----------+--+-------+--+ lan 10.77.1.0/24
#                                                       |          |
#                                      phone 192.168.77.2          tablet 192.168.78.2
#                                      (each reaches out only; port-preserving masquerade)
#
# Each node has its own network, mount and UTS namespace: its own /run/mesh,
# its own /etc/nsswitch.conf ("hosts: files mesh [!UNAVAIL=return] dns") and
# /etc/hosts, its own state dir under /tmp/nss-mesh-demo/NODE.  Nothing on
# the host changes: no interface, route, file or mount outside that
# directory.  The namespaces live until `down` (or a reboot).
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
top_srcdir=$top top_builddir=$top
NETNS_LIB=$top/tests/netns/lib.sh
. "$NETNS_LIB"
DEMO_DIR=${MESH_DEMO_DIR:-/tmp/nss-mesh-demo}
LAN="server-a server-b laptop nas"
NATED="phone tablet"
ALL="$LAN $NATED"
me=$0

die() { echo "demo-mesh: $*" >&2; exit 1; }
run() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
[ "$(id -u)" = 0 ] || die "needs root (it makes network and mount namespaces): $me $*"

up() {
	[ ! -e "$DEMO_DIR" ] || die "a demo mesh is already up in $DEMO_DIR ($me down first)"
	scripts/install-deps.sh || die "could not install the build dependencies"
	for c in ip unshare nsenter getent python3; do
		command -v "$c" > /dev/null || die "needs $c (scripts/install-deps.sh installs it)"
	done
	command -v nft > /dev/null || command -v iptables > /dev/null ||
		die "needs nft or iptables for the NAT (scripts/install-deps.sh)"
	echo "== building (log: /tmp/nss-mesh-build.log)"
	scripts/build.sh > /tmp/nss-mesh-build.log 2>&1 ||
		{ tail -30 /tmp/nss-mesh-build.log; die "build failed"; }
	netns_paths
	if ! overlay_available; then
		die "this build has no overlay yet (meshctl has no invite/join/members):
the demo mesh needs issue 3's overlay; until it lands, scripts/demo.sh shows one node."
	fi

	echo "== the network: 4 nodes on a segment, two NAT routers, a phone and a tablet behind them"
	NETNS_PERSIST=1 netns_init "$DEMO_DIR"
	NETNS_QUIET=1
	# Until it is all up, a failure takes the half-made mesh down with it.
	trap 'netns_teardown 2>/dev/null' EXIT
	seg_add lan 10.77.1 fd77:1
	seg_add home 192.168.77 fd77:2
	seg_add home2 192.168.78 fd77:3
	router_add gw
	router_attach gw lan 1
	router_attach gw home 1
	router_add gw2
	router_attach gw2 lan 2
	router_attach gw2 home2 1
	if [ "$NETNS_NAT" = nft ]; then
		# Home routers: unasked input dropped (doc/overlay.md, hole
		# punching: without it Linux's conntrack race can spoil it).
		router_nat_fw gw home lan
		router_nat_fw gw2 home2 lan
	else
		router_nat gw home lan
		router_nat gw2 home2 lan
	fi
	seg_gateway home 192.168.77.1
	seg_gateway home2 192.168.78.1
	i=11
	for n in $LAN; do node_add "$n" lan $i; i=$((i + 1)); done
	node_add phone home 2
	node_add tablet home2 2
	seg_static_arp lan	# no ARP: immune to a full kernel neighbour table
	seg_static_arp home
	seg_static_arp home2
	for n in $ALL; do
		# Inside a node, plain `meshctl` means this node's config.
		mkdir -p "$DEMO_DIR/$n/bin"
		printf '#!/bin/sh\nexec "%s" -c "%s" "$@"\n' "$MESHCTL" \
			"$DEMO_DIR/$n/meshd.conf" > "$DEMO_DIR/$n/bin/meshctl"
		chmod +x "$DEMO_DIR/$n/bin/meshctl"
	done

	echo "== server-a creates the network (its key, the CA) and starts meshd"
	node_conf server-a
	run "meshctl init --name server-a    # on server-a"
	node_meshctl server-a init --name server-a || die "meshctl init failed"
	start_meshd server-a
	for n in server-b laptop nas $NATED; do
		run "meshctl invite $n    # on server-a; then on $n: meshctl join TOKEN"
		tok=$(node_meshctl server-a invite "$n" --endpoint 10.77.1.11:51830 | tail -n 1) ||
			die "meshctl invite $n failed"
		echo "$tok"
		if [ "$n" = phone ] || [ "$n" = tablet ]; then
			node_conf "$n" "peer = 10.77.1.11:51830"
		else
			node_conf "$n"
		fi
		node_meshctl "$n" join "$tok" || die "meshctl join on $n failed"
		start_meshd "$n"
	done

	# Before: the first path phone has to tablet (through a relay, since
	# each NAT drops what the other sends unasked).
	t0=$(netns_ms)
	until [ "$(path_to phone tablet)" != none ]; do
		[ $(($(netns_ms) - t0)) -lt 20000 ] || break
		sleep 0.1
	done
	run "meshctl status tablet    # on phone, as soon as it reaches tablet at all"
	node_meshctl phone status tablet

	printf '\n== waiting until every node resolves every name'
	t0=$(netns_ms)
	while :; do
		missing=
		for a in $ALL; do
			for b in $ALL; do
				node_getent "$a" hosts "$b.mesh" > /dev/null 2>&1 || missing=1
			done
		done
		[ -z "$missing" ] && break
		[ $(($(netns_ms) - t0)) -lt 30000 ] || { echo; echo "demo-mesh: not every name resolves after 30 s (logs: $DEMO_DIR/*/meshd.log)"; break; }
		printf .
		sleep 0.2
	done
	echo " $(($(netns_ms) - t0)) ms"

	printf '== waiting until phone, behind the NAT, sees every member alive'
	t0=$(netns_ms)
	until [ "$(node_meshctl phone members --json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for m in json.load(sys.stdin) if m.get("state") == "alive"))' 2>/dev/null)" = 6 ]; do
		[ $(($(netns_ms) - t0)) -lt 30000 ] || { printf ' (not all after 30 s)'; break; }
		printf .
		sleep 0.2
	done
	echo " $(($(netns_ms) - t0)) ms"

	run "meshctl members    # on phone, behind the NAT"
	node_meshctl phone members

	printf '\n== waiting until phone and tablet punch a direct path through their NATs'
	printf '\n   (they tell each other their endpoints through the relay, then probe at once)'
	t0=$(netns_ms)
	until [ "$(path_to phone tablet)" = direct ] && [ "$(path_to tablet phone)" = direct ]; do
		[ $(($(netns_ms) - t0)) -lt 30000 ] || { printf ' (not direct after 30 s)'; break; }
		printf .
		sleep 0.2
	done
	echo " $(($(netns_ms) - t0)) ms"
	run "meshctl status tablet    # on phone, after punching"
	node_meshctl phone status tablet
	echo
	echo "== getent hosts NAME.mesh from every node, through glibc and libnss_mesh"
	echo "   (ok: the answer is the address NAME has in its own record)"
	for b in $ALL; do
		node_getent "$b" hosts "$b.mesh" 2> /dev/null | awk '{ print $1 }' > "$DEMO_DIR/$b/addr"
		printf '   %-14s %s\n' "$b.mesh" "$(cat "$DEMO_DIR/$b/addr")"
	done
	echo
	printf '   %-10s' "from \\ to"
	for b in $ALL; do printf ' %-9s' "$b"; done
	echo
	for a in $ALL; do
		printf '   %-10s' "$a"
		for b in $ALL; do
			r=$(node_getent "$a" hosts "$b.mesh" 2> /dev/null | awk '{ print $1 }')
			if [ -n "$r" ] && [ "$r" = "$(cat "$DEMO_DIR/$b/addr")" ]; then
				printf ' %-9s' ok
			else
				printf ' %-9s' "${r:-none}"
			fi
		done
		echo
	done
	ssh_demo
	trap - EXIT
	cat <<EOF

The demo mesh is up; its nodes keep running in the background.  Poke at it:

  $me exec phone ssh server-a.mesh      # a shell on server-a, from behind the NAT
  $me exec laptop ping -c 3 phone.mesh
  $me exec phone getent hosts server-a.mesh
  $me exec phone meshctl status tablet  # direct: punched through both NATs
  $me exec laptop meshctl members
  $me exec nas meshctl status
  $me shell server-b            # a shell inside server-b (exit to leave)
  $me stop laptop               # kill laptop's meshd: the others see it
  $me exec server-a meshctl members   #   suspect, then dead
  $me start laptop              # and back
  less $DEMO_DIR/laptop/meshd.log

Tear it down (kills every process in the namespaces, removes $DEMO_DIR):

  $me down
EOF
}

# ssh_demo: sshd in server-a (its own host key, root's key in $DEMO_DIR/ssh),
# an `ssh` in every node's bin that uses them, then a real ssh by name from
# phone, behind the NAT, to server-a: through mesh0, encrypted end to end.
ssh_demo() {
	S=$DEMO_DIR/ssh
	if [ ! -x /usr/sbin/sshd ] || ! command -v ssh > /dev/null; then
		echo "== (no sshd or ssh here: scripts/install-deps.sh installs openssh; no ssh shown)"
		return 0
	fi
	echo
	echo "== sshd in server-a, then a real ssh by name from phone (behind the NAT)"
	mkdir -p "$S"
	ssh-keygen -q -t ed25519 -N '' -C server-a-demo-host -f "$S/host_key" &&
	ssh-keygen -q -t ed25519 -N '' -C demo-mesh -f "$S/id" || die "ssh-keygen failed"
	cp "$S/id.pub" "$S/authorized_keys"
	cat > "$S/sshd_config" <<SSHD
ListenAddress ::
HostKey $S/host_key
AuthorizedKeysFile $S/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
SSHD
	# Trust on first use, by name; the host's own ~/.ssh stays untouched.
	cat > "$S/ssh_config" <<SSH
Host *.mesh
	User root
	IdentityFile $S/id
	UserKnownHostsFile $S/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking accept-new
	ConnectTimeout 10
	LogLevel ERROR
SSH
	for n in $ALL; do
		printf '#!/bin/sh\nexec /usr/bin/ssh -F "%s" "$@"\n' "$S/ssh_config" \
			> "$DEMO_DIR/$n/bin/ssh"
		chmod +x "$DEMO_DIR/$n/bin/ssh"
	done
	node_exec server-a sh -c 'mkdir -p /run/sshd && chmod 0755 /run/sshd &&
		exec /usr/sbin/sshd -f "$1" -D -e' sshd "$S/sshd_config" \
		< /dev/null >> "$S/sshd.log" 2>&1 &
	for _ in $(seq 1 100); do
		node_exec server-a sh -c 'ss -Hltn | grep -q ":22 "' && break
		sleep 0.05
	done
	# shellcheck disable=SC2016
	run 'ssh server-a.mesh '\''echo hello from $(hostname), you are $SSH_CLIENT'\''    # on phone'
	t0=$(netns_ms)
	# shellcheck disable=SC2016
	if in_node phone ssh -o BatchMode=yes server-a.mesh \
	    'echo hello from $(hostname), you are $SSH_CLIENT' < /dev/null; then
		echo "   ($(($(netns_ms) - t0)) ms.  phone's getaddrinfo asked libnss_mesh for server-a.mesh;"
		echo "    the TCP connection went into phone's mesh0 and, encrypted end to end in phone's"
		echo "    session with server-a, out of the NAT; sshd saw phone's overlay address)"
	else
		echo "demo-mesh: the ssh from phone to server-a.mesh failed" \
			"(logs: $DEMO_DIR/*/meshd.log, $S/sshd.log)"
	fi
}

# path_to A B: how A reaches B now: direct, relayed or none.
path_to() {
	node_meshctl "$1" --json status "$2" 2>/dev/null | python3 -c '
import json, sys
try:
    l = json.load(sys.stdin).get("link") or {}
except ValueError:
    l = {}
print("direct" if l.get("direct") else "relayed" if l.get("relay") else "none")'
}

attach() {
	[ -f "$DEMO_DIR/holders" ] || die "no demo mesh is up ($me)"
	netns_attach "$DEMO_DIR"
}
node_ok() {
	case " $ALL " in *" $1 "*) ;; *) die "no node '$1' (nodes: $ALL)" ;; esac
}
in_node() {
	n=$1; shift
	node_exec "$n" env PATH="$DEMO_DIR/$n/bin:$NETNS_BUILD:$PATH" "$@"
}

cmd=${1:-up}
[ $# -gt 0 ] && shift
case $cmd in
up)	up ;;
down)
	if [ ! -f "$DEMO_DIR/holders" ]; then echo "demo-mesh: nothing to tear down"; exit 0; fi
	netns_attach "$DEMO_DIR"
	netns_teardown
	echo "demo-mesh: torn down (no namespace, process or file of the demo is left)" ;;
exec)
	[ $# -ge 2 ] || die "usage: $me exec NODE CMD..."
	attach; node_ok "$1"
	in_node "$@" ;;
shell)
	[ $# = 1 ] || die "usage: $me shell NODE"
	attach; node_ok "$1"
	echo "demo-mesh: a shell in $1; meshctl, getent and ip see $1's world; exit to leave"
	in_node "$1" env PS1="[$1] \\w# " "${SHELL:-/bin/sh}" ;;
stop)
	[ $# = 1 ] || die "usage: $me stop NODE"
	attach; node_ok "$1"; kill_meshd "$1"; echo "demo-mesh: meshd on $1 killed" ;;
start)
	[ $# = 1 ] || die "usage: $me start NODE"
	attach; node_ok "$1"
	[ -n "$(meshd_pid "$1")" ] && _alive "$(meshd_pid "$1")" && die "meshd on $1 is running"
	start_meshd "$1"; echo "demo-mesh: meshd on $1 started" ;;
*)	sed -n '4,9p' "$me"; exit 2 ;;
esac
