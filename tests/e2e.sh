#!/bin/sh
# What a user does, for real: the built libnss_mesh.so.2 behind a private
# nsswitch.conf, meshd on the module's compiled-in socket, and getent,
# Python, ssh and curl resolving through glibc.  Runs in its own mount and
# network namespace, so the host's /etc, /run and network are untouched.
#
#   hosts: files mesh [!UNAVAIL=return] dns
#   dns is a dnsmasq on 127.0.0.1 that answers *.mesh with 10.9.9.9: if that
#   address ever shows up, a .mesh name leaked to DNS.
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd unshare getent dnsmasq ip python3 mount setpriv

if [ -z "$MESH_E2E_INNER" ]; then
	MESH_E2E_INNER=1 exec unshare --mount --net --propagation private \
		"${SHELL:-/bin/sh}" "$0" "$@"
fi

top_builddir=$(cd "$top_builddir" && pwd)
MESHD=$top_builddir/meshd
MESHCTL=$top_builddir/meshctl/meshctl
module=$top_builddir/nss/.libs/libnss_mesh.so.2
[ -f "$module" ] || fail "no module at $module"

tmp=$(mktemp -d /tmp/mesh-e2e.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ip link set lo up
# getent's ahosts* ask with AI_ADDRCONFIG: give this host an address of each
# family, as a real one has, or glibc drops the answers before we see them.
ip link add mesh-e2e0 type veth peer name mesh-e2e1 || fail "cannot make a veth pair"
ip addr add 198.51.100.1/24 dev mesh-e2e0
ip addr add 2001:db8:1::1/64 dev mesh-e2e0 nodad
ip link set mesh-e2e0 up
ip link set mesh-e2e1 up
# A private /run: /run/mesh for meshd, and no nscd socket to answer for us.
mount -t tmpfs tmpfs /run
mkdir -p /run/mesh
sed '/^hosts:/d' /etc/nsswitch.conf > "$tmp/nsswitch.conf"
echo 'hosts: files mesh [!UNAVAIL=return] dns' >> "$tmp/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$tmp/hosts"
echo 'nameserver 127.0.0.1' > "$tmp/resolv.conf"
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf
mount --bind "$tmp/hosts" /etc/hosts
mount --bind "$tmp/resolv.conf" /etc/resolv.conf

# glibc dlopens libnss_mesh.so.2 by name.  Not from the build tree itself:
# that may sit under a 0700 directory (dpkg-buildpackage's mktemp -d as
# root), where the unprivileged lookup below could not load the module and
# would fall through.  A copy in the private /run is reachable by everyone.
mkdir -m 0755 /run/nss-mesh-lib
cp "$module" /run/nss-mesh-lib/
chmod 0644 /run/nss-mesh-lib/libnss_mesh.so.2
export LD_LIBRARY_PATH="/run/nss-mesh-lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
	--listen-address=127.0.0.1 --bind-interfaces --user=root \
	--pid-file="$tmp/dnsmasq.pid" \
	--address=/mesh/10.9.9.9 --address=/example.test/10.7.7.7 \
	2> "$tmp/dnsmasq.log" &
pids="$pids $!"
mkdir -p "$tmp/www" && echo "hello from web.mesh" > "$tmp/www/index.html"
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" 8080 \
	> /dev/null 2>&1 &
pids="$pids $!"

asan=no
if readelf -d "$module" | grep -q 'libasan'; then
	# An ASan-built module needs the runtime first in line in the programs
	# that load it (getent, python, ssh, curl); the servers above run bare.
	LD_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so)
	ASAN_OPTIONS=detect_leaks=0
	export LD_PRELOAD ASAN_OPTIONS
	asan=yes
fi

cat > "$tmp/meshd.conf" <<CONF
state_dir = $tmp/state
user = root
host web = 127.0.0.1
host nas = 192.0.2.30 2001:db8::30
CONF
addr=$("$MESHCTL" -c "$tmp/meshd.conf" init --name laptop 2>/dev/null) || fail "meshctl init"
start_meshd() {
	"$MESHD" -c "$tmp/meshd.conf" 2>> "$tmp/meshd.log" &
	meshd=$!
	pids="$pids $meshd"
	wait_for_socket /run/mesh/nss.sock
	# After a kill -9 the old socket files are still there: wait until
	# this meshd answers, not until a socket exists (30 s at most: its
	# TUN set-up can wait seconds on rtnl while other tests tear down).
	for _ in $(seq 1 600); do
		"$MESHCTL" -c "$tmp/meshd.conf" status > /dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "meshd did not answer meshctl status: $(tail -3 "$tmp/meshd.log")"
}
start_meshd
for _ in $(seq 1 50); do
	getent hosts example.test >/dev/null && break
	sleep 0.1
