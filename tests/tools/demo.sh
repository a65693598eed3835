#!/usr/bin/env bash
# demo.sh TREE — runs every lab's server on its port and prints the URLs.
. "$(dirname "$0")/common.sh"
tree=$1
dir=$(mktemp -d)
pids=()
stop() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap 'stop; exit 0' INT TERM
trap stop EXIT
first=""
for lab in $WSLAB_LABS; do
    prog=$(lab_var "$lab" RUN) page=$(lab_var "$lab" PAGE) port=$(lab_port "$lab")
    [ -n "$prog" ] || continue
    "$BUILD/$tree/$lab/$prog" --port "$port" >"$dir/$lab.log" 2>&1 &
    pids+=($!)
    if wait_listening "$dir/$lab.log" $! >/dev/null; then
        say "  lab ${lab%%-*}  http://localhost:$port$page"
        [ -n "$first" ] || first=$port
    else
        say "  lab ${lab%%-*}  could not start on port $port:"; sed 's/^/      /' "$dir/$lab.log"
    fi
done
[ -n "$first" ] && say "home page: http://localhost:$first/   (Ctrl-C stops every server)"
wait
