#!/bin/sh
# Issue 10 item 3: LAN discovery, with real meshd processes.
#
#   lnlan 10.9.1.0/24 and fd09:1::/64 behind lngw's NAT (IPv4 only): lna .11,
#         lnb .12, lnc .13, lnd .14, lne .15, lnf .16, lng .17, lnh .18;
#   lnwan 203.0.113.0/24: lnca .10 (made the network; the only public node).
#
#        lna .11  lnb .12  lnc .13  lnd .14  lne .15  lnf .16      lnlan
#   ------+--------+--------+--------+--------+--------+------+ lngw .1 (NAT)
#                                                             | .1
#   ----------------------------+ lnca .10 -------------------+------ lnwan
#
# What it checks:
#   1. lna and lnb, members that met through lnca, keep reaching each other
#      over the overlay when the LAN's uplink is cut (lngw's lnwan link down);
#   2. lnc and lnd joined by invite (while the uplink was up) but never ran
#      meshd before the cut: they hold lnca's record only, not each other's.
#      Started after the cut, they find each other by LAN beacon, exchange
#      records, resolve each other's names and ping over a direct path; the
#      time from start to that is printed (a figure, not asserted);
#   3. lne and lnf, the same as 2. with lan_discovery = off: they stay
#      strangers (checked over a few seconds: what the switch turns off);
#   4. lng and lnh, the same as 2. with IPv4 beacons dropped on both (nft):
#      they find each other by IPv6 beacon alone, from their ULA addresses.
# Exit 77 when not root.  Each wait polls with a long limit; timings are
# printed, not asserted.
. "$top_srcdir/tests/netns/lib.sh"
netns_need python3 getent ping perl nft
[ -c /dev/net/tun ] || netns_skip "needs /dev/net/tun"
netns_paths
[ -x "$MESHD" ] || netns_fail "no meshd in $top_builddir"
overlay_available || netns_skip "overlay not available (meshctl has no 'members')"
PORT=51830
UP_MS=${MESH_LAN_UP_MS:-30000}

pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
logs() {
	for n in lnca lna lnb lnc lnd lne lnf lng lnh; do
		echo "--- $n: meshd.log (last 15 lines)"
		tail -15 "$NETNS_DIR/$n/meshd.log" 2>/dev/null
	done
}
die() { echo "FAIL - $*"; logs; exit 1; }

overlay_addr() {
	node_meshctl "$1" --json status | python3 -c '
import json, sys; print(json.load(sys.stdin)["node"]["address"])'
}
# direct_alive VIEWER NAME: VIEWER sees NAME alive over its own path.
direct_alive() {
	[ "$(field_of "$1" "$2" state)" = alive ] &&
	    [ "$(field_of "$1" "$2" via)" = direct ]
}
# resolves VIEWER NAME: getent hosts NAME.mesh on VIEWER is NAME's address.
resolves() {
	_got=$(node_getent "$1" hosts "$2.mesh" 2>/dev/null)
	[ -n "$_got" ] && [ "${_got%% *}" = "$(cat "$NETNS_DIR/$2/addr")" ]
}
pings() { node_exec "$1" ping -6 -n -c 1 -W 2 "$(cat "$NETNS_DIR/$2/addr")" > /dev/null 2>&1; }
found() { direct_alive "$1" "$2" && direct_alive "$2" "$1" && resolves "$1" "$2" &&
	resolves "$2" "$1"; }
invite_join() {	# NAME: invited by lnca, joined (meshd not started)
	tok=$(node_meshctl lnca invite "$1" --ttl 600 --endpoint "203.0.113.10:$PORT" \
		2> "$NETNS_DIR/$1/invite.err" | tail -n 1)
	[ -n "$tok" ] || { cat "$NETNS_DIR/$1/invite.err"; die "meshctl invite $1"; }
	node_meshctl "$1" join "$tok" > "$NETNS_DIR/$1/join.out" 2>&1 ||
		{ cat "$NETNS_DIR/$1/join.out"; die "meshctl join on $1"; }
}

# ===================================================================================
netns_init
t0=$(netns_ms)
NETNS_QUIET=1
seg_add lnlan 10.9.1 fd09:1
seg_add lnwan 203.0.113
router_add lngw
router_attach lngw lnlan 1
router_attach lngw lnwan 1
router_nat lngw lnlan lnwan
seg_gateway lnlan 10.9.1.1
node_add lnca lnwan 10
h=11
for n in lna lnb lnc lnd lne lnf lng lnh; do node_add "$n" lnlan "$h"; h=$((h + 1)); done
seg_static_arp lnlan
seg_static_arp lnwan

for n in lnca lna lnb lnc lnd lng lnh; do node_conf "$n"; done
for n in lne lnf; do node_conf "$n" "lan_discovery = off"; done
node_meshctl lnca init --name lnca > "$NETNS_DIR/lnca/init.out" 2>&1 ||
	{ cat "$NETNS_DIR/lnca/init.out"; die "meshctl init on lnca"; }
start_meshd lnca
for n in lna lnb; do invite_join "$n"; start_meshd "$n"; done
for n in lnca lna lnb; do
	overlay_addr "$n" > "$NETNS_DIR/$n/addr" 2>/dev/null
	[ -s "$NETNS_DIR/$n/addr" ] || die "no overlay address for $n"
done
wait_until "$UP_MS" found lna lnb ||
	die "lna and lnb do not see each other: $(members_json lna)"
