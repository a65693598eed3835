# common.sh — shared by the scripts behind the Makefile's targets (sourced).
# The Makefile exports BUILD, SRCROOT, MAKE_CMD and WSLAB_LABS.
: "${BUILD:=build}" "${SRCROOT:=.}" "${MAKE_CMD:=make --no-print-directory}"

# lab_var LAB NAME: a variable of the lab's lab.mk (RUN, PAGE, PROGRAMS).
lab_var() { $MAKE_CMD -s print-"$1_$2"; }

# lab_port LAB: 8000 + the lab's number (01-tcp-http → 8001).
lab_port() { echo $((8000 + 10#${1%%-*})); }

# wait_listening LOG PID: waits (5 s) for "listening on HOST:PORT" in LOG and
# prints the port; fails if the process died first.
wait_listening() {
    local log=$1 pid=$2 i
    for ((i = 0; i < 500; i++)); do
        if grep -q '^listening on ' "$log" 2>/dev/null; then
            sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$log" | head -n1
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
