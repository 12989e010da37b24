#!/bin/sh
# Build the libFuzzer target for the session engine, and optionally run it.
#
#   tests/fuzz/build-session.sh [-r SECONDS] [OUTDIR]
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-dev) and
# libsodium-dev.  Built here rather than by automake so that the normal
# build keeps its own compiler and flags.  With -r, runs the fuzzer for
# SECONDS (a corpus is kept in OUTDIR/corpus-session) and fails on a crash.
set -eu

secs=
if [ "${1:-}" = "-r" ]; then
	secs=$2
	shift 2
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-${FUZZ_OUT:-.}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-clang}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The sources include config.h first; they need nothing from it.
: > "$tmp/config.h"

# shellcheck disable=SC2046
$CC -g -O1 -std=c11 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$tmp" -I"$top" -I"$top/include" \
	"$top/tests/fuzz/fuzz_session.c" \
	"$top/overlay/session.c" "$top/overlay/dispatch.c" \
	"$top/overlay/noise.c" "$top/overlay/aead.c" \
	"$top/overlay/mac.c" "$top/overlay/replay.c" \
	"$top/overlay/cookie.c" "$top/overlay/limit.c" "$top/overlay/index.c" \
	$(pkg-config --cflags --libs libsodium) \
	-o "$out/fuzz_session"

# A seed that completes a handshake and moves data both ways, rekeys on
# count and on time: connect, deliver, send, deliver, ...
seed() {
	printf '\012\002\004\000\000\003\004\000\000\002\004\000\000'
	printf '\000\005\002\004\000\000\001\005\003\004\000\000'
	printf '\014\002\001\000\001\002\004\000\000\000\001\002\004\000\000'
	printf '\003\004\000\000\002\004\000\000\003\004\000\000'
	printf '\010\003\014\011\000\001\002\004\000\000\003\004\000\000'
	printf '\002\004\000\000\004\000\005\001'
}

if [ -n "$secs" ]; then
	mkdir -p "$out/corpus-session"
	seed > "$out/corpus-session/seed-handshake"
	"$out/fuzz_session" -max_total_time="$secs" -max_len=4096 \
	    -print_final_stats=1 "$out/corpus-session"
fi
echo "$out/fuzz_session"
