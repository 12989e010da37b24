#!/bin/sh
# bench/gossip.sh (issue 3 item 8): how fast news spreads, meshd beside
# HashiCorp Serf, measured in the same run on the same namespaces.
#
#   sudo bench/gossip.sh [-n "10 50"] [-r ROUNDS] [-s meshd,serf]
#
# For each size N: N-1 members run and have converged; then
#   join: the Nth node's daemon starts (meshd: after `meshctl join`; serf:
#         `serf agent -join=SEED`); measured until the last member knows it,
#         from the agents' own log lines, stamped in ms as they are written:
#         meshd "member bN joined" (logged once bN's record is in the name
#         store, so bN.mesh resolves from then on); serf "serf:
#         EventMemberJoin: bN" (what `serf members` shows; event handlers
#         would hear it up to ~3 s later, the agent coalesces member events).
#         meshd is cross-checked twice: getaddrinfo("bN.mesh") pollers on
#         three members (every 10 ms, through glibc, the member's own
#         nsswitch.conf and libnss_mesh) against their log lines, and a
#         getent on every member afterwards;
#   dead: a member (b2) is killed with SIGKILL; measured until the last of
#         the others has it dead (meshd "member b2 is dead"; serf "serf:
#         EventMemberFailed: b2").
# Rounds (default 3) start from fresh agents; the table shows the median and
# the range.  Every agent runs in a network namespace of its own on one
# bridged segment (tests/netns/lib.sh), so both systems pay real UDP across
# veths; the cost of the namespaces themselves is printed first.
# Environment: BENCH_BUILDDIR (build tree, default: this script's ..).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
top_builddir=${BENCH_BUILDDIR:-$top_srcdir}
export top_srcdir top_builddir
. "$top_srcdir/tests/netns/lib.sh"
PROBE=$top_srcdir/tests/netns/probe.py

SIZES="10 50" ROUNDS=3 SYSTEMS=meshd,serf
while getopts n:r:s:h o; do
	case $o in
	n) SIZES=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	s) SYSTEMS=$OPTARG ;;
	*) sed -n '2,28p' "$0"; exit 2 ;;
	esac
done
netns_need python3 perl getent
netns_paths
NETNS_STAMP=1	# meshd's log lines carry the ms they were written at, as Serf's
JOIN_S=${BENCH_JOIN_S:-30} DEAD_S=${BENCH_DEAD_S:-60}
say() { echo "gossip: $*" >&2; }

meshd_ok=
case ",$SYSTEMS," in *,meshd,*)
	if [ ! -x "$MESHD" ]; then meshd_note="no meshd in $top_builddir (build first)"
	elif ! overlay_available; then meshd_note="meshctl has no 'members': the overlay is not in this build"
	else meshd_ok=1; fi ;;
*) meshd_note="not asked for (-s)" ;;
esac
serf_ok=
case ",$SYSTEMS," in *,serf,*)
	if command -v serf >/dev/null 2>&1; then serf_ok=1
	else serf_note="serf not installed (Debian: apt-get install serf)"; fi ;;
*) serf_note="not asked for (-s)" ;;
esac

max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
[ "$max" -ge 3 ] && [ "$max" -le 200 ] || { echo "sizes must be 3..200" >&2; exit 2; }

# --- the namespaces, and what they cost ---------------------------------------------
mem() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
m0=$(mem); t0=$(netns_ms)
netns_init
NETNS_QUIET=1
seg_add lan 10.78.0
i=1
while [ "$i" -le "$max" ]; do node_add "b$i" lan $((10 + i)); i=$((i + 1)); done
seg_static_arp lan	# see lib.sh: 50 nodes overflow the kernel's ARP table
t_ns=$(($(netns_ms) - t0)); m_ns=$(((m0 - $(mem)) / 1024))
[ "$m_ns" -gt 0 ] || m_ns="<1"
say "$max namespaces (node + holder + veth on one bridge): made in $t_ns ms, $m_ns MiB"

# median and range of the numbers on stdin: "MEDIAN (MIN-MAX)", or "-"
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
		printf "%d (%d-%d)\n", m, v[1], v[NR] }'
}

