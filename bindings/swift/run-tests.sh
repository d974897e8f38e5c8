#!/usr/bin/env bash
# Runs the Swift binding's tests on Linux, inside the Swift chroot, against the Rust
# library and development collector built here on the host (see chroot.sh).
#
#   bindings/swift/run-tests.sh [extra swift test arguments, e.g. --filter Deinit]
#
# Then tests the UIKit glue against a stub of UIKit (Tests/UIKitStub). Needs root
# (chroot, mount). Exits non-zero when either `swift test` fails.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=chroot.sh
source "$(dirname "${BASH_SOURCE[0]}")/chroot.sh"
chroot_setup

# Each test that talks to a collector starts its own.
chroot_env=(HAMUSTRO_COLLECTOR="$collector")

# XCTest only: --disable-swift-testing keeps Swift Testing's "0 tests" line out of the
# summary. Not `exec`, so that the trap unmounts after swift test ends.
status=0
swift_in_chroot test --disable-swift-testing "$@" || status=$?

# The UIKit glue, which only an Apple SDK builds, against a stub of the UIKit it uses
# (Tests/UIKitStub/Package.swift).
echo "testing the UIKit glue against a stub of UIKit" >&2
chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root TMPDIR="$tmp" \
  swift test --disable-swift-testing --package-path "$package/Tests/UIKitStub" \
  --scratch-path "$scratch-uikit-stub" || status=$?
exit "$status"
