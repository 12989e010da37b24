#!/bin/sh
# Build the libFuzzer target for the node engine's dispatch (fuzz_node):
# the whole of overlay/ and the simulator of tests/sim/.
#
#   tests/fuzz/build-node.sh [OUTDIR]
#
# OUTDIR defaults to tests/fuzz; the last line printed is the binary
# (tests/fuzz/run.sh's convention).  Needs clang with libFuzzer (Debian:
# clang, libclang-rt-14-dev) and libsodium-dev; no configured tree.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-${FUZZ_OUT:-$src/tests/fuzz}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-clang}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
echo '#define _GNU_SOURCE 1' > "$build/config.h"

overlay=
for f in "$src"/overlay/*.c; do overlay="$overlay $f"; done
overlay="$overlay $src/common/name.c"
sim=
for f in sim sim_query sim_ca sim_join net net_nat evq; do
	sim="$sim $src/tests/sim/$f.c"
done
# shellcheck disable=SC2046,SC2086 # word splitting is meant
"$CC" -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$src" -I"$src/include" -I"$src/tests/sim" \
	$(pkg-config --cflags libsodium) \
	-o "$out/fuzz_node" "$src/tests/fuzz/fuzz_node.c" $overlay $sim \
	$(pkg-config --libs libsodium)
echo "$out/fuzz_node"
