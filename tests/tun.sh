#!/bin/sh
# agent/tun-linux.c against the real kernel, in a network namespace of its
# own (dp-tun-PID, deleted at the end): tests/tun_test creates mesh0 with
# MTU 1380, the address fd6d:1:2:0:aa::1234/128 and a route for
# fd6d:1:2::/48, and while it holds the device this checks what `ip` sees:
# that address and no other (no link-local), that /48 and no other route
# into mesh0 (no prefix route for the /128, no fe80::/64), the MTU, the
# link up.  Then, without CAP_NET_ADMIN, the error must say so.
# Root only: exits 77 (skip) otherwise.
set -u

skip() { echo "SKIP: tun.sh: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, /dev/net/tun)"
command -v ip > /dev/null || skip "needs ip (Debian iproute2)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
bin=${top_builddir:-.}/tests/tun_test
[ -x "$bin" ] || { echo "FAIL: $bin is not built"; exit 99; }

ns=dp-tun-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dp-tun.XXXXXX")
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
ip netns add "$ns" || skip "cannot create a network namespace"

pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }

addr=fd6d:1:2:0:aa::1234
# shellcheck disable=SC2016 # expanded by the inner sh
if ip netns exec "$ns" "$bin" mesh0 "$addr" fd6d:1:2:: 1380 sh -c '
	ip -6 -o addr show dev mesh0 > "$1/addr"
	ip -6 route show dev mesh0 > "$1/route"
	ip -6 route show table all dev mesh0 > "$1/route-all"
	ip -o link show mesh0 > "$1/link"' sh "$tmp" > "$tmp/out" 2>&1; then
	ok "tun_test set mesh0 up"
else
	bad "tun_test: $(cat "$tmp/out")"
fi

n=$(grep -c inet6 "$tmp/addr" 2>/dev/null)
if [ "${n:-0}" = 1 ] && grep -q "inet6 $addr/128 scope global" "$tmp/addr"; then
	ok "one address on mesh0: $addr/128"
else
	bad "addresses on mesh0:"; cat "$tmp/addr" 2>/dev/null
fi
if [ "$(cat "$tmp/route" 2>/dev/null)" != "" ] &&
    [ "$(wc -l < "$tmp/route")" = 1 ] &&
    grep -q '^fd6d:1:2::/48 ' "$tmp/route"; then
	ok "one route into mesh0: fd6d:1:2::/48"
else
	bad "routes into mesh0:"; cat "$tmp/route" 2>/dev/null
fi
if grep -q fe80 "$tmp/route-all" 2>/dev/null; then
	bad "a link-local route in some table:"; cat "$tmp/route-all"
else
	ok "no link-local route in any table"
fi
if grep -q 'mtu 1380 ' "$tmp/link" 2>/dev/null &&
    grep -q '[<,]UP[,>]' "$tmp/link"; then
	ok "mesh0 is up with MTU 1380"
else
	bad "link:"; cat "$tmp/link" 2>/dev/null
fi
if ip netns exec "$ns" ip link show mesh0 > /dev/null 2>&1; then
	bad "mesh0 outlived the fd that held it"
else
	ok "mesh0 goes with its fd"
fi

# Without the capability: an error that names what is missing.
if command -v setpriv > /dev/null; then
	if ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 \
	    --clear-groups --inh-caps=-all --bounding-set=-all \
	    "$bin" mesh0 "$addr" fd6d:1:2:: 1380 > "$tmp/out" 2>&1; then
		bad "tun_test worked without CAP_NET_ADMIN"
	elif grep -q 'needs CAP_NET_ADMIN' "$tmp/out"; then
		ok "without CAP_NET_ADMIN: $(cat "$tmp/out")"
	else
		bad "without CAP_NET_ADMIN, unclear: $(cat "$tmp/out")"
	fi
fi

echo "# $pass passed, $failed failed"
[ "$failed" = 0 ]
