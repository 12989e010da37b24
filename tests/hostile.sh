#!/bin/sh
# Hostile NSS clients against a real meshd (no root needed).
. "$top_srcdir/tests/lib.sh"
run=$(cd "$top_builddir" && pwd)/tests/run-hostile
rm -rf "$run" && mkdir -p "$run"
cat > "$run/meshd.conf" <<CONF
state_dir = $run/state
user = root
nss_socket = $run/nss.sock
control_socket = $run/ctl.sock
host target = 10.0.0.1
CONF
"$MESHD" -c "$run/meshd.conf" 2> "$run/meshd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
wait_for_socket "$run/nss.sock"
"$top_builddir/tests/hostile" "$run/nss.sock" target.mesh || fail "hostile clients (meshd log: $run/meshd.log)"
kill -0 $pid || fail "meshd died"
"$MESHCTL" -c "$run/meshd.conf" status | grep -E 'Lookups|Clients'
