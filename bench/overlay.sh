#!/bin/bash
# bench/overlay.sh (issue 9 item 8): the data plane beside tinc, yggdrasil
# and nebula and the bare link, in one run, on the same two namespaces.
# Not a test: never in `make check` or CI.  Root only.
#
#   sudo bench/overlay.sh [-r ROUNDS] [-s bare,floor,meshd,meshd_off,meshd_base,tinc,yggdrasil,nebula]
#                         [-f FAILOVER_RUNS] [-F meshd,tinc] [-R RELAYED_ROUNDS] [-I MIB]
#                         [-t SECONDS] [-p] [-n]
#
#   -r  rounds of the throughput part (default 3; the table shows medians)
#   -s  which systems (default: bare, floor, meshd, meshd_off, tinc,
#       yggdrasil, nebula; floor is bench/tunfloor, a TUN-to-UDP forwarder
#       with no crypto: the least a userspace tunnel can cost here;
#       meshd_off is this meshd with tun_offload, udp_gso and
#       udp_gro off: one system call per packet, before and after in one
#       run; and meshd_base, the meshd of BENCH_BASE_BUILDDIR, when set)
#   -f  runs of the relay failover part (default 3; 0 skips it)
#   -F  which systems fail over (default meshd,tinc)
#   -m  how the relay fails (default kill,cut): kill = SIGKILL to its daemon
#       (its kernel lives on: TCP peers get a RST, UDP ones ICMP unreachable);
#       cut = its namespace drops every packet (a relay that vanishes)
#   -R  rounds of the relayed throughput part (default 3; 0 skips it); its
#       systems are those of -s among meshd, meshd_base, tinc, yggdrasil,
#       nebula
#   -I  MiB for the integrity check through meshd direct (default 0: none;
#       -I 1024: 1 GiB, about 10 s more at 1 Gb/s)
#   -t  iperf3 seconds (default 10)
#   -p  also profile meshd on both ends during an extra iperf3 run (perf),
#       and the relay's meshd during an extra relayed one (with -R)
#   Only the relayed and integrity parts: -r 0 -f 0 -R 3 -I 1024
#   -n  do not apt-get install what is missing (skip those systems instead)
#
# Throughput part: two namespaces bench-a and bench-b on one bridge
# (tests/netns/lib.sh, 10.79.0.0/24).  Per round, for each system in turn:
# its daemons start fresh on both ends, then from bench-a to bench-b's
# overlay address: `ping -c 50 -i 0.05` (median and mean RTT), then one
# iperf3 TCP stream (`-J`, receiver's figure) while each daemon's
# utime+stime (/proc/PID/stat, all threads) is read before and after;
# VmRSS after.  Rounds interleave the systems, so a drift of the shared
# machine weighs on no system alone.
#
# Failover part: four namespaces bench-ra, bench-rb1, bench-rb2, bench-rc
# (10.79.1.0/24); bench-rc drops everything from and to bench-ra (nftables),
# so A reaches C only through B1 or B2.  A pings C every 20 ms; the relay in
# use (meshd: `meshctl --json members` on A, link.relay; tinc: the relay
# whose eth0 counts the pings) fails 2 s in: killed with SIGKILL, or cut off
# by nftables (-m); the gap is the longest run of lost pings x 20 ms, out of
# 750 (15 s; "+": the path had not come back when the pings ended).  The relay is then healed (restarted, or the rule removed) and the path
# let settle before the next run.
#
# Relayed part: the failover part's namespaces, daemons on bench-ra,
# bench-rb1 and bench-rc only (bench-rb2 idle), so the one way from A to C
# is through B1.  meshd: B1 makes the network, A and C join it; tinc: A and
# C ConnectTo B1; yggdrasil: A and C peer with B1; nebula: B1 the lighthouse
# and relay (am_relay), A and C list it in relay.relays.  Per round and
# system: daemons fresh, wait (60 s at most) until A pings C (meshd: and
# A's members says C's link.relay is bench-rb1), 1 s, then the direct
# part's ping and iperf3 stream from A to C, CPU of A's, B1's and C's
# daemon over the stream, B1's RSS after, B1's eth0 received bytes.  meshd
# also: C's link.relay on A before and after the stream, `meshctl status
# bench-rc` on A ("Path: relayed by"), B1's hops_relayed and A's
# tx_relayed_bytes to C over the stream.
#
# Integrity (-I MIB): meshd direct, bench-a -> bench-b: a file of MIB MiB
# (AES-CTR keystream from openssl, made and hashed before the clock
# starts) sent by sendfile over one TCP connection to a receiver that
# hashes what arrives (sha256) and answers its hash and length; timed from
# connect to that answer.
#
# meshd's UDP datagrams per system call (udp_tx_datagrams / udp_tx_calls,
# udp_rx_* the same on receive) are read from `meshctl --json status` on
# both ends after each stream (the counters start with meshd, so they
# include the few datagrams before it), for the table "datagrams per
# system call".
#
# Environment: BENCH_BUILDDIR (build tree, default: this script's ..);
# BENCH_PERF_DIR: with -p, keep perf's data files and summary there (for
# perf report afterwards; the run's own directory goes with the run).
# BENCH_BASE_BUILDDIR: another built tree (e.g. of main) whose meshd and
# meshctl run as the system meshd_base, for a before/after in one run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
top_builddir=${BENCH_BUILDDIR:-$top_srcdir}
export top_srcdir top_builddir
. "$top_srcdir/tests/netns/lib.sh"

ROUNDS=3 SYSTEMS=bare,floor,meshd,meshd_off,tinc,yggdrasil,nebula FRUNS=3 FSYSTEMS=meshd,tinc
[ -z "${BENCH_BASE_BUILDDIR:-}" ] || SYSTEMS=bare,floor,meshd,meshd_off,meshd_base,tinc,yggdrasil,nebula
SECS=10 PROFILE= INSTALL=1 FMODES="kill cut" RROUNDS=3 IMIB=0
while getopts r:s:f:F:m:R:I:t:pnh o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	s) SYSTEMS=$OPTARG ;;
	f) FRUNS=$OPTARG ;;
	F) FSYSTEMS=$OPTARG ;;
	m) FMODES=$(echo "$OPTARG" | tr , ' ') ;;
	R) RROUNDS=$OPTARG ;;
	I) IMIB=$OPTARG ;;
	t) SECS=$OPTARG ;;
	p) PROFILE=1 ;;
	n) INSTALL= ;;
	*) sed -n '2,/^set -u$/{/^set -u$/!p}' "$0"; exit 2 ;;
	esac
done
say() { echo "overlay: $*" >&2; }

# The bench's own packages: not scripts/install-deps.sh (CI runs that, and
# no test needs these).  Note: on a systemd host Debian's yggdrasil package
# enables and starts yggdrasil.service with a generated config.
BENCH_DEBS="iperf3 tinc yggdrasil nebula"
netns_need python3 ping nft
if [ -n "$INSTALL" ]; then
	missing=
	for c in iperf3:iperf3 tincd:tinc yggdrasil:yggdrasil nebula:nebula nebula-cert:nebula; do
		command -v "${c%%:*}" >/dev/null 2>&1 || missing="$missing ${c#*:}"
	done
	if [ -n "$missing" ]; then
		say "installing$missing (bench-only list: $BENCH_DEBS)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2 ||
			say "apt-get install failed: those systems will be skipped"
	fi
fi
command -v iperf3 >/dev/null 2>&1 || netns_skip "needs iperf3 (Debian: apt-get install iperf3)"
netns_paths
HZ=$(getconf CLK_TCK)

has() { case ",$1," in *,"$2",*) return 0 ;; esac; return 1; }
note_skip() { eval "skip_$1=\"\$2\""; say "$1: skipped: $2"; }
ALL_SYSTEMS="bare floor meshd meshd_off meshd_base tinc yggdrasil nebula"
for s in $ALL_SYSTEMS; do eval "skip_$s="; done
if has "$SYSTEMS,$FSYSTEMS" meshd || has "$SYSTEMS" meshd_off; then
	if [ ! -x "$MESHD" ]; then note_skip meshd "no meshd in $top_builddir (./bootstrap && ./configure && make)"
	elif ! overlay_available; then note_skip meshd "this meshctl has no overlay"; fi
	skip_meshd_off=$skip_meshd
