#!/bin/sh
# No certificate cliff: a two-node mesh made today, run with its wall clock
# moved (faketime).  At +300 days both certificates (one year) have less
# than a third left: n1, the CA holder, renews its own, and n2 gets a new
# one from n1 over their session and writes it to node.cert.  Then both
# stop and start again at +400 days, past the end of the certificates
# they were made with: they must still see each other alive and resolve
# each other's names.  (Without renewal meshd refuses its expired
# node.cert at +400 days and the overlay stays off.)
#
#   rn-1 (10.78.0.1, n1, CA) --- rnbr0 --- rn-2 (10.78.0.2, n2, joined)
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd unshare nsenter getent ip mount faketime python3

if [ -z "$MESH_RENEW_INNER" ]; then
	MESH_RENEW_INNER=1 exec unshare --mount --net --propagation private \
		"${SHELL:-/bin/sh}" "$0" "$@"
fi

top_builddir=$(cd "$top_builddir" && pwd)
MESHD_REAL=$top_builddir/meshd
MESHCTL=$top_builddir/meshctl/meshctl
module=$top_builddir/nss/.libs/libnss_mesh.so.2
[ -f "$module" ] || fail "no module at $module"

tmp=$(mktemp -d /tmp/mesh-renew.XXXXXX)
cleanup() {
	for f in "$tmp"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.2
	for i in 1 2; do ip netns del "rn-$i" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$tmp"
}
trap cleanup EXIT

mount -t tmpfs tmpfs /run
sed '/^hosts:/d' /etc/nsswitch.conf > "$tmp/nsswitch.conf"
echo 'hosts: files mesh [!UNAVAIL=return]' >> "$tmp/nsswitch.conf"
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf
export LD_LIBRARY_PATH="$top_builddir/nss/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if readelf -d "$module" | grep -q 'libasan'; then
	ASAN_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so)
fi

ip link set lo up
ip link add rnbr0 type bridge || fail "cannot make a bridge"
ip link set rnbr0 up
for i in 1 2; do
	ip netns add "rn-$i" || fail "cannot make namespace rn-$i"
	ip link add "rnv$i" type veth peer name eth0 netns "rn-$i"
	ip link set "rnv$i" master rnbr0 up
	ip -n "rn-$i" link set lo up
	ip -n "rn-$i" addr add "10.78.0.$i/24" dev eth0
	ip -n "rn-$i" link set eth0 up
	mkdir -p "$tmp/n$i"
	cat > "$tmp/n$i/meshd.conf" <<CONF
state_dir = $tmp/n$i/state
user = root
log_level = debug
CONF
done

