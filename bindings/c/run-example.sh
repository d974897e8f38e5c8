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
# shellcheck source-path=SCRIPTDIR source=../../scripts/dev-collector.sh
source "$root/scripts/dev-collector.sh"

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
cleanup() {
  stop_dev_collector
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building libhamustro (release) and the development collector"
cargo build --release -p hamustro -p hamustro-collector --manifest-path "$root/Cargo.toml"

start_dev_collector "$root/target/release/hamustro-collector" "$secret" "$work"
url=$dev_collector_url

echo "==> building bindings/c/$source_file (make $program)"
make --no-print-directory -C "$here" "$program"

echo "==> running bindings/c/build/$program against $url"
status=0
stdbuf -oL "$here/build/$program" "$url" "$secret" "$work/events.sqlite3" || status=$?

stop_dev_collector
if [ "$status" -ne 0 ]; then
  echo "==> the example failed (exit status $status)" >&2
  exit "$status"
fi
echo "==> done: the events above reached the collector"
