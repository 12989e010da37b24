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
need_cmd unshare nsenter getent ip mount python3

if [ -z "$MESH_RENEW_INNER" ]; then
	MESH_RENEW_INNER=1 exec unshare --mount --net --propagation private \
		"${SHELL:-/bin/sh}" "$0" "$@"
fi

OVNET_NODES=2 OVNET_NS=rn- OVNET_V4=10.78.0 OVNET_V6=
. "$top_srcdir/tests/ovnet.sh"
MESHD_REAL=$MESHD

# meshd runs with its wall clock moved by what $tmp/clock says ("+300d"),
# read again every second, so a running mesh can be moved through the
# year (the monotonic clock stays real).  faketime -f cannot do that: its
# offset is fixed at start.
ftlib=
for d in /usr/lib/*/faketime /usr/lib64/faketime /usr/lib/faketime; do
	[ -f "$d/libfaketime.so.1" ] && { ftlib=$d/libfaketime.so.1; break; }
done
[ -n "$ftlib" ] || skip "no libfaketime.so.1 (Debian: faketime)"
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

wait_resolves() {	# wait_resolves I J SECONDS
	for _ in $(seq 1 $(($3 * 10))); do
		resolves "$1" "$2" && return 0
		sleep 0.1
	done
	echo "  n$1 does not resolve n$2.mesh"
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
# libfaketime preloaded, not the faketime program: that one names a
# semaphore in /dev/shm after its pid and leaves it behind when killed, and
# a later faketime given the same pid fails ("sem_open: File exists").
out=$(DONT_FAKE_MONOTONIC=1 FAKETIME=+340d LD_PRELOAD=${LD_PRELOAD:+$LD_PRELOAD:}$ftlib \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0 \
	"$MESHCTL" -c "$tmp/n2/meshd.conf" status 2>&1)
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
