#!/bin/sh
# Nothing lost (issue 12 item 8), with real meshd processes on loopback
# (no root, no TUN, no namespaces): two nodes, n1 the CA holder, n2 joined
# by invite.
#   1. A join whose files cannot all be written fails, says to run it
#      again, and leaves no network.pub; the same token then works, with
#      the same key and the same certificate.
#   2. A records save that fails is tried again until it works.
#   3. Stale FILE.tmp.PID temporaries of our own files go at start; other
#      files stay.
#   4. n2 is killed with SIGKILL a hundred times (n1 every tenth time too)
#      while records change (each start publishes a new record of its
#      own, which the other takes and saves).  After every restart the
#      records load with nothing bad, and never hold fewer records than a
#      load before them did: what was saved stays saved.
# No timing assertions: waits are for log lines, with generous limits.
. "$top_srcdir/tests/lib.sh"
need_cmd od cmp
KILLS=${KILLS:-100}

top_builddir=$(cd "$top_builddir" && pwd)
MESHD=$top_builddir/meshd
MESHCTL=$top_builddir/meshctl/meshctl
tmp=$(mktemp -d /tmp/mesh-crash.XXXXXX)
cleanup() {
	for f in "$tmp"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	[ -n "$KEEP" ] || rm -rf "$tmp"
}
trap cleanup EXIT

rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
base=$((20000 + $(rnd) % 20000))
for i in 1 2; do
	mkdir -p "$tmp/n$i"
	cat > "$tmp/n$i/meshd.conf" <<CONF
state_dir = $tmp/n$i/state
listen = 127.0.0.1:$((base + i))
tun = off
nss_socket = $tmp/n$i/nss.sock
control_socket = $tmp/n$i/ctl.sock
log_level = debug
CONF
	[ "$(id -u)" = 0 ] && echo "user = root" >> "$tmp/n$i/meshd.conf"
done
ctl() { n=$1; shift; "$MESHCTL" -c "$tmp/n$n/meshd.conf" "$@"; }

# start N: meshd of node N, once its control socket is up.
start() {
	rm -f "$tmp/n$1/ctl.sock"
	"$MESHD" -c "$tmp/n$1/meshd.conf" >> "$tmp/n$1/log" 2>&1 &
	echo $! > "$tmp/n$1.pid"
	for _ in $(seq 1 200); do
		[ -S "$tmp/n$1/ctl.sock" ] && return 0
		kill -0 "$(cat "$tmp/n$1.pid")" 2>/dev/null || break
		sleep 0.025
	done
	fail "meshd of n$1 did not start: $(tail -5 "$tmp/n$1/log")"
}
# stop N [SIGNAL]: and wait until it is gone.
stop() {
	pid=$(cat "$tmp/n$1.pid")
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$tmp/n$1.pid"
}
# wait_log N PATTERN [FROM_LINE]: until node N's log has it (20 s at most).
wait_log() {
	for _ in $(seq 1 400); do
		tail -n "+${3:-1}" "$tmp/n$1/log" | grep -q "$2" && return 0
		sleep 0.05
	done
	return 1
}
lines() { wc -l < "$tmp/n$1/log"; }

ctl 1 init --name n1 > /dev/null || fail "meshctl init"
start 1
token=$(ctl 1 invite n2 --endpoint "127.0.0.1:$((base + 1))") || fail "meshctl invite"

# --- 1. an interrupted join runs again -------------------------------------
mkdir -p "$tmp/n2/state/records"	# the last file cannot be written
ctl 2 join "$token" > "$tmp/join1.out" 2>&1
check "a join whose files cannot be written fails" [ $? -ne 0 ]
check "... and says to run it again" grep -q "run the same join again" "$tmp/join1.out"
check "... and leaves no network.pub (the commit marker)" [ ! -e "$tmp/n2/state/network.pub" ]
cp "$tmp/n2/state/node.cert" "$tmp/cert1" 2>/dev/null
cp "$tmp/n2/state/node.pub" "$tmp/pub1"
rmdir "$tmp/n2/state/records"
ctl 2 join "$token" > "$tmp/join2.out" 2>&1
check "the same token works the second time" grep -q "joined as n2.mesh" "$tmp/join2.out" ||
	cat "$tmp/join1.out" "$tmp/join2.out"
