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

# shellcheck source=chroot.sh
source "$(dirname "${BASH_SOURCE[0]}")/chroot.sh"

secret="dev-secret"
work=$(mktemp -d)
collector_pid=""
cleanup() {
  if [ -n "$collector_pid" ]; then kill "$collector_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  chroot_cleanup
}
trap cleanup EXIT

chroot_setup

echo "==> starting the development collector"
mkfifo "$work/collector.out"
"$collector" --port 0 --secret "$secret" >"$work/collector.out" &
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

echo "==> swift run hamustro-example $url $secret (in the chroot $root)"
status=0
swift_in_chroot run hamustro-example "$url" "$secret" || status=$?

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