fi
MESHD_THIS=$MESHD MESHCTL_THIS=$MESHCTL
if has "$SYSTEMS" meshd_base; then
	if [ -z "${BENCH_BASE_BUILDDIR:-}" ]; then note_skip meshd_base "BENCH_BASE_BUILDDIR is not set"
	elif [ ! -x "$BENCH_BASE_BUILDDIR/meshd" ]; then note_skip meshd_base "no meshd in $BENCH_BASE_BUILDDIR"
	else MESHD_BASE=$(cd "$BENCH_BASE_BUILDDIR" && pwd)/meshd MESHCTL_BASE=$(cd "$BENCH_BASE_BUILDDIR" && pwd)/meshctl/meshctl; fi
fi
TUNFLOOR=$NETNS_BUILD/bench/tunfloor
[ -x "$TUNFLOOR" ] || note_skip floor "no $TUNFLOOR (make bench/tunfloor)"
command -v tincd >/dev/null 2>&1 || note_skip tinc "tincd not installed (Debian: tinc)"
command -v yggdrasil >/dev/null 2>&1 || note_skip yggdrasil "yggdrasil not installed (Debian: yggdrasil)"
command -v nebula-cert >/dev/null 2>&1 || note_skip nebula "nebula not installed (Debian: nebula)"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
netns_init
NETNS_QUIET=1
R=$NETNS_DIR/results		# one line per measurement
U=$NETNS_DIR/udpcalls		# meshd: datagrams per system call, per round
: > "$R"
: > "$U"
seg_add lan 10.79.0
node_add bench-a lan 1
node_add bench-b lan 2
A=bench-a B=bench-b
seg_static_arp lan

# --- helpers -------------------------------------------------------------------------------
# cpu_ticks PID: utime+stime (all threads) in clock ticks, 0 if gone.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
now_ms() { date +%s%3N; }

# bg NODE LOG CMD...: start CMD in NODE in the background; BGPID = its pid
# (found by its command name inside NODE: $! would be the subshell's).
bg() {
	_n=$1 _l=$2; shift 2
	node_exec "$_n" "$@" < /dev/null > "$_l" 2>&1 &
	_comm=$(basename "$1" | cut -c1-15)
	BGPID=
	for _ in $(seq 1 100); do
		BGPID=$(pid_of "$_n" "$_comm")
		[ -n "$BGPID" ] && return 0
		sleep 0.02
	done
	say "$_comm did not start in $_n: $(tail -n 3 "$_l")"
	BGPID=$!
}
# pid_of NODE COMM: the newest process named COMM inside NODE.
pid_of() {
	for _q in $(netns_procs_in "$(cat "$NETNS_DIR/$1/netns")"); do
		[ "$(cat "/proc/$_q/comm" 2>/dev/null)" = "$2" ] && echo "$_q"
	done | sort -n | tail -n 1
}

# reach NODE ADDR SECONDS: ping ADDR from NODE until one answer comes.
reach() {
	_t=$(($3 * 4))
	while [ "$_t" -gt 0 ]; do
		node_exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		sleep 0.25; _t=$((_t - 1))
	done
	return 1
}

# measure SYSTEM ROUND DST PID_A PID_B: ping, then iperf3 with CPU sampled.
measure() {
	_sys=$1 _r=$2 _dst=$3 _pa=$4 _pb=$5
	_pl=$NETNS_DIR/ping.$_sys.$_r
	node_exec "$A" ping -q -c 50 -i 0.05 -W 1 "$_dst" > "$_pl.sum" 2>&1
	node_exec "$A" ping -c 50 -i 0.05 -W 1 "$_dst" > "$_pl" 2>&1
	bg "$B" "$NETNS_DIR/iperf3s.log" iperf3 -s -1
	_srv=$BGPID
	sleep 0.5
	_ca0=0 _cb0=0
	[ -z "$_pa" ] || _ca0=$(cpu_ticks "$_pa")
	[ -z "$_pb" ] || _cb0=$(cpu_ticks "$_pb")
	_t0=$(now_ms)
	node_exec "$A" iperf3 -c "$_dst" -t "$SECS" -J > "$NETNS_DIR/iperf.$_sys.$_r.json" 2>&1
	_t1=$(now_ms)
	_ca=- _cb=- _ra=- _rb=-
	if [ -n "$_pa" ]; then _ca=$(($(cpu_ticks "$_pa") - _ca0)); _ra=$(rss_kb "$_pa"); fi
	if [ -n "$_pb" ]; then _cb=$(($(cpu_ticks "$_pb") - _cb0)); _rb=$(rss_kb "$_pb"); fi
	kill "$_srv" 2>/dev/null; wait "$_srv" 2>/dev/null
	python3 - "$_sys" "$_r" "$NETNS_DIR/iperf.$_sys.$_r.json" "$_pl" \
		"$_ca" "$_cb" "$((_t1 - _t0))" "$HZ" "$_ra" "$_rb" >> "$R" <<'PY'
import json, re, statistics, sys
sys_, r, ipf, pingf, ca, cb, ms, hz, ra, rb = sys.argv[1:]
try:
    j = json.load(open(ipf))
    gbps = j["end"]["sum_received"]["bits_per_second"] / 1e9
    retr = j["end"]["sum_sent"].get("retransmits", "-")
except Exception:
    gbps, retr = "-", "-"
t = [float(x) for x in re.findall(r"time=([0-9.]+)", open(pingf).read())]
med = statistics.median(t) if t else "-"
avg = statistics.mean(t) if t else "-"
def cpu(x):
    return "-" if x == "-" else "%.1f" % (int(x) / int(hz) / (int(ms) / 1000) * 100)
def mib(x):
    return "-" if x == "-" else "%.1f" % (int(x) / 1024)
print(sys_, r, gbps if gbps == "-" else "%.3f" % gbps, med if med == "-" else "%.3f" % med,
      avg if avg == "-" else "%.3f" % avg, cpu(ca), cpu(cb), mib(ra), mib(rb), len(t), retr)
PY
	tail -n 1 "$R" | sed 's/^/overlay: got: /' >&2
}

