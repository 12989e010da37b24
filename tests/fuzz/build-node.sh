#!/bin/sh
# Build the libFuzzer targets for the node engine's dispatch (fuzz_node)
# and the PUNCH parser (fuzz_punch):
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
# The PUNCH parser alone (overlay/punch.c needs only its own file here,
# but links with the rest for the node helpers it names).
# shellcheck disable=SC2046,SC2086
"$CC" -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$src" -I"$src/include" \
	$(pkg-config --cflags libsodium) \
	-o "$out/fuzz_punch" "$src/tests/fuzz/fuzz_punch.c" $overlay \
	$(pkg-config --libs libsodium)
echo "$out/fuzz_node $out/fuzz_punch"
