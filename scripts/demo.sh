#!/bin/bash
# The main job: install what is needed, build, and watch names resolve
# through glibc.  Everything runs in a private mount and network namespace:
# the host's /etc, /run and network are not touched, and leaving tears it
# all down.
#   scripts/demo.sh           run the demo and tear it down
#   scripts/demo.sh --shell   then leave you a shell inside it
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

if [ -z "${MESH_DEMO_INNER:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "demo: needs root (it makes its own mount and network namespace): run it as root: $0 $*" >&2
		exit 1
	fi
	scripts/install-deps.sh
	echo "== building"
	scripts/build.sh > /tmp/nss-mesh-build.log 2>&1 ||
		{ tail -30 /tmp/nss-mesh-build.log; exit 1; }
	MESH_DEMO_INNER=1 exec unshare --mount --net --pid --fork --mount-proc \
		--propagation private "$0" "$@"
fi

# ---- inside the namespaces: PID 1 here, so leaving ends every process -------
shell=no
[ "${1:-}" = --shell ] && shell=yes
run() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }

tmp=$(mktemp -d /tmp/nss-mesh-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ip link set lo up
ip link add demo0 type veth peer name demo1
ip addr add 198.51.100.1/24 dev demo0
ip addr add 2001:db8:1::1/64 dev demo0 nodad
ip link set demo0 up && ip link set demo1 up
mount -t tmpfs tmpfs /run
mkdir -p /run/mesh
sed '/^hosts:/d' /etc/nsswitch.conf > "$tmp/nsswitch.conf"
echo 'hosts:          files mesh [!UNAVAIL=return] dns' >> "$tmp/nsswitch.conf"
mount --bind "$tmp/nsswitch.conf" /etc/nsswitch.conf
export LD_LIBRARY_PATH=$top/nss/.libs	# where glibc finds libnss_mesh.so.2
export PATH=$top:$PATH			# meshd and meshctl from the build

cat > "$tmp/meshd.conf" <<CONF
# meshd.conf for the demo (see meshd.conf(5))
state_dir = $tmp/state
user = root
host printer = 192.0.2.20
host nas     = 192.0.2.30 2001:db8::30
host web     = 127.0.0.1
CONF
alias_conf="-c $tmp/meshd.conf"

echo "== a node of its own: meshctl init creates its key and address"
run meshctl $alias_conf init --name laptop
meshd $alias_conf 2> "$tmp/meshd.log" &
for _ in $(seq 50); do [ -S /run/mesh/nss.sock ] && break; sleep 0.1; done
mkdir -p "$tmp/www" && echo "hello from web.mesh" > "$tmp/www/index.html"
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" 8080 \
	> /dev/null 2>&1 &

echo
echo "== meshd runs; nsswitch.conf here says:"
grep '^hosts:' /etc/nsswitch.conf
run meshctl $alias_conf status
run meshctl $alias_conf hosts
echo
echo "== every program resolves these names through glibc:"
addr=$(meshctl $alias_conf --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["node"]["address"])')
run getent hosts laptop.mesh
run getent hosts printer.mesh
run getent ahosts nas.mesh
run getent hosts "$addr"
run python3 -c "import socket; print(sorted({a[4][0] for a in socket.getaddrinfo('nas.mesh', 443)}))"
sleep 0.3
run curl -s http://web.mesh:8080/
echo
echo "== a .mesh name nobody holds stops at mesh (never asked of DNS):"
run getent hosts nobody.mesh
echo "(exit status 2: not found)"

if [ "$shell" = yes ]; then
	cat <<MSG

== You are inside the demo.  Try:
     getent hosts laptop.mesh          meshctl $alias_conf status
     echo 'host tv = 192.0.2.40' >> $tmp/meshd.conf; pkill -HUP meshd; getent hosts tv.mesh
     pkill -STOP meshd; time getent hosts laptop.mesh; pkill -CONT meshd
   meshd's log: $tmp/meshd.log.   'exit' tears everything down.
MSG
	PS1='(nss-mesh demo) \w# ' bash --norc -i || true
else
	echo
	echo "== done; everything is torn down.  'scripts/demo.sh --shell' (as root) leaves you inside to poke at it."
fi