done

# --- forward and reverse lookups through glibc -------------------------------
# answer ARGS: getent's answer, asked again (3 times at most) while it has
# none: an ASan meshd beside a loaded machine's other tests can take more
# than the module's 250 ms once (TRYAGAIN, which is the module keeping its
# budget).  What is checked is the answer, not how fast it came.
answer() {
	for _ in 1 2 3; do
		getent "$@" && return 0
		sleep 0.2
	done
	return 2
}
out=$(answer hosts laptop.mesh)
check "getent hosts laptop.mesh -> $addr" [ "$out" = "$addr laptop.mesh" ] || echo "  got: $out"
out=$(answer hosts LAPTOP.Mesh.)
check "any case and a trailing dot" [ "$(echo $out | cut -d' ' -f1)" = "$addr" ]
out=$(answer ahosts nas.mesh)
check "getent ahosts: both families in one answer" \
	sh -c "echo '$out' | grep -q 192.0.2.30 && echo '$out' | grep -q 2001:db8::30"
out=$(answer ahostsv4 nas.mesh)
check "getent ahostsv4: IPv4 only" \
	sh -c "echo '$out' | grep -q 192.0.2.30 && ! echo '$out' | grep -q 2001:db8"
out=$(answer hosts "$addr")
check "reverse: getent hosts $addr" [ "$out" = "$addr laptop.mesh" ] || echo "  got: $out"
out=$(python3 -c "
import socket
a = {i[4][0] for i in socket.getaddrinfo('laptop.mesh', 22)}
n = socket.gethostbyaddr('$addr')[0]
print(' '.join(sorted(a)), n)")
check "python getaddrinfo and gethostbyaddr" [ "$out" = "$addr laptop.mesh" ] || echo "  got: $out"

out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups getent hosts laptop.mesh)
check "an unprivileged user resolves too (nobody)" [ "$out" = "$addr laptop.mesh" ] || echo "  got: $out"

