#!/bin/sh
# Issue 10 items 1, 2 and 5: hole punching with real meshd behind real
# Linux NATs (nftables masquerade), three cases in one mesh:
#
#   pu-p1 .11 (CA)  pu-p2 .12          public segment puwan 203.0.113.0/24
#   ---+--------------+-------+--------+--------+--------+--------+----
#                             | .1     | .2     | .3     | .4     | .5
#                          pu-gwa   pu-gwb   pu-gwc   pu-gwd   pu-gwe
#                          masq     masq     random   random   masq
#                             |        |        |        |      /   \
#                           pu-a     pu-b     pu-c     pu-d  pu-e1  pu-e2
#                        192.168.1 .2 ...                   192.168.5.10/.11
#
#   1. pu-a and pu-b behind separate port-preserving masquerades: relayed
#      first (each NAT drops what the other sends unasked), then direct
#      once they punched (two public members agree on where each is seen);
#   2. pu-c and pu-d behind port-randomising masquerades (random,
#      fully-random): no port to aim at, so the path stays relayed, and
#      does not flap while we watch;
#   3. pu-e1 and pu-e2 behind one NAT, talking to the same public members:
#      direct on their LAN addresses.
# Each case prints `meshctl --json status NAME` as direct or relayed and
# asserts what the NAT types allow.  A ping runs from the start in cases 1
# and 2; the share of its bytes that went direct and through a relay is
# printed, and the time from "alive" to a direct path.  Timings are
# printed, never asserted (a loaded machine is slow, not wrong).
#
# The routers drop what comes in unasked for themselves, as home routers do
# (router_nat_fw; without that, Linux's conntrack race: doc/overlay.md).
# Namespaces are named pu-* (segments sw-pu*).  PUNCH_DEBUG=1: meshd at
# log_level = debug.  PUNCH_LOGS=DIR: the meshd logs are copied there.
. "$top_srcdir/tests/netns/lib.sh"
netns_need python3 nft ping
[ -c /dev/net/tun ] || netns_skip "needs /dev/net/tun"
netns_paths
[ -x "$MESHD" ] || netns_fail "no meshd in $top_builddir"
overlay_available || netns_skip "overlay not available (meshctl has no 'members')"
PORT=51830
NATED="pu-a pu-b pu-c pu-d pu-e1 pu-e2"
MEMBERS="pu-p1 pu-p2 $NATED"
UP_MS=${MESH_PUNCH_UP_MS:-40000}

pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
logs() {
	for n in $MEMBERS; do
		echo "--- $n: meshd.log (last 15 lines)"
		tail -15 "$NETNS_DIR/$n/meshd.log" 2>/dev/null
	done
	if [ -n "${PUNCH_LOGS:-}" ]; then
		mkdir -p "$PUNCH_LOGS"
		for n in $MEMBERS; do cp "$NETNS_DIR/$n/meshd.log" "$PUNCH_LOGS/$n.log"; done
	fi
}
die() { echo "FAIL - $*"; logs; exit 1; }

# link VIEWER NAME FIELD: FIELD of VIEWER's `meshctl --json status NAME`
# (state, endpoint, or link.direct, link.relay, link.tx_bytes ...).
link() {
	node_meshctl "$1" --json status "$2" 2>/dev/null | python3 -c '
import json, sys
try:
    m = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit(0)
v = m
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print({True: "true", False: "false", None: "null"}.get(v, v))' "$3"
}
path_of() {	# VIEWER NAME: direct, relayed or none
	case $(link "$1" "$2" link.direct) in
	true) echo direct ;;
	*) [ "$(link "$1" "$2" link.relay)" = null ] && echo none || echo relayed ;;
	esac
}
is_direct() { [ "$(path_of "$1" "$2")" = direct ] && [ "$(path_of "$2" "$1")" = direct ]; }
is_alive() { [ "$(link "$1" "$2" state)" = alive ] && [ "$(link "$2" "$1" state)" = alive ]; }
# share VIEWER NAME: "D% direct, R% relayed of N bytes" of VIEWER's IP
# packets to NAME.
share() {
	node_meshctl "$1" --json status "$2" 2>/dev/null | python3 -c '
import json, sys
l = json.load(sys.stdin).get("link", {})
t, d, r = l.get("tx_bytes", 0), l.get("tx_direct_bytes", 0), l.get("tx_relayed_bytes", 0)
print("%.0f%% direct, %.0f%% relayed of %d bytes" % (100.0 * d / t, 100.0 * r / t, t) if t else "no bytes")'
}

