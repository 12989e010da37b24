#!/bin/sh
# Build and run every libFuzzer target, one after the other.
#
#   tests/fuzz/run.sh [SECONDS]        (default 30 seconds per target)
#
# Exits non-zero when a build fails or a target crashes, leaks, hangs or
# breaks one of its invariants; the crashing input is kept and named.
#
# A part adds targets with a script tests/fuzz/build-PART.sh (run by its
# own #! line when executable, by sh otherwise) that:
#  - takes the directory to build into as $1 (also exported as FUZZ_OUT),
#  - honours $CC (default clang) and uses -fsanitize=fuzzer,address,undefined,
#  - prints on its LAST line of standard output the path of the binary it
#    built, or of several, separated by spaces.
# A binary fuzz_NAME (or NAME) starts from the seed corpus in
# tests/fuzz/corpus/NAME/ (or corpus/fuzz_NAME/), kept small and in git;
# what the run adds goes to a scratch copy, never into the tree.
#
# Environment: FUZZ_WORK (scratch directory, default a new one under
# $TMPDIR, removed when every target passed), FUZZ_ARGS (more libFuzzer
# flags, e.g. "-jobs=2").
set -u

secs=${1:-30}
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/mesh-fuzz-run.XXXXXX")}
mkdir -p "$work"
export CC="${CC:-clang}"

status=0
ntargets=0
for script in "$here"/build-*.sh; do
	[ -f "$script" ] || continue
	part=$(basename "$script" .sh)
	out="$work/$part"
	mkdir -p "$out"
	echo "== $part: building"
	# An executable script runs with its own interpreter (#!), any
	# other with sh.
	runner="sh"
	[ -x "$script" ] && runner=
	if ! FUZZ_OUT="$out" $runner "$script" "$out" >"$out/build.out" \
	    2>"$out/build.err"; then
		echo "FAIL $part: build failed" >&2
		tail -n 30 "$out/build.err" >&2
		status=1
		continue
	fi
	bins=$(tail -n 1 "$out/build.out")
	if [ -z "$bins" ]; then
		echo "FAIL $part: printed no binary path" >&2
		status=1
		continue
	fi
	for bin in $bins; do
		name=$(basename "$bin")
		if [ ! -x "$bin" ]; then
			echo "FAIL $part: $bin is not an executable" >&2
			status=1
			continue
		fi
		ntargets=$((ntargets + 1))
		seeds=
		for d in "$here/corpus/${name#fuzz_}" "$here/corpus/$name"; do
			if [ -d "$d" ]; then
				seeds=$d
				break
			fi
		done
		corpus="$work/corpus/$name"
		mkdir -p "$corpus"
		log="$work/$name.log"
		echo "== $name: ${secs}s${seeds:+, seeds from ${seeds#"$here"/}}"
		# The first directory takes what the run finds; the seeds are
		# only read.  -timeout makes a hang a failure too.
		# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
		"$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		    -artifact_prefix="$work/$name-" ${FUZZ_ARGS:-} \
		    "$corpus" ${seeds:+"$seeds"} >"$log" 2>&1
		rc=$?
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		if [ "$rc" -ne 0 ]; then
			echo "FAIL $name: exit $rc after ${runs:-?} runs" >&2
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
			    "$log" | head -n 20 >&2
			echo "     log: $log" >&2
			status=1
		else
			echo "ok   $name: ${runs:-?} runs, corpus $(find "$corpus" -type f | wc -l) new inputs"
		fi
	done
done

if [ "$ntargets" -eq 0 ]; then
	echo "FAIL: no fuzz target was built" >&2
	status=1
fi
if [ "$status" -eq 0 ] && [ -z "${FUZZ_WORK:-}" ]; then
	rm -rf "$work"
else
	echo "scratch kept in $work"
fi
exit "$status"
