#!/bin/sh
# The overlay, for real: NODES meshd processes (default 3), each in its own
# network namespace on one veth bridge and its own mount namespace (a
# private /run/mesh, so the NSS module of each talks to its own meshd).
# The first node makes the network; the others join by invite.  Then every
# node must resolve every name through getent, see every other member
# alive, save its records and answer from them at once after a restart,
# and notice a killed member die and come back.  The data plane carries
# a TCP echo, UDP datagrams, a bulk TCP copy (BULK_MB MiB, default 200,
# checked by SHA-256) and a bulk of UDP (UDP_DGRAMS datagrams, each checked) with the TUN's offloads as meshd.conf says: TUN_OFFLOAD=on
# (the default), or off (tests/overlay-plain.sh: n1 with tun_offload =
# off, the others refused by a shim kernel and in plain mode too).
#
# OVERLAY_OFFLOADS=off: every meshd with udp_gso = off and udp_gro = off
# (tests/overlay-plain.sh runs it so, with TUN_OFFLOAD=off); OVERLAY_NS:
# the namespaces' prefix.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd unshare nsenter getent ip mount
NODES=${NODES:-3}
# With many nodes, check from the first and the last node only.
if [ "$NODES" -gt 12 ]; then watchers="1 $NODES"; else watchers=$(seq 1 "$NODES"); fi

if [ -z "$MESH_OVERLAY_INNER" ]; then
	MESH_OVERLAY_INNER=1 exec unshare --mount --net --propagation private \
		"${SHELL:-/bin/sh}" "$0" "$@"
fi

OFFLOADS=${OVERLAY_OFFLOADS:-on}
case $OFFLOADS in on|off) ;; *) fail "OVERLAY_OFFLOADS must be on or off" ;; esac
OVNET_NODES=$NODES OVNET_NS=${OVERLAY_NS:-ovn} OVNET_V4=10.77.0 OVNET_V6=2001:db8:77:
. "$top_srcdir/tests/ovnet.sh"
for i in $(seq 1 "$NODES"); do
	printf 'udp_gso = %s\nudp_gro = %s\n' "$OFFLOADS" "$OFFLOADS" >> "$tmp/n$i/meshd.conf"
done
echo "# UDP offloads (udp_gso, udp_gro): $OFFLOADS"
# n2 gives up on a silent member sooner than the default 5 s.
echo "dead_after = 3" >> "$tmp/n2/meshd.conf"
TUN_OFFLOAD=${TUN_OFFLOAD:-on}
BULK_MB=${BULK_MB:-200}
if [ "$TUN_OFFLOAD" = on ]; then
	for i in $(seq 1 "$NODES"); do echo "tun_offload = on" >> "$tmp/n$i/meshd.conf"; done
else
	# n1 is told off; the others ask, and a kernel that refuses
	# (tests/nooffload.c, preloaded) makes them fall back.
	echo "tun_offload = off" >> "$tmp/n1/meshd.conf"
	shim=$top_builddir/tests/.libs/libnooffload.so
	[ -f "$shim" ] || fail "no $shim (make check builds it)"
	cat > "$tmp/meshd-nooffload" <<WRAP
#!/bin/sh
LD_PRELOAD=\${LD_PRELOAD:+\$LD_PRELOAD:}$shim \
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0 exec "$MESHD" "\$@"
WRAP
	chmod +x "$tmp/meshd-nooffload"
	MESHD=$tmp/meshd-nooffload
fi
# counter I NAME: node I's overlay counter NAME
counter() {
	ctl "$1" --json status | python3 -c "
import json, sys; print(json.load(sys.stdin)['agent']['counters']['overlay']['$2'])"
}

# wait_ready PORT: until n3's test server on PORT is bound (at most 30 s;
# python under ASan in a loaded namespace can take seconds to start).
wait_ready() {
	for _ in $(seq 1 600); do
		[ -e "$tmp/ready-$1" ] && return 0
		sleep 0.05
	done
	echo "# n3's server on port $1 never said it was ready"
}

