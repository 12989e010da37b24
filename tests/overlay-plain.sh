#!/bin/sh
# tests/overlay.sh with the TUN's offloads off: one packet per read and
# write.  n1 has tun_offload = off; n2 and n3 ask for them from a kernel
# that refuses (tests/nooffload.c) and must fall back and say so.
TUN_OFFLOAD=off exec "${SHELL:-/bin/sh}" "$top_srcdir/tests/overlay.sh" "$@"