# --- meshd --------------------------------------------------------------------------------
mesh_addr() {	# NODE: its overlay address
	node_meshctl "$1" --json status 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["node"]["address"])'
}
meshd_fresh() {	# NODE...: new state and config (MESHD_CONF: one more line)
	for _x; do
		rm -rf "$NETNS_DIR/$_x/state" "$NETNS_DIR/$_x/meshd.log"
		node_conf "$_x" "nss_socket = /run/mesh/nss.sock" "control_socket = /run/mesh/meshd.sock" \
			${MESHD_CONF:+"$MESHD_CONF"}
	done
}
meshd_up() {
	MESHD=$MESHD_THIS MESHCTL=$MESHCTL_THIS MESHD_CONF= meshd_start
}
meshd_off_up() {
	MESHD=$MESHD_THIS MESHCTL=$MESHCTL_THIS MESHD_CONF="tun_offload = off
udp_gso = off
udp_gro = off" meshd_start
}
meshd_base_up() {
	MESHD=$MESHD_BASE MESHCTL=$MESHCTL_BASE MESHD_CONF= meshd_start
}
meshd_off_down() { meshd_down; }
meshd_base_down() { meshd_down; }
# udp_errs NODE: its kernel's UDP RcvbufErrors so far (the namespace's).
udp_errs() {
	_in "$1" awk '/^Udp:/ { if (h) print $f; else { for (i = 1; i <= NF; i++)
		if ($i == "RcvbufErrors") f = i; h = 1 } }' /proc/net/snmp
}
# tun_drop NODE tx|rx: mesh0's dropped packets that way (meshd's TUN, so
# since this meshd started).
tun_drop() {
	_in "$1" ip -j -s link show dev mesh0 2>/dev/null | python3 -c '
import json, sys
try: print(json.load(sys.stdin)[0]["stats64"][sys.argv[1]]["dropped"])
except Exception: print("-")' "$2"
}
# udp_calls SYSTEM ROUND: per end its UDP datagrams per system call each
# way, GSO messages, GRO buffers and datagrams dropped on a full socket
# buffer (a meshd without the counters: "-"); then where packets were
# lost: the receiver's and the sender's UDP socket (kernel counters over
# the run), the sender's TUN queue (the kernel's packets meshd did not
# read in time) and the receiver's; one line into $U.
udp_calls() {
	{
		for _x in "$A" "$B"; do
			node_meshctl "$_x" --json status 2>/dev/null | python3 -c '
import json, sys
try:
    o = json.load(sys.stdin)["agent"]["counters"]["overlay"]
    r = lambda d, c: "%.1f" % (o[d] / o[c]) if o.get(c) else "-"
    print(r("udp_tx_datagrams", "udp_tx_calls"), r("udp_rx_datagrams", "udp_rx_calls"),
          o.get("udp_tx_gso", "-"), o.get("udp_rx_gro", "-"), o.get("drop_send_full", "-"))
except Exception:
    print("- - - - -")'
		done
		echo $(($(udp_errs "$B") - UERR_B)) $(($(udp_errs "$A") - UERR_A)) \
			"$(tun_drop "$A" tx)" "$(tun_drop "$B" rx)"
	} | tr '\n' ' ' | sed "s/^/$1 $2 /; s/ \$//" >> "$U"
	echo >> "$U"
}
meshd_start() {
	meshd_fresh "$A" "$B"
	node_meshctl "$A" init --name "$A" > /dev/null 2>&1 || { say "meshctl init failed"; return 1; }
	start_meshd "$A"
	_tok=$(node_meshctl "$A" invite "$B" --endpoint "$(node_ip "$A"):51830" 2>/dev/null | tail -n 1)
	node_meshctl "$B" join "$_tok" > /dev/null 2>&1 || { say "meshctl join failed"; return 1; }
	start_meshd "$B"
	DST=$(mesh_addr "$B") PA=$(meshd_pid "$A") PB=$(meshd_pid "$B")
	UERR_A=$(udp_errs "$A") UERR_B=$(udp_errs "$B")
}
meshd_down() { stop_meshd "$A"; stop_meshd "$B"; }

# --- tinc 1.0 ------------------------------------------------------------------------------
# tinc_conf NODE TNAME OVERLAY-IP [CONNECTTO...]: its confdir $NETNS_DIR/NODE/tinc.
tinc_conf() {
	_d=$NETNS_DIR/$1/tinc
	rm -rf "$_d"; mkdir -p "$_d/hosts"
	{
		echo "Name = $2"
		echo "Mode = router"
		echo "AddressFamily = ipv4"
		echo "Interface = bench-tinc"
		shift 3
		for _c; do echo "ConnectTo = $_c"; done
	} > "$_d/tinc.conf"
}
tinc_host() {	# NODE TNAME OVERLAY-IP: its hosts file, keys, tinc-up
	_d=$NETNS_DIR/$1/tinc
	printf 'Address = %s\nSubnet = %s/32\n' "$(node_ip "$1")" "$3" > "$_d/hosts/$2"
	printf '#!/bin/sh\nip link set "$INTERFACE" up\nip addr add %s/24 dev "$INTERFACE"\n' "$3" > "$_d/tinc-up"
	chmod +x "$_d/tinc-up"
	tincd -c "$_d" -K 2048 < /dev/null > /dev/null 2>&1
}
tinc_share() {	# NODE...: every node gets every hosts file
	for _x; do for _y; do cp "$NETNS_DIR/$_y/tinc/hosts/"* "$NETNS_DIR/$_x/tinc/hosts/" 2>/dev/null; done; done
}
tinc_start() {	# NODE: TPID = its tincd
	bg "$1" "$NETNS_DIR/$1/tinc.log" tincd -c "$NETNS_DIR/$1/tinc" -D -d1 \
		--pidfile="$NETNS_DIR/$1/tinc/pid" --logfile="$NETNS_DIR/$1/tinc.log"
	TPID=$BGPID
	echo "$TPID" > "$NETNS_DIR/$1/tinc.pidof"
}
tinc_up() {
	tinc_conf "$A" bench_a 10.80.0.1 bench_b; tinc_host "$A" bench_a 10.80.0.1
	tinc_conf "$B" bench_b 10.80.0.2; tinc_host "$B" bench_b 10.80.0.2
	tinc_share "$A" "$B"
	tinc_start "$B"; PB=$TPID
	tinc_start "$A"; PA=$TPID
	DST=10.80.0.2
}
tinc_down() { node_kill "$A" TERM tincd; node_kill "$B" TERM tincd; sleep 0.3; }

# --- yggdrasil 0.4 --------------------------------------------------------------------------
ygg_conf() {	# NODE LISTEN PEER: $NETNS_DIR/NODE/ygg.conf (JSON)
	yggdrasil -genconf -json | python3 -c '
import json, sys
c = json.load(sys.stdin)
c["Listen"] = [sys.argv[1]] if sys.argv[1] else []
c["Peers"] = [sys.argv[2]] if sys.argv[2] else []
c["IfName"] = "bench-ygg"
c["MulticastInterfaces"] = []
c["AdminListen"] = "none"
json.dump(c, sys.stdout, indent=1)' "$2" "$3" > "$NETNS_DIR/$1/ygg.conf"
}
yggdrasil_up() {
	ygg_conf "$B" "tcp://$(node_ip "$B"):12345" ""
	ygg_conf "$A" "" "tcp://$(node_ip "$B"):12345"
	bg "$B" "$NETNS_DIR/$B/ygg.log" yggdrasil -useconffile "$NETNS_DIR/$B/ygg.conf"; PB=$BGPID
	bg "$A" "$NETNS_DIR/$A/ygg.log" yggdrasil -useconffile "$NETNS_DIR/$A/ygg.conf"; PA=$BGPID
	DST=$(yggdrasil -useconffile "$NETNS_DIR/$B/ygg.conf" -address)
}
yggdrasil_down() { node_kill "$A" TERM yggdrasil; node_kill "$B" TERM yggdrasil; sleep 0.3; }

# --- nebula 1.6 -----------------------------------------------------------------------------
# neb_conf NODE NAME IP LIGHTHOUSE-IP|"" [LIGHTHOUSE-UNDERLAY-IP [YAML-LINE]]:
# certs and YAML in $NETNS_DIR/NODE/nebula (the lighthouse at bench-b's
# address unless given; YAML-LINE: one more top-level line, e.g. relay).
neb_conf() {
	_d=$NETNS_DIR/$1/nebula
	rm -rf "$_d"; mkdir -p "$_d"
	nebula-cert sign -ca-crt "$NETNS_DIR/nebula-ca.crt" -ca-key "$NETNS_DIR/nebula-ca.key" \
		-name "$2" -ip "$3/24" -out-crt "$_d/host.crt" -out-key "$_d/host.key" || return 1
	{
		echo "pki: {ca: $NETNS_DIR/nebula-ca.crt, cert: $_d/host.crt, key: $_d/host.key}"
		if [ -n "$4" ]; then
			echo "static_host_map: {\"$4\": [\"${5:-$(node_ip "$B")}:4242\"]}"
			echo "lighthouse: {am_lighthouse: false, interval: 60, hosts: [\"$4\"]}"
		else
			echo "static_host_map: {}"
			echo "lighthouse: {am_lighthouse: true}"
		fi
		echo "listen: {host: 0.0.0.0, port: 4242}"
		echo "punchy: {punch: false}"
		[ -z "${6:-}" ] || echo "$6"
		echo "tun: {disabled: false, dev: bench-neb, drop_local_broadcast: false, drop_multicast: false}"
		echo "logging: {level: info, format: text}"
		echo "firewall:"
		echo "  outbound: [{port: any, proto: any, host: any}]"
		echo "  inbound: [{port: any, proto: any, host: any}]"
	} > "$_d/config.yml"
}
nebula_up() {
	rm -f "$NETNS_DIR"/nebula-ca.*
	nebula-cert ca -name bench -out-crt "$NETNS_DIR/nebula-ca.crt" -out-key "$NETNS_DIR/nebula-ca.key" || return 1
	neb_conf "$B" bench-b 10.81.0.2 "" || return 1
	neb_conf "$A" bench-a 10.81.0.1 10.81.0.2 || return 1
	bg "$B" "$NETNS_DIR/$B/nebula.log" nebula -config "$NETNS_DIR/$B/nebula/config.yml"; PB=$BGPID
	bg "$A" "$NETNS_DIR/$A/nebula.log" nebula -config "$NETNS_DIR/$A/nebula/config.yml"; PA=$BGPID
	DST=10.81.0.2
}
nebula_down() { node_kill "$A" TERM nebula; node_kill "$B" TERM nebula; sleep 0.3; }

