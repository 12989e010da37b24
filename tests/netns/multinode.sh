#!/bin/sh
# Issue 3 item 7: real meshd processes in network namespaces.
#
#   node1..node5 on one segment, natnode behind a NAT that peers outward only
#   (see the diagram in tests/netns/lib.sh), and "evil", not a member, on the
#   segment.  node1 runs `meshctl init`; the others join with invite tokens.
#   Then: every node resolves every name through getent; `meshctl members
#   --json` shows all six alive everywhere; a killed node is seen dead by all
#   others; restarted, it is alive and resolvable again; a node cut off from
#   the network is seen dead and comes back when the network does; a node
#   renumbered under its running meshd is found at its new address; a 6 s
#   flood at node2's port costs it no peer; random, replayed,
#   truncated and bit-flipped packets at node2's UDP port (from evil, and
#   replays spoofed from their real senders) move nothing but drop counters.
#
# Deadlines (ms) can be raised from the environment for slow machines:
#   MESH_MN_RESOLVE_MS (20000)  MESH_MN_DEAD_MS (60000)  MESH_MN_ALIVE_MS (20000)
. "$top_srcdir/tests/netns/lib.sh"
netns_need python3 getent readelf
netns_paths
[ -x "$MESHD" ] || netns_fail "no meshd in $top_builddir"
overlay_available || netns_skip "overlay not available (meshctl has no 'members')"
PROBE=$(cd "$top_srcdir" && pwd)/tests/netns/probe.py
RESOLVE_MS=${MESH_MN_RESOLVE_MS:-20000}
DEAD_MS=${MESH_MN_DEAD_MS:-60000}
ALIVE_MS=${MESH_MN_ALIVE_MS:-20000}
PORT=51830
MEMBERS="node1 node2 node3 node4 node5 natnode"

pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else bad "$desc"; return 1; fi; }
logs() {
	for n in $MEMBERS; do
		echo "--- $n: meshd.log (last 15 lines)"
		tail -15 "$NETNS_DIR/$n/meshd.log" 2>/dev/null
	done
}
die() { echo "FAIL - $*"; logs; exit 1; }

# state_of VIEWER NAME: NAME's state as VIEWER sees it ("absent" if unknown).
state_of() {
	members_json "$1" | python3 -c '
import json, sys
want = sys.argv[1]
try:
    ms = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit(0)
for m in ms:
    if m.get("name") in (want, want + ".mesh"):
        print(m.get("state")); sys.exit(0)
print("absent")' "$2"
}

# all_alive NODE: NODE's members list has every member, each alive.
all_alive() {
	members_json "$1" | python3 -c '
import json, sys
want = set(sys.argv[1:])
ms = json.load(sys.stdin)
seen = {m.get("name", "").removesuffix(".mesh"): m.get("state") for m in ms}
sys.exit(0 if all(seen.get(w) == "alive" for w in want) else 1)' $MEMBERS
}

# resolves VIEWER NAME: VIEWER's getent gives NAME.mesh its address.
resolves() {
	_got=$(node_getent "$1" hosts "$2.mesh" 2>/dev/null)
	[ "${_got%% *}" = "$(cat "$NETNS_DIR/$2/addr")" ]
}

# all_resolve: every member resolves every member; lists what does not.
all_resolve() {
	_missing=
	for a in $MEMBERS; do
		for b in $MEMBERS; do
			resolves "$a" "$b" || _missing="$_missing $a->$b"
		done
	done
	MISSING=$_missing
	[ -z "$_missing" ]
}

