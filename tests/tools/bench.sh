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

# ---- Lab 4: chat beside Node's ws --------------------------------------------

# setup_ws: makes $B/node, where tests/bench/node/server.mjs runs with the ws
# library that npm installs there from tests/bench/node/package.json and
# package-lock.json (only when they changed). Sets ws_about; or says why ws
# is skipped and returns 1.
setup_ws() {
    local src=$SRCROOT/tests/bench/node dir=$B/node
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        say "ws: skipped (npm not available)"
        return 1
    fi
    mkdir -p "$dir"
    cp "$src/server.mjs" "$dir/"
    if ! cmp -s "$src/package.json" "$dir/package.json" ||
        ! cmp -s "$src/package-lock.json" "$dir/package-lock.json" ||
        [ ! -e "$dir/node_modules/ws/package.json" ]; then
        say "ws: installing it with npm into ${dir#$SRCROOT/} (npm install --no-audit --no-fund, versions from tests/bench/node/package-lock.json)"
        cp "$src/package.json" "$src/package-lock.json" "$dir/"
        if ! (cd "$dir" && timeout 300 npm install --no-audit --no-fund) >"$dir/npm.log" 2>&1; then
            rm -f "$dir/package.json" # so that the next run tries again
            say "ws: skipped (npm install failed: see $dir/npm.log)"
            return 1
        fi
    fi
    ws_about="ws $(cd "$dir" && node -p "require('./node_modules/ws/package.json').version") on node $(node --version), installed by npm in $dir"
}

# rss_kib PID: the resident memory of a process (VmRSS), in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# idle_connections: sets idle_n, how many idle connections this machine
# allows (10,000 unless the open files limit or the local port range is
# smaller), and says why if fewer.
idle_connections() {
    local want=${BENCH_IDLE:-10000} hard lo hi
    idle_n=$want
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && ((hard - 100 < idle_n)); then idle_n=$((hard - 100)); fi
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    if ((hi - lo - 1000 < idle_n)); then idle_n=$((hi - lo - 1000)); fi
    if ((idle_n < want)); then
        say "idle: only $idle_n connections: this machine's limits are $hard open files (ulimit -Hn) and local ports $lo-$hi"
    fi
}

# idle_once NAME PROGRAM ARGS...: starts a fresh server, reads its RSS, opens
# $idle_n idle connections to /echo with wsload --idle, reads its RSS again,
# and appends the difference per connection (KiB) to $B/idle-NAME.txt.
idle_once() {
    local name=$1 idle_pid idle_port before after wsload_pid i ok=0
    shift
    start_server idle "$@" || return 1
    b4_pids+=" $idle_pid"
    sleep 0.5 # let it settle after start-up
    before=$(rss_kib "$idle_pid")
    "$B/wsload" --idle --port "$idle_port" --path /echo --connections "$idle_n" --seconds 300 \
        >"$B/idle.out" 2>"$B/idle.err" &
    wsload_pid=$!
    for ((i = 0; i < 1200; i++)); do # 120 s at most
        grep -q '^ready ' "$B/idle.out" && break
        kill -0 $wsload_pid 2>/dev/null || break
        sleep 0.1
    done
    if grep -q '^ready ' "$B/idle.out"; then
        sleep 1 # what the server does after the last handshake
        after=$(rss_kib "$idle_pid")
        kill -TERM $wsload_pid
        wait $wsload_pid && ok=1
    else
        kill $wsload_pid 2>/dev/null
        wait $wsload_pid
    fi
    kill "$idle_pid"
    wait "$idle_pid" 2>/dev/null
    if ((!ok)); then
        say "idle: $name: $(cat "$B/idle.err")"
        return 1
    fi
    awk -v a="$after" -v b="$before" -v n="$idle_n" 'BEGIN { printf "%.3f\n", (a - b) / n }' \
        >>"$B/idle-$name.txt"
}

# The table's rows: row TEST SERVER FILE BASE prints the medians of a server's
# wsload --json runs in FILE (msg/s is deliveries/s for a broadcast) and
# their ratio to BASE msg/s.
b4_row() {
    local test=$1 server=$2 out=$3 base=$4 rate_field=msgs_per_s
    if [ ! -s "$out" ]; then
        printf '  %-30s %-8s %s\n' "$test" "$server" "(not measured)"
        return
    fi
    grep -q '"deliveries_per_s"' "$out" && rate_field=deliveries_per_s
    awk -v test="$test" -v server="$server" -v base="$base" \
        -v rate="$(field $rate_field "$out" | median)" -v mb="$(field mb_per_s "$out" | median)" \
        -v p50="$(field lat_p50_us "$out" | median)" -v p99="$(field lat_p99_us "$out" | median)" \
        'BEGIN { x = base > 0 ? sprintf("%.2fx", rate / base) : "-"
                 printf "  %-30s %-8s %10.0f %8.2f %9d %9d %10s\n", test, server, rate, mb, p50, p99, x }'
}