# rss SYSTEM-COMM: total resident MiB of those processes in our nodes.
rss() {
	_r=0
	for _x in $(nodes); do
		for _p in $(netns_procs_in "$(cat "$NETNS_DIR/$_x/netns")"); do
			[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = "$1" ] || continue
			_r=$((_r + $(awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status" 2>/dev/null || echo 0)))
		done
	done
	echo $((_r / 1024))
}

stop_all() {
	for _x in $(nodes); do node_kill "$_x" KILL; done
	sleep 0.2
}

# latest FILE...: the largest first-column number of the files' first lines,
# or "timeout" if any file has none.
latest() {
	_l=0
	for _f; do
		_v=$(head -n 1 "$_f" 2>/dev/null)
		case $_v in ''|*[!0-9]*) echo timeout; return ;; esac
		[ "$_v" -gt "$_l" ] && _l=$_v
	done
	echo "$_l"
}

# since T0 FILE: FILE's first line (ms) less T0, or what it says instead.
since() {
	_v=$(head -n 1 "$2" 2>/dev/null)
	case $_v in ''|*[!0-9]*) echo "${_v:-nothing}" ;; *) echo $((_v - $1)) ;; esac
}

# spread T0 FILE...: every file's time less T0, sorted (BENCH_VERBOSE=1).
spread() {
	_s0=$1; shift
	for _f; do head -n 1 "$_f"; done | awk -v t="$_s0" '/^[0-9]+$/ { print $1 - t }' |
		sort -n | tr '\n' ' '
}

# log_first LOG PATTERN OUT: the stamp (ms) of LOG's first line holding
# PATTERN, into OUT (empty if none yet).
log_first() {
	awk -v pat="$2" 'index($0, pat) { print $1; exit }' "$1" > "$3"
}

# wait_logs LOG PATTERN SECONDS NAME...: for each NAME, wait (SECONDS at
# most) for NAME/LOG to have a line holding PATTERN, and write its stamp,
# or "timeout", into NAME/LOG.ev; _files = those files.  Both daemons'
# logs are stamped by netns_stamper as their lines are written.
wait_logs() {
	_log=$1 _pat=$2 _secs=$3
	shift 3
	_files=
	for _x; do
		_f=$NETNS_DIR/$_x/$_log.ev
		rm -f "$_f"
		wait_until $((_secs * 1000)) eval \
			'log_first "$NETNS_DIR/'"$_x"'/$_log" "$_pat" '"$_f"'; [ -s '"$_f"' ]' ||
			echo timeout > "$_f"
		_files="$_files $_f"
	done
}

# all_written FILE...: every file has its line (a time or "timeout").
all_written() {
	for _af; do [ -s "$_af" ] || return 1; done
}

