#!/bin/sh
# Build meshd's libFuzzer targets: fuzz_resolve (NSS socket datagrams),
# fuzz_conf (meshd.conf) and fuzz_http (control socket requests).
#
#   tests/fuzz/build-agent.sh [OUTDIR]
#
# OUTDIR defaults to $FUZZ_OUT, else a new temporary directory.  Needs clang
# and libsodium's headers; no configure run: the few build-time settings
# the sources want go into a config.h of our own in OUTDIR.  The last line
# of output lists the binaries built (see run.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-${FUZZ_OUT:-}}
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/mesh-fuzz.XXXXXX")
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-clang}

cat > "$out/config.h" <<'EOF'
/* config.h for the fuzzers, written by tests/fuzz/build-agent.sh */
#define _GNU_SOURCE 1
#define MESH_NSS_SOCKET "/run/mesh/nss.sock"
#define MESH_CONTROL_SOCKET "/run/mesh/meshd.sock"
EOF

# $out comes first so that its config.h wins over one a configure run may
# have left at the top of the tree.
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$out -I$top -I$top/include $(pkg-config --cflags libsodium)"
libs=$(pkg-config --libs libsodium)

build() {
	name=$1
	shift
	# shellcheck disable=SC2086 # word splitting of the flags is wanted
	$CC $cflags -o "$out/$name" "$@" $libs
}

build fuzz_resolve "$here/fuzz_resolve.c" "$top/agent/resolver.c" \
	"$top/agent/store.c" "$top/common/name.c" "$top/common/nss_msg.c"
build fuzz_conf "$here/fuzz_conf.c" "$top/agent/conf.c" "$top/agent/log.c" \
	"$top/common/name.c"
build fuzz_http "$here/fuzz_http.c" "$top/agent/http.c"

echo "$out/fuzz_resolve $out/fuzz_conf $out/fuzz_http"
