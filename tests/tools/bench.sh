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

# ---- Lab 3 (and after): wsload, the WebSocket load generator -------------

# Builds $B/wsload (tests/bench/wsload.c), which Labs 3, 4 and 7 drive.
build_wsload() {
    $CC -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 \
        -o "$B/wsload" "$SRCROOT/tests/bench/wsload.c" -lcrypto -lpthread
}

# start_server NAME PROGRAM ARGS...: starts a server on an ephemeral port and
# waits for its "listening on" line; sets NAME_pid and NAME_port.
start_server() {
    local name=$1 log=$B/$1.log pid port; shift
    "$@" --port 0 >"$log" 2>&1 &
    pid=$!
    port=$(wait_listening "$log" $pid) || { say "$name did not start (see $log)"; return 1; }
    printf -v "${name}_pid" %s "$pid"
    printf -v "${name}_port" %s "$port"
}

# median: the median of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

# field NAME FILE: the values of a number field of wsload --json, one per run.
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }

bench_03() {
    local status=0 runs=${BENCH_RUNS:-3} secs=${BENCH_SECONDS:-3}
    # (a) The tree's frame.c and utf8.c: the reference's, or in a handout the
    # student's own.
    local src=$SRCROOT/solutions/03-framing
    [ "$tree" = ref ] && [ -e "$src/frame.c" ] || src=$SRCROOT/stages/03-framing
    $CC -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 \
        -I"$SRCROOT/stages/03-framing" -o "$B/framebench" "$SRCROOT/tests/bench/framebench.c" \
        "$src/frame.c" "$src/utf8.c" || return 1
    say "== Lab 3: unmasking and UTF-8 validation beside memcpy (${src#$SRCROOT/}/{frame,utf8}.c)"
    "$B/framebench" --mib 16 --runs 5 || status=1

    # (b) echo beside the raw TCP baseline: the same load from wsload, the
    # same run, one server after the other.
    build_wsload || return 1
    $MAKE_CMD -s "$tree-01-tcp-http" || return 1
    local echo_pid echo_port tcpecho_pid tcpecho_port
    start_server echo "$BUILD/$tree/03-framing/echo" || return 1
    start_server tcpecho "$BUILD/$tree/01-tcp-http/tcpecho" || { kill $echo_pid; return 1; }
    trap 'kill $echo_pid $tcpecho_pid 2>/dev/null' EXIT # also if interrupted
    say ""
    say "== Lab 3: echo (WebSocket) beside tcpecho (raw TCP, the baseline), wsload, median of $runs runs of $secs s"
    printf '  %-26s %-13s %9s %9s %9s %9s %9s\n' load server msg/s MB/s "p50 us" "p99 us" "p99.9 us"
    local load c d s out i server
    for load in "50 4 64" "50 4 16384"; do
        read -r c d s <<<"$load"
        for server in echo tcpecho; do : >"$B/wsload-$server.json"; done
        for ((i = 0; i < runs; i++)); do
            "$B/wsload" --port "$echo_port" --connections $c --depth $d --size $s --seconds $secs \
                --json >>"$B/wsload-echo.json" 2>"$B/wsload.err" || { cat "$B/wsload.err"; status=1; }
            "$B/wsload" --raw --port "$tcpecho_port" --connections $c --depth $d --size $s \
                --seconds $secs --json >>"$B/wsload-tcpecho.json" 2>"$B/wsload.err" ||
                { cat "$B/wsload.err"; status=1; }
        done
        local label="$c conn x $d x $s B"
        [ "$s" -ge 1024 ] && label="$c conn x $d x $((s / 1024)) KiB"
        for server in echo tcpecho; do
            out=$B/wsload-$server.json
            printf '  %-26s %-13s %9.0f %9.2f %9d %9d %9d\n' "$label" $server \
                "$(field msgs_per_s "$out" | median)" "$(field mb_per_s "$out" | median)" \
                "$(field lat_p50_us "$out" | median)" "$(field lat_p99_us "$out" | median)" \
                "$(field lat_p999_us "$out" | median)"
            label=""
        done
        awk -v a="$(field msgs_per_s "$B/wsload-echo.json" | median)" \
            -v b="$(field msgs_per_s "$B/wsload-tcpecho.json" | median)" \
            'BEGIN { r = b > 0 ? a / b : 0; printf "  %-26s %-13s %8.2fx %8.2fx\n", "", "echo/tcpecho", r, r }'
    done
    say "  msg/s and MB/s count correct echoes only; MB/s = payload echoed back (10^6 bytes/s, one way)"
    kill $echo_pid $tcpecho_pid
    wait $echo_pid $tcpecho_pid 2>/dev/null
    trap - EXIT
    return $status
}

status=0
for lab in "$@"; do
    n=${lab%%-*}
    if declare -f "bench_$n" >/dev/null; then bench_$n || status=1; fi
done
exit $status
