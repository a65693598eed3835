#!/usr/bin/env bash
# fuzz.sh LAB... — builds each lab's fuzz targets (tests/fuzz/fuzz_*.c, with
# the "lab:" line in their first comment naming their lab) with libFuzzer and
# runs each for FUZZ_SECONDS (default 20). A crash leaves its input in
# build/fuzz/ and fails the run.
. "$(dirname "$0")/common.sh"
F=$BUILD/fuzz; mkdir -p "$F"
SECS=${FUZZ_SECONDS:-20}
command -v clang >/dev/null || die "fuzzing needs clang (apt-get install clang libclang-rt-14-dev)"
status=0
inc="" srcs=""
for lab in $WSLAB_LABS; do
    inc+=" -I$SRCROOT/stages/$lab"
    for f in $($MAKE_CMD -s print-${lab}_MOD_SRCS); do
        if [ -e "$SRCROOT/solutions/$lab/$f" ]; then srcs+=" $SRCROOT/solutions/$lab/$f"; else srcs+=" $SRCROOT/stages/$lab/$f"; fi
    done
    [[ " $* " == *" $lab "* ]] || continue
    for t in "$SRCROOT"/tests/fuzz/fuzz_*.c; do
        grep -q "lab: $lab" "$t" || continue
        name=$(basename "$t" .c)
        say "== $name ($lab), $SECS s"
        clang -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g -O1 -fno-sanitize-recover=all \
            -fsanitize=fuzzer,address,undefined -DWSLAB_WEB_ROOT=\"web\" $inc \
            -o "$F/$name" "$t" $srcs -lpthread || { status=1; continue; }
        corpus=$F/corpus/$name; mkdir -p "$corpus"
        seeds=$(cd "$SRCROOT/tests/fuzz/corpus/${name#fuzz_}" 2>/dev/null && pwd)
        (cd "$F" && "./$name" -max_total_time="$SECS" -print_final_stats=1 "corpus/$name" \
            ${seeds:+"$seeds"} 2>"$name.log") || {
            say "  CRASH: see $F/$name.log and the crash-* file in $F"; tail -n 30 "$F/$name.log"; status=1; }
        grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$F/$name.log" | sed 's/^/  /'
    done
done
exit $status
