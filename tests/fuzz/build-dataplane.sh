#!/bin/sh
# Build the libFuzzer targets for the pure data plane: fuzz_ippkt (IP
# header checks, ICMPv6 errors), fuzz_gso (TUN super-packets: split and
# coalesce) and fuzz_linkstate (link record decoder, graph, shortest
# paths, dot output).
#
#   tests/fuzz/build-dataplane.sh [OUTDIR]
#
# OUTDIR defaults to tests/fuzz; the last line printed lists the binaries
# (tests/fuzz/run.sh's convention).  Needs clang with libFuzzer (Debian:
# clang, libclang-rt-14-dev); no libsodium, no configured tree.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-${FUZZ_OUT:-$src/tests/fuzz}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-clang}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# What configure's config.h would give these files: the GNU extensions.
echo '#define _GNU_SOURCE 1' > "$build/config.h"

fuzz() {
	name=$1
	shift
	"$CC" -std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined \
		-I"$build" -I"$src" -I"$src/include" \
		-o "$out/$name" "$src/tests/fuzz/$name.c" "$@"
}

fuzz fuzz_ippkt "$src/overlay/ippkt.c"
bins="$out/fuzz_ippkt"
fuzz fuzz_gso "$src/overlay/gso.c" "$src/overlay/ippkt.c"
bins="$bins $out/fuzz_gso"
if [ -f "$src/overlay/linkstate.c" ]; then
	fuzz fuzz_linkstate "$src/overlay/linkstate.c"
	bins="$bins $out/fuzz_linkstate"
fi
echo "$bins"
