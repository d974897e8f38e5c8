#!/usr/bin/env bash
# Builds hamustro for Apple platforms on this Linux machine (scripts/apple-build.sh)
# and checks what an app would get:
#   1. the static libraries for iOS devices, the iOS simulator and macOS (arm64): every
#      member built for its platform (LC_BUILD_VERSION), every function of
#      include/hamustro.h defined;
#   2. Hamustro.xcframework assembled from them: Info.plist and each slice's library,
#      headers, module map and privacy manifest;
#   3. the privacy manifest against the required-reason APIs the archives call (and the
#      Swift binding's sources) and the data the library sends;
#   4. the release (bindings/swift/release.sh) into a copy of the root Package.swift:
#      the zip is the same for the same files, its checksum (swift package
#      compute-checksum) is its SHA-256 and goes into the copy with Cargo.toml's
#      version, which `swift package dump-package` reads back; the committed root
#      Package.swift parses, names Cargo.toml's version, and lays out the Hamustro target
#      (`swift package describe`) with every Swift source and the privacy manifest,
#      which the development bindings/swift/Package.swift also declares.
#
#   scripts/apple-test.sh          (also `make apple`)
#
# This script builds and runs the tools (llvm-objdump and llvm-nm in the cross chroot,
# swift in the Swift chroot) and saves what they print; the checks of it are xtask's
# (`xtask check apple-archive`, …: xtask/src/apple.rs).
#
# Prints "N passed, M failed" and exits non-zero on any failure. Needs root (chroot,
# mount). cargo builds into the build cache (scripts/build-cache.sh), so a kept machine
# rebuilds only what changed; the XCFramework and the release go to target/apple.
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
release="$repo/target/apple/release-test"
# TMPDIR inside the Swift chroot for this run: swift leaves a directory there each call.
swift_tmp="/tmp/hamustro-apple-test.$$"
cleanup() {
  trixie_chroot_unmount
  rm -rf "${swift_root:?}$swift_tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Where TARGET's archive is described for xtask's Apple checks: what the cross chroot's
# llvm-objdump and llvm-nm say of it, one file a listing (xtask/src/apple/listing.rs
# names them).
listing_of() {
  echo "$repo/target/apple/listings/$1"
}

list_archive() {
  local archive dir
  archive=$(apple_archive "$1") dir=$(listing_of "$1")
  rm -rf "$dir" && mkdir -p "$dir" &&
    trixie_chroot_run "$apple_root" llvm-objdump --macho --private-headers "$archive" \
      >"$dir/private-headers.txt" &&
    trixie_chroot_run "$apple_root" llvm-nm --no-llvm-bc --extern-only --defined-only \
      "$archive" >"$dir/defined-symbols.txt" &&
    trixie_chroot_run "$apple_root" llvm-nm --no-llvm-bc --extern-only --undefined-only \
      "$archive" >"$dir/undefined-symbols.txt"
}

# TARGET's archive: every member built for PLATFORM, the header's functions defined.
archive_members() {
  list_archive "$1" && xtask check apple-archive "$(listing_of "$1")" "$2"
}

check "the Apple toolchain: the cross chroot, llvm, zig $apple_zig_version" apple_toolchain
if [ "$failed" -gt 0 ] || ! apple_cache; then
  echo "    (nothing to test without the toolchain)"
  summary
fi

# ---------------------------------------------------------------------------------
# 1. The static libraries
# ---------------------------------------------------------------------------------

listings=()
for target in "${apple_targets[@]}"; do
  read -r _ _ _ build_platform _ < <(apple_slice "$target")
  check "cargo rustc --target $target --crate-type staticlib" apple_build_archive "$target"
  check "$target: members for $build_platform, the header's functions defined" \
    archive_members "$target" "$build_platform"
  listings+=("$(listing_of "$target")")
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
  xtask check apple-xcframework "$apple_xcframework" "${slices[@]}"

# ---------------------------------------------------------------------------------
# 3. The privacy manifest
# ---------------------------------------------------------------------------------

check "PrivacyInfo.xcprivacy declares what the archives call and what is sent" \
  xtask check apple-privacy "$xcframework_privacy_manifest" \
    "$xcframework_package/Sources/Hamustro" "${listings[@]}"

# ---------------------------------------------------------------------------------
# 4. The release and the root Package.swift
# ---------------------------------------------------------------------------------

in_swift() {
  mkdir -p "$swift_root$swift_tmp" &&
    trixie_chroot_run "$swift_root" TMPDIR="$swift_tmp" "$@"
}

# Two zips of the XCFramework, with its files' times changed between them, must be
# the same bytes.
same_zip_twice() {
  local first="$release/first.zip" second="$release/second.zip"
  mkdir -p "$release"
  python3 "$xcframework_package/zip-xcframework.py" "$apple_xcframework" "$first" &&
    find "$apple_xcframework" -exec touch -d '2001-02-03 04:05' {} + &&
    python3 "$xcframework_package/zip-xcframework.py" "$apple_xcframework" "$second" &&
    cmp "$first" "$second" && echo "identical: $(wc -c <"$first") bytes"
}

# release.sh into a copy of the root manifest, read back with dump-package.
release_into_copy() {
  local copy="$release/package"
  rm -rf "$copy" && mkdir -p "$copy" && cp "$repo/Package.swift" "$copy/" &&
    "$xcframework_package/release.sh" --xcframework "$apple_xcframework" \
      --output "$release" --manifest "$copy/Package.swift" || return 1
  in_swift swift package --package-path "$copy" dump-package >"$release/dump.json" || return 1
  xtask check swift-release "$release/dump.json" "$release/Hamustro.xcframework.zip" \
    "$repo/Cargo.toml"
}

# The root manifest (as written, and as SwiftPM lays out its targets on disk), and the
# development one beside the Swift sources, which must also carry the privacy manifest.
committed_manifest() {
  in_swift swift package --package-path "$repo" dump-package >"$release/root.json" &&
    in_swift swift package --package-path "$repo" --scratch-path "$swift_tmp/build" \
      describe --type json >"$release/layout.json" &&
    in_swift swift package --package-path "$xcframework_package" dump-package \
      >"$release/development.json" || return 1
  xtask check swift-manifests "$release/root.json" "$release/development.json" \
    "$release/layout.json" "$xcframework_package/Sources/Hamustro" "$repo/Cargo.toml" \
    "$release/Hamustro.xcframework.zip"
}

if bash "$repo/scripts/swift-toolchain.sh" >/dev/null && trixie_chroot_mount "$swift_root" "$repo"; then
  check "the release zip is the same bytes for the same files" same_zip_twice
  check "release.sh: the zip's checksum and Cargo.toml's version in Package.swift" release_into_copy
  check "the root Package.swift parses (dump-package), names Cargo.toml's version" \
    committed_manifest
else
  failed=$((failed + 1))
  echo "    FAILED: the Swift chroot $swift_root (scripts/swift-toolchain.sh)"
fi

summary
