#!/usr/bin/env bash
# handout.sh — build/wslab-handout.tar.gz: the kit without the reference
# (solutions/ and the mutant patches, which quote it).
. "$(dirname "$0")/common.sh"
out=$BUILD/wslab-handout.tar.gz
mkdir -p "$BUILD"
git -C "$SRCROOT" ls-files --cached --others --exclude-standard |
    grep -v -E '^(solutions/|tests/mutants/)' |
    tar -C "$SRCROOT" -czf "$out" --transform 's,^,wslab/,' -T -
say "wrote $out ($(tar -tzf "$out" | wc -l) files, no solutions/)"