# --- the bare link --------------------------------------------------------------------------
bare_up() { DST=$(node_ip "$B") PA= PB=; }
bare_down() { :; }

# --- the floor: bench/tunfloor, TUN to UDP and back with no crypto ---------------------------
floor_up() {
	bg "$B" "$NETNS_DIR/$B/floor.log" "$TUNFLOOR" tf0 51831 "$(node_ip "$A")" 51831; PB=$BGPID
	bg "$A" "$NETNS_DIR/$A/floor.log" "$TUNFLOOR" tf0 51831 "$(node_ip "$B")" 51831; PA=$BGPID
	node_exec "$A" sh -c 'ip addr add fd82::1/64 dev tf0 nodad && ip link set tf0 mtu 1400 up' &&
	node_exec "$B" sh -c 'ip addr add fd82::2/64 dev tf0 nodad && ip link set tf0 mtu 1400 up' ||
		return 1
	DST=fd82::2
}
floor_down() { node_kill "$A" TERM tunfloor; node_kill "$B" TERM tunfloor; sleep 0.3; }

# --- profile: where meshd's time goes ---------------------------------------------------------
profile_meshd() {
	command -v perf >/dev/null 2>&1 || { say "perf: not installed (Debian: linux-perf)"; return; }
	meshd_up || return
	reach "$A" "$DST" 20 || { say "perf: meshd path not up"; meshd_down; return; }
	bg "$B" "$NETNS_DIR/iperf3s.log" iperf3 -s -1; _srv=$BGPID
	sleep 0.5
	node_exec "$A" iperf3 -c "$DST" -t "$SECS" -J > "$NETNS_DIR/iperf.perf.json" 2>&1 &
	_cli=$!
	sleep 1
	_perfs=
	for _e in a:"$PA" b:"$PB"; do
		perf record -g -p "${_e#*:}" -o "$NETNS_DIR/perf.${_e%%:*}.data" -- sleep $((SECS - 2)) \
			> /dev/null 2>> "$NETNS_DIR/perf.err" &
		_perfs="$_perfs $!"
	done
	# Not a bare `wait`: meshd's own jobs would hold it for ever.
	wait "$_cli"
	for _q in $_perfs; do wait "$_q"; done
	kill "$_srv" 2>/dev/null
	for _e in a b; do
		perf_summary "$NETNS_DIR/perf.$_e.data" \
			"meshd on bench-$_e ($([ $_e = a ] && echo sender || echo receiver))"
	done > "$NETNS_DIR/perf.txt"
	if [ -n "${BENCH_PERF_DIR:-}" ]; then
		mkdir -p "$BENCH_PERF_DIR" &&
			cp "$NETNS_DIR"/perf.*.data "$NETNS_DIR/perf.txt" "$BENCH_PERF_DIR/"
	fi
	meshd_down
}
# perf_summary DATA WHO: self time by object and symbol, then the time
# under system calls and meshd's own functions.
perf_summary() {
	echo "== $2: self time by object and symbol (>= 1%)"
	perf report -i "$1" --no-children --stdio --sort dso,sym \
		--percent-limit 1 -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25
	echo "== time under each system call and meshd function (children, >= 3%)"
	perf report -i "$1" --children --stdio --sort sym \
		--percent-limit 3 -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
		grep -E '__x64_sys|\[\.\] [a-z_]*(send|recv|read|write|tun|udp|node|kick|records|aead|chacha|poly|seal|open|deliver|on_|hop|forward|defer|flush)' | head -25
}

# --- the throughput run ----------------------------------------------------------------------
SYS_ORDER=
for s in $ALL_SYSTEMS; do
	has "$SYSTEMS" "$s" || continue
	eval "sk=\$skip_$s"
	[ -z "$sk" ] && SYS_ORDER="$SYS_ORDER $s"
done
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for s in $SYS_ORDER; do
		DST= PA= PB=
		if ! "${s}_up"; then say "$s round $r: did not start"; "${s}_down"; continue; fi
		if ! reach "$A" "$DST" 30; then
			say "$s round $r: $DST not reachable from $A in 30 s"
			"${s}_down"; continue
		fi
		sleep 1	# let the handshakes and the first probes settle
		measure "$s" "$r" "$DST" "$PA" "$PB"
		case $s in meshd*) udp_calls "$s" "$r" ;; esac
		"${s}_down"
	done
	r=$((r + 1))
done
case " $SYS_ORDER " in *" meshd "*) [ -z "$PROFILE" ] || profile_meshd ;; esac

# --- integrity: MIB MiB through meshd direct, checked by sha256 ------------------------------
IG=$NETNS_DIR/integrity
: > "$IG"
integrity_meshd() {
	_f=$NETNS_DIR/integrity.data
	say "integrity: making $IMIB MiB of test data"
	openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:nss-mesh-bench < /dev/zero 2>/dev/null |
		head -c "${IMIB}M" > "$_f"
	_sum=$(sha256sum < "$_f" | cut -d' ' -f1)
	if [ "$(stat -c %s "$_f")" != $((IMIB * 1048576)) ]; then
		say "integrity: could not write $IMIB MiB to $_f"; rm -f "$_f"; return
	fi
	if ! meshd_up || ! reach "$A" "$DST" 30; then
		say "integrity: meshd path not up"; meshd_down; rm -f "$_f"; return
	fi
	sleep 1
	# The receiver hashes what arrives and answers "LENGTH SHA256" at EOF.
	bg "$B" "$NETNS_DIR/integrity.recv.log" python3 -c '
import hashlib, socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 5299)); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0; buf = bytearray(1 << 22); mv = memoryview(buf)
while True:
    k = c.recv_into(buf)
    if not k: break
    h.update(mv[:k]); n += k
c.sendall(("%d %s\n" % (n, h.hexdigest())).encode()); c.close()'
	_rcv=$BGPID
	node_exec "$A" python3 -c '
import os, socket, sys, time
dst, path = sys.argv[1], sys.argv[2]
for _ in range(100):
    try:
        c = socket.create_connection((dst, 5299)); break
    except OSError:
        time.sleep(0.05)
else:
    print("- - - noconnect"); sys.exit(0)
t0 = time.time(); size = os.path.getsize(path); off = 0
with open(path, "rb") as f:
    while off < size:
        off += os.sendfile(c.fileno(), f.fileno(), off, size - off)
c.shutdown(socket.SHUT_WR)
ans = b""
while True:
    k = c.recv(256)
    if not k: break
    ans += k
t = time.time() - t0
n, h = (ans.decode().split() + ["-", "-"])[:2]
print("%.2f %s %s" % (t, n, h))' "$DST" "$_f" > "$NETNS_DIR/integrity.send" 2>&1
	read -r _secs _n _got _ < "$NETNS_DIR/integrity.send"
	kill "$_rcv" 2>/dev/null
	_ok=FAIL
	[ "$_n" = $((IMIB * 1048576)) ] && [ "$_got" = "$_sum" ] && _ok=pass
	echo "$IMIB $_secs $_n $_sum ${_got:--} $_ok $(counter "$B" drop_ip_bad) $(counter "$B" tun_drop_vnet)" >> "$IG"
	say "integrity: $IMIB MiB in $_secs s, sha256 $_ok"
	meshd_down
	rm -f "$_f"
}
if [ "$IMIB" -gt 0 ]; then
	if [ -n "$skip_meshd" ]; then say "integrity: skipped: $skip_meshd"
	elif ! command -v openssl >/dev/null 2>&1; then say "integrity: skipped: no openssl"
	else integrity_meshd; fi
fi