check "... with the same key" cmp -s "$tmp/pub1" "$tmp/n2/state/node.pub"
check "... and the certificate it was issued the first time" \
	cmp -s "$tmp/cert1" "$tmp/n2/state/node.cert"
check "a third key with that token is refused" sh -c \
	"'$MESHCTL' -c '$tmp/n2/meshd.conf' --state-dir '$tmp/other' join '$token' 2>&1 | grep -q 'already used'"

# --- 3. stale temporaries --------------------------------------------------
: > "$tmp/n2/state/records.tmp.999999999"	# no such pid
: > "$tmp/n2/state/invites.tmp.1"		# pid 1 runs, but it is old:
touch -d '-2 minutes' "$tmp/n2/state/invites.tmp.1"
: > "$tmp/n2/state/notours.tmp.999999999"
start 2
check "stale temporaries of our files go at start" sh -c \
	"[ ! -e '$tmp/n2/state/records.tmp.999999999' ] && [ ! -e '$tmp/n2/state/invites.tmp.1' ]"
check "... and other files stay" [ -e "$tmp/n2/state/notours.tmp.999999999" ]
check "... and meshd says so" grep -q "2 stale temporary file(s) removed" "$tmp/n2/log"
wait_log 1 "member n2 joined" || fail "n1 never heard of n2: $(tail -5 "$tmp/n1/log")"

# --- 2. a failed records save is tried again -------------------------------
wait_log 2 "member n1 is alive" || fail "n2 never reached n1"
sleep 1.2			# past n2's save of it
rm -f "$tmp/n2/state/records"
mkdir "$tmp/n2/state/records"
from=$(lines 2)
stop 1 KILL
start 1			# a new record of n1's: n2 must save it
if wait_log 2 "cannot save.*trying again" "$from"; then
	ok "a records save that fails is logged"
	rmdir "$tmp/n2/state/records"
	check "... and done once it can be (5 s retries)" wait_log 2 "records saved" "$from"
else
	bad "a records save that fails is logged"
	rmdir "$tmp/n2/state/records"
fi

# --- 4. SIGKILL, a hundred times -------------------------------------------
stop 2 TERM
start 2
wait_log 2 "record(s) kept" || fail "n2 loaded no records"
max=0 badloads=0 lost=0 n=0
while [ "$n" -lt "$KILLS" ]; do
	n=$((n + 1))
	# A random moment: before, during or after a save.
	sleep "0.$(printf %03d $(($(rnd) % 400)))"
	stop 2 KILL
	if [ $((n % 10)) = 0 ]; then stop 1 KILL; start 1; fi
	from=$(($(lines 2) + 1))
	start 2
	if ! wait_log 2 "record(s) kept\|starting with no records" "$from"; then
		badloads=$((badloads + 1))
		echo "# kill $n: no load line: $(tail -n "+$from" "$tmp/n2/log" | head -3)"
		continue
	fi
	line=$(tail -n "+$from" "$tmp/n2/log" | grep "record(s) kept\|starting with no" | head -1)
	kept=$(echo "$line" | sed -n 's/.*: \([0-9]*\) record(s) kept.*/\1/p')
	nbad=$(echo "$line" | sed -n 's/.* \([0-9]*\) bad$/\1/p')
	if [ -z "$kept" ] || [ "$nbad" != 0 ]; then
		badloads=$((badloads + 1))
		echo "# kill $n: $line"
		continue
	fi
	if [ "$kept" -lt "$max" ]; then
		lost=$((lost + 1))
		echo "# kill $n: $kept record(s) loaded, $max before"
	fi
	[ "$kept" -gt "$max" ] && max=$kept
done
check "after each of $KILLS kills the records load, nothing bad" [ "$badloads" = 0 ]
check "... and nothing saved before a kill is missing after it" [ "$lost" = 0 ]
check "... both members' records among them" [ "$max" -ge 2 ]
stop 2 TERM
check "no temporaries are left after the last clean stop" sh -c \
	"! ls '$tmp/n2/state' | grep -q '^records\.tmp\.'"
stop 1 TERM
# Under the sanitizers a meshd that dies of a bug is restarted by the loop
# above like a killed one: its report is what says so.
check "no sanitizer report in either log" sh -c \
	"! grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' '$tmp/n1/log' '$tmp/n2/log'"

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
