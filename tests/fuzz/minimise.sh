#!/bin/sh
# Minimise one target's corpus in git, with what a soak grew beside it:
#
#   tests/fuzz/minimise.sh BIN [DIR...]
#
# BIN is a built fuzz_NAME; its corpus is tests/fuzz/corpus/NAME.  The
# hand-made seeds there (every file not named by a 40-digit hash) stay as
# they are.  The hashed inputs, and every input in the DIRs (a soak's grown
# corpus), are merged (-merge=1) into a fresh copy of the seeds: an input
# is kept only if it adds coverage to the seeds and to the inputs kept
# before it, smallest first.  The hashed inputs in git are then replaced by
# what the merge kept.  A merge that fails changes nothing.
set -u

bin=${1:-}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: $0 BIN [DIR...]" >&2; exit 2; }
shift
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$bin")
dest=$here/corpus/${name#fuzz_}
mkdir -p "$dest"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mesh-minimise.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/kept" "$tmp/old"

is_hash() { echo "$1" | grep -qE '^[0-9a-f]{40}$'; }
for f in "$dest"/* ; do
	[ -f "$f" ] || continue
	if is_hash "$(basename "$f")"; then
		cp "$f" "$tmp/old/"
	else
		cp "$f" "$tmp/kept/"
	fi
done
before=$(ls "$tmp/old" | wc -l)

if ! chrt -i 0 "$bin" -merge=1 "$tmp/kept" "$tmp/old" "$@" \
    > "$tmp/merge.log" 2>&1; then
	echo "$name: merge failed, corpus unchanged:" >&2
	tail -n 5 "$tmp/merge.log" >&2
	exit 1
fi

# Replace the hashed inputs: libFuzzer names what it keeps by its SHA-1,
# so an input kept again keeps its name (and git sees no change).
for f in "$dest"/*; do
	[ -f "$f" ] && is_hash "$(basename "$f")" && rm -f "$f"
done
after=0
for f in "$tmp/kept"/*; do
	[ -f "$f" ] && is_hash "$(basename "$f")" || continue
	cp "$f" "$dest/"
	after=$((after + 1))
done
echo "$name: $before hashed inputs in git, with the DIRs merged in: $after kept"
