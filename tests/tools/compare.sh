#!/usr/bin/env bash
# compare.sh LAB — the same tests on the student's code and on the reference.
. "$(dirname "$0")/common.sh"
lab=$1
[ -d "$SRCROOT/solutions" ] || die "no reference here (a handout has no solutions/)"
$MAKE_CMD "student-$lab" "ref-$lab" >/dev/null || die "the build failed: run make check LAB=${lab%%-*}"
d=$BUILD/compare; mkdir -p "$d"
for tree in student ref; do
    "$BUILD/$tree/$lab/runtests" --lab "$lab" --bin-dir "$BUILD/$tree/$lab" --results "$d/$tree.tsv" --quiet >/dev/null || true
done
"$BUILD/tools/report" --compare "$d/student.tsv" "$d/ref.tsv"