# --- the relay failover gap ------------------------------------------------------------------
F=$NETNS_DIR/failover
: > "$F"
RA=bench-ra RB1=bench-rb1 RB2=bench-rb2 RC=bench-rc
failover_topo() {
	seg_add rel 10.79.1
	node_add "$RA" rel 1; node_add "$RB1" rel 2; node_add "$RB2" rel 3; node_add "$RC" rel 4
	seg_static_arp rel
	_in "$RC" nft -f - <<NFT || netns_fail "nft rules in $RC"
table inet benchcut {
	chain in { type filter hook input priority filter; policy accept; ip saddr $(node_ip "$RA") drop; }
	chain out { type filter hook output priority filter; policy accept; ip daddr $(node_ip "$RA") drop; }
}
NFT
}

# gap_of PINGLOG COUNT: the longest run of missing icmp_seq in 1..COUNT, x 20 ms.
gap_of() {
	python3 - "$1" "$2" <<'PY'
import re, sys
seen = {int(s) for s in re.findall(r"icmp_seq=(\d+) ", open(sys.argv[1]).read())}
n = int(sys.argv[2]); run = best = 0
for i in range(1, n + 1):
    run = 0 if i in seen else run + 1
    best = max(best, run)
# A run still open at the end: the path never came back within the window.
print("%d%s" % (best * 20, "+" if run and run == best else ""), n - len([s for s in seen if s <= n]))
PY
}

mesh_relay_of() {	# the relay A's link to C uses now, or nothing
	node_meshctl "$RA" --json members 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["name"] == sys.argv[1]:
        r = (m.get("link") or {}).get("relay")
        if isinstance(r, str): print(r)' "$RC"
}

# failover_ping DST CMD...: 15 s of pings at 20 ms, CMD (the failure) at 2 s.
failover_ping() {
	_log=$NETNS_DIR/fping.$FSYS.$FMODE.$FRUN
	_fd=$1; shift
	node_exec "$RA" ping -i 0.02 -c 750 -W 1 "$_fd" > "$_log" 2>&1 &
	_pp=$!
	sleep 2
	"$@"
	wait "$_pp"
	gap_of "$_log" 750
}

# cut NODE / uncut NODE: NODE's namespace drops every packet in and out (a
# relay that vanishes: powered off, unplugged), then not.
relay_cut() {
	_in "$1" nft -f - <<NFT
table inet benchdead {
	chain in { type filter hook input priority -10; policy drop; }
	chain out { type filter hook output priority -10; policy drop; }
}
NFT
}
relay_uncut() { _in "$1" nft delete table inet benchdead; }

# fail MODE SYSTEM RELAY: kill the relay's daemon, or cut the relay off.
fail() {
	if [ "$1" = cut ]; then relay_cut "$3"
	elif [ "$2" = meshd ]; then kill_meshd "$3"
	else node_kill "$3" KILL tincd; fi
}
# heal MODE SYSTEM RELAY: the relay back as it was.
heal() {
	if [ "$1" = cut ]; then relay_uncut "$3"
	elif [ "$2" = meshd ]; then start_meshd "$3"
	else sleep 0.3; tinc_start "$3"; fi
}

# failover_runs SYSTEM DST RELAY-OF: FRUNS runs of each mode in FMODES.
failover_runs() {
	FSYS=$1 _fdst=$2 _frel=$3
	for FMODE in $FMODES; do
		FRUN=1
		while [ "$FRUN" -le "$FRUNS" ]; do
			_t0=$(now_ms) _relay=
			while [ $(($(now_ms) - _t0)) -lt 60000 ]; do
				_relay=$($_frel)
				[ -n "$_relay" ] && node_exec "$RA" ping -c 1 -W 1 "$_fdst" > /dev/null 2>&1 && break
				_relay=
				sleep 0.5
			done
			if [ -z "$_relay" ]; then
				say "$FSYS $FMODE $FRUN: A reaches C through no single relay after 60 s"
				echo "$FSYS $FMODE $FRUN - - none" >> "$F"
				FRUN=$((FRUN + 1)); continue
			fi
			sleep 3	# settled, and a relay that came back is a full member again
			_relay=$($_frel)
			[ -n "$_relay" ] || { sleep 1; continue; }
			say "$FSYS $FMODE $FRUN: A reaches C through $_relay; failing it ($FMODE)"
			set -- $(failover_ping "$_fdst" fail "$FMODE" "$FSYS" "$_relay")
			echo "$FSYS $FMODE $FRUN $1 $2 $_relay" >> "$F"
			say "$FSYS $FMODE $FRUN: gap $1 ms ($2 of 750 pings lost)"
			heal "$FMODE" "$FSYS" "$_relay"
			FRUN=$((FRUN + 1))
			sleep 5
		done
	done
}

mesh_relay_of() {	# the relay A's link to C uses now, or nothing
	node_meshctl "$RA" --json members 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["name"] == sys.argv[1]:
        r = (m.get("link") or {}).get("relay")
        if isinstance(r, str): print(r)' "$RC"
}
meshd_failover() {
	meshd_fresh "$RA" "$RB1" "$RB2" "$RC"
	node_meshctl "$RB1" init --name "$RB1" > /dev/null 2>&1 || { say "init failed"; return; }
	start_meshd "$RB1"
	for _x in "$RA" "$RB2" "$RC"; do
		_tok=$(node_meshctl "$RB1" invite "$_x" --endpoint "$(node_ip "$RB1"):51830" 2>/dev/null | tail -n 1)
		node_meshctl "$_x" join "$_tok" > /dev/null 2>&1 || say "join $_x failed"
		start_meshd "$_x"
	done
	failover_runs meshd "$(mesh_addr "$RC")" mesh_relay_of
	for _x in "$RA" "$RB1" "$RB2" "$RC"; do stop_meshd "$_x"; done
}

# rx_pkts NODE: eth0's received packets.
rx_pkts() { _in "$1" ip -j -s link show dev eth0 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
tinc_relay_of() {	# the relay whose eth0 counts 50 pings A->C, or nothing
	_b1=$(rx_pkts "$RB1") _b2=$(rx_pkts "$RB2")
	node_exec "$RA" ping -c 50 -i 0.01 -W 1 -q 10.80.1.4 > /dev/null 2>&1
	_d1=$(($(rx_pkts "$RB1") - _b1)) _d2=$(($(rx_pkts "$RB2") - _b2))
	if [ "$_d1" -ge 40 ] && [ "$_d1" -gt $((_d2 * 2)) ]; then echo "$RB1"
	elif [ "$_d2" -ge 40 ] && [ "$_d2" -gt $((_d1 * 2)) ]; then echo "$RB2"; fi
}
tinc_failover() {
	tinc_conf "$RA" ra 10.80.1.1 rb1 rb2; tinc_host "$RA" ra 10.80.1.1
	tinc_conf "$RB1" rb1 10.80.1.2; tinc_host "$RB1" rb1 10.80.1.2
	tinc_conf "$RB2" rb2 10.80.1.3; tinc_host "$RB2" rb2 10.80.1.3
	tinc_conf "$RC" rc 10.80.1.4 rb1 rb2; tinc_host "$RC" rc 10.80.1.4
	tinc_share "$RA" "$RB1" "$RB2" "$RC"
	for _x in "$RB1" "$RB2" "$RA" "$RC"; do tinc_start "$_x"; done
	failover_runs tinc 10.80.1.4 tinc_relay_of
	for _x in "$RA" "$RB1" "$RB2" "$RC"; do node_kill "$_x" TERM tincd; done
	sleep 0.3
}

# --- relayed throughput: A to C through B1 ---------------------------------------------------
RR=$NETNS_DIR/relayed	# one line per relayed measurement
: > "$RR"
REL_TOPO=
topo_once() { [ -n "$REL_TOPO" ] || { failover_topo; REL_TOPO=1; }; }
rx_bytes() { _in "$1" ip -j -s link show dev eth0 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])'; }
mesh_link_bytes() {	# A's link to C: tx_bytes tx_relayed_bytes
	node_meshctl "$RA" --json members 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["name"] == sys.argv[1]:
        l = m.get("link") or {}
        print(l.get("tx_bytes", "-"), l.get("tx_relayed_bytes", "-")); break
else:
    print("- -")' "$RC"
}

