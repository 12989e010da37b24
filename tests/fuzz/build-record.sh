#!/bin/sh
# Build the libFuzzer target for overlay records, certificates,
# revocations, the record set file and invite tokens, and optionally run it.
#
#   tests/fuzz/build-record.sh [OUTDIR]          build OUTDIR/fuzz_record
#   RUN=60 tests/fuzz/build-record.sh [OUTDIR]   build, then fuzz for 60 seconds
#
# OUTDIR defaults to tests/fuzz; the last line printed is the binary's path
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
# What configure's config.h would give these files: the GNU extensions.
echo '#define _GNU_SOURCE 1' > "$build/config.h"

# shellcheck disable=SC2046 # pkg-config output is meant to split
"$CC" -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$src" -I"$src/include" \
	$(pkg-config --cflags libsodium) \
	-o "$out/fuzz_record" \
	"$src/tests/fuzz/fuzz_record.c" \
	"$src/overlay/cert.c" "$src/overlay/record.c" "$src/overlay/recset.c" \
	"$src/overlay/invite.c" "$src/overlay/addr.c" \
	"$src/common/name.c" \
	$(pkg-config --libs libsodium)

if [ -n "${RUN:-}" ]; then
	corpus="$out/corpus-record"
	mkdir -p "$corpus"
	# Seeds: one input per mode, so each parser is reached from the start.
	for m in 0 1 2 3 4 5 6 7; do
		printf "\\$(printf %03o "$m")" > "$corpus/seed-mode$m"
	done
	# rss_limit: the set parser may allocate for a large input; 2 GB is
	# libFuzzer's default, stated so a change shows up here.
	"$out/fuzz_record" -max_total_time="$RUN" -rss_limit_mb=2048 \
		-print_final_stats=1 "$corpus"
fi
echo "$out/fuzz_record"
