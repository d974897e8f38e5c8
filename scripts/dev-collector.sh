# shellcheck shell=bash disable=SC2034 # its variables are for the scripts that source it
# Sourced by the scripts that run an example against the development collector
# (scripts/demo.sh, bindings/c/run-example.sh, bindings/swift/run-example.sh).
#
#   start_dev_collector BINARY SECRET DIR   starts it (hamustro-collector) on a free
#                                           port; sets dev_collector_url (the base URL
#                                           clients send to) and dev_collector_page (its
#                                           live web page) and echoes each line it
#                                           prints, prefixed "collector:"
#   stop_dev_collector                      stops it and waits for the echo to finish
#
# Callers call stop_dev_collector from their EXIT trap too (it is idempotent).

dev_collector_pid=""
dev_collector_url=""
dev_collector_page=""

start_dev_collector() {
  local binary=$1 secret=$2 dir=$3 banner
  echo "==> starting the development collector"
  mkfifo "$dir/collector.out"
  "$binary" --port 0 --secret "$secret" >"$dir/collector.out" &
  dev_collector_pid=$!
  exec 3<"$dir/collector.out"
  # The first line names the URL; EOF instead means the collector did not start.
  read -r banner <&3 || true
  echo "    $banner"
  dev_collector_url=$(sed -nE 's|.* on (http://[^/]+)/api/v1/track.*|\1|p' <<<"$banner")
  if [ -z "$dev_collector_url" ]; then
    echo "no URL in the collector's first line" >&2
    return 1
  fi
  # The page is served on the same port, at the root.
  dev_collector_page="$dev_collector_url/"
  # Echo what the collector prints from here on, while the example runs.
  sed -u 's/^/    collector: /' <&3 &
  exec 3<&-
}

# After a successful flush the collector has printed every event (it prints before
# answering 200). Stopping it closes the pipe; waiting for the echo prints all it read.
stop_dev_collector() {
  if [ -n "$dev_collector_pid" ]; then
    kill "$dev_collector_pid" 2>/dev/null || true
    wait "$dev_collector_pid" 2>/dev/null || true
    dev_collector_pid=""
    wait 2>/dev/null || true
  fi
}