meshd_relayed_up() {
	meshd_fresh "$RA" "$RB1" "$RC"
	node_meshctl "$RB1" init --name "$RB1" > /dev/null 2>&1 || { say "meshctl init failed"; return 1; }
	start_meshd "$RB1"
	for _x in "$RA" "$RC"; do
		_tok=$(node_meshctl "$RB1" invite "$_x" --endpoint "$(node_ip "$RB1"):51830" 2>/dev/null | tail -n 1)
		node_meshctl "$_x" join "$_tok" > /dev/null 2>&1 || { say "meshctl join $_x failed"; return 1; }
		start_meshd "$_x"
	done
	DST=$(mesh_addr "$RC") PA=$(meshd_pid "$RA") PR=$(meshd_pid "$RB1") PC=$(meshd_pid "$RC")
}
meshd_relayed_ready() { [ "$(mesh_relay_of)" = "$RB1" ]; }
meshd_relayed_down() { for _x in "$RA" "$RB1" "$RC"; do stop_meshd "$_x"; done; }
# meshd_base: the same with BENCH_BASE_BUILDDIR's meshd and meshctl (the
# globals, so node_meshctl asks it in its own words until it is down).
meshd_base_relayed_up() { MESHD=$MESHD_BASE MESHCTL=$MESHCTL_BASE; meshd_relayed_up; }
meshd_base_relayed_down() { meshd_relayed_down; MESHD=$MESHD_THIS MESHCTL=$MESHCTL_THIS; }

tinc_relayed_up() {
	tinc_conf "$RA" ra 10.80.1.1 rb1; tinc_host "$RA" ra 10.80.1.1
	tinc_conf "$RB1" rb1 10.80.1.2; tinc_host "$RB1" rb1 10.80.1.2
	tinc_conf "$RC" rc 10.80.1.4 rb1; tinc_host "$RC" rc 10.80.1.4
	tinc_share "$RA" "$RB1" "$RC"
	tinc_start "$RB1"; PR=$TPID
	tinc_start "$RA"; PA=$TPID
	tinc_start "$RC"; PC=$TPID
	DST=10.80.1.4
}
tinc_relayed_down() { for _x in "$RA" "$RB1" "$RC"; do node_kill "$_x" TERM tincd; done; sleep 0.3; }

yggdrasil_relayed_up() {
	ygg_conf "$RB1" "tcp://$(node_ip "$RB1"):12345" ""
	ygg_conf "$RA" "" "tcp://$(node_ip "$RB1"):12345"
	ygg_conf "$RC" "" "tcp://$(node_ip "$RB1"):12345"
	bg "$RB1" "$NETNS_DIR/$RB1/ygg.log" yggdrasil -useconffile "$NETNS_DIR/$RB1/ygg.conf"; PR=$BGPID
	bg "$RA" "$NETNS_DIR/$RA/ygg.log" yggdrasil -useconffile "$NETNS_DIR/$RA/ygg.conf"; PA=$BGPID
	bg "$RC" "$NETNS_DIR/$RC/ygg.log" yggdrasil -useconffile "$NETNS_DIR/$RC/ygg.conf"; PC=$BGPID
	DST=$(yggdrasil -useconffile "$NETNS_DIR/$RC/ygg.conf" -address)
}
yggdrasil_relayed_down() { for _x in "$RA" "$RB1" "$RC"; do node_kill "$_x" TERM yggdrasil; done; sleep 0.3; }

# nebula 1.6: B1 the lighthouse and the relay; A and C name it in relay.relays.
nebula_relayed_up() {
	rm -f "$NETNS_DIR"/nebula-ca.*
	nebula-cert ca -name bench -out-crt "$NETNS_DIR/nebula-ca.crt" -out-key "$NETNS_DIR/nebula-ca.key" || return 1
	_uses="relay: {relays: [10.81.1.2], am_relay: false, use_relays: true}"
	neb_conf "$RB1" bench-rb1 10.81.1.2 "" "" "relay: {am_relay: true, use_relays: true}" || return 1
	neb_conf "$RA" bench-ra 10.81.1.1 10.81.1.2 "$(node_ip "$RB1")" "$_uses" || return 1
	neb_conf "$RC" bench-rc 10.81.1.4 10.81.1.2 "$(node_ip "$RB1")" "$_uses" || return 1
	for _x in "$RB1" "$RA" "$RC"; do
		bg "$_x" "$NETNS_DIR/$_x/nebula.log" nebula -config "$NETNS_DIR/$_x/nebula/config.yml"
		case $_x in "$RB1") PR=$BGPID ;; "$RA") PA=$BGPID ;; *) PC=$BGPID ;; esac
	done
	DST=10.81.1.4
}
nebula_relayed_down() { for _x in "$RA" "$RB1" "$RC"; do node_kill "$_x" TERM nebula; done; sleep 0.3; }

# relayed_ready SYSTEM: A pings C (and meshd's A names B1 as C's relay).
relayed_ready() {
	node_exec "$RA" ping -c 1 -W 1 "$DST" > /dev/null 2>&1 || return 1
	case $1 in meshd|meshd_base) meshd_relayed_ready ;; esac
}

# measure_relayed SYSTEM ROUND: ping, then one iperf3 stream A -> C with
# the CPU of A's, B1's and C's daemons; one line into $RR.
measure_relayed() {
	_sys=$1 _r=$2
	_pl=$NETNS_DIR/rping.$_sys.$_r
	node_exec "$RA" ping -c 50 -i 0.05 -W 1 "$DST" > "$_pl" 2>&1
	bg "$RC" "$NETNS_DIR/iperf3s.log" iperf3 -s -1
	_srv=$BGPID
	sleep 0.5
	_p0=- _p1=- _h0= _hd=- _l0="- -" _l1="- -"
	if [ "$_sys" = meshd ] || [ "$_sys" = meshd_base ]; then
		_p0=$(mesh_relay_of); _h0=$(counter "$RB1" hops_relayed); _l0=$(mesh_link_bytes)
		node_meshctl "$RA" status "$RC" 2>/dev/null | sed -n 's/^Path: *//p' |
			sed "s/^/$_sys round $_r, before: /" >> "$NETNS_DIR/rpaths"
	fi
	_x0=$(rx_bytes "$RB1")
	_ca0=$(cpu_ticks "$PA") _cr0=$(cpu_ticks "$PR") _cc0=$(cpu_ticks "$PC")
	_t0=$(now_ms)
	node_exec "$RA" iperf3 -c "$DST" -t "$SECS" -J > "$NETNS_DIR/riperf.$_sys.$_r.json" 2>&1
	_t1=$(now_ms)
	_ca=$(($(cpu_ticks "$PA") - _ca0)) _cr=$(($(cpu_ticks "$PR") - _cr0)) _cc=$(($(cpu_ticks "$PC") - _cc0))
	_rr=$(rss_kb "$PR")
	_xd=$(($(rx_bytes "$RB1") - _x0))
	if [ "$_sys" = meshd ] || [ "$_sys" = meshd_base ]; then
		_p1=$(mesh_relay_of); _hd=$(($(counter "$RB1" hops_relayed) - _h0)); _l1=$(mesh_link_bytes)
		node_meshctl "$RA" status "$RC" 2>/dev/null | sed -n 's/^Path: *//p' |
			sed "s/^/$_sys round $_r, after: /" >> "$NETNS_DIR/rpaths"
	fi
	kill "$_srv" 2>/dev/null; wait "$_srv" 2>/dev/null
	python3 - "$_sys" "$_r" "$NETNS_DIR/riperf.$_sys.$_r.json" "$_pl" "$_ca" "$_cr" "$_cc" \
		"$((_t1 - _t0))" "$HZ" "$_rr" "$_xd" "${_p0:-none}" "${_p1:-none}" "$_hd" $_l0 $_l1 >> "$RR" <<'PY'
import json, re, statistics, sys
(sys_, r, ipf, pingf, ca, cr, cc, ms, hz, rr, xd, p0, p1, hops,
 tx0, rel0, tx1, rel1) = sys.argv[1:]
try:
    j = json.load(open(ipf))
    gbps = "%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9)
    nbytes = j["end"]["sum_received"]["bytes"]
    retr = j["end"]["sum_sent"].get("retransmits", "-")
except Exception:
    gbps, nbytes, retr = "-", "-", "-"
t = [float(x) for x in re.findall(r"time=([0-9.]+)", open(pingf).read())]
med = "%.3f" % statistics.median(t) if t else "-"
cpu = lambda x: "%.1f" % (int(x) / int(hz) / (int(ms) / 1000) * 100)
try:
    pct = "%.1f" % ((int(rel1) - int(rel0)) / (int(tx1) - int(tx0)) * 100)
except Exception:
    pct = "-"
print(sys_, r, gbps, med, cpu(ca), cpu(cr), cpu(cc), "%.1f" % (int(rr) / 1024), retr, nbytes, xd,
      p0, p1, hops, pct, len(t))
PY
	tail -n 1 "$RR" | sed 's/^/overlay: relayed: got: /' >&2
}

