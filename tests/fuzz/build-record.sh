#!/bin/sh
# Build the libFuzzer target for overlay records, certificates,
# revocations, the record set file and invite tokens, and optionally run it.
#
#   tests/fuzz/build-record.sh [BUILDDIR]        build BUILDDIR/tests/fuzz/fuzz_record
#   RUN=60 tests/fuzz/build-record.sh [BUILDDIR] build, then fuzz for 60 seconds
#
# BUILDDIR is a configured tree (it needs config.h); default: the source
# tree.  Needs clang with libFuzzer (Debian: clang) and libsodium-dev.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src}" && pwd)
if [ ! -f "$build/config.h" ]; then
	echo "build-record.sh: no $build/config.h: run ./configure first" >&2
	exit 1
fi
out="$build/tests/fuzz"
mkdir -p "$out"
CC=${CC:-clang}

# shellcheck disable=SC2046 # pkg-config output is meant to split
"$CC" -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$src" -I"$src/include" \
	$(pkg-config --cflags libsodium) \
	-o "$out/fuzz_record" \
	"$src/tests/fuzz/fuzz_record.c" \
	"$src/overlay/cert.c" "$src/overlay/record.c" "$src/overlay/recset.c" \
	"$src/overlay/invite.c" "$src/overlay/addr.c" \
	"$src/common/name.c" "$src/common/atomic.c" \
	$(pkg-config --libs libsodium)
echo "built $out/fuzz_record"

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
