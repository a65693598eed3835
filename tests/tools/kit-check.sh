#!/usr/bin/env bash
# kit-check.sh LAB... — the kit tests itself, per lab:
#   1. the starter (stages/ as shipped) and the reference build warning-free
#      with gcc and with clang;
#   2. the starter's tests run to completion and fail >= 90% of the points
#      (tests that pass on the starter are listed: they probably check
#      nothing the student writes);
#   3. the reference passes every test;
#   4. every mutant in tests/mutants/LAB/ (a patch planting one bug in the
#      reference) is caught by at least one test.
. "$(dirname "$0")/common.sh"
K=$BUILD/kit-check
mkdir -p "$K"
K=$(cd "$K" && pwd) # absolute: the mutant steps change directory
bad=0
fail() { say "  FAIL: $*"; bad=1; }
points() { awk -F'\t' -v want="$2" '$6 == want || want == "all" { s += $4 } END { print s + 0 }' "$1"; }

for lab in "$@"; do
    say "== $lab"
    for cc in gcc clang; do
        command -v $cc >/dev/null || { fail "$cc is not installed"; continue; }
        if $MAKE_CMD CC=$cc BUILD="$K/$cc" "student-$lab" "ref-$lab" >"$K/$lab-$cc.log" 2>&1; then
            say "  starter and reference build warning-free with $cc"
        else
            fail "the build with $cc failed:"; tail -n 20 "$K/$lab-$cc.log" | sed 's/^/      /'
        fi
    done
    $MAKE_CMD "student-$lab" "ref-$lab" >/dev/null 2>&1 || { fail "build failed"; continue; }

    start=$(date +%s)
    timeout -k 5 900 "$BUILD/student/$lab/runtests" --lab "$lab" --bin-dir "$BUILD/student/$lab" \
        --results "$K/$lab-starter.tsv" --quiet >/dev/null 2>&1
    secs=$(($(date +%s) - start))
    total=$(points "$K/$lab-starter.tsv" all) passing=$(points "$K/$lab-starter.tsv" pass)
    pct=$(awk -v p="$passing" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * (t - p) / t : 0 }')
    say "  starter: tests ran to completion in ${secs} s; it fails $pct% of $total points"
    awk -F'\t' '$6 == "pass" { print "    passes on the starter: " $2 " " $3 }' "$K/$lab-starter.tsv"
    awk -v p="$pct" 'BEGIN { exit !(p >= 90) }' || fail "the starter must fail at least 90% of the points"

    "$BUILD/ref/$lab/runtests" --lab "$lab" --bin-dir "$BUILD/ref/$lab" --results "$K/$lab-ref.tsv" --quiet >"$K/$lab-ref.out" 2>&1
    rtotal=$(points "$K/$lab-ref.tsv" all) rpass=$(points "$K/$lab-ref.tsv" pass)
    if [ "$rtotal" = "$rpass" ] && [ "$rtotal" != 0 ]; then
        say "  reference: passes all $(wc -l <"$K/$lab-ref.tsv") tests ($rpass points)"
    else
        fail "the reference scores $rpass of $rtotal points:"; grep -v '^\[' "$K/$lab-ref.out" | head -n 40 | sed 's/^/      /'
    fi

    shopt -s nullglob
    mutants=("$SRCROOT"/tests/mutants/$lab/*.patch)
    [ ${#mutants[@]} -ge 5 ] || fail "only ${#mutants[@]} mutants in tests/mutants/$lab (at least 5 wanted)"
    for m in "${mutants[@]}"; do
        name=$(basename "$m" .patch) dir=$K/mutants/$lab/$name
        rm -rf "$dir"; mkdir -p "$dir/build"
        cp -a "$SRCROOT"/{Makefile,stages,solutions,tests,web} "$dir"/
        # The reference's objects, timestamps kept: only the patched file recompiles.
        cp -a "$BUILD/obj" "$BUILD/.config" "$dir/build/" 2>/dev/null
        # The copy lies inside this repository: stop git from looking above it,
        # or `git apply` would skip the patch's paths as outside its tree.
        if ! (cd "$dir" && GIT_CEILING_DIRECTORIES="$(dirname "$dir")" git apply "$(cd "$SRCROOT" && pwd)/${m#$SRCROOT/}" 2>"$dir/apply.log"); then
            fail "mutant $name does not apply:"; sed 's/^/      /' "$dir/apply.log"; continue
        fi
        if ! $MAKE_CMD -C "$dir" SRCROOT=. BUILD=build "ref-$lab" >"$dir/build.log" 2>&1; then
            fail "mutant $name does not build:"; tail -n 5 "$dir/build.log" | sed 's/^/      /'; continue
        fi
        # Stop at the first failing test: the question is whether any test fails.
        timeout -k 5 600 "$dir/build/ref/$lab/runtests" --lab "$lab" --bin-dir "$dir/build/ref/$lab" \
            --results "$dir/results.tsv" --quiet --fail-fast >/dev/null 2>&1
        caught=$(awk -F'\t' '$6 != "pass" { printf "%s ", $2 }' "$dir/results.tsv")
        what=$(sed -n 's/^Subject: //p; s/^# //p' "$m" | head -n1)
        if [ -n "$caught" ]; then
            say "  mutant $name caught by: $caught"
        else
            fail "mutant $name ($what) survived: no test failed"
        fi
    done
done
[ $bad = 0 ] && say "kit-check: all good" || say "kit-check: FAILED"
exit $bad
