#!/usr/bin/env bash
# compile-commands.sh "CC FLAGS" — prints compile_commands.json for every C
# file of the kit, with the include path of its lab, for clangd and editors.
. "$(dirname "$0")/common.sh"
root=$(cd "$SRCROOT" && pwd)
# The command is split like a shell line by clangd: keep the quotes of
# -DWSLAB_WEB_ROOT="..." as \", then escape for JSON (\ and ").
cmd=${1//\"/\\\"}
cmd=${cmd//\\/\\\\}
cmd=${cmd//\"/\\\"}
echo "["
sep=""
inc=""
for lab in $WSLAB_LABS; do
    inc+=" -I$root/stages/$lab"
    for f in "$root"/stages/$lab/*.c "$root"/solutions/$lab/*.c "$root"/tests/$lab/*.c; do
        [ -e "$f" ] || continue
        printf '%s  {"directory": "%s", "file": "%s", "command": "%s%s -I%s/tests/lib -c %s"}' \
            "$sep" "$root" "$f" "$cmd" "$inc" "$root" "$f"
        sep=$',\n'
    done
done
for f in "$root"/tests/lib/*.c; do
    printf '%s  {"directory": "%s", "file": "%s", "command": "%s -I%s/tests/lib -c %s"}' \
        "$sep" "$root" "$f" "$cmd" "$root" "$f"
    sep=$',\n'
done
printf '\n]\n'
