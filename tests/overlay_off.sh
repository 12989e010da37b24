#!/bin/sh
# tests/overlay.sh with the UDP offloads off (udp_gso = off, udp_gro =
# off in every meshd.conf): the overlay must work the same without them.
OVERLAY_OFFLOADS=off OVERLAY_NS=ubov
export OVERLAY_OFFLOADS OVERLAY_NS
exec "${SHELL:-/bin/sh}" "$top_srcdir/tests/overlay.sh" "$@"