# --- nothing leaks, nothing else is disturbed ----------------------------------
getent hosts nobody.mesh > "$tmp/out"; rc=$?
check "unknown .mesh name: not found (exit 2)" [ "$rc" = 2 ]
check "unknown .mesh name never reaches DNS" sh -c "! grep -q 10.9.9.9 $tmp/out"
check "a non-mesh name still goes to DNS" sh -c "getent hosts example.test | grep -q 10.7.7.7"
out=$(python3 -c "
import socket
try:
    socket.getaddrinfo('nobody.mesh', 80)
except socket.gaierror as e:
    print(e.errno == socket.EAI_NONAME)")
check "python: unknown .mesh name is EAI_NONAME" [ "$out" = True ] || echo "  got: $out"

# --- real programs ------------------------------------------------------------
if command -v ssh >/dev/null; then
	ssh -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null web.mesh true 2> "$tmp/ssh.err"
	check "ssh web.mesh reaches 127.0.0.1:22 (refused: no sshd here)" \
		grep -q 'connect to host web.mesh port 22: Connection refused' "$tmp/ssh.err" ||
		cat "$tmp/ssh.err"
fi
if [ "$asan" = yes ]; then
	# curl hangs with a preloaded ASan runtime even on a bare IP address:
	# nothing of ours is involved, so this check runs in the plain build.
	echo "skip - curl under ASan (covered by the plain build)"
elif command -v curl >/dev/null; then
	for _ in $(seq 1 50); do
		out=$(curl -s --max-time 2 http://web.mesh:8080/) && break
		sleep 0.1
	done
	check "curl http://web.mesh:8080/" [ "$out" = "hello from web.mesh" ]
fi

# --- memory errors: getent under valgrind ---------------------------------------
if [ "$asan" = no ] && command -v valgrind >/dev/null; then
	for q in "hosts laptop.mesh" "ahosts nas.mesh" "hosts $addr" "hosts nobody.mesh"; do
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite getent $q > /dev/null 2> "$tmp/vg"
		check "valgrind getent $q: no errors" [ "$?" != 99 ] || cat "$tmp/vg"
	done
fi

# --- a full disk: init fails clearly and leaves no half-made node ---------------
mkdir -p "$tmp/full"
mount -t tmpfs -o size=8k tmpfs "$tmp/full"
head -c 8192 /dev/zero > "$tmp/full/filler" 2>/dev/null
"$MESHCTL" --state-dir "$tmp/full/state" init --name full > "$tmp/out" 2>&1; rc=$?
check "init on a full disk exits 1 and says why" \
	sh -c "[ $rc = 1 ] && grep -q 'No space left on device' $tmp/out" || cat "$tmp/out"
check "init on a full disk leaves no node.key" [ ! -e "$tmp/full/state/node.key" ]
umount "$tmp/full"

# --- reload -----------------------------------------------------------------------
echo "host added = 192.0.2.99" >> "$tmp/meshd.conf"
kill -HUP "$meshd"
check "SIGHUP picks up a new host line" \
	eventually 10 sh -c "getent hosts added.mesh | grep -q 192.0.2.99"
echo "garbage line" >> "$tmp/meshd.conf"
kill -HUP "$meshd"
check "a broken config on reload is refused and logged" \
	eventually 10 grep -q "reload failed, keeping the running configuration" "$tmp/meshd.log"
check "a broken config on reload keeps the old one" sh -c "getent hosts added.mesh | grep -q 192.0.2.99"
bad_line=$(grep -n '^garbage line' "$tmp/meshd.conf" | cut -d: -f1)
check "meshd -n names the broken line ($bad_line)" sh -c "\"$MESHD\" -c $tmp/meshd.conf -n 2>&1 | grep -q 'meshd.conf:$bad_line:'"
sed -i '/garbage/d' "$tmp/meshd.conf"

# --- a hung agent: answered within a bound ------------------------------------------
# The bounds (10 s) tell an answer from a hang; they are not speed claims:
# the module gives up after 250 ms, but on a loaded 2-core machine under
# ASan starting getent or python alone can take a second.
kill -STOP "$meshd"
t0=$(ms); timeout 30 getent hosts laptop.mesh > /dev/null; rc=$?; t=$(($(ms) - t0))
check "hung agent: getent fails (exit $rc) in ${t} ms (< 10000)" [ "$rc" = 2 ] && [ "$t" -lt 10000 ]
t0=$(ms); out=$(timeout 30 python3 -c "
import socket
try:
    socket.getaddrinfo('laptop.mesh', 80)
except socket.gaierror as e:
    print(e.errno == socket.EAI_AGAIN)"); t=$(($(ms) - t0))
check "hung agent: python sees EAI_AGAIN in ${t} ms (< 10000)" [ "$out" = True ] && [ "$t" -lt 10000 ]
t0=$(ms); getent hosts example.test > /dev/null; rc=$?; t=$(($(ms) - t0))
check "hung agent: ordinary names unaffected (${t} ms)" [ "$rc" = 0 ] && [ "$t" -lt 10000 ]
kill -CONT "$meshd"

# --- a dead agent: answered at once, nothing leaks --------------------------------------
kill -9 "$meshd"; wait "$meshd" 2>/dev/null
t0=$(ms); getent hosts laptop.mesh > "$tmp/out"; rc=$?; t=$(($(ms) - t0))
check "dead agent: getent fails (exit $rc) in ${t} ms (< 10000)" [ "$rc" = 2 ] && [ "$t" -lt 10000 ]
check "dead agent: the .mesh name does not leak to DNS" sh -c "! grep -q 10.9.9.9 $tmp/out"
out=$(python3 -c "
import socket
try:
    socket.getaddrinfo('laptop.mesh', 80)
except socket.gaierror as e:
    print(e.errno == socket.EAI_AGAIN)")
check "dead agent: python sees EAI_AGAIN" [ "$out" = True ]
check "dead agent: meshctl status exits 3" sh -c "\"$MESHCTL\" -c $tmp/meshd.conf status >/dev/null 2>&1; [ \$? = 3 ]"
check "dead agent: ordinary names unaffected" sh -c "getent hosts example.test | grep -q 10.7.7.7"

# --- restart over the stale socket the killed agent left --------------------------------
start_meshd
check "restarted meshd answers again" sh -c "getent hosts laptop.mesh | grep -q '$addr'"
kill -TERM "$meshd"; wait "$meshd" 2>/dev/null
check "SIGTERM: meshd removes its sockets" [ ! -e /run/mesh/nss.sock ]

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
