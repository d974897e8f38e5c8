#!/usr/bin/env bash
# Builds hamustro for Apple platforms on this Linux machine (scripts/apple-build.sh)
# and checks what an app would get:
#   1. the static libraries for iOS devices, the iOS simulator and macOS (arm64): every
#      member built for its platform (LC_BUILD_VERSION), every function of
#      include/hamustro.h defined;
#   2. Hamustro.xcframework assembled from them: Info.plist and each slice's library,
#      headers, module map and privacy manifest;
#   3. the privacy manifest against the required-reason APIs the archives call (and the
#      Swift binding's sources) and the data the library sends.
#
#   scripts/apple-test.sh          (also `make apple`)
#
# Prints "N passed, M failed" and exits non-zero on any failure. Needs root (chroot,
# mount). Builds go to target/apple, so a kept machine rebuilds only what changed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=apple-build.sh
source "$repo/scripts/apple-build.sh"
# shellcheck source-path=SCRIPTDIR source=checks.sh
source "$repo/scripts/checks.sh"

if [ "$(id -u)" != 0 ]; then
  echo "$(basename "$0") needs root (chroot, mount)" >&2
  exit 1
fi
trap trixie_chroot_unmount EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apple_checks() {
  python3 "$repo/scripts/apple_checks.py" --chroot "$apple_root" "$@"
}

check "the Apple toolchain: the cross chroot, llvm, zig $apple_zig_version" apple_toolchain
if [ "$failed" -gt 0 ] || ! trixie_chroot_certificates "$apple_root" ||
  ! trixie_chroot_mount "$apple_root" "$repo"; then
  echo "    (nothing to test without the toolchain)"
  summary
fi

# ---------------------------------------------------------------------------------
# 1. The static libraries
# ---------------------------------------------------------------------------------

archives=()
for target in "${apple_targets[@]}"; do
  read -r _ _ _ build_platform _ < <(apple_slice "$target")
  check "cargo rustc --target $target --crate-type staticlib" apple_build_archive "$target"
  check "$target: members for $build_platform, the header's functions defined" \
    apple_checks archive "$(apple_archive "$target")" "$build_platform"
  archives+=("$(apple_archive "$target")")
done
if [ "$failed" -gt 0 ]; then
  echo "    (nothing else to test without the libraries)"
  summary
fi

# ---------------------------------------------------------------------------------
# 2. The XCFramework
# ---------------------------------------------------------------------------------

slices=()
for target in "${apple_targets[@]}"; do
  read -r identifier platform variant _ < <(apple_slice "$target")
  slices+=("$identifier:$platform:$variant")
done
check "assemble Hamustro.xcframework (bindings/swift/xcframework.sh)" apple_assemble_xcframework
check "Hamustro.xcframework: Info.plist and every slice's files" \
  apple_checks xcframework "$apple_xcframework" "${slices[@]}"

# ---------------------------------------------------------------------------------
# 3. The privacy manifest
# ---------------------------------------------------------------------------------

check "PrivacyInfo.xcprivacy declares what the archives call and what is sent" \
  apple_checks privacy "$xcframework_privacy_manifest" "${archives[@]}"


summary
