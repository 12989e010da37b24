#!/bin/bash
# bench/lookup.sh: getaddrinfo() latency through files, mesh and dns, in one
# run, as one table (see bench/README.md).  Not a test: run by hand, as root,
# or with `make bench`.
#
#   bench/lookup.sh [-n N] [-p]
#     -n N   timed calls per cell (after as many warm-up calls); default 10000
#     -p     also profile the mesh row (perf stat, strace -c, callgrind)
#
# Everything happens inside private namespaces made here: a mount namespace
# (so /etc/nsswitch.conf, /etc/hosts, /etc/resolv.conf and the socket
# directory are private bind/tmpfs mounts), a network namespace (dnsmasq on
# 127.0.0.1:53 with only lo up) and a PID namespace whose init is this
# script, so that when it ends, however it ends, the kernel kills meshd and
# dnsmasq and drops every mount.  Nothing on the host is touched.
#
# Environment: BENCH_BUILDDIR (the build tree, default: this script's ..),
# MESH_NSS_SOCKET (the module's compiled-in socket, default /run/mesh/nss.sock).
set -eu

me=${BASH_SOURCE[0]}
builddir=${BENCH_BUILDDIR:-$(cd "$(dirname "$me")/.." && pwd)}
sock=${MESH_NSS_SOCKET:-/run/mesh/nss.sock}
n=10000
profile=0

skip() { echo "lookup.sh: SKIP: $*" >&2; exit 77; }
die() { echo "lookup.sh: $*" >&2; exit 1; }

inner=0
if [ "${1:-}" = --inner ]; then
	inner=1
	shift
fi
while getopts n:ph opt; do
	case $opt in
	n) n=$OPTARG ;;
	p) profile=1 ;;
	h) sed -n '2,9s/^# \{0,1\}//p' "$me"; exit 0 ;;
	*) exit 2 ;;
	esac
done
case $n in ''|*[!0-9]*) die "-n wants a number" ;; esac

lookup=$builddir/bench/lookup
meshd=$builddir/meshd
module=$builddir/nss/.libs/libnss_mesh.so.2

