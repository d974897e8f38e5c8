#!/usr/bin/env bash
# Runs the Swift example (Sources/HamustroExample) on Linux against the development
# collector and shows the events arriving. The collector runs on the host at 127.0.0.1;
# `swift run hamustro-example URL SECRET` runs inside the Swift chroot, which shares the
# host's network (see chroot.sh).
#
#   bindings/swift/run-example.sh
#
# Needs root (chroot, mount). Each line the collector prints is shown prefixed with
# "collector:". Exits non-zero when the example fails.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=chroot.sh
source "$(dirname "${BASH_SOURCE[0]}")/chroot.sh"
# shellcheck source-path=SCRIPTDIR source=../../scripts/dev-collector.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/dev-collector.sh"

secret="dev-secret"
work=$(mktemp -d)
cleanup() {
  stop_dev_collector
  rm -rf "$work"
  chroot_cleanup
}
trap cleanup EXIT

chroot_setup

start_dev_collector "$collector" "$secret" "$work"
url=$dev_collector_url

echo "==> swift run hamustro-example $url $secret (in the chroot $root)"
status=0
swift_in_chroot run hamustro-example "$url" "$secret" || status=$?

stop_dev_collector
if [ "$status" -ne 0 ]; then
  echo "==> the example failed (exit status $status)" >&2
  exit "$status"
fi
echo "==> done: the events above reached the collector"
