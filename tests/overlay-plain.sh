#!/bin/sh
# tests/overlay.sh with every offload off: one packet per TUN read and
# write, one datagram per UDP system call.  n1 has tun_offload = off; n2
# and n3 ask for it from a kernel that refuses (tests/nooffload.c) and
# must fall back and say so; all three have udp_gso = off, udp_gro = off.
TUN_OFFLOAD=off OVERLAY_OFFLOADS=off OVERLAY_NS=ovp
export TUN_OFFLOAD OVERLAY_OFFLOADS OVERLAY_NS
exec "${SHELL:-/bin/sh}" "$top_srcdir/tests/overlay.sh" "$@"
