#!/usr/bin/env bash
# bench.sh TREE LAB... — the benchmarks, measured in one run and printed as
# tables. Figures are medians of several runs where a benchmark repeats; this
# machine is shared and noisy, so compare ratios, not absolute numbers.
. "$(dirname "$0")/common.sh"
tree=$1; shift
B=$BUILD/bench; mkdir -p "$B"
CC=${CC:-cc}

bench_01() {
    $CC -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 \
        -o "$B/transports" "$SRCROOT/tests/bench/transports.c" -lpthread || return 1
    local log=$B/board.log port pid
    "$BUILD/$tree/01-tcp-http/board" --port 0 --heartbeat-ms 15000 >"$log" 2>&1 &
    pid=$!
    port=$(wait_listening "$log" $pid) || { say "board did not start"; return 1; }
    say "== Lab 1: the three HTTP transports, same stream of messages (board on port $port)"
    local status=0
    for interval in 250 1000 2000; do
        "$B/transports" --port "$port" --messages ${BENCH_MESSAGES:-200} --rate 20 --interval $interval || status=1
    done
    kill $pid; wait $pid 2>/dev/null
    return $status
}

bench_02() {
    # The tree's sha1.c: the reference's, or in a handout the student's own.
    local sha1=$SRCROOT/solutions/02-handshake/sha1.c
    [ "$tree" = ref ] && [ -e "$sha1" ] || sha1=$SRCROOT/stages/02-handshake/sha1.c
    $CC -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 \
        -I"$SRCROOT/stages/02-handshake" -o "$B/sha1bench" "$SRCROOT/tests/bench/sha1bench.c" \
        "$sha1" -lcrypto || return 1
    say "== Lab 2: SHA-1 throughput, ${sha1#$SRCROOT/} beside OpenSSL's SHA1()"
    "$B/sha1bench" --mib ${BENCH_SHA1_MIB:-64} --runs 5
}

status=0
for lab in "$@"; do
    n=${lab%%-*}
    if declare -f "bench_$n" >/dev/null; then bench_$n || status=1; fi
done
exit $status
