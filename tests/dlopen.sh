#!/bin/sh
# Every exported entry point of a built module, called through dlopen against
# a real meshd: first the test copy of the module (same sources, socket in the
# build tree; needs no root), then, as root, the real libnss_mesh.so.2 with
# meshd on its compiled-in socket inside a private mount namespace.
. "$top_srcdir/tests/lib.sh"
top_builddir=$(cd "$top_builddir" && pwd)

if [ -n "${MESH_DLOPEN_REAL:-}" ]; then
	# Inner run: a private /run, so the real socket path is ours alone.
	mount -t tmpfs tmpfs /run || fail "cannot mount a private /run"
	sock=/run/mesh/nss.sock
	module=$top_builddir/nss/.libs/libnss_mesh.so.2
	run=$top_builddir/tests/run-dlopen-real
else
	sock=$top_builddir/tests/run/nss.sock
	module=$top_builddir/tests/.libs/libnss_meshtest.so.2
	run=$top_builddir/tests/run-dlopen
fi
rm -rf "$run" && mkdir -p "$run" "$(dirname "$sock")"
cat > "$run/meshd.conf" <<CONF
state_dir = $run/state
user = root
nss_socket = $sock
control_socket = $run/ctl.sock
host dual = 10.0.0.1 10.0.0.2 fd00::1
host v4only = 10.0.0.9
CONF
"$MESHCTL" -c "$run/meshd.conf" init --name Tester > "$run/addr" 2>/dev/null ||
	fail "meshctl init"
"$MESHD" -c "$run/meshd.conf" 2> "$run/meshd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
wait_for_socket "$sock"
# The socket exists before meshd answers on it: the TUN's set-up waits for
# the kernel's rtnl lock, which a namespace torn down by a test running
# beside this one can hold for seconds.  Ask once meshd says it is ready.
eventually 60 grep -q "ready:" "$run/meshd.log" ||
	fail "meshd did not get ready: $(cat "$run/meshd.log")"
echo "== $module"
"$top_builddir/tests/nss_dlopen" "$module" tester.mesh "$(cat "$run/addr")" ||
	fail "entry points of $module"
kill $pid; wait $pid 2>/dev/null
trap - EXIT
[ -n "${MESH_DLOPEN_REAL:-}" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	MESH_DLOPEN_REAL=1 unshare --mount --propagation private "${SHELL:-/bin/sh}" "$0" ||
		fail "the real module"
else
	echo "SKIP (not root): the installed-path module; the test copy passed"
fi