# drops NODE: the sum of its "drop*" counters; counters NODE: all, flattened.
counters() {
	node_meshctl "$1" --json status | python3 -c '
import json, sys
def walk(p, v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(p + [k], x)
    elif isinstance(v, int) and not isinstance(v, bool):
        print(".".join(p), v)
walk([], json.load(sys.stdin).get("agent", {}).get("counters", {}))'
}
drops() { counters "$1" | awk 'tolower($1) ~ /drop/ { s += $2 } END { print s + 0 }'; }

netns_init
t0=$(netns_ms)
NETNS_QUIET=1 topo_standard 5
node_add evil lan 66
seg_static_arp lan
ok "topology: 5 nodes on the lan, natnode behind gw's NAT, evil ($(($(netns_ms) - t0)) ms)"

# --- admission: init, invite, join ------------------------------------------------
node_conf node1
addr=$(node_meshctl node1 init --name node1 2>"$NETNS_DIR/node1/init.err" | tail -n 1) ||
	{ cat "$NETNS_DIR/node1/init.err"; die "meshctl init on node1"; }
start_meshd node1
for n in node2 node3 node4 node5 natnode; do
	tok=$(node_meshctl node1 invite "$n" --ttl 600 \
		--endpoint "$(node_ip node1):$PORT" 2> "$NETNS_DIR/$n/invite.err" | tail -n 1)
	[ -n "$tok" ] || { cat "$NETNS_DIR/$n/invite.err"; die "meshctl invite $n on node1"; }
	if [ "$n" = natnode ]; then
		# It cannot be reached: it is in the mesh through its own sessions.
		node_conf "$n" "peer = $(node_ip node1):$PORT"
	else
		node_conf "$n"
	fi
	node_meshctl "$n" join "$tok" > "$NETNS_DIR/$n/join.out" 2>&1 ||
		{ cat "$NETNS_DIR/$n/join.out"; die "meshctl join on $n"; }
	check "$n joined: node.cert and peers in its state dir" eval \
		'[ -s "$NETNS_DIR/$n/state/node.cert" ] && [ -s "$NETNS_DIR/$n/state/peers" ]'
	start_meshd "$n"
done
tok=$(node_meshctl node1 invite spare --ttl 600 2>/dev/null | tail -n 1)
node_conf evil
node_meshctl evil join "$tok" > "$NETNS_DIR/evil/join1.out" 2>&1
check "an invite redeemed from a fresh machine (evil, as 'spare')" [ $? = 0 ]
sed -i "s|/evil/state\$|/evil/state2|" "$NETNS_DIR/evil/meshd.conf"
node_meshctl evil join "$tok" > "$NETNS_DIR/evil/join2.out" 2>&1
check "the same token again, from another fresh state dir: refused" [ $? != 0 ]
rm -rf "$NETNS_DIR/evil/state" "$NETNS_DIR/evil/state2"
t_started=$(netns_ms)
echo "# all 6 meshd started $((t_started - t0)) ms into the test"

for n in $MEMBERS; do
	node_meshctl "$n" --json status | python3 -c '
import json, sys; print(json.load(sys.stdin)["node"]["address"])' \
		> "$NETNS_DIR/$n/addr" 2>/dev/null
	[ -s "$NETNS_DIR/$n/addr" ] || die "no overlay address for $n"
done
check "node1's address from init is the one status shows" \
	[ "$addr" = "$(cat "$NETNS_DIR/node1/addr")" ]

# --- names and members everywhere ------------------------------------------------------
if wait_until "$RESOLVE_MS" all_resolve; then
	ok "every node resolves every name (36 lookups) $(($(netns_ms) - t_started)) ms after the last meshd started"
else
	all_resolve
	bad "not every name resolves within $RESOLVE_MS ms; missing:$MISSING"
fi
for n in $MEMBERS; do
	if wait_until "$ALIVE_MS" all_alive "$n"; then
		ok "members --json on $n: all 6 alive (waited $WAITED ms)"
	else
		bad "members --json on $n: not all 6 alive"
		members_json "$n"
	fi
done
node_meshctl node1 members > "$NETNS_DIR/members.txt" 2>&1
check "meshctl members prints a table" grep -q 'node5' "$NETNS_DIR/members.txt"
cat "$NETNS_DIR/members.txt" | sed 's/^/#   /'
check "reverse lookup: node1 maps natnode's address to its name" eval \
	'node_getent node1 hosts "$(cat "$NETNS_DIR/natnode/addr")" | grep -q natnode.mesh'
node_getent node2 hosts nobody.mesh > /dev/null; rc=$?
check "an unknown .mesh name is not found (exit $rc)" [ "$rc" = 2 ]

# --- a killed node is seen dead, a restarted one comes back ----------------------------
kill_meshd node3
t_kill=$(netns_ms)
for n in node1 node2 node4 node5 natnode; do
	left=$((DEAD_MS - ($(netns_ms) - t_kill)))
	[ "$left" -gt 0 ] || left=1
	if wait_until "$left" eval '[ "$(state_of '"$n"' node3)" = dead ]'; then
		ok "$n sees node3 dead $(($(netns_ms) - t_kill)) ms after kill -9"
	else
		bad "$n does not see node3 dead within $DEAD_MS ms (state: $(state_of "$n" node3))"
	fi
done
logged=
for n in node1 node2 node4 node5 natnode; do
	grep -q "member node3 is dead" "$NETNS_DIR/$n/meshd.log" && logged="$logged $n"
done
check "each one logged 'member node3 is dead' (${logged# })" \
	[ "$logged" = " node1 node2 node4 node5 natnode" ]
start_meshd node3
t_back=$(netns_ms)
for n in node1 node2 node4 node5 natnode; do
	left=$((ALIVE_MS - ($(netns_ms) - t_back)))
	[ "$left" -gt 0 ] || left=1
	if wait_until "$left" eval '[ "$(state_of '"$n"' node3)" = alive ]'; then
		ok "$n sees node3 alive again $(($(netns_ms) - t_back)) ms after restart"
	else
		bad "$n does not see node3 alive again (state: $(state_of "$n" node3))"
	fi
done
if wait_until "$ALIVE_MS" all_resolve; then
	ok "after the restart every name resolves everywhere again ($WAITED ms)"
else
	bad "after the restart, missing:$MISSING"
fi

# --- the network goes away and comes back -------------------------------------------
# node4 loses every packet both ways (a firewall in its namespace, as a
# pulled cable or a dead Wi-Fi would), long enough to be seen dead; then the
# network returns and nothing is restarted.
# all_see_alive NAME: every other member's view of NAME is "alive".  A
# function, not an eval'd loop: wait_until runs its command in this shell,
# where an "exit 1" for a member not there yet ended the whole test.
all_see_alive() {
	for _n in $MEMBERS; do
		[ "$_n" = "$1" ] || [ "$(state_of "$_n" "$1")" = alive ] || return 1
	done
}
cut_off() {	# not "cut": lib.sh uses cut(1)
	node_exec node4 nft -f - <<'EOT'
table inet mn_cut {
	chain in { type filter hook input priority -10; policy drop; }
	chain out { type filter hook output priority -10; policy drop; }
}
EOT
}
if command -v nft > /dev/null 2>&1 && cut_off; then
	t_cut=$(netns_ms)
	if wait_until "$DEAD_MS" eval '[ "$(state_of node1 node4)" = dead ]'; then
		ok "node4 cut off: node1 sees it dead $(($(netns_ms) - t_cut)) ms later"
	else
		bad "node4 cut off: node1 still sees it $(state_of node1 node4)"
	fi
	node_exec node4 nft delete table inet mn_cut
	t_back=$(netns_ms)
	if wait_until "$ALIVE_MS" all_alive node4 && wait_until "$ALIVE_MS" all_see_alive node4; then
		ok "the network is back: node4 and every member see each other alive ($(($(netns_ms) - t_back)) ms)"
	else
		bad "the network is back, but not every session came back"
	fi
else
	bad "cannot cut node4 off with nft"
fi

# --- an address changes --------------------------------------------------------------
# node5 is renumbered under its running meshd (DHCP gave it another lease):
# its sessions roam to the new address, and its record follows.
old5=$(node_ip node5)
new5=${old5%.*}.$((${old5##*.} + 100))
new6=
v6=$(node_exec node5 ip -6 -o addr show dev eth0 scope global | awk '{ print $4 }')
# Old one out first: deleting a primary address takes its secondaries along.
node_exec node5 ip addr del "$old5/24" dev eth0
node_exec node5 ip addr add "$new5/24" dev eth0
if [ -n "$v6" ]; then	# the segment is dual-stack: a new v6 address too
	new6=${v6%::*}::$((${old5##*.} + 100))
	node_exec node5 ip -6 addr add "$new6/64" dev eth0 nodad
	node_exec node5 ip -6 addr del "$v6" dev eth0
fi
t_move=$(netns_ms)
endpoint_of() {	# VIEWER NAME
	members_json "$1" | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m.get("name") in (sys.argv[1], sys.argv[1] + ".mesh"):
        print(m.get("endpoint"))' "$2"
}
moved() {
	for n in $MEMBERS; do
		[ "$n" = node5 ] && continue
		[ "$(state_of "$n" node5)" = alive ] || return 1
		endpoint_of "$n" node5 | grep -qE "^($new5|\[${new6:-none}\]):" || return 1
	done
}
if wait_until "$ALIVE_MS" moved; then
	ok "node5 moved $old5 -> $new5: every member has it alive at the new address ($(($(netns_ms) - t_move)) ms)"
else
	bad "node5 moved $old5 -> $new5, but not every member found it there:"
	for n in $MEMBERS; do echo "#   $n has node5 $(state_of "$n" node5) at $(endpoint_of "$n" node5)"; done
fi
echo "$new5" > "$NETNS_DIR/node5/ip"

# --- hostile packets at node2 ------------------------------------------------------
# Capture what members send node2 for a while (a restart of node4 makes
# fresh handshakes too), then: random datagrams of many sizes from evil,
# and the captured ones replayed (also truncated, also bit-flipped) both
# from evil and spoofed from their original senders.
cap=$NETNS_DIR/captured
PROBE_READY=$NETNS_DIR/cap.ready node_exec node2 python3 "$PROBE" capture eth0 "$PORT" 5 \
	"$cap" > "$NETNS_DIR/cap.n" 2>&1 &
cap_job=$!
wait_file "$NETNS_DIR/cap.ready"
restart_meshd node4
wait "$cap_job"
echo "# captured $(cat "$NETNS_DIR/cap.n") datagrams sent to node2:$PORT"
check "captured some real traffic to replay" [ -s "$cap" ]
wait_until "$ALIVE_MS" all_alive node2
before=$(drops node2)
counters node2 | sort > "$NETNS_DIR/counters.before"
pid2=$(meshd_pid node2)
out=$(node_exec evil python3 "$PROBE" hostile "$(node_ip node2)" "$PORT" 3000 "$cap" 2>&1)
echo "# evil sent $out (datagrams, distinct replays)"
out=$(node_exec evil python3 "$PROBE" spoof "$(node_ip node2)" "$PORT" "$cap" 2>&1)
echo "# spoofed replays: $out"
sleep 1
after=$(drops node2)
counters node2 | sort > "$NETNS_DIR/counters.after"
check "node2's meshd survived (pid $pid2)" _alive "$pid2"
check "node2's drop counters rose: $before -> $after" [ "$after" -gt "$before" ]
echo "# counters that moved on node2:"
join "$NETNS_DIR/counters.before" "$NETNS_DIR/counters.after" 2>/dev/null |
	awk '$2 != $3 { printf "#   %s %s -> %s\n", $1, $2, $3 }'
# A sustained flood: 50,000 datagrams a second from two senders for 6 s,
# more than the 5 s it takes to call a silent member dead (issue 12: one
# captured initiation replayed at 50,000 packets/s).  node2 must keep
# answering its real peers.  (Unpaced, the two senders fill both CPUs and
# the kernel's per-CPU backlog that every namespace here shares, and then
# drop other members' packets on their way between namespaces: a limit of
# one machine playing seven, not of meshd.)
# Every member's view, the victim's own too: no "is suspect", no "is dead".
changes() { grep -c "member [a-z0-9]* is \(suspect\|dead\)" "$NETNS_DIR/$1/meshd.log"; }
for n in $MEMBERS; do changes "$n" > "$NETNS_DIR/$n/changes"; done
rx_of() { counters node2 | awk '$1 == "overlay.rx_datagrams" { print $2 }'; }
rx0=$(rx_of)
t_flood=$(netns_ms)
node_exec evil python3 "$PROBE" flood "$(node_ip node2)" "$PORT" 6 "$cap" 25000 > "$NETNS_DIR/flood.1" 2>&1 &
f1=$!
node_exec evil python3 "$PROBE" flood "$(node_ip node2)" "$PORT" 6 "$cap" 25000 > "$NETNS_DIR/flood.2" 2>&1 &
f2=$!
# The victim keeps answering lookups through the flood.
answered=0 asked=0
while kill -0 "$f1" 2>/dev/null; do
	asked=$((asked + 1))
	node_getent node2 hosts node4.mesh > /dev/null && answered=$((answered + 1))
	sleep 0.2
done
wait "$f1" "$f2"
check "during the flood node2 answered its lookups ($answered of $asked)" \
	[ "$answered" = "$asked" ]
sent=$(($(cat "$NETNS_DIR/flood.1") + $(cat "$NETNS_DIR/flood.2")))
echo "# flood: $sent datagrams sent in $(($(netns_ms) - t_flood)) ms at node2;" \
	"it read $(($(rx_of) - rx0)) (the kernel drops what does not fit its socket buffer)"
check "node2's meshd survived the flood" _alive "$pid2"
lost=
for n in $MEMBERS; do
	[ "$(changes "$n")" = "$(cat "$NETNS_DIR/$n/changes")" ] || lost="$lost $n"
done
check "during the flood no member went suspect or dead anywhere (in the log of:${lost:- none})" \
	[ -z "$lost" ]
for n in $lost; do grep "member [a-z0-9]* is \(suspect\|dead\)" "$NETNS_DIR/$n/meshd.log" |
	tail -3 | sed "s/^/#   $n: /"; done
for n in $MEMBERS; do
	if wait_until "$ALIVE_MS" all_alive "$n"; then
		ok "after the junk, $n sees all 6 alive ($WAITED ms)"
	else
		bad "after the junk, $n does not see all 6 alive"
		node_meshctl "$n" members | sed 's/^/#   /'
	fi
done
check "after the junk, every name still resolves everywhere" all_resolve
[ -z "$MISSING" ] || echo "# missing:$MISSING"

[ "$failed" = 0 ] || logs
echo "$pass passed, $failed failed ($(($(netns_ms) - t0)) ms)"
[ "$failed" = 0 ]