# verdict WHAT MEASURED OP TARGET UNIT: one line of the targets: met or NOT met.
verdict() {
    local what=$1 measured=$2 op=$3 target=$4 unit=$5
    if [ -z "$measured" ]; then
        printf '  %-46s %10s %10s   %s\n' "$what" "-" "$op $target$unit" "not measured"
        return
    fi
    awk -v what="$what" -v m="$measured" -v op="$op" -v t="$target" -v unit="$unit" \
        'BEGIN { ok = op == ">=" ? m >= t : m < t
                 printf "  %-46s %9.2f%s %10s   %s\n", what, m, unit, op " " t unit, ok ? "met" : "NOT met" }'
}

# stop_servers NAME...: stops the servers started by start_server NAME;
# fails if one had already stopped by itself (a crash, say).
stop_servers() {
    local name pid rc status=0
    for name in "$@"; do
        pid=${name}_pid
        [ -n "${!pid}" ] || continue
        if kill "${!pid}" 2>/dev/null; then
            wait "${!pid}" 2>/dev/null
        else
            wait "${!pid}" 2>/dev/null
            rc=$?
            say "$name had stopped by itself during the benchmark (exit status $rc; see $B/$name.log)"
            status=1
        fi
    done
    return $status
}

# ratio A B: A / B, or nothing if either is missing.
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b }'; }

