#!/usr/bin/env bash
# The main job: build the library, start the development collector, run the C example
# against it and show the events arriving. Usage: make demo (or bash scripts/demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=dev-collector.sh
source scripts/dev-collector.sh

secret="dev-secret"
work=$(mktemp -d)
cleanup() {
  stop_dev_collector
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building libhamustro (release) and the development collector"
cargo build --release -p hamustro -p hamustro-collector
bash scripts/soname-link.sh target/release

start_dev_collector ./target/release/hamustro-collector "$secret" "$work"

echo "==> compiling bindings/c/example.c against include/hamustro.h"
cc -std=c11 -Wall -Wextra -O2 -Iinclude bindings/c/example.c \
  -Ltarget/release -lhamustro -Wl,-rpath,"$PWD/target/release" -o "$work/example"

echo "==> running the C example against $dev_collector_url"
stdbuf -oL "$work/example" "$dev_collector_url" "$secret" "$work/events.db"

stop_dev_collector
echo "==> demo finished: the events above reached the collector"
