#!/usr/bin/env bash
# The workbench's browser test (tests/browser/workbench.test.js): the development
# collector's live page in Debian's headless chromium, driven by playwright-core, while
# the C example delivers to the collector. It checks that the example's five events
# appear with their parameters, that a request signed with another secret shows as
# rejected with its reason and hint, that a 503 fault turned on from the page shows the
# client's failed attempts and that the events arrive once it is cleared from the page,
# that pause counts new events, that an event arriving while the page reloads its lists
# is neither lost nor shown twice, and that an event named <img src=x onerror=alert(1)>
# renders as text.
#
#   bash scripts/browser-test.sh      (part of scripts/test.sh, full and --quick)
#
# Builds hamustro-collector and the library (debug, as the Rust suite left them) and
# compiles bindings/c/example.c against them, as scripts/demo.sh does. playwright-core
# is the pinned one of tests/browser/package-lock.json, installed by setup into
# $HAMUSTRO_TOOLCHAINS/hamustro-tools/npm (scripts/toolchains.sh). The page's screenshot
# is saved as target/browser/workbench.png (docs/workbench.png is a copy of one, shown
# in the README). Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh

out="$repo/target/browser"
fail() {
  echo "FAILED: $1"
  echo
  echo "0 passed, 1 failed"
  exit 1
}

[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (make setup installs Debian's chromium)"
hamustro_npm_tools || fail "installing playwright-core (tests/browser/package-lock.json)"

echo "==> building hamustro-collector and libhamustro (debug), compiling bindings/c/example.c"
rm -rf "$out"
mkdir -p "$out"
nice -n 10 cargo build --quiet -p hamustro -p hamustro-collector ||
  fail "cargo build -p hamustro -p hamustro-collector"
bash scripts/soname-link.sh target/debug
cc -std=c11 -Wall -Wextra -O2 -Iinclude bindings/c/example.c -Ltarget/debug -lhamustro \
  -Wl,-rpath,"$repo/target/debug" -o "$out/example" || fail "compiling bindings/c/example.c"

echo "==> tests/browser/workbench.test.js (node --test, chromium $(chromium --version 2>/dev/null |
  sed -n 's/^Chromium \([0-9.]*\).*/\1/p'), playwright-core $(node -p \
  "require('$npm_tools/node_modules/playwright-core/package.json').version"))"
# The spec reporter for people; TAP into a file for the counts below.
NODE_PATH="$npm_tools/node_modules" HAMUSTRO_COLLECTOR="$repo/target/debug/hamustro-collector" \
  HAMUSTRO_EXAMPLE="$out/example" HAMUSTRO_BROWSER_OUT="$out" \
  node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$out/results.tap" \
  tests/browser/workbench.test.js
status=$?
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out/results.tap" 2>/dev/null)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out/results.tap" 2>/dev/null)
if [ "$status" != 0 ]; then
  echo "the collector's output: $out/collector.log; the page at the end: $out/last.png"
  # A run that failed before its tests (the browser did not start) counts as one failure.
  [ "${failed:-0}" -gt 0 ] || failed=1
fi
echo
echo "${passed:-0} passed, ${failed:-0} failed"
[ "$status" = 0 ] && [ -f "$out/workbench.png" ] && echo "screenshot: $out/workbench.png"
exit "$status"
