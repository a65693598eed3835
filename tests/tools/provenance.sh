#!/usr/bin/env bash
# provenance.sh TREE LAB... — says which files a build took from where.
. "$(dirname "$0")/common.sh"
tree=$1; shift
own=${OWN:-}
[ -d "$SRCROOT/solutions" ] || own=handout
names() { local d=$1; shift; local out=""; for f in "$@"; do out+=" ${f#$d/}"; done; echo "${out:- (none)}"; }
for lab in "$@"; do
    stages=("$SRCROOT"/stages/$lab/*.c)
    if [ "$tree" = ref ]; then
        sol=("$SRCROOT"/solutions/$lab/*.c); given=()
        for f in "${stages[@]}"; do [ -e "$SRCROOT/solutions/$lab/$(basename "$f")" ] || given+=("$f"); done
        say "ref $lab: reference solutions/:$(names "$SRCROOT/solutions/$lab" "${sol[@]}"); given stages/:$(names "$SRCROOT/stages/$lab" "${given[@]}")"
    else
        earlier=""
        for e in $WSLAB_LABS; do [ "$e" = "$lab" ] && break; earlier+=" $e"; done
        from="reference"; [ -n "$own" ] && from="your own stages/ (OWN=1)"
        say "student $lab: yours, from stages/$lab/:$(names "$SRCROOT/stages/$lab" "${stages[@]}")"
        [ -n "$earlier" ] && say "  earlier labs:$earlier, from the $from" || true
    fi
done
