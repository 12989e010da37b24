#!/bin/sh
# The hours table of doc/fuzzing.md, from the ledger soak.sh appends to:
#
#   tests/fuzz/ledger.sh [LEDGER]     (default doc/fuzzing-ledger.txt)
#
# One row per target: runs, CPU seconds, executions, findings (runs whose
# result was neither "clean" nor "paused": a "paused" run is one whose
# FOUND was the pause of a SIGSTOP, its input rerun and clean, said in a
# comment line above it), then the sum and what one CPU-hour per target
# still needs.
here=$(cd "$(dirname "$0")" && pwd)
ledger=${1:-$here/../../doc/fuzzing-ledger.txt}
[ -r "$ledger" ] || { echo "no ledger $ledger" >&2; exit 1; }
awk '
$1 !~ /^#/ && NF >= 5 {
	runs[$2]++; cpu[$2] += $3; execs[$2] += $4
	if ($5 != "clean" && $5 != "paused") found[$2]++
}
END {
	print "| target | runs | CPU seconds | executions | findings |"
	print "|---|---:|---:|---:|---:|"
	n = 0
	for (t in runs) names[++n] = t
	for (i = 2; i <= n; i++)	# insertion sort: awk has no sort
		for (j = i; j > 1 && names[j - 1] > names[j]; j--) {
			x = names[j]; names[j] = names[j - 1]; names[j - 1] = x
		}
	for (i = 1; i <= n; i++) {
		t = names[i]
		printf "| %s | %d | %d | %d | %d |\n", t, runs[t], cpu[t], execs[t], found[t] + 0
		total += cpu[t]
		if (cpu[t] < 3600) short += 3600 - cpu[t]
	}
	printf "| **all** | | **%d (%.2f CPU-hours)** | | |\n", total, total / 3600
	printf "\nOne CPU-hour per target needs %.2f CPU-hours more.\n", short / 3600
}' "$ledger"
