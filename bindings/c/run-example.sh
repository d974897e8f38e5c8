#!/usr/bin/env bash
# Builds the library (release), starts the development collector on a free port, builds
# and runs one of the examples against it, and shows the events arriving:
#
#   bindings/c/run-example.sh [cpp|c]     example.cpp (the default) or example.c
#
# Each line the collector prints is shown prefixed with "collector:". The collector is
# stopped on the way out, and the script exits non-zero when the example fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

case "${1:-cpp}" in
  cpp) source_file=example.cpp program=example-cpp ;;
  c) source_file=example.c program=example ;;
  *)
    echo "usage: $0 [cpp|c]" >&2
    exit 2
    ;;
esac

secret="dev-secret"
work=$(mktemp -d)
collector_pid=""
cleanup() {
  if [ -n "$collector_pid" ]; then kill "$collector_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building libhamustro (release) and the development collector"
cargo build --release --lib --example collector --manifest-path "$root/Cargo.toml"

echo "==> starting the development collector"
mkfifo "$work/collector.out"
"$root/target/release/examples/collector" --port 0 --secret "$secret" >"$work/collector.out" &
collector_pid=$!
exec 3<"$work/collector.out"
# The first line names the URL; EOF instead means the collector did not start.
read -r banner <&3
echo "    $banner"
url=$(sed -nE 's|.* on (http://[^/]+)/api/v1/track.*|\1|p' <<<"$banner")
if [ -z "$url" ]; then
  echo "no URL in the collector's first line" >&2
  exit 1
fi
# Echo what the collector prints from here on, prefixed, while the example runs.
sed -u 's/^/    collector: /' <&3 &
exec 3<&-

echo "==> building bindings/c/$source_file (make $program)"
make --no-print-directory -C "$here" "$program"

echo "==> running bindings/c/build/$program against $url"
status=0
stdbuf -oL "$here/build/$program" "$url" "$secret" "$work/events.sqlite3" || status=$?

# After a successful flush the collector has printed every event (it prints before
# answering 200). Stopping it closes the pipe; waiting for the echo prints all it read.
kill "$collector_pid" 2>/dev/null || true
wait "$collector_pid" 2>/dev/null || true
collector_pid=""
wait
if [ "$status" -ne 0 ]; then
  echo "==> the example failed (exit status $status)" >&2
  exit "$status"
fi
echo "==> done: the events above reached the collector"