bench_04() {
    local status=0 runs=${BENCH_RUNS:-3} secs=${BENCH_SECONDS:-3}
    local subs=${BENCH_SUBSCRIBERS:-1000} senders=${BENCH_SENDERS:-4} depth=${BENCH_DEPTH:-8}
    local servers="chat echo tcpecho" ws_about="" idle_n
    build_wsload || return 1
    $MAKE_CMD -s "$tree-01-tcp-http" "$tree-03-framing" || return 1
    say ""
    say "== Lab 4: chat (one thread, poll) beside Node's ws, Lab 3's echo (a thread per connection) and tcpecho (raw TCP, the baseline)"
    setup_ws && servers+=" ws"
    [ -n "$ws_about" ] && say "ws: $ws_about"
    say "wsload --threads 1 for every run: on $(nproc) cores the load generator competes with the server for the CPU, so the figures are the pair's, not the server's alone"
    idle_connections

    local chat_pid chat_port echo_pid echo_port tcpecho_pid tcpecho_port ws_pid ws_port
    b4_pids=""
    trap 'kill $b4_pids 2>/dev/null' EXIT # also if interrupted
    start_server chat "$BUILD/$tree/04-broadcast/chat" || return 1
    b4_pids+=" $chat_pid"
    start_server echo "$BUILD/$tree/03-framing/echo" || return 1
    b4_pids+=" $echo_pid"
    start_server tcpecho "$BUILD/$tree/01-tcp-http/tcpecho" || return 1
    b4_pids+=" $tcpecho_pid"
    if [[ " $servers " == *" ws "* ]]; then
        if start_server ws node "$B/node/server.mjs"; then b4_pids+=" $ws_pid"; else servers=${servers% ws}; fi
    fi
    say "measuring: median of $runs runs of $secs s each (BENCH_RUNS, BENCH_SECONDS)"

    # (a) broadcast: a fresh room for every run; (b) echo: the same loads as
    # Lab 3's; each run goes through every server in turn, so that a noisy
    # moment of the machine spreads over all of them.
    local i server port load c d s label base
    rm -f "$B"/b4-*.json "$B"/idle-*.txt
    for ((i = 0; i < runs; i++)); do
        for server in chat ws; do
            [[ " $servers " == *" $server "* ]] || continue
            port=${server}_port
            "$B/wsload" --broadcast --port "${!port}" --path "/chat/bench-$i" --connections "$subs" \
                --senders "$senders" --depth "$depth" --size 64 --seconds "$secs" --threads 1 \
                --json >>"$B/b4-broadcast-$server.json" 2>"$B/wsload.err" ||
                { say "broadcast, $server: $(cat "$B/wsload.err")"; status=1; }
        done
        for load in "50 4 64" "50 4 16384"; do
            read -r c d s <<<"$load"
            for server in $servers; do
                port=${server}_port
                "$B/wsload" $([ $server = tcpecho ] && echo --raw) --port "${!port}" --connections $c \
                    --depth $d --size $s --seconds "$secs" --threads 1 --json \
                    >>"$B/b4-echo$s-$server.json" 2>"$B/wsload.err" ||
                    { say "echo $s B, $server: $(cat "$B/wsload.err")"; status=1; }
            done
        done
    done
    stop_servers chat echo tcpecho ws || status=1
    b4_pids=""

    # (c) idle memory: a fresh server for every run (a server that has had
    # connections before keeps some of their memory for the next ones).
    for ((i = 0; i < runs; i++)); do
        idle_once chat "$BUILD/$tree/04-broadcast/chat" || status=1
        if [[ " $servers " == *" ws "* ]]; then idle_once ws node "$B/node/server.mjs" || status=1; fi
    done

    # The table.
    local base64 base16k
    base64=$(field msgs_per_s "$B/b4-echo64-tcpecho.json" | median)
    base16k=$(field msgs_per_s "$B/b4-echo16384-tcpecho.json" | median)
    say ""
    printf '  %-30s %-8s %10s %8s %9s %9s %10s\n' test server msg/s MB/s "p50 us" "p99 us" "x tcpecho"
    b4_row "broadcast: $subs subscribers" chat "$B/b4-broadcast-chat.json" "$base64"
    b4_row "  $senders senders x $depth in flight" ws "$B/b4-broadcast-ws.json" "$base64"
    say "    64 B (msg/s = deliveries/s)"
    for s in 64 16384; do
        label="echo: 50 conn x 4 x $s B"
        [ $s = 16384 ] && label="echo: 50 conn x 4 x 16 KiB"
        base=$base64
        [ $s = 16384 ] && base=$base16k
        for server in chat echo tcpecho ws; do
            b4_row "$label" $server "$B/b4-echo$s-$server.json" "$base"
            label=""
        done
    done
    label="idle: $idle_n conns to /echo"
    for server in chat ws; do
        if [ -s "$B/idle-$server.txt" ]; then
            printf '  %-30s %-8s %10.2f KiB per connection (server RSS)\n' "$label" $server \
                "$(median <"$B/idle-$server.txt")"
        else
            printf '  %-30s %-8s %s\n' "$label" $server "(not measured)"
        fi
        label=""
    done
    printf '  %-30s %-8s %s\n' "" echo "(skipped: a thread per connection is not built for thousands)"

    # The targets (Lab 4's issue): against ws on this machine, in this run.
    local med_bc_chat med_bc_ws med_e64_chat med_e64_ws med_e16_chat med_e16_ws idle_chat
    med_bc_chat=$(field deliveries_per_s "$B/b4-broadcast-chat.json" | median)
    med_e64_chat=$(field msgs_per_s "$B/b4-echo64-chat.json" | median)
    med_e16_chat=$(field msgs_per_s "$B/b4-echo16384-chat.json" | median)
    if [ -s "$B/b4-broadcast-ws.json" ]; then med_bc_ws=$(field deliveries_per_s "$B/b4-broadcast-ws.json" | median); fi
    if [ -s "$B/b4-echo64-ws.json" ]; then med_e64_ws=$(field msgs_per_s "$B/b4-echo64-ws.json" | median); fi
    if [ -s "$B/b4-echo16384-ws.json" ]; then med_e16_ws=$(field msgs_per_s "$B/b4-echo16384-ws.json" | median); fi
    [ -s "$B/idle-chat.txt" ] && idle_chat=$(median <"$B/idle-chat.txt")
    say ""
    printf '  %-46s %10s %10s   %s\n' "target (the reference, against ws)" measured target verdict
    verdict "broadcast deliveries/s, chat / ws" "$(ratio "$med_bc_chat" "$med_bc_ws")" ">=" 3 x
    verdict "echo msg/s, 64 B, chat / ws" "$(ratio "$med_e64_chat" "$med_e64_ws")" ">=" 3 x
    verdict "echo msg/s, 16 KiB, chat / ws" "$(ratio "$med_e16_chat" "$med_e16_ws")" ">=" 3 x
    verdict "idle memory per connection, chat" "$idle_chat" "<" 4 " KiB"
    [ -n "$ws_about" ] || say "  (ws skipped: the ratios to ws are not measured)"
    say "  msg/s counts correct messages only (a broadcast: deliveries, every member's copy, the sender's"
    say "  included); MB/s = their payload; x tcpecho = msg/s over tcpecho's msg/s for the same size"
    say "  (64 B for the broadcast). Idle: VmRSS of a fresh server with the connections open, minus"
    say "  before them, over their number (kernel socket buffers are not in RSS, so raw TCP has no figure)."
    trap - EXIT
    return $status
}

status=0
for lab in "$@"; do
    n=${lab%%-*}
    if declare -f "bench_$n" >/dev/null; then bench_$n || status=1; fi
done
exit $status
