#!/usr/bin/env bash
# The main job: build the library, start the development collector, run the C example
# against it and show the events arriving. Usage: make demo (or bash scripts/demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

secret="dev-secret"
work=$(mktemp -d)
collector_pid=""
cleanup() {
  if [ -n "$collector_pid" ]; then kill "$collector_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building libhamustro (release) and the development collector"
cargo build --release --lib --example collector

echo "==> starting the development collector"
mkfifo "$work/collector.out"
./target/release/examples/collector --port 0 --secret "$secret" >"$work/collector.out" &
collector_pid=$!
exec 3<"$work/collector.out"
read -r banner <&3
echo "    $banner"
url=$(sed -E 's|.* on (http://[^/]+)/api/v1/track.*|\1|' <<<"$banner")
# Echo what the collector prints from here on, prefixed, while the example runs.
sed -u 's/^/    collector: /' <&3 &

echo "==> compiling bindings/c/example.c against include/hamustro.h"
cc -std=c11 -Wall -Wextra -O2 -Iinclude bindings/c/example.c \
  -Ltarget/release -lhamustro -Wl,-rpath,"$PWD/target/release" -o "$work/example"

echo "==> running the C example against $url"
stdbuf -oL "$work/example" "$url" "$secret" "$work/events.db"

# flush returned OK: the collector printed every event before answering 200.
# Stopping it closes the pipe, and waiting for the echo prints all it read.
kill "$collector_pid" 2>/dev/null || true
wait "$collector_pid" 2>/dev/null || true
collector_pid=""
wait 2>/dev/null || true
echo "==> demo finished: the events above reached the collector"