# ===================================================================================
netns_init
t0=$(netns_ms)
NETNS_QUIET=1
seg_add puwan 203.0.113
node_add pu-p1 puwan 11
node_add pu-p2 puwan 12
h=1
for x in a b c d e; do
	seg_add "pu$x" "192.168.$h"
	router_add "pu-gw$x"
	router_attach "pu-gw$x" puwan "$h"
	router_attach "pu-gw$x" "pu$x" 1
	case $x in
	c|d) router_nat_fw "pu-gw$x" "pu$x" puwan random,fully-random ;;
	*) router_nat_fw "pu-gw$x" "pu$x" puwan ;;
	esac
	seg_gateway "pu$x" "192.168.$h.1"
	h=$((h + 1))
done
node_add pu-a pua 10
node_add pu-b pub 10
node_add pu-c puc 10
node_add pu-d pud 10
node_add pu-e1 pue 10
node_add pu-e2 pue 11
for s in puwan pua pub puc pud pue; do seg_static_arp "$s"; done
ok "topology: 2 public members, 5 NAT routers (3 masquerade, 2 random,fully-random), 6 members behind them ($(($(netns_ms) - t0)) ms)"

for n in $MEMBERS; do
	node_conf "$n" ${PUNCH_DEBUG:+"log_level = debug"} \
		"peer = 203.0.113.11:$PORT" "peer = 203.0.113.12:$PORT"
done
node_meshctl pu-p1 init --name pu-p1 > "$NETNS_DIR/pu-p1/init.out" 2>&1 ||
	{ cat "$NETNS_DIR/pu-p1/init.out"; die "meshctl init on pu-p1"; }
start_meshd pu-p1
for n in pu-p2 $NATED; do
	tok=$(node_meshctl pu-p1 invite "$n" --ttl 600 --endpoint "203.0.113.11:$PORT" \
		2> "$NETNS_DIR/$n/invite.err" | tail -n 1)
	[ -n "$tok" ] || { cat "$NETNS_DIR/$n/invite.err"; die "meshctl invite $n"; }
	node_meshctl "$n" join "$tok" > "$NETNS_DIR/$n/join.out" 2>&1 ||
		{ cat "$NETNS_DIR/$n/join.out"; die "meshctl join on $n"; }
	start_meshd "$n"
done
for n in pu-b pu-d; do
	node_meshctl "$n" --json status | python3 -c '
import json, sys; print(json.load(sys.stdin)["node"]["address"])' \
		> "$NETNS_DIR/$n/addr" 2>/dev/null
	[ -s "$NETNS_DIR/$n/addr" ] || die "no overlay address for $n"
done
ok "7 members joined pu-p1's network ($(($(netns_ms) - t0)) ms into the test)"

# Both pairs alive (through whatever path), then a ping each from then on.
wait_until "$UP_MS" is_alive pu-a pu-b || die "pu-a and pu-b do not see each other alive"
t_ab=$(netns_ms)
node_exec pu-a ping -6 -n -q -i 0.1 -s 1000 -W 1 "$(cat "$NETNS_DIR/pu-b/addr")" \
	> "$NETNS_DIR/ping.ab" 2>&1 &
wait_until "$UP_MS" is_alive pu-c pu-d || die "pu-c and pu-d do not see each other alive"
node_exec pu-c ping -6 -n -q -i 0.1 -s 1000 -W 1 "$(cat "$NETNS_DIR/pu-d/addr")" \
	> "$NETNS_DIR/ping.cd" 2>&1 &

