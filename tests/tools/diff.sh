#!/usr/bin/env bash
# diff.sh LAB — the student's files against the reference, file by file.
. "$(dirname "$0")/common.sh"
lab=$1
[ -d "$SRCROOT/solutions/$lab" ] || die "no reference here (a handout has no solutions/)"
color=; [ -t 1 ] && color=--color=always
for ref in "$SRCROOT"/solutions/$lab/*.c; do
    f=$(basename "$ref")
    diff -u $color --label "reference $lab/$f" --label "yours stages/$lab/$f" "$ref" "$SRCROOT/stages/$lab/$f"
done
exit 0