# all_resolve: every node resolves every name (within 20 s).
all_resolve() {
	for _ in $(seq 1 200); do
		missing=0
		for i in $watchers; do
			[ -f "$tmp/n$i.pid" ] || continue
			for j in $(seq 1 "$NODES"); do
				resolves "$i" "$j" || missing=$((missing + 1))
			done
		done
		[ "$missing" = 0 ] && return 0
		sleep 0.1
	done
	echo "  $missing lookup(s) still failing"
	return 1
}
# --- a network of one, then joins by invite -----------------------------------
ctl 1 init --name n1 > "$tmp/n1/addr" 2>/dev/null || fail "meshctl init"
check "init writes node.cert" [ -s "$tmp/n1/state/node.cert" ]
start_node 1
for i in $(seq 2 "$NODES"); do
	token=$(ctl 1 invite "n$i" --endpoint 10.77.0.1:51830) || fail "meshctl invite n$i"
	check "invite n$i prints one mesh1- token" sh -c "echo '$token' | grep -q '^mesh1-'"
	ctl "$i" join "$token" > "$tmp/n$i/join.out" 2>&1
	check "n$i joins by invite" grep -q "joined as n$i.mesh" "$tmp/n$i/join.out" ||
		cat "$tmp/n$i/join.out"
	ip netns exec "$OVNET_NS$i" "$MESHCTL" --state-dir "$tmp/reuse$i" join "$token" \
		> "$tmp/n$i/reuse.out" 2>&1
	check "the token is single-use" grep -q "already used" "$tmp/n$i/reuse.out" ||
		cat "$tmp/n$i/reuse.out"
	start_node "$i"
	ctl "$i" --json status | python3 -c "
import json, sys; print(json.load(sys.stdin)['node']['address'])" > "$tmp/n$i/addr"
done

check "every node resolves every name through getent" all_resolve

# --- the data plane: packets by name ------------------------------------------
check "n1 has its mesh0 with its own address" sh -c \
	"ip netns exec ${OVNET_NS}1 ip -6 addr show dev mesh0 | grep -q '$(cat "$tmp/n1/addr")/128'"
check "n1 pings n2.mesh through the overlay" node_run 1 ping -6 -q -c 2 -i 0.2 -W 3 n2.mesh
out=$(ctl 1 status n2)
check "meshctl status n2 says how n2 is reached (direct, to its endpoint)" sh -c \
	"echo '$out' | grep -q '^Path: *direct, to 10.77.0.2:51830'" || echo "$out"
# graph_ok: n1's graph has every node and a link with its cost (the link
# records go out at the first maintenance pass after a link comes up).
graph_ok() {
	ctl 1 graph > "$tmp/graph.dot" 2>&1 &&
	grep -q '^graph mesh {' "$tmp/graph.dot" && grep -q 'label="n2"' "$tmp/graph.dot" &&
	grep -q -- '-- .*label="[0-9.]* ms"' "$tmp/graph.dot"
}
t0=$(ms)
for _ in $(seq 1 100); do graph_ok && break; sleep 0.1; done
check "meshctl graph draws the mesh as dot, links with their cost ($(($(ms) - t0)) ms)" graph_ok ||
	cat "$tmp/graph.dot"
node_run 3 python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$(cat "$tmp/n3/addr")', 7777)); s.listen(1); open('$tmp/ready-7777', 'w').close()
c, _ = s.accept(); c.sendall(c.recv(100)[::-1]); c.close()
" > "$tmp/echo.out" 2>&1 &
wait_ready 7777
out=$(node_run 1 python3 -c "
import socket
c = socket.create_connection(('n3.mesh', 7777), timeout=5)
c.sendall(b'overlay'); print(c.recv(100).decode())")
check "a TCP connection from n1 to n3.mesh:7777 by name carries data" [ "$out" = yalrevo ] ||
	echo "  got: $out"
case $TUN_OFFLOAD in
on) want="offload on" ;;
*) want="offload off (tun_offload = off)" ;;
esac
check "n1 logged its TUN's offload mode: $want" grep -q "data plane: mesh0.*$want" "$tmp/n1/log" ||
	grep "data plane\|offload" "$tmp/n1/log"
