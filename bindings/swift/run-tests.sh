#!/usr/bin/env bash
# Runs the Swift binding's tests on Linux, inside the Swift chroot, against the Rust
# library and development collector built here on the host (see chroot.sh).
#
#   bindings/swift/run-tests.sh [extra swift test arguments, e.g. --filter Deinit]
#
# Needs root (chroot, mount). Exits with `swift test`'s status.
set -euo pipefail

# shellcheck source=chroot.sh
source "$(dirname "${BASH_SOURCE[0]}")/chroot.sh"
chroot_setup

# Each test that talks to a collector starts its own.
chroot_env=(HAMUSTRO_COLLECTOR="$collector")

# XCTest only: --disable-swift-testing keeps Swift Testing's "0 tests" line out of the
# summary. Not `exec`, so that the trap unmounts after swift test ends.
status=0
swift_in_chroot test --disable-swift-testing "$@" || status=$?
exit "$status"