# --- serf ----------------------------------------------------------------------------
serf_start() {	# NAME [SEED-IP [retry]]
	_j=
	[ -n "${2:-}" ] && _j="-join=$2:7946"
	# Members set up before the timing retry their join; the timed one not.
	[ -n "${3:-}" ] && _j="-retry-join=$2:7946 -retry-interval=1s"
	node_exec "$1" sh -c 'exec serf agent -node="$1" -bind="$2:7946" \
		-rpc-addr=127.0.0.1:7373 -log-level=info $3 2>&1 | perl "$4"' \
		serf "$1" "$(node_ip "$1")" "$_j" "$(netns_stamper)" > "$NETNS_DIR/$1/serf.log" 2>&1 &
}
serf_alive() {	# NAME COUNT: NAME's serf members shows COUNT alive
	[ "$(node_exec "$1" serf members -rpc-addr=127.0.0.1:7373 -status=alive 2>/dev/null | wc -l)" = "$2" ]
}
serf_knows() {	# NAME COUNT: NAME's log has seen COUNT members join
	[ "$(awk '$5 == "serf:" && $6 == "EventMemberJoin:" { k[$7] = 1 }
		END { print length(k) }' "$NETNS_DIR/$1/serf.log")" -ge "$2" ]
}

serf_round() {	# N -> prints "JOIN_MS DEAD_MS"
	_n=$1
	stop_all
	serf_start b1
	wait_until 5000 serf_alive b1 1 || { say "serf seed did not start"; return; }
	_i=2
	while [ "$_i" -lt "$_n" ]; do serf_start "b$_i" "$(node_ip b1)" retry; _i=$((_i + 1)); done
	# Converged: every agent's log has had every member join (no exec per
	# poll: a `serf members` per node and poll costs more CPU than serf).
	for _x in $(nodes | head -n $((_n - 1))); do
		wait_until 60000 serf_knows "$_x" $((_n - 1)) || say "serf: $_x did not converge"
	done
	wait_until 30000 serf_alive b1 $((_n - 1)) || say "serf: b1 does not see $((_n - 1)) alive"
	sleep 2	# let the join gossip die down
	_t0=$(netns_ms)
	serf_start "b$_n" "$(node_ip b1)"
	# shellcheck disable=SC2046
	wait_logs serf.log "serf: EventMemberJoin: b$_n " "$JOIN_S" $(nodes | head -n $((_n - 1)))
	# shellcheck disable=SC2086
	_tj=$(latest $_files)
	[ "$_tj" = timeout ] || _tj=$((_tj - _t0))
	rss serf > "$NETNS_DIR/rss.serf"
	wait_until 30000 serf_alive b1 "$_n" || say "serf: b1 does not see $_n alive"
	sleep 2
	_t0=$(netns_ms)
	node_kill b2 KILL serf
	# shellcheck disable=SC2046
	wait_logs serf.log "serf: EventMemberFailed: b2 " "$DEAD_S" $(nodes | head -n "$_n" | grep -vx b2)
	# shellcheck disable=SC2086
	_td=$(latest $_files)
	[ "$_td" = timeout ] || _td=$((_td - _t0))
	echo "$_tj $_td" > "$NETNS_DIR/round"
}

# --- meshd ----------------------------------------------------------------------------
mesh_alive() {	# NAME COUNT: NAME's members shows COUNT alive
	[ "$(node_meshctl "$1" members --json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for m in json.load(sys.stdin) if m.get("state") == "alive"))' 2>/dev/null)" = "$2" ]
}

# pushed NAME...: the sum of their records_pushed counters.
pushed() {
	_s=0
	for _x; do
		_s=$((_s + $(node_meshctl "$_x" --json status 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin).get("agent", {}).get("counters", {}).get("overlay", {}).get("records_pushed", 0))' 2>/dev/null || echo 0)))
	done
	echo "$_s"
}

meshd_round() {	# N -> prints "JOIN_MS DEAD_MS"
	_n=$1
	stop_all
	for _x in $(nodes); do rm -rf "$NETNS_DIR/$_x/state" "$NETNS_DIR/$_x/meshd.log"; node_conf "$_x"; done
	node_meshctl b1 init --name b1 > /dev/null 2>&1 || { say "meshctl init failed"; return; }
	_i=2
	while [ "$_i" -le "$_n" ]; do
		_tok=$(node_meshctl b1 invite "b$_i" --endpoint "$(node_ip b1):51830" 2>/dev/null | tail -n 1)
		if [ "$_i" -lt "$_n" ]; then
			# Members before any meshd runs but b1's: they redeem with b1.
			[ "$_i" = 2 ] && start_meshd b1
			node_meshctl "b$_i" join "$_tok" > /dev/null 2>&1 || say "join b$_i failed"
		else
			_newtok=$_tok
		fi
		_i=$((_i + 1))
	done
	_i=2
	while [ "$_i" -lt "$_n" ]; do start_meshd "b$_i"; _i=$((_i + 1)); done
	_members=$(nodes | head -n $((_n - 1)))
	for _x in $_members; do
		WAIT_STEP=0.5 wait_until 60000 mesh_alive "$_x" $((_n - 1)) ||
			say "meshd: $_x did not converge"
	done
	node_meshctl "b$_n" join "$_newtok" > /dev/null 2>&1 || say "join b$_n failed"
	# The cross-check: getaddrinfo pollers on the last three members (one
	# on each of 49 would take both CPUs of this machine, see gossip.md).
	_polled=$(echo "$_members" | tail -n 3)
	_pfiles=
	for _x in $_polled; do
		node_exec "$_x" python3 "$PROBE" resolve-wait "b$_n.mesh" "$JOIN_S" \
			> "$NETNS_DIR/$_x/mesh.poll" 2>/dev/null &
		_pfiles="$_pfiles $NETNS_DIR/$_x/mesh.poll"
	done
	sleep 2	# let the convergence chatter die down, as for Serf
	_pushed0=$(pushed $_members)
	_t0=$(netns_ms)
	start_meshd "b$_n"
	# shellcheck disable=SC2086
	wait_logs meshd.log "member b$_n joined" "$JOIN_S" $_members
	# shellcheck disable=SC2086
	_tj=$(latest $_files)
	[ "$_tj" = timeout ] || _tj=$((_tj - _t0))
	# shellcheck disable=SC2086
	wait_until 5000 all_written $_pfiles
	_cmp=
	for _x in $_polled; do
		_cmp="$_cmp $_x: log $(since "$_t0" "$NETNS_DIR/$_x/meshd.log.ev")"
		_cmp="$_cmp getaddrinfo $(since "$_t0" "$NETNS_DIR/$_x/mesh.poll"),"
	done
	say "meshd join, ms after start:$_cmp"
	[ -z "${BENCH_VERBOSE:-}" ] || say "meshd join, each member (ms): $(spread "$_t0" $_files)"
	# And every member resolves it through NSS now, not just its log.
	_bad=
	for _x in $_members; do
		node_exec "$_x" getent hosts "b$_n.mesh" > /dev/null 2>&1 || _bad="$_bad $_x"
	done
	[ -z "$_bad" ] || { say "meshd: b$_n.mesh does not resolve on:$_bad"; _tj=timeout; }
	say "meshd: records pushed by the $((_n - 1)) members for this join:" \
		"$(($(pushed $_members) - _pushed0))"
	rss meshd > "$NETNS_DIR/rss.meshd"
	for _x in $(nodes | head -n "$_n"); do
		WAIT_STEP=0.5 wait_until 30000 mesh_alive "$_x" "$_n" ||
			say "meshd: $_x did not see b$_n"
	done
	sleep 2
	_t0=$(netns_ms)
	kill_meshd b2
	# shellcheck disable=SC2046
	wait_logs meshd.log "member b2 is dead" "$DEAD_S" $(nodes | head -n "$_n" | grep -vx b2)
	# shellcheck disable=SC2086
	_td=$(latest $_files)
	[ "$_td" = timeout ] || _td=$((_td - _t0))
	echo "$_tj $_td" > "$NETNS_DIR/round"
}

# --- the run ----------------------------------------------------------------------------
out=$NETNS_DIR/results
: > "$out"
for n in $SIZES; do
	for sys in meshd serf; do
		eval "okv=\${${sys}_ok}"
		[ -n "$okv" ] || continue
		r=1
		while [ "$r" -le "$ROUNDS" ]; do
			t0=$(netns_ms)
			: > "$NETNS_DIR/round"
			"${sys}_round" "$n"
			res=$(cat "$NETNS_DIR/round")
			[ -n "$res" ] || res="- -"
			say "$sys n=$n round $r: join ${res% *} ms, dead ${res#* } ms ($(($(netns_ms) - t0)) ms)"
			echo "$n $sys $res" >> "$out"
			r=$((r + 1))
		done
		echo "$n $sys rss $(cat "$NETNS_DIR/rss.$sys" 2>/dev/null || echo '?')" >> "$out"
	done
done
stop_all

printf '\ngossip: time until every member knows, ms: median (min-max) of %s rounds\n' "$ROUNDS"
printf 'namespaces: %s nodes on one bridge, %s ms to make, %s MiB\n\n' "$max" "$t_ns" "$m_ns"
printf '%-6s %-6s %-22s %-22s %s\n' nodes system "new name everywhere" "dead seen everywhere" "RSS (all agents)"
for n in $SIZES; do
	for sys in meshd serf; do
		eval "okv=\${${sys}_ok}; note=\${${sys}_note:-}"
		if [ -z "$okv" ]; then
			printf '%-6s %-6s %s\n' "$n" "$sys" "skipped: $note"
			continue
		fi
		j=$(awk -v n="$n" -v s="$sys" '$1 == n && $2 == s && $3 ~ /^[0-9]+$/ { print $3 }' "$out" | stats)
		d=$(awk -v n="$n" -v s="$sys" '$1 == n && $2 == s && $3 != "rss" && $4 ~ /^[0-9]+$/ { print $4 }' "$out" | stats)
		tj=$(awk -v n="$n" -v s="$sys" '$1 == n && $2 == s && $3 == "timeout"' "$out" | wc -l)
		td=$(awk -v n="$n" -v s="$sys" '$1 == n && $2 == s && $3 != "rss" && $4 == "timeout"' "$out" | wc -l)
		[ "$tj" = 0 ] || j="$j, $tj timed out"
		[ "$td" = 0 ] || d="$d, $td timed out"
		m=$(awk -v n="$n" -v s="$sys" '$1 == n && $2 == s && $3 == "rss" { print $4 }' "$out")
		printf '%-6s %-6s %-22s %-22s %s MiB\n' "$n" "$sys" "$j" "$d" "$m"
	done
done