ok "lna and lnb joined through lnca and see each other direct ($(($(netns_ms) - t0)) ms)"
# The others join now, while the uplink is up, and do not run yet.
for n in lnc lnd lne lnf lng lnh; do invite_join "$n"; done
ok "lnc, lnd, lne, lnf, lng, lnh joined by invite (meshd not started)"

# === 1. the uplink goes; members that met keep reaching each other ==========
node_exec lngw ip link set lnwan down
t_cut=$(netns_ms)
if wait_until 15000 eval '[ "$(field_of lna lnca state)" != alive ]'; then
	ok "uplink cut: lna no longer sees lnca alive (${WAITED} ms)"
else
	bad "uplink cut, and lna still sees lnca alive after 15 s"
fi
if wait_until "$UP_MS" pings lna lnb && pings lnb lna && direct_alive lna lnb; then
	ok "uplink cut: lna and lnb still ping each other over the overlay, direct ($(($(netns_ms) - t_cut)) ms after the cut)"
else
	bad "uplink cut: lna and lnb do not reach each other: $(members_json lna)"
fi

# === 2. two that never met find each other by beacon ==========================
# Their logs stamped (unix ms a line): the figure comes from them.
NETNS_STAMP=1
start_meshd lnc
start_meshd lnd
NETNS_STAMP=
t_start=$(netns_ms)
for n in lnc lnd; do
	overlay_addr "$n" > "$NETNS_DIR/$n/addr" 2>/dev/null
	[ -s "$NETNS_DIR/$n/addr" ] || die "no overlay address for $n"
done
# The cheap question first (getent), for the figure; then the rest.
WAIT_STEP=0.02 wait_until "$UP_MS" resolves lnc lnd
t_found=$(($(netns_ms) - t_start))
if wait_until "$UP_MS" found lnc lnd; then
	ok "never met, uplink down: lnc and lnd found each other by LAN beacon, direct, names resolve ($t_found ms after both meshd started)"
	echo "# figure: LAN discovery, both meshd started to lnd.mesh resolving on lnc: $t_found ms"
else
	bad "lnc and lnd did not find each other in $UP_MS ms: lnc sees $(members_json lnc)"
fi
if wait_until 10000 pings lnc lnd && pings lnd lnc; then
	ok "lnc and lnd ping each other over the overlay"
else
	bad "lnc and lnd do not ping each other"
fi
if wait_until "$UP_MS" found lnc lna; then
	ok "lnc also found lna on the LAN (a member it held no record of)"
else
	bad "lnc did not find lna: $(members_json lnc)"
fi
# stamp FILE PATTERN: the unix ms of the first line matching.
stamp() { awk -v p="$2" '$0 ~ p { print $1; exit }' "$1"; }
up_c=$(stamp "$NETNS_DIR/lnc/meshd.log" "lan: beacons")
up_d=$(stamp "$NETNS_DIR/lnd/meshd.log" "lan: beacons")
j_c=$(stamp "$NETNS_DIR/lnc/meshd.log" "member lnd joined")
j_d=$(stamp "$NETNS_DIR/lnd/meshd.log" "member lnc joined")
if [ -n "$up_c" ] && [ -n "$up_d" ] && [ -n "$j_c" ] && [ -n "$j_d" ]; then
	up=$up_c; [ "$up_d" -gt "$up" ] && up=$up_d
	jn=$j_c; [ "$j_d" -gt "$jn" ] && jn=$j_d
	echo "# figure: LAN discovery from the meshd logs: the second meshd's overlay up to both holding each other's record: $((jn - up)) ms"
fi
b=$(counter lnc lan_beacons)
if [ "$b" -gt 0 ]; then ok "lnc took $b beacon(s)"; else bad "lnc took no beacon"; fi

# === 3. lan_discovery = off: strangers stay strangers ========================
start_meshd lne
start_meshd lnf
for n in lne lnf; do
	overlay_addr "$n" > "$NETNS_DIR/$n/addr" 2>/dev/null
	[ -s "$NETNS_DIR/$n/addr" ] || die "no overlay address for $n"
done
sleep 8
if resolves lne lnf || direct_alive lne lnf; then
	bad "lan_discovery = off, and lne still found lnf"
else
	ok "lan_discovery = off: lne and lnf, never met, stay strangers (8 s)"
fi
if grep -q "lan: beacons" "$NETNS_DIR/lne/meshd.log"; then
	bad "lan_discovery = off, and lne sends beacons"
else
	ok "lan_discovery = off: lne sends no beacons"
fi

# === 4. IPv6 beacons alone ===================================================
for n in lng lnh; do
	node_exec "$n" nft -f - <<NFT || die "nft in $n"
table ip lnlan_v4beacons {
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport 51829 drop
	}
}
NFT
done
start_meshd lng
start_meshd lnh
for n in lng lnh; do
	overlay_addr "$n" > "$NETNS_DIR/$n/addr" 2>/dev/null
	[ -s "$NETNS_DIR/$n/addr" ] || die "no overlay address for $n"
done
t_start=$(netns_ms)
if wait_until "$UP_MS" found lng lnh; then
	ok "IPv4 beacons dropped: lng and lnh found each other by IPv6 beacon ($(($(netns_ms) - t_start)) ms), lng reaches lnh at $(field_of lng lnh endpoint)"
else
	bad "IPv4 beacons dropped: lng and lnh did not find each other: $(members_json lng)"
fi

[ "$failed" = 0 ] || logs
echo "$pass passed, $failed failed ($(($(netns_ms) - t0)) ms)"
[ "$failed" = 0 ]