# --- 1. separate port-preserving NATs: direct ------------------------------------
if wait_until "$UP_MS" is_direct pu-a pu-b; then
	T_DIRECT=$(($(netns_ms) - t_ab))
	ok "1. preserving NATs: pu-a -> pu-b $(path_of pu-a pu-b) ($(link pu-a pu-b endpoint)), pu-b -> pu-a $(path_of pu-b pu-a); direct $T_DIRECT ms after both were alive"
else
	bad "1. preserving NATs: pu-a -> pu-b $(path_of pu-a pu-b), pu-b -> pu-a $(path_of pu-b pu-a) after $UP_MS ms (want direct)"
fi

# --- 3. one NAT, two members: direct on the LAN -----------------------------------
if wait_until "$UP_MS" is_direct pu-e1 pu-e2; then
	ep=$(link pu-e1 pu-e2 endpoint)
	case $ep in
	192.168.5.*) ok "3. one NAT: pu-e1 -> pu-e2 direct to $ep (its LAN address)" ;;
	*) bad "3. one NAT: pu-e1 -> pu-e2 direct, but to $ep (want 192.168.5.x)" ;;
	esac
else
	bad "3. one NAT: pu-e1 -> pu-e2 $(path_of pu-e1 pu-e2) after $UP_MS ms (want direct)"
fi

# --- 2. port-randomising NATs: relayed, no flapping ------------------------------
# Watch for 20 s (punch rounds start 1-2 s after a path goes relayed and
# back off from there).
flap=0 seen=
for _ in $(seq 1 20); do
	p=$(path_of pu-c pu-d)
	[ "$p" = direct ] && flap=$((flap + 1))
	seen="$seen $p"
	sleep 1
done
probes=$(($(counter pu-c punch_probes) + $(counter pu-d punch_probes)))
rounds=$(($(counter pu-c punch_rounds) + $(counter pu-d punch_rounds)))
if [ "$flap" = 0 ] && [ "$(path_of pu-c pu-d)" = relayed ] && [ "$(path_of pu-d pu-c)" = relayed ]; then
	ok "2. random NATs: pu-c -> pu-d relayed by $(link pu-c pu-d link.relay), never direct in 20 s; $rounds punch rounds, $probes probes by the two"
else
	bad "2. random NATs: pu-c -> pu-d went:$seen (want relayed throughout)"
fi
# Each of the two has five members behind NATs it cannot reach directly
# (a random NAT lets nothing in): rounds towards all five are counted.
[ "$probes" -le 3000 ] && ok "2. punching where it cannot work stays cheap ($probes probes by the two, to 5 members each)" ||
	bad "2. $probes punch probes (want at most 3000)"

# --- what went where ----------------------------------------------------------------
node_kill pu-a INT ping
node_kill pu-c INT ping
sleep 0.5
S_AB=$(share pu-a pu-b)
S_CD=$(share pu-c pu-d)
echo "# pu-a -> pu-b (preserving): $S_AB; time to direct ${T_DIRECT:-none} ms"
echo "# pu-c -> pu-d (random):     $S_CD"
grep -h "packet loss" "$NETNS_DIR/ping.ab" "$NETNS_DIR/ping.cd" | sed 's/^/# ping: /'
case $S_AB in *"% direct"*) [ "${S_AB%%%*}" -gt 0 ] && ok "1. pu-a's traffic to pu-b went direct ($S_AB)" ||
	bad "1. none of pu-a's traffic to pu-b went direct ($S_AB)" ;;
*) bad "1. no traffic measured from pu-a to pu-b ($S_AB)" ;; esac
case $S_CD in "0% direct"*) ok "2. pu-c's traffic to pu-d all relayed ($S_CD)" ;;
*) bad "2. pu-c's traffic to pu-d: $S_CD (want 0% direct)" ;; esac

[ "$failed" = 0 ] || logs
[ -n "${PUNCH_LOGS:-}" ] && logs > /dev/null
echo "# punch.sh: $pass passed, $failed failed, $(($(netns_ms) - t0)) ms"
[ "$failed" = 0 ]
