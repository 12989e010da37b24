#!/bin/sh
# Build the libFuzzer target for LAN beacons (fuzz_beacon): overlay/beacon.c
# and overlay/cert.c, whose certificate it carries.
#
#   tests/fuzz/build-beacon.sh [OUTDIR]
#
# OUTDIR defaults to tests/fuzz; the last line printed is the binary
# (tests/fuzz/run.sh's convention).  Needs clang with libFuzzer and
# libsodium-dev; no configured tree.  FUZZ_BEACON_CORPUS=DIR: also build
# the corpus maker and write the seed corpus into DIR (how
# tests/fuzz/corpus/beacon/ was made).
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-${FUZZ_OUT:-$src/tests/fuzz}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-clang}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
echo '#define _GNU_SOURCE 1' > "$build/config.h"
files="$src/overlay/beacon.c $src/overlay/cert.c $src/common/name.c"

# shellcheck disable=SC2086 # word splitting is meant
if [ -n "${FUZZ_BEACON_CORPUS:-}" ]; then
	"$CC" -std=c11 -g -DFUZZ_BEACON_MAKE_CORPUS -I"$build" -I"$src" \
		-I"$src/include" $(pkg-config --cflags libsodium) \
		-o "$build/make-corpus" "$src/tests/fuzz/fuzz_beacon.c" $files \
		$(pkg-config --libs libsodium)
	mkdir -p "$FUZZ_BEACON_CORPUS"
	"$build/make-corpus" "$FUZZ_BEACON_CORPUS"
fi
# shellcheck disable=SC2046,SC2086
"$CC" -std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$src" -I"$src/include" \
	$(pkg-config --cflags libsodium) \
	-o "$out/fuzz_beacon" "$src/tests/fuzz/fuzz_beacon.c" $files \
	$(pkg-config --libs libsodium)
echo "$out/fuzz_beacon"