profile_relay() {	# perf on B1's meshd during one more relayed stream
	command -v perf >/dev/null 2>&1 || { say "perf: not installed (Debian: linux-perf)"; return; }
	meshd_relayed_up || { meshd_relayed_down; return; }
	wait_until 60000 relayed_ready meshd || { say "perf: relayed path not up"; meshd_relayed_down; return; }
	sleep 1
	bg "$RC" "$NETNS_DIR/iperf3s.log" iperf3 -s -1; _srv=$BGPID
	sleep 0.5
	node_exec "$RA" iperf3 -c "$DST" -t "$SECS" -J > "$NETNS_DIR/riperf.perf.json" 2>&1 &
	_cli=$!
	sleep 1
	perf record -g -p "$PR" -o "$NETNS_DIR/perf.relay.data" -- sleep $((SECS - 2)) \
		> /dev/null 2>> "$NETNS_DIR/perf.err"
	wait "$_cli"
	kill "$_srv" 2>/dev/null
	perf_summary "$NETNS_DIR/perf.relay.data" "meshd on bench-rb1 (the relay)" > "$NETNS_DIR/perf.relay.txt"
	python3 -c 'import json, sys
print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		"$NETNS_DIR/riperf.perf.json" > "$NETNS_DIR/perf.relay.gbps" 2>/dev/null
	meshd_relayed_down
}

REL_ORDER=
for s in meshd meshd_base tinc yggdrasil nebula; do
	has "$SYSTEMS" "$s" || continue
	eval "sk=\$skip_$s"
	[ -z "$sk" ] && REL_ORDER="$REL_ORDER $s"
done
if [ "$RROUNDS" -gt 0 ] && [ -n "$REL_ORDER" ]; then
	topo_once
	r=1
	while [ "$r" -le "$RROUNDS" ]; do
		for s in $REL_ORDER; do
			DST= PA= PR= PC=
			if ! "${s}_relayed_up"; then say "$s relayed round $r: did not start"; "${s}_relayed_down"; continue; fi
			if ! wait_until 60000 relayed_ready "$s"; then
				say "$s relayed round $r: $DST not reachable from $RA through $RB1 in 60 s"
				echo "$s $r unreachable" >> "$NETNS_DIR/rfail"
				"${s}_relayed_down"; continue
			fi
			say "$s relayed round $r: A reaches C after $WAITED ms"
			sleep 1
			measure_relayed "$s" "$r"
			"${s}_relayed_down"
		done
		r=$((r + 1))
	done
	case " $REL_ORDER " in *" meshd "*) [ -z "$PROFILE" ] || profile_relay ;; esac
fi

if [ "$FRUNS" -gt 0 ]; then
	topo_once
	for FSYS in meshd tinc; do
		has "$FSYSTEMS" "$FSYS" || continue
		eval "sk=\$skip_$FSYS"
		[ -z "$sk" ] || continue
		"${FSYS}_failover"
	done
fi

# --- the table ---------------------------------------------------------------------------------
echo "load average (1, 5, 15 min) at start: $LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
touch "$NETNS_DIR/rpaths" "$NETNS_DIR/rfail"
python3 - "$R" "$F" "$ROUNDS" "$SECS" "$U" "$RR" "$IG" "$NETNS_DIR/rpaths" "$NETNS_DIR/rfail" "$RROUNDS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
rel = [l.split() for l in open(sys.argv[6]) if l.strip()]
ig = [l.split() for l in open(sys.argv[7]) if l.strip()]
rpaths = [l.rstrip("\n") for l in open(sys.argv[8]) if l.strip()]
rfail = [l.split() for l in open(sys.argv[9]) if l.strip()]
fo = [l.split() for l in open(sys.argv[2]) if l.strip()]
uc = [l.split() for l in open(sys.argv[5]) if l.strip()]
order = ["bare", "floor", "meshd", "meshd_off", "meshd_base", "tinc", "yggdrasil", "nebula"]
def med(sys_, col):
    v = [float(r[col]) for r in rows if r[0] == sys_ and r[col] != "-"]
    return (statistics.median(v), min(v), max(v), len(v)) if v else None
S = {}
for s in order:
    if not any(r[0] == s for r in rows): continue
    g, rt, ra, ca, cb, ma, mb = (med(s, c) for c in (2, 3, 4, 5, 6, 7, 8))
    S[s] = dict(g=g, rt=rt, ra=ra, ca=ca, cb=cb, ma=ma, mb=mb)
    if g and ca and cb:
        per = [ (float(r[5]) + float(r[6])) / float(r[2]) for r in rows
                if r[0] == s and "-" not in (r[2], r[5], r[6]) and float(r[2]) > 0 ]
        S[s]["per"] = statistics.median(per) if per else None
    else:
        S[s]["per"] = None
def f(x, fmt="%.2f"): return "-" if x is None else fmt % x
def ratio(a, b, fmt="%.2f"):
    return "-" if a is None or b is None or b == 0 else fmt % (a / b)
