#!/bin/sh
# Long fuzzing runs that count: every target for SECONDS of wall time at
# idle priority (SCHED_IDLE: it takes only CPU nobody else wants), two at
# a time, each run's CPU time added to a ledger; then each target's corpus
# in tests/fuzz/corpus/NAME is minimised with what the run grew
# (tests/fuzz/minimise.sh).
#
#   tests/fuzz/soak.sh SECONDS [LEDGER]
#
# FUZZ_ONLY="session record ..." runs only those targets (the ones with
# the fewest hours in the ledger, say).
# LEDGER (default doc/fuzzing-ledger.txt) gets one line per run:
#   DATE TARGET CPU_SECONDS RUNS RESULT
# and doc/fuzzing.md sums it.  The grown corpus lives in $FUZZ_WORK
# (default /var/tmp/mesh-fuzz-soak), kept between calls so later runs
# start where earlier ones stopped.  A crash stops nothing else: its
# input is kept in $FUZZ_WORK and the ledger says FOUND.  Do not pause a soak
# (SIGSTOP) for a benchmark: libFuzzer counts the pause against -timeout
# and reports the input it was running as a hang.
set -u

secs=${1:-}
case $secs in
''|*[!0-9]*) echo "usage: $0 SECONDS [LEDGER]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
ledger=${2:-$src/doc/fuzzing-ledger.txt}
work=${FUZZ_WORK:-/var/tmp/mesh-fuzz-soak}
mkdir -p "$work"
export CC="${CC:-clang}"

# Build every target (run.sh's convention: the last line of a build
# script's output names its binaries).
bins=
for script in "$here"/build-*.sh; do
	part=$(basename "$script" .sh)
	mkdir -p "$work/$part"
	runner=sh
	[ -x "$script" ] && runner=
	if ! FUZZ_OUT="$work/$part" chrt -i 0 $runner "$script" "$work/$part" \
	    >"$work/$part/build.out" 2>"$work/$part/build.err"; then
		echo "FAIL $part: build failed (see $work/$part/build.err)" >&2
		exit 1
	fi
	bins="$bins $(tail -n 1 "$work/$part/build.out")"
done
if [ -n "${FUZZ_ONLY:-}" ]; then
	keep=
	for bin in $bins; do
		case " $FUZZ_ONLY " in
		*" $(basename "$bin" | sed 's/^fuzz_//') "*) keep="$keep $bin" ;;
		esac
	done
	[ -n "$keep" ] || { echo "FUZZ_ONLY matches no target" >&2; exit 2; }
	bins=$keep
fi

one() {
	bin=$1
	name=$(basename "$bin")
	short=${name#fuzz_}
	corpus="$work/corpus/$name"
	mkdir -p "$corpus"
	seeds="$here/corpus/$short"
	[ -d "$seeds" ] || seeds=
	log="$work/$name.log"
	/usr/bin/time -f '%U %S' -o "$work/$name.time" \
	    chrt -i 0 "$bin" -max_total_time="$secs" -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$work/$name-" \
	    "$corpus" ${seeds:+"$seeds"} >"$log" 2>&1
	rc=$?
	cpu=$(awk '{ printf "%d", $1 + $2 }' "$work/$name.time" 2>/dev/null)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	result=clean
	[ "$rc" -eq 0 ] || result=FOUND
	echo "$(date -u +%Y-%m-%dT%H:%MZ) $name ${cpu:-0} ${runs:-0} $result" \
	    >>"$ledger"
	echo "$name: ${cpu:-0} CPU s, ${runs:-0} runs, $result"
	[ "$rc" -eq 0 ] || grep -E 'ERROR|SUMMARY|Test unit written' "$log" |
	    head -n 5
}

# Two at a time: this machine has two cores.
set -- $bins
while [ $# -gt 0 ]; do
	one "$1" &
	if [ $# -gt 1 ]; then one "$2" & shift; fi
	shift
	wait
done

# Keep what the run found, minimised (tests/fuzz/minimise.sh): the hashed
# inputs in git and the grown corpus, merged against the hand-made seeds,
# named for what they hold, which stay.
for bin in $bins; do
	sh "$here/minimise.sh" "$bin" "$work/corpus/$(basename "$bin")" ||
		echo "$(basename "$bin"): corpus not minimised" >&2
done
