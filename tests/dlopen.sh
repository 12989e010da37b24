#!/bin/sh
# Every exported entry point of a built module, called through dlopen against
# a real meshd.  Uses the test copy of the module (same sources, socket in the
# build tree), so it needs no root.
. "$top_srcdir/tests/lib.sh"
run=$top_builddir/tests/run-dlopen
rm -rf "$run" && mkdir -p "$run"
sock=$(cd "$top_builddir" && pwd)/tests/run/nss.sock
mkdir -p "$(dirname "$sock")"
cat > "$run/meshd.conf" <<CONF
state_dir = $(cd "$run" && pwd)/state
nss_socket = $sock
control_socket = $(cd "$run" && pwd)/ctl.sock
host dual = 10.0.0.1 10.0.0.2 fd00::1
host v4only = 10.0.0.9
CONF
"$MESHCTL" -c "$run/meshd.conf" init --name Tester > "$run/addr" || fail "meshctl init"
"$MESHD" -c "$run/meshd.conf" 2> "$run/meshd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
wait_for_socket "$sock"
"$top_builddir/tests/nss_dlopen" "$top_builddir/tests/.libs/libnss_meshtest.so.2" \
	tester.mesh "$(cat "$run/addr")"
