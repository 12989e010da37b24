# Shared by the shell tests: paths, skipping, starting meshd.
# Sourced with top_builddir and top_srcdir set by the test harness.
: "${top_builddir:=.}" "${top_srcdir:=.}"
MESHD=$top_builddir/meshd
MESHCTL=$top_builddir/meshctl/meshctl

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root (mount and network namespaces)"; }
need_cmd() { for c; do command -v "$c" >/dev/null 2>&1 || skip "needs $c"; done; }

# TAP-like checks with a closing "N passed, N failed" line.  A failed check
# returns 1, so `check ... || cat LOG` shows what went wrong.
pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else bad "$desc"; return 1; fi; }

# wait_for_socket PATH: until meshd has made its socket (30 s at most: an
# ASan meshd on a loaded machine).  meshd binds its sockets before it sets
# up the TUN, which can wait seconds for the kernel's rtnl lock while a
# test beside this one tears namespaces down; what needs meshd to answer
# waits for its "ready:" line too (eventually 60 grep -q ready: LOG).
wait_for_socket() {
	eventually 30 test -S "$1" || fail "meshd did not create $1"
}

# eventually SECONDS CMD...: until CMD succeeds (every 0.1 s, SECONDS at
# most: a loaded machine, an ASan build); its last status.
eventually() {
	_ev_n=$(($1 * 10)); shift
	while ! "$@"; do
		_ev_n=$((_ev_n - 1))
		[ "$_ev_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# ms: monotonic milliseconds.
ms() { date +%s%3N; }