if [ "$TUN_OFFLOAD" != on ]; then
	check "n3, refused by the kernel, said so" grep -q "tun offload refused.*TSO for IPv6" "$tmp/n3/log" ||
		grep "offload" "$tmp/n3/log"
	check "and fell back to plain packets" grep -q "data plane: mesh0.*offload off (refused by the kernel)" \
		"$tmp/n3/log"
fi
# UDP both ways of sizes up to the MTU: the checksum the kernel leaves to
# the device (offload on) must be completed, or n3's kernel drops them.
node_run 3 python3 -c "
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('$(cat "$tmp/n3/addr")', 7779)); s.settimeout(10); open('$tmp/ready-7779', 'w').close()
n = 0
while n < 40:
    b, a = s.recvfrom(2000)
    if b != bytes([len(b) % 251]) * len(b): break
    s.sendto(b, a); n += 1
" > "$tmp/udp3.out" 2>&1 &
wait_ready 7779
out=$(node_run 1 python3 -c "
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
ok = 0
for i in range(40):
    n = 1 + i * 34
    s.sendto(bytes([n % 251]) * n, ('n3.mesh', 7779))
    try:
        ok += s.recv(2000) == bytes([n % 251]) * n
    except OSError:
        pass
print(ok)")
check "40 UDP datagrams of 1 to 1327 bytes to n3.mesh and back ($out)" [ "$out" = 40 ]
# A bulk TCP copy, n1 -> n3: what the offloads are for.  BULK_MB MiB
# (scripts/test-all.sh's check stage: 1024) as one stream: a random file
# of at most 64 MiB sent over and over, hashed as a whole on both sides.
chunk=64
while [ $((BULK_MB % chunk)) -ne 0 ]; do chunk=$((chunk - 1)); done
reps=$((BULK_MB / chunk))
dd if=/dev/urandom of="$tmp/bulk" bs=1M count="$chunk" status=none
want=$(python3 -c "
import hashlib
b = open('$tmp/bulk', 'rb').read(); h = hashlib.sha256()
for _ in range($reps): h.update(b)
print(h.hexdigest())")
node_run 3 python3 -c "
import hashlib, socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$(cat "$tmp/n3/addr")', 7778)); s.listen(1); open('$tmp/ready-7778', 'w').close()
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())
" > "$tmp/bulk3.out" 2>&1 &
bulk_pid=$!
wait_ready 7778
t0=$(ms)
node_run 1 python3 -c "
import socket
c = socket.create_connection(('n3.mesh', 7778), timeout=60)
with open('$tmp/bulk', 'rb') as f:
    for _ in range($reps):
        f.seek(0); c.sendfile(f)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()"
wait "$bulk_pid"
t=$(($(ms) - t0))
check "$BULK_MB MiB from n1 to n3.mesh over TCP arrive intact ($t ms, $((BULK_MB * 8389 / (t + 1))) Mb/s)" \
	[ "$(cat "$tmp/bulk3.out")" = "$((BULK_MB * 1048576)) $want" ] || cat "$tmp/bulk3.out"
rm -f "$tmp/bulk"
# Bulk UDP, n1 -> n3: UDP_DGRAMS datagrams of every size from 4 to 1352
# bytes (the most a 1400-byte IPv6 packet holds), each one's bytes made
# from its number, sent in bursts of 32 that n3 acknowledges (a burst not
# acknowledged in 0.5 s goes again, so loss on a busy machine costs time,
# not the test).  Every number must arrive, each datagram exactly as sent.
UDP_DGRAMS=${UDP_DGRAMS:-20000}
node_run 3 python3 -c "
import hashlib, socket, struct
def body(q, n):
    d = hashlib.blake2b(struct.pack('!I', q)).digest() * 22
    return struct.pack('!I', q) + d[:n - 4]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
s.bind(('$(cat "$tmp/n3/addr")', 7780)); s.settimeout(30); open('$tmp/ready-7780', 'w').close()
seen = set(); bad = 0; nbytes = 0
while len(seen) < $UDP_DGRAMS:
    b, a = s.recvfrom(2000)
    q = struct.unpack('!I', b[:4])[0] if len(b) >= 4 else -1
    if q < 0 or q >= $UDP_DGRAMS or b != body(q, 4 + (q * 7919) % 1349):
        bad += 1; continue
    if q not in seen: nbytes += len(b)
    seen.add(q)
    if q % 32 == 31 or q == $UDP_DGRAMS - 1:
        s.sendto(struct.pack('!I', q), a)
print(len(seen), bad, nbytes)
" > "$tmp/udpbulk3.out" 2>&1 &
udp_pid=$!
wait_ready 7780
resent=$(node_run 1 python3 -c "
import hashlib, socket, struct
def body(q, n):
    d = hashlib.blake2b(struct.pack('!I', q)).digest() * 22
    return struct.pack('!I', q) + d[:n - 4]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect(('n3.mesh', 7780)); s.settimeout(0.5)
N = $UDP_DGRAMS; resent = 0; q0 = 0
while q0 < N:
    last = min(q0 + 32, N) - 1
    for q in range(q0, last + 1):
        s.send(body(q, 4 + (q * 7919) % 1349))
    while True:
        try:
            a = struct.unpack('!I', s.recv(16)[:4])[0]
        except OSError:
            resent += 1; break
        if resent > 2000: raise SystemExit('n3 stopped answering')
        if a == last: q0 = last + 1; break
print(resent)")
wait "$udp_pid"
read -r got bad nbytes < "$tmp/udpbulk3.out"
check "$UDP_DGRAMS UDP datagrams ($nbytes bytes) from n1 to n3.mesh all arrive intact ($got arrived, $bad bad; $resent bursts sent again)" \
	[ "$got/$bad" = "$UDP_DGRAMS/0" ] || cat "$tmp/udpbulk3.out"
tso=$(counter 1 tun_tso_in) gro=$(counter 3 tun_gro_writes)
if [ "$TUN_OFFLOAD" = on ]; then
	check "n1 read TCP super-packets from its TUN ($tso) and n3 wrote some ($gro)" \
		[ "$((${tso:-0} > 0 && ${gro:-0} > 0))" = 1 ]
else
	check "without the offload, no super-packets either way ($tso, $gro)" \
		[ "${tso:-1}/${gro:-1}" = 0/0 ]
fi
for c in tun_drop_vnet tun_errors; do
	v="$(counter 1 $c)/$(counter 3 $c)"
	check "n1 and n3: $c is 0 ($v)" [ "$v" = 0/0 ]
done
gso=$(counter 1 udp_tx_gso) gro=$(counter 3 udp_rx_gro)
echo "# n1 sent $(counter 1 udp_tx_datagrams) datagrams in $(counter 1 udp_tx_calls)" \
	"calls ($gso GSO messages); n3 received $(counter 3 udp_rx_datagrams) in" \
	"$(counter 3 udp_rx_calls) calls ($gro coalesced buffers)"
if [ "$OFFLOADS" = on ]; then
	check "n1 logged its UDP offloads on" grep -q "UDP GSO on, GRO on" "$tmp/n1/log"
	check "n1 sent runs of datagrams as GSO messages ($gso)" [ "${gso:-0}" -gt 0 ]
else
	check "n1 logged its UDP offloads off by meshd.conf" \
		grep -q "UDP GSO off (meshd.conf), GRO off (meshd.conf)" "$tmp/n1/log"
	check "n1 sent no GSO message" [ "$gso" = 0 ]
	check "n3 received no coalesced buffer" [ "$gro" = 0 ]
fi
unowned=$(python3 -c "import ipaddress; a = int(ipaddress.IPv6Address('$(cat "$tmp/n1/addr")'))
print(ipaddress.IPv6Address(a >> 80 << 80 | 0x1234))")	# in the /48, nobody's
out=$(node_run 1 python3 -c "
import socket, time
t = time.monotonic()
try:
    socket.create_connection(('$unowned', 22), timeout=30)
    print('connected')
except OSError as e:
    print(e.errno == 113 and 'unreachable' or e, round((time.monotonic() - t) * 1000))
")
check "a connect to an address no member owns fails with 'no route to host' ($out ms)" \
	sh -c "echo '$out' | grep -q '^unreachable '"
out=$(node_run 1 getent hosts "$(cat "$tmp/n2/addr")")
check "reverse: n1 maps n2's address back to n2.mesh" [ "$(echo "$out" | awk '{print $2}')" = n2.mesh ] ||
	echo "  got: $out"
for i in $watchers; do
	for j in $(seq 1 "$NODES"); do
		[ "$i" = "$j" ] && continue
		check "n$i sees n$j alive" wait_state "$i" "$j" alive 15
	done
done
out=$(ctl 1 members)
check "meshctl members prints a table with every node" sh -c \
	"echo '$out' | grep -q '^Name' && [ \$(echo '$out' | grep -c '^n[0-9]') = $NODES ]" ||
	echo "$out"
hs=$(ctl 1 --json status | python3 -c "
import json, sys; print(json.load(sys.stdin)['agent']['counters']['overlay']['handshakes'])")
check "n1 made handshakes ($hs)" [ "${hs:-0}" -gt 0 ]

# --- persistence: a restarted node answers at once from its records -----------
stop_node 2
check "a cleanly stopped n2 is 'left' on n1, not dead" wait_state 1 2 left 3
from=$(($(wc -l < "$tmp/n2/log") + 1))
start_node 2	# returns once meshd answers
kept=$(tail -n "+$from" "$tmp/n2/log" | sed -n 's/.*: \([0-9]*\) record(s) kept.*/\1/p' | head -n 1)
check "restarted n2 loaded its saved records (${kept:-none} kept)" [ "${kept:-0}" -ge "$NODES" ]
check "and resolves n3.mesh from them at once" resolves 2 3

# --- a killed member is seen dead, then comes back ------------------------------
last=$NODES
kill -9 "$(cat "$tmp/n$last.pid")"; rm -f "$tmp/n$last.pid"
check "n1 sees n$last dead" wait_state 1 "$last" dead 45
check "n2 (dead_after = 3) sees n$last dead" wait_state 2 "$last" dead 45
# (the loop may wake a little late on a loaded machine: 3.0 or 3.1 s)
check "n1 logged it dead at the default 5 s of silence" \
	grep -q "member n$last is dead: silent for 5\.[0-9] s" "$tmp/n1/log"
check "n2 logged it dead at its own 3 s" \
	grep -q "member n$last is dead: silent for 3\.[0-9] s" "$tmp/n2/log"
start_node "$last"
check "n1 sees n$last alive again" wait_state 1 "$last" alive 20
check "n$last resolves every name after its restart" all_resolve

# --- junk at the port changes only counters ------------------------------------
node_run 2 python3 -c "
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(os.urandom(1 + i % 300), ('10.77.0.1', 51830))
"
sleep 0.5
check "after 2000 junk datagrams n1 still resolves every name" all_resolve
check "and still sees n2 alive" wait_state 1 2 alive 5

# --- revocation: made on the CA holder, spread to every member ---------------------
# gone I J: node I answers nJ.mesh with NOTFOUND (within 10 s).  Not just
# any failure: getent exits 2 for TRYAGAIN too (a dead or hung meshd), so
# node I's meshd must still be alive and meshctl resolve must say "not
# found" (exit 4), not "meshd is not running" (3).
alive() {	# alive I: node I's meshd runs (kill -0 is true for a zombie)
	st=$(sed 's/.*) //' "/proc/$(cat "$tmp/n$1.pid")/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
gone() {
	for _ in $(seq 1 100); do
		alive "$1" ||
			{ echo "  n$1's meshd is gone: $(tail -3 "$tmp/n$1/log")"; return 1; }
		grc=0; node_run "$1" getent hosts "n$2.mesh" > /dev/null || grc=$?
		crc=-
		if [ "$grc" = 2 ]; then
			crc=0; ctl "$1" resolve "n$2.mesh" > /dev/null 2>&1 || crc=$?
			alive "$1" || continue
			[ "$crc" = 4 ] && return 0
		fi
		sleep 0.1
	done
	echo "  n$1: getent exit $grc, meshctl resolve exit $crc for n$2.mesh: not NOTFOUND"
	return 1
}
ctl 1 revoke "n$last" > "$tmp/revoke.out" 2>&1
check "meshctl revoke n$last on the CA holder" grep -q "revoked n$last.mesh" "$tmp/revoke.out" ||
	cat "$tmp/revoke.out"
for i in $(seq 1 $((NODES - 1))); do
	check "n$i forgets n$last.mesh after the revocation" gone "$i" "$last"
done
check "n1 still resolves n2.mesh" resolves 1 2

# --- a night off: every record expired, the mesh forms again -------------------
# Both nodes stop for longer than the one-hour record lifetime (faketime
# moves their wall clock 2 h on).  n1 has no peers file: only its saved,
# now stale, record of n2 says where n2 is.
if command -v faketime > /dev/null; then
	for i in $(seq 1 "$NODES"); do
		[ -f "$tmp/n$i.pid" ] && stop_node "$i"
	done
	MESHD_REAL=$MESHD
	MESHD="$tmp/meshd-later"
	ftlib=
	for d in /usr/lib/*/faketime /usr/lib64/faketime /usr/lib/faketime; do
		[ -f "$d/libfaketime.so.1" ] && { ftlib=$d/libfaketime.so.1; break; }
	done
	# libfaketime preloaded into meshd itself (the faketime program would
	# run it as a child, and a SIGTERM to the recorded pid would miss it).
	cat > "$MESHD" <<WRAP
#!/bin/sh
DONT_FAKE_MONOTONIC=1 FAKETIME=+2h LD_PRELOAD=\${LD_PRELOAD:+\$LD_PRELOAD:}$ftlib \
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0 exec "$MESHD_REAL" "\$@"
WRAP
	chmod +x "$MESHD"
	start_node 1
	check "alone after the night, n1 still answers n2.mesh (stale)" resolves 1 2
	out=$(ctl 1 resolve n2.mesh 2>&1)
	check "meshctl resolve says the answer is stale" sh -c \
		"echo '$out' | grep -q 'stale'" || echo "  got: $out"
	check "n1 logged its records loaded stale" \
		grep -q "record(s) kept ([1-9][0-9]* of them stale)" "$tmp/n1/log"
	start_node 2
	check "after the night, n1 sees n2 alive again" wait_state 1 2 alive 30
	check "and n2 sees n1 alive" wait_state 2 1 alive 30
	out=$(ctl 1 resolve n2.mesh 2>&1)
	check "n1's answer for n2.mesh is fresh again" sh -c \
		"! echo '$out' | grep -q 'stale'" || echo "  got: $out"
else
	echo "# no faketime: the night-off case needs it (scripts/install-deps.sh)"
	bad "faketime missing"
fi

# Stop cleanly, so that a sanitizer build reports leaks at exit.
for i in $(seq 1 "$NODES"); do
	[ -f "$tmp/n$i.pid" ] && stop_node "$i"
	if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error' "$tmp/n$i/log"; then
		bad "n$i: sanitizer report"
		grep -A30 'ERROR: [A-Za-z]*Sanitizer\|runtime error' "$tmp/n$i/log" | head -60
	fi
done
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
