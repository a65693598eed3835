#!/usr/bin/env bash
# run-tests.sh TREE LAB... — runs each lab's tests on TREE's programs, then
# prints the table and the closing "N passed, N failed" line.
. "$(dirname "$0")/common.sh"
tree=$1; shift
mkdir -p "$BUILD/results/$tree"
files=()
for lab in "$@"; do
    out=$BUILD/results/$tree/$lab.tsv
    "$BUILD/$tree/$lab/runtests" --lab "$lab" --bin-dir "$BUILD/$tree/$lab" --results "$out" \
        ${ONLY:+--filter "$ONLY"} ${QUIET:+--quiet} || true
    files+=("$out")
done
exec "$BUILD/tools/report" --title "All labs ($tree build)" "${files[@]}"