if [ $inner = 0 ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (private mount and network namespaces, port 53)"
	for c in unshare mount ip dnsmasq taskset; do
		command -v $c >/dev/null 2>&1 || skip "$c not installed"
	done
	for f in "$lookup" "$meshd" "$module"; do
		[ -x "$f" ] || [ -f "$f" ] || die "$f not built (run make bench)"
	done
	unshare --mount --net --pid --fork --mount-proc true 2>/dev/null ||
		skip "cannot make mount+network+pid namespaces here"
	# The kernel ends every process of the PID namespace when its init
	# (the inner copy of this script) exits, and drops the namespaces
	# with the last of them.
	exec unshare --mount --net --pid --fork --mount-proc \
	    --propagation private -- \
	    env BENCH_BUILDDIR="$builddir" MESH_NSS_SOCKET="$sock" \
	    bash "$me" --inner "$@"
fi

# ---- inside the namespaces --------------------------------------------------

pids=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	# The mounts die with the namespace; unmount anyway, in case someone
	# ran the inner part by hand.
	for m in /etc/nsswitch.conf /etc/hosts /etc/resolv.conf; do
		umount "$m" 2>/dev/null || true
	done
	[ -n "${tmpfs:-}" ] && umount "$tmpfs" 2>/dev/null
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip link set lo up

# The module's socket path is compiled in, so meshd must listen there:
# a tmpfs on the nearest existing ancestor of its directory (/run on a
# host without meshd; mounting on /run/mesh itself would need a mkdir on
# the host first).
sockdir=$(dirname "$sock")
tmpfs=$sockdir
while [ ! -d "$tmpfs" ]; do tmpfs=$(dirname "$tmpfs"); done
[ "$tmpfs" != / ] || die "no directory to mount a tmpfs on for $sock"
case $builddir/ in "$tmpfs"/*) die "build tree $builddir lies under $tmpfs" ;; esac
mount -t tmpfs -o mode=0755,size=16m nss-mesh-bench "$tmpfs"
mkdir -p "$sockdir"
work=$tmpfs/nss-mesh-bench
mkdir -p "$work/state"

# One name per source; each has the same two addresses, so every row
# builds the same answer and only the source differs.  No packet leaves
# lo: the network namespace has no other interface.
a4=127.0.2.3
a6=fd6d:b:e:c::3
cat >"$work/hosts" <<EOF
127.0.0.1	localhost
::1	localhost
$a4	bench-files.test
$a6	bench-files.test
EOF
cat >"$work/resolv.conf" <<EOF
nameserver 127.0.0.1
EOF
cat >"$work/meshd.conf" <<EOF
state_dir = $work/state
nss_socket = $sock
control_socket = $sockdir/bench-meshd.sock
log_level = warn
host bench = $a4 $a6
EOF
mount --bind "$work/hosts" /etc/hosts
mount --bind "$work/resolv.conf" /etc/resolv.conf

nsswitch() {	# write an nsswitch.conf whose hosts: line is $1, print its path
	local f=$work/nsswitch.$2
	cat >"$f" <<EOF
passwd: files
group: files
shadow: files
hosts: $1
networks: files
protocols: files
services: files
EOF
	echo "$f"
}

"$meshd" -f -c "$work/meshd.conf" 2>"$work/meshd.log" &
meshd_pid=$!
pids+=("$meshd_pid")
dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= \
    --no-resolv --no-hosts --no-poll \
    --listen-address=127.0.0.1 --bind-interfaces --port=53 \
    --host-record=bench.test,$a4,$a6 \
    --log-facility=- 2>"$work/dnsmasq.log" &
dns_pid=$!
pids+=("$dns_pid")
for i in $(seq 50); do
	[ -S "$sock" ] && ss -lnu 2>/dev/null | grep -q '127.0.0.1:53 ' && break
	kill -0 "$meshd_pid" 2>/dev/null || { cat "$work/meshd.log" >&2; die "meshd died"; }
	kill -0 "$dns_pid" 2>/dev/null || { cat "$work/dnsmasq.log" >&2; die "dnsmasq died"; }
	sleep 0.1
done
[ -S "$sock" ] || die "meshd did not create $sock"

ncpu=$(nproc)
client_cpu=0
other_cpu=$((ncpu > 1 ? 1 : 0))

# run LABEL HOSTS-LINE NAME SERVER-PID SERVER-CPU FAMILY CHECK...
#   Each cell is its own process in its own nested mount namespace, so that
#   it reads its nsswitch.conf from scratch and the next cell's bind mount
#   cannot leak into it.
run() {
	local label=$1 line=$2 name=$3 spid=$4 scpu=$5 fam=$6
	shift 6
	local conf
	conf=$(nsswitch "$line" "${label//[^a-z0-9]/_}")
	[ "$spid" = - ] || taskset -pc "$scpu" "$spid" >/dev/null
	unshare --mount --propagation private -- sh -c '
		mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' \
	    sh "$conf" env LD_LIBRARY_PATH="$builddir/nss/.libs" \
	    taskset -c "$client_cpu" "$lookup" -n "$n" -f "$fam" \
	    -l "$label" "$@" "$name"
}

mixed='files mesh [!UNAVAIL=return] dns'
rows=()	# label|hosts line|name|server pid|server cpu|found or miss
rows+=("files|files|bench-files.test|-|-|found")
# Each source alone, as the issue compares them ("through files", "through
# mesh", "through dns"); the full line's cost shows in the row after.
rows+=("mesh, meshd same core|mesh|bench.mesh|$meshd_pid|$client_cpu|found")
rows+=("mesh, meshd other core|mesh|bench.mesh|$meshd_pid|$other_cpu|found")
rows+=("mesh via the full line|$mixed|bench.mesh|$meshd_pid|$client_cpu|found")
rows+=("dns, dnsmasq same core|dns|bench.test|$dns_pid|$client_cpu|found")
rows+=("dns, dnsmasq other core|dns|bench.test|$dns_pid|$other_cpu|found")
rows+=("dns name: files mesh dns|$mixed|bench.test|$dns_pid|$client_cpu|found")
rows+=("dns name: files dns|files dns|bench.test|$dns_pid|$client_cpu|found")
rows+=("miss: files|files|nosuch.test|-|-|miss")
rows+=("miss: files mesh|files mesh [!UNAVAIL=return]|nosuch.test|-|-|miss")

results=$work/results
: >"$results"
t0=$(date +%s)
# Two passes, the second in reverse order, each cell's figure the mean of
# its two: a drift of the machine during the run, or a row that runs cold
# after the servers moved between cores, then weighs on no row alone.
order=()
for i in "${!rows[@]}"; do order+=("$i"); done
for i in "${!rows[@]}"; do order+=("$((${#rows[@]} - 1 - i))"); done
for fam in unspec inet6; do
	for i in "${order[@]}"; do
		IFS='|' read -r label line name spid scpu check <<<"${rows[$i]}"
		# -e: the answer must hold the address only this row's
		# source knows, so a row cannot pass through another source.
		case $check/$fam in
		miss/*) check=-x ;;
		*/inet6) check="-e $a6" ;;
		*) check="-e $a4" ;;
		esac
		# shellcheck disable=SC2086
		out=$(run "$label" "$line" "$name" "$spid" "$scpu" "$fam" $check) ||
		    die "row '$label' ($fam) failed"
		# The label has spaces: keep the numbers, which are last.
		set -- $out
		shift $(($# - 6))
		printf '%s|%s|%s|%s\n' "$label" "$fam" "$3" "$4" >>"$results"
	done
done
t1=$(date +%s)

# ---- the table ---------------------------------------------------------------
get() {	# get LABEL FAMILY FIELD(3=median 4=p99): mean of the two passes
	awk -F'|' -v l="$1" -v f="$2" -v k="$3" '
		$1 == l && $2 == f { sum += $k; n++ }
		END { printf "%.2f\n", sum / n }' "$results"
}
printf '\nnss-mesh bench/lookup: getaddrinfo(SOCK_STREAM), %s timed calls per cell after %s warm-up,\n' "$n" "$n"
printf 'two passes (the second in reverse order), each figure the mean of the two passes;\n'
printf 'client on CPU %s of %s; times in microseconds; "x files" = median / files median\n\n' "$client_cpu" "$ncpu"
printf '%-26s %-33s %-17s | %8s %8s %7s | %8s %8s %7s\n' \
    "row" "hosts:" "name" "UNSPEC" "p99" "x files" "INET6" "p99" "x files"
printf '%s\n' "$(printf '%.0s-' $(seq 130))"
f_un=$(get files unspec 3)
f_v6=$(get files inet6 3)
for r in "${rows[@]}"; do
	IFS='|' read -r label line name _ <<<"$r"
	mu=$(get "$label" unspec 3); pu=$(get "$label" unspec 4)
	m6=$(get "$label" inet6 3); p6=$(get "$label" inet6 4)
	printf '%-26s %-33s %-17s | %8s %8s %7s | %8s %8s %7s\n' \
	    "$label" "$line" "$name" "$mu" "$pu" \
	    "$(awk -v a="$mu" -v b="$f_un" 'BEGIN { printf "%.1f", a / b }')" \
	    "$m6" "$p6" \
	    "$(awk -v a="$m6" -v b="$f_v6" 'BEGIN { printf "%.1f", a / b }')"
done

# ---- the issue's targets -------------------------------------------------------
echo
for fam in unspec inet6; do
	awk -v fam=$fam \
	    -v ms="$(get 'mesh, meshd same core' $fam 3)" \
	    -v mo="$(get 'mesh, meshd other core' $fam 3)" \
	    -v ds="$(get 'dns, dnsmasq same core' $fam 3)" \
	    -v do_="$(get 'dns, dnsmasq other core' $fam 3)" \
	    -v wm="$(get 'dns name: files mesh dns' $fam 3)" \
	    -v wo="$(get 'dns name: files dns' $fam 3)" \
	    -v xm="$(get 'miss: files mesh' $fam 3)" \
	    -v xo="$(get 'miss: files' $fam 3)" \
	    -v f="$(get files $fam 3)" 'BEGIN {
		printf "%-6s mesh faster than dnsmasq: same core %s (%.1f vs %.1f), other core %s (%.1f vs %.1f)\n",
		    fam, ms < ds ? "yes" : "NO", ms, ds, mo < do_ ? "yes" : "NO", mo, do_
		printf "%-6s ordinary name, mesh in the line: via dns %+.2f us (%+.1f%%), files miss %+.2f us (%+.1f%%)\n",
		    fam, wm - wo, 100 * (wm - wo) / wo, xm - xo, 100 * (xm - xo) / xo
		# UNSPEC adds the address sort of getaddrinfo (~10 us) to
		# every row, files too: judge the ratio on INET6 only.
		if (fam == "inet6")
			printf "%-6s stretch goal, mesh within 3x of files: %s (%.1fx)\n",
			    fam, ms <= 3 * f ? "yes" : "no", ms / f
	}'
done
echo "(cells took $((t1 - t0)) s)"

# ---- the floor: raw round trips, no NSS --------------------------------------------
if [ -x "$builddir/bench/roundtrip" ]; then
	mkdir -p "$work/rt"
	echo
	echo "floor under the rows (bench/roundtrip: one 288-byte request, 596-byte answer, no NSS):"
	printf '%-12s | %15s %8s | %15s %8s\n' transport "same core median" p99 "other core median" p99
	"$builddir/bench/roundtrip" -n "$n" -c "$client_cpu" "$work/rt" >"$work/rt.same"
	"$builddir/bench/roundtrip" -n "$n" -c "$other_cpu" "$work/rt" >"$work/rt.other"
	paste -d' ' "$work/rt.same" "$work/rt.other" |
	    awk '{ printf "%-12s | %15s %8s | %15s %8s\n", $1, $3, $4, $7, $8 }'
fi

# ---- optional profile of the mesh row (inet6: no sorting noise) ------------------
if [ $profile = 1 ]; then
	taskset -pc "$client_cpu" "$meshd_pid" >/dev/null
	conf=$(nsswitch "$mixed" profile)
	prof() {	# run a command on the mesh row's setup
		unshare --mount --propagation private -- sh -c '
			mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' \
		    sh "$conf" env LD_LIBRARY_PATH="$builddir/nss/.libs" "$@"
	}
	calls=$((2 * n + 1))
	echo
	if command -v perf >/dev/null 2>&1; then
		echo "== perf stat, client and meshd on CPU $client_cpu, mesh row, inet6, $calls calls:"
		perf stat -e task-clock,context-switches -p "$meshd_pid" \
		    -o "$work/perf-meshd" &
		pp=$!
		sleep 0.3
		prof perf stat -e task-clock,context-switches,page-faults \
		    -o "$work/perf-client" \
		    taskset -c "$client_cpu" "$lookup" -n "$n" -f inet6 bench.mesh >/dev/null
		kill -INT $pp
		wait $pp || true
		awk -v c=$calls '
			/task-clock/ { ms = $1 } /context-switches/ { cs = $1 }
			/seconds user/ { u = $1 } /seconds sys/ { s = $1 }
			END {
				gsub(",", "", cs)
				printf "client: %.2f us CPU per call (user %.2f, sys %.2f), %.2f context switches per call\n",
				    ms * 1000 / c, u * 1e6 / c, s * 1e6 / c, cs / c
			}' "$work/perf-client"
		awk -v c=$calls '
			/task-clock/ { ms = $1 } /context-switches/ { cs = $1 }
			END {
				gsub(",", "", cs)
				printf "meshd:  %.2f us CPU per call, %.2f context switches per call\n",
				    ms * 1000 / c, cs / c
			}' "$work/perf-meshd"
	else
		echo "(perf not installed: apt-get install linux-perf)"
	fi
	if command -v strace >/dev/null 2>&1; then
		echo "== strace -c, client, mesh row, inet6, 2001 calls:"
		prof strace -c -o "$work/strace" "$lookup" -n 1000 -f inet6 bench.mesh >/dev/null
		sed -n '1,20p' "$work/strace"
		echo "== strace -c, meshd, during the same 2001 calls:"
		strace -c -o "$work/strace-meshd" -p "$meshd_pid" 2>/dev/null &
		sp=$!
		sleep 0.3
		prof "$lookup" -n 1000 -f inet6 bench.mesh >/dev/null
		sleep 0.2
		kill -INT $sp
		wait $sp || true
		sed -n '1,14p' "$work/strace-meshd"
	fi
	if command -v valgrind >/dev/null 2>&1 &&
	    command -v callgrind_annotate >/dev/null 2>&1; then
		for fam in inet6 unspec; do
			echo "== callgrind, client, mesh row, $fam, 2001 calls: user-space instructions per call"
			prof valgrind --tool=callgrind --callgrind-out-file="$work/cg.$fam" \
			    "$lookup" -n 1000 -f $fam bench.mesh >/dev/null 2>&1
			callgrind_annotate --inclusive=yes "$work/cg.$fam" 2>/dev/null |
			    awk -v c=2001 '
			BEGIN { k = split("getaddrinfo _nss_files_gethostbyname4_r " \
			    "_nss_files_gethostbyname2_r _nss_mesh_gethostbyname4_r " \
			    "_nss_mesh_gethostbyname2_r mesh_query_at mesh_fill_gaih " \
			    "mesh_fill_hostent __nss_lookup_function", want, " ") }
			/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%8.0f  the whole process\n", $1 / c }
			{
				for (i = 1; i <= k; i++) {
					f = want[i]
					if (!seen[f] && (index($0, ":" f " ") ||
					    substr($0, length($0) - length(f)) == ":" f)) {
						seen[f] = 1; v = $1; gsub(",", "", v)
						printf "%8.0f  %s (inclusive)\n", v / c, f
					}
				}
			}'
		done
	fi
fi
