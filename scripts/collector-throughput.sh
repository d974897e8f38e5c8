#!/usr/bin/env bash
# docs/performance.md's collector throughput row: how many events a second hamustro-collector
# accepts from the library's delivery, with no page open and with one browser client
# on its live page. Not a timed test: a figure to keep, measured on the machine at hand.
#
# Builds the release library and collector and scripts/collector-load.c, which tracks
# EVENTS events on one tracker configured as an app would (delivery runs in the
# background while it tracks; the default queue size) and flushes. Each run starts a
# fresh collector; the second opens its page in headless chromium first
# (tests/browser/watch-page.js) and also reports how long after the flush the page
# showed the last event. Prints one line a run and the collector's /api/stats.
#
#   bash scripts/collector-throughput.sh             # 100,000 events a run
#   EVENTS=20000 bash scripts/collector-throughput.sh
#
# Needs cargo, cc, node and chromium (make setup); everything stays on 127.0.0.1.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh

events=${EVENTS:-100000}
secret=throughput-secret
work=$(mktemp -d)
collector_pid=""
watcher_pid=""
stop() {
  local pid
  for pid in "$watcher_pid" "$collector_pid"; do
    [ -z "$pid" ] || { kill "$pid" && wait "$pid"; } 2>/dev/null || true
  done
  watcher_pid=""
  collector_pid=""
}
cleanup() {
  stop
  rm -rf "$work"
}
trap cleanup EXIT

hamustro_npm_tools
echo "==> building libhamustro and hamustro-collector (release), scripts/collector-load.c"
nice -n 10 cargo build --quiet --release -p hamustro -p hamustro-collector
bash scripts/soname-link.sh target/release
cc -std=c11 -O2 -Iinclude scripts/collector-load.c -Ltarget/release -lhamustro \
  -Wl,-rpath,"$repo/target/release" -o "$work/load"

# run NAME PAGE LABEL: one measured run on a fresh collector; PAGE 1 opens the live page
# first.
run() {
  local name=$1 page=$2 label=$3 banner url line delivered ms end shown stats
  mkfifo "$work/$name.collector" "$work/$name.page"
  target/release/hamustro-collector --port 0 --secret "$secret" >"$work/$name.collector" &
  collector_pid=$!
  exec 3<"$work/$name.collector"
  IFS= read -r banner <&3 || true
  # Whatever else it prints is read and dropped, so that it never blocks on its output.
  cat <&3 >/dev/null &
  exec 3<&-
  url=$(sed -nE 's|.* on (http://[^/]+)/api/v1/track.*|\1|p' <<<"$banner")
  [ -n "$url" ] || { echo "the collector named no URL: $banner" >&2; return 1; }
  if [ "$page" = 1 ]; then
    NODE_PATH="$npm_tools/node_modules" node tests/browser/watch-page.js "$url/" "$events" \
      "$work/$name-profile" >"$work/$name.page" &
    watcher_pid=$!
    exec 4<"$work/$name.page"
    IFS= read -r line <&4 || true
    [ "$line" = live ] || { echo "the page did not connect: $line" >&2; return 1; }
  fi
  delivered=$("$work/load" "$url" "$secret" "$work/$name.sqlite3" "$events")
  end=$(date +%s%3N)
  ms=$(sed -n 's/^delivered [0-9]* events in \([0-9]*\) ms$/\1/p' <<<"$delivered")
  # Its counters, and that it accepted every event once.
  stats=$(python3 - "$url/api/stats" "$events" <<'EOF'
import json, sys, urllib.request
counters = json.load(urllib.request.urlopen(sys.argv[1]))["counters"]
print(json.dumps(counters))
assert counters["accepted"] == int(sys.argv[2]) and counters["duplicates"] == 0, counters
EOF
  )
  printf '%-38s %7d events in %6d ms: %7d events/s accepted\n' "$label" "$events" "$ms" \
    $((events * 1000 / ms))
  echo "    /api/stats counters: $stats"
  if [ "$page" = 1 ]; then
    IFS= read -r line <&4 || true
    exec 4<&-
    shown=$(sed -n 's/^shown [0-9]* at \([0-9]*\)$/\1/p' <<<"$line")
    [ -n "$shown" ] || { echo "the page never showed $events accepted: $line" >&2; return 1; }
    echo "    the page showed all $events accepted $((shown > end ? shown - end : 0)) ms after the flush ended"
  fi
  stop
}

echo "==> $events events a run, one tracker (scripts/collector-load.c), $(nproc) cores"
run bare 0 "no page open"
run page 1 "one browser client on the live page"
