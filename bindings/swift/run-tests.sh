#!/usr/bin/env bash
# Runs the Swift binding's tests on Linux: Debian 12 has no Swift, so they run inside
# the Debian trixie chroot made by scripts/swift-toolchain.sh, against the Rust library
# and development collector built here on the host (a host-built cdylib loads there).
#
#   bindings/swift/run-tests.sh [extra swift test arguments, e.g. --filter Deinit]
#
# Needs root (chroot, mount). Exits with `swift test`'s status.
set -euo pipefail

package="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$package/../.." && pwd)"
root="${HAMUSTRO_SWIFT_ROOT:-/opt/hamustro-swift}"
libdir="$repo/target/debug"
# SwiftPM's build directory, inside the chroot and outside the work tree.
scratch="${HAMUSTRO_SWIFT_SCRATCH:-/var/tmp/hamustro-swift-build}"
# TMPDIR inside the chroot for this run: swift leaves a TemporaryDirectory.* behind
# on every call, and the tests make their queue databases there.
tmp="/tmp/hamustro-swift-tests.$$"

if [ "$(id -u)" != 0 ]; then
  echo "run-tests.sh needs root (chroot, mount)" >&2
  exit 1
fi

HAMUSTRO_SWIFT_ROOT="$root" "$repo/scripts/swift-toolchain.sh"

echo "building the Rust library and the development collector" >&2
(cd "$repo" && cargo build --lib --example collector)

# Mount what is missing and unmount exactly that on the way out (the chroot must not
# be deleted while the work tree is bound inside it). A mount already present, e.g.
# from a run still going on, is used and left alone.
mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
  rm -rf "${root:?}$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! mountpoint -q "$root/proc"; then
  # swift finds its own libraries through /proc/self/exe.
  mount -t proc proc "$root/proc"
  mounted+=("$root/proc")
fi
if ! mountpoint -q "$root$repo"; then
  # The same path inside as outside, so that paths in the build and in #filePath agree.
  mkdir -p "$root$repo"
  mount --bind "$repo" "$root$repo"
  mounted+=("$root$repo")
fi

# XCTest only: --disable-swift-testing keeps Swift Testing's "0 tests" line out of the
# summary. Not `exec`, so that the trap unmounts after swift test ends.
mkdir -p "$root$tmp"
status=0
chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root TMPDIR="$tmp" \
  HAMUSTRO_COLLECTOR="$repo/target/debug/examples/collector" \
  swift test \
    --package-path "$repo/bindings/swift" \
    --scratch-path "$scratch" \
    --disable-swift-testing \
    -Xcc -I"$repo/include" \
    -Xlinker -L"$libdir" -Xlinker -rpath -Xlinker "$libdir" \
    "$@" || status=$?
exit "$status"