# meshd runs with its wall clock moved by what $tmp/clock says ("+300d"),
# read again every second, so a running mesh can be moved through the
# year (the monotonic clock stays real).  faketime -f cannot do that: its
# offset is fixed at start.
ftlib=
for d in /usr/lib/*/faketime /usr/lib64/faketime /usr/lib/faketime; do
	[ -f "$d/libfaketime.so.1" ] && { ftlib=$d/libfaketime.so.1; break; }
done
[ -n "$ftlib" ] || skip "no libfaketime.so.1"
echo +0 > "$tmp/clock"
cat > "$tmp/meshd-clock" <<WRAP
#!/bin/sh
DONT_FAKE_MONOTONIC=1 FAKETIME_TIMESTAMP_FILE="$tmp/clock" FAKETIME_CACHE_DURATION=1 \
LD_PRELOAD=\${LD_PRELOAD:+\$LD_PRELOAD:}$ftlib \
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0 exec "$MESHD_REAL" "\$@"
WRAP
chmod +x "$tmp/meshd-clock"
MESHD=$tmp/meshd-clock
clock() { echo "$1" > "$tmp/clock"; }

node_run() {
	n=$1; shift
	if [ -f "$tmp/n$n.pid" ]; then
		nsenter -t "$(cat "$tmp/n$n.pid")" -m -n env \
			${ASAN_PRELOAD:+LD_PRELOAD=$ASAN_PRELOAD ASAN_OPTIONS=detect_leaks=0} "$@"
	else
		ip netns exec "rn-$n" "$@"
	fi
}
ctl() { n=$1; shift; node_run "$n" "$MESHCTL" -c "$tmp/n$n/meshd.conf" "$@"; }

start_node() {
	n=$1
	(ip netns exec "rn-$n" unshare --mount --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/mesh &&
		echo $$ > "$1" && exec "$2" -c "$3"' sh "$tmp/n$n.pid.new" \
		"$MESHD" "$tmp/n$n/meshd.conf" >> "$tmp/n$n/log" 2>&1 &)
	for _ in $(seq 1 100); do
		[ -s "$tmp/n$n.pid.new" ] && break
		sleep 0.05
	done
	mv "$tmp/n$n.pid.new" "$tmp/n$n.pid"
	for _ in $(seq 1 100); do
		nsenter -t "$(cat "$tmp/n$n.pid")" -m test -S /run/mesh/nss.sock && return 0
		sleep 0.05
	done
	fail "meshd of node $n did not start: $(tail -5 "$tmp/n$n/log")"
}
stop_node() {
	kill "$(cat "$tmp/n$1.pid")" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$(cat "$tmp/n$1.pid")" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$tmp/n$1.pid"
}
resolves() {
	[ "$(node_run "$1" getent hosts "n$2.mesh" | cut -d' ' -f1)" = "$(cat "$tmp/n$2/addr")" ]
}
wait_resolves() {	# wait_resolves I J SECONDS
	for _ in $(seq 1 $(($3 * 10))); do
		resolves "$1" "$2" && return 0
		sleep 0.1
	done
	echo "  n$1 does not resolve n$2.mesh"
	return 1
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
# says TEXT PATTERN: a line of TEXT matches PATTERN.
says() { printf '%s\n' "$1" | grep -q "$2"; }
# not_after I: node I's node.cert, as meshctl status reads it.
not_after() {
	ctl "$1" --json status 2>/dev/null | python3 -c "
import json, sys; print(json.load(sys.stdin)['node']['certificate']['not_after'])"
}
# wait_renewed I BEFORE SECONDS: node.cert of node I ends after BEFORE.
wait_renewed() {
	for _ in $(seq 1 $(($3 * 10))); do
		na=$(not_after "$1")
		[ -n "$na" ] && [ "$na" -gt "$2" ] && return 0
		sleep 0.1
	done
	echo "  n$1's node.cert still ends at $(not_after "$1")"
	return 1
}

# --- made today: n1 makes the network, n2 joins --------------------------------
ctl 1 init --name n1 > "$tmp/n1/addr" 2>/dev/null || fail "meshctl init"
start_node 1
token=$(ctl 1 invite n2 --endpoint 10.78.0.1:51830) || fail "meshctl invite n2"
ctl 2 join "$token" > "$tmp/n2/join.out" 2>&1 || fail "join: $(cat "$tmp/n2/join.out")"
start_node 2
ctl 2 --json status | python3 -c "
import json, sys; print(json.load(sys.stdin)['node']['address'])" > "$tmp/n2/addr"
check "today: n1 resolves n2.mesh" wait_resolves 1 2 20
check "today: n1 sees n2 alive" wait_state 1 2 alive 20
na1=$(not_after 1); na2=$(not_after 2)
year_on=$(( $(date +%s) + 365 * 86400 ))
check "today's certificates end within a year ($na1, $na2)" \
	[ "$na1" -le "$year_on" -a "$na2" -le "$year_on" ]
out=$(ctl 2 status)
check "today meshctl status shows the certificate, without a warning" \
	sh -c 'printf "%s\n" "$1" | grep -q "^Certificate:  valid until" &&
	! printf "%s\n" "$1" | grep -q "^Warning:"' sh "$out" || echo "$out"
out=$(DONT_FAKE_MONOTONIC=1 faketime -f +340d "$MESHCTL" -c "$tmp/n2/meshd.conf" status 2>&1)
check "at +340 days meshctl status would warn that the certificate ends" \
	says "$out" '^Warning: .*certificate ends in 2[0-9] day' || echo "$out"

# --- +300 days, running: both renew -------------------------------------------
clock +300d
check "at +300 days n2's node.cert is renewed" wait_renewed 2 "$year_on" 60
check "and n1's (the CA holder's, locally)" wait_renewed 1 "$year_on" 10
check "n2 logged it" grep -q "certificate renewed: valid until" "$tmp/n2/log"
check "n1 logged the renewal it issued" grep -q "certificate of n2.mesh renewed" "$tmp/n1/log"
out=$(ctl 2 status)
check "meshctl status: no warning after the renewal" sh -c \
	'! printf "%s\n" "$1" | grep -q "^Warning:"' sh "$out" || echo "$out"

# --- +399 days, running: past the end of the first certificates ----------------
clock +399d
sleep 3
check "at +399 days n1 still sees n2 alive" wait_state 1 2 alive 20
check "and n2 n1" wait_state 2 1 alive 20
check "n1 resolves n2.mesh" wait_resolves 1 2 20
sleep 2	# their records of each other, republished at +399 days, saved
stop_node 2
stop_node 1

# --- restarted at +400 days: node.cert on disk is the new one -------------------
clock +400d
start_node 1
start_node 2
check "after a restart at +400 days n1 sees n2 alive" wait_state 1 2 alive 40
check "and n2 sees n1 alive" wait_state 2 1 alive 20
check "n1 resolves n2.mesh" wait_resolves 1 2 20
check "n2 resolves n1.mesh" wait_resolves 2 1 20
check "neither logged an invalid node.cert" sh -c \
	"! grep -h 'not a valid certificate' '$tmp/n1/log' '$tmp/n2/log'"

for i in 1 2; do
	[ -f "$tmp/n$i.pid" ] && stop_node "$i"
	if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error' "$tmp/n$i/log"; then
		bad "n$i: sanitizer report"
		grep -A30 'ERROR: [A-Za-z]*Sanitizer\|runtime error' "$tmp/n$i/log" | head -60
	fi
done
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