b, m = S.get("bare", {}), S.get("meshd", {})
g0 = lambda d, k: d.get(k)[0] if d.get(k) else None
if rows:
  print("\nOne TCP stream (iperf3 %s s) and ping, bench-a -> bench-b: median of %s rounds"
      % (sys.argv[4], sys.argv[3]))
  print("CPU: each daemon's utime+stime over the iperf3 run, % of one core; "
      "per Gb/s: (sender + receiver) / Gb/s\n")
  print("| system | Gb/s (min-max) | x bare | x meshd | RTT ms median / mean | x bare | x meshd "
      "| CPU % sender / receiver | CPU % per Gb/s | x meshd | RSS MiB sender / receiver | x meshd |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
  for s in order:
    if s not in S: continue
    d = S[s]
    g = g0(d, "g"); rt = g0(d, "rt")
    rss = max(x for x in (g0(d, "ma"), g0(d, "mb"), 0) if x is not None) or None
    mrss = max(x for x in (g0(m, "ma"), g0(m, "mb"), 0) if x is not None) or None
    print("| %s | %s (%s-%s) | %s | %s | %s / %s | %s | %s | %s / %s | %s | %s | %s / %s | %s |" % (
        s, f(g), f(d["g"][1] if d["g"] else None), f(d["g"][2] if d["g"] else None),
        ratio(g, g0(b, "g")), ratio(g, g0(m, "g")),
        f(rt, "%.3f"), f(g0(d, "ra"), "%.3f"), ratio(rt, g0(b, "rt"), "%.1f"), ratio(rt, g0(m, "rt")),
        f(g0(d, "ca"), "%.0f"), f(g0(d, "cb"), "%.0f"), f(d["per"], "%.0f"),
        ratio(d["per"], m.get("per")), f(g0(d, "ma"), "%.1f"), f(g0(d, "mb"), "%.1f"), ratio(rss, mrss)))
if rel or rfail:
    # rel: system round gbps rtt cpu_a cpu_relay cpu_c rss_relay retr bytes relay_rx_bytes
    #      path_before path_after hops pct_relayed pings
    RO = ["meshd", "meshd_base", "tinc", "yggdrasil", "nebula"]
    def rmed(s, i):
        v = [float(r[i]) for r in rel if r[0] == s and r[i] not in ("-", "none")]
        return (statistics.median(v), min(v), max(v)) if v else None
    RS = {}
    for s in RO:
        if not any(r[0] == s for r in rel): continue
        d = {k: rmed(s, i) for k, i in (("g", 2), ("rt", 3), ("ca", 4), ("cr", 5), ("cc", 6), ("mr", 7))}
        per = [float(r[5]) / float(r[2]) for r in rel if r[0] == s and "-" not in (r[2], r[5]) and float(r[2]) > 0]
        d["per"] = statistics.median(per) if per else None
        RS[s] = d
    rm = RS.get("meshd", {})
    r0 = lambda d, k: d[k][0] if d.get(k) else None
    print("\nRelayed: one TCP stream (iperf3 %s s) and ping, bench-ra -> bench-rc through bench-rb1 "
          "(A<->C dropped by nftables): median of %s rounds" % (sys.argv[4], sys.argv[10]))
    print("CPU % of one core over the stream; relay per Gb/s: the relay's CPU % / Gb/s; "
          "x direct: over this run's direct median (bench-a -> bench-b)\n")
    print("| system | Gb/s (min-max) | x meshd | x direct | RTT ms median | x meshd | CPU % A / relay / C "
          "| relay CPU % per Gb/s | x meshd | relay RSS MiB | retransmits | relay eth0 rx / stream bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in RO:
        if s not in RS: continue
        d = RS[s]; g = r0(d, "g")
        retr = [r[8] for r in rel if r[0] == s]
        rx = [int(r[10]) / int(r[9]) for r in rel if r[0] == s and r[9] not in ("-", "0")]
        print("| %s | %s (%s-%s) | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s | %s |" % (
            s, f(g), f(d["g"][1] if d["g"] else None), f(d["g"][2] if d["g"] else None),
            ratio(g, r0(rm, "g")), ratio(g, g0(S.get(s, {}), "g")),
            f(r0(d, "rt"), "%.3f"), ratio(r0(d, "rt"), r0(rm, "rt")),
            f(r0(d, "ca"), "%.0f"), f(r0(d, "cr"), "%.0f"), f(r0(d, "cc"), "%.0f"),
            f(d["per"], "%.0f"), ratio(d["per"], rm.get("per")), f(r0(d, "mr"), "%.1f"),
            " / ".join(retr), "%.2f" % statistics.median(rx) if rx else "-"))
    for s, r in ((x[0], x[1]) for x in rfail):
        print("| %s | round %s: C not reached through the relay in 60 s | | | | | | | | | | |" % (s, r))
    mr = [r for r in rel if r[0] in ("meshd", "meshd_base")]
    if mr:
        print("\nmeshd went relayed: C's link.relay in A's `meshctl members` before / after each stream, "
              "the relay's hops_relayed over the stream (each hop datagram carries one IP packet of at most 1302 bytes, "
              "so a relayed stream needs at least bytes/1302), and the share of A's bytes to C handed to a relay:\n")
        print("| system | round | relay before / after | hops_relayed on bench-rb1 | stream bytes / 1302 | enough | A's tx to C through a relay |")
        print("|---|---:|---|---:|---:|---|---:|")
        for r in mr:
            need = int(r[9]) // 1302 if r[9] != "-" else None
            ok = "yes" if need is not None and r[13] != "-" and int(r[13]) >= need and r[11] == r[12] == "bench-rb1" else "NO"
            print("| %s | %s | %s / %s | %s | %s | %s | %s%% |" % (r[0], r[1], r[11], r[12], r[13], need, ok, r[14]))
        for l in rpaths: print("  meshctl status bench-rc on bench-ra, " + l)
if ig:
    print("\nIntegrity: MiB through meshd direct (bench-a -> bench-b, one TCP connection, sha256 at the receiver):\n")
    print("| MiB | seconds | Gb/s | bytes received | sha256 sent | sha256 received | result | receiver drop_ip_bad / tun_drop_vnet |")
    print("|---:|---:|---:|---:|---|---|---|---|")
    for r in ig:
        try: g = "%.2f" % (int(r[2]) * 8 / float(r[1]) / 1e9)
        except Exception: g = "-"
        print("| %s | %s | %s | %s | %s | %s | **%s** | %s / %s |" % (r[0], r[1], g, r[2], r[3][:16] + "...", r[4][:16] + "...", r[5], r[6], r[7]))
if fo:
    print("\nRelay failover gap (A pings C every 20 ms; the relay in use fails): longest run of lost pings x 20 ms (+: not back within 13 s)\n")
    print("| system | relay fails by | runs | gap ms median | each run (ms) | pings lost each run | relay failed each run |")
    print("|---|---|---:|---:|---|---|---|")
    for s in ("meshd", "tinc"):
        for mode in ("kill", "cut"):
            v = [r for r in fo if r[0] == s and r[1] == mode]
            if not v: continue
            gaps = [int(r[3].rstrip("+")) for r in v if r[3] != "-"]
            print("| %s | %s | %d | %s | %s | %s | %s |" % (s, mode, len(gaps),
                  statistics.median(gaps) if gaps else "-",
                  " ".join(r[3] for r in v), " ".join(r[4] for r in v), " ".join(r[5] for r in v)))
if uc:
    def mc(s, i):
        v = [float(r[i]) for r in uc if r[0] == s and len(r) > i and r[i] != "-"]
        return "%.1f" % statistics.median(v) if v else "-"
    def mi(s, i):
        v = [float(r[i]) for r in uc if r[0] == s and len(r) > i and r[i] != "-"]
        return "%d" % statistics.median(v) if v else "-"
    print("\nmeshd's UDP datagrams per system call over the run (median of the rounds; sender = bench-a):\n")
    print("| system | sender: send | receiver: receive | receiver: send (ACKs) | sender: receive | GSO messages sent / GRO buffers received |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in order:
        if not any(r[0] == s for r in uc): continue
        print("| %s | %s | %s | %s | %s | %s / %s |" % (s, mc(s, 2), mc(s, 8), mc(s, 7), mc(s, 3), mi(s, 4), mi(s, 10)))
    print("\nWhere packets were lost in the run (median of the rounds):\n")
    print("| system | sender: full socket buffer (meshd) | receiver: UDP RcvbufErrors | sender: UDP RcvbufErrors | sender: TUN tx dropped | receiver: TUN rx dropped |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in order:
        if not any(r[0] == s for r in uc): continue
        print("| %s | %s | %s | %s | %s | %s |" % (s, mi(s, 6), mi(s, 12), mi(s, 13), mi(s, 14), mi(s, 15)))
if rows:
    print("\nraw rounds (system round Gb/s rtt_med rtt_mean cpu_snd cpu_rcv rss_snd rss_rcv pings retransmits):")
    for r in rows: print("  " + " ".join(r))
if rel:
    print("raw relayed rounds (system round Gb/s rtt_med cpu_a cpu_relay cpu_c rss_relay retransmits"
          " stream_bytes relay_rx_bytes relay_before relay_after hops_relayed pct_tx_relayed pings):")
    for r in rel: print("  " + " ".join(r))
if uc:
    print("raw UDP rounds (system round, then per end a, b: tx/call rx/call gso_msgs gro_bufs send_full;"
          " then UDP RcvbufErrors b, a; TUN tx dropped a, rx dropped b):")
    for r in uc: print("  " + " ".join(r))
PY
for s in $ALL_SYSTEMS; do
	eval "sk=\$skip_$s"
	[ -z "$sk" ] || echo "$s: skipped: $sk"
done
if [ -f "$NETNS_DIR/perf.txt" ]; then
	echo; echo "Where meshd's time goes (perf record -g, one extra iperf3 run, $((SECS - 2)) s sampled):"
	cat "$NETNS_DIR/perf.txt"
fi
if [ -f "$NETNS_DIR/perf.relay.txt" ]; then
	echo; echo "Where the relay's time goes (perf record -g on bench-rb1's meshd, one extra relayed iperf3 run at $(cat "$NETNS_DIR/perf.relay.gbps" 2>/dev/null) Gb/s, $((SECS - 2)) s sampled):"
	cat "$NETNS_DIR/perf.relay.txt"
fi
