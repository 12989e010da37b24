#!/bin/sh
# tests/overlay.sh with the TUN's offloads off (tun_offload = off): one
# packet per read and write, as meshd falls back to when the kernel
# refuses them.
TUN_OFFLOAD=off exec "${SHELL:-/bin/sh}" "$top_srcdir/tests/overlay.sh" "$@"
