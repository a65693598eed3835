#!/usr/bin/env bash
# test-browser.sh TREE — every page's self-test in headless Chromium.
. "$(dirname "$0")/common.sh"
tree=$1
command -v node >/dev/null || {
    say "node is missing: apt-get install nodejs npm"; [ "${CI:-}" = true ] && exit 1; exit 0; }
if [ ! -d "$SRCROOT/tests/browser/node_modules/playwright-core" ]; then
    say "installing playwright-core (npm ci in tests/browser)"
    (cd "$SRCROOT/tests/browser" && npm ci --no-audit --no-fund >/dev/null) ||
        { say "npm ci failed"; [ "${CI:-}" = true ] && exit 1; exit 0; }
fi
WSLAB_BIN="$BUILD/$tree" exec node "$SRCROOT/tests/browser/run.mjs"
