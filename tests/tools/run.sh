#!/usr/bin/env bash
# run.sh TREE LAB — runs the lab's main server on its port, in the foreground.
. "$(dirname "$0")/common.sh"
tree=$1 lab=$2
prog=$(lab_var "$lab" RUN) page=$(lab_var "$lab" PAGE) port=$(lab_port "$lab")
[ -n "$prog" ] || die "lab $lab has no server to run"
say "running $BUILD/$tree/$lab/$prog on port $port — the page: http://localhost:$port$page (Ctrl-C stops it)"
exec "$BUILD/$tree/$lab/$prog" --port "$port" ${ARGS:-}
