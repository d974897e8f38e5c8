#!/usr/bin/env bash
# Builds Hamustro.xcframework next to this script, for Apple developers on macOS
# (Xcode and rustup needed): the Rust library as a static library for iOS devices,
# the iOS simulator (arm64 + x86_64) and macOS (arm64 + x86_64), with hamustro.h, a
# module map declaring the `CHamustro` module and the privacy manifest in every slice
# (xcframework.sh, shared with scripts/apple-build.sh, which assembles the same layout
# on Linux without Xcode). Package.swift then uses it instead of the system library,
# and release.sh zips it for the root Package.swift (see README.md).
set -euo pipefail

package="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=xcframework.sh
source "$package/xcframework.sh"
repo="$(cd "$package/../.." && pwd)"
output="$package/Hamustro.xcframework"
work="$repo/target/xcframework"
lib=libhamustro.a

# The lowest versions Package.swift supports; the C code in the build (SQLite, ring)
# reads these too.
export IPHONEOS_DEPLOYMENT_TARGET=13.0 MACOSX_DEPLOYMENT_TARGET=10.15

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
for target in "${targets[@]}"; do
  # Only the static library: the crate's cdylib and rlib are not needed here.
  cargo rustc --manifest-path "$repo/Cargo.toml" --lib --release --crate-type staticlib \
    --target "$target"
done

built() { echo "$repo/target/$1/release/$lib"; }
rm -rf "$work" "$output"
mkdir -p "$work/ios-simulator" "$work/macos"
lipo -create "$(built aarch64-apple-ios-sim)" "$(built x86_64-apple-ios)" \
  -output "$work/ios-simulator/$lib"
lipo -create "$(built aarch64-apple-darwin)" "$(built x86_64-apple-darwin)" \
  -output "$work/macos/$lib"

xcframework_stage_headers "$work/include"

xcodebuild -create-xcframework \
  -library "$(built aarch64-apple-ios)" -headers "$work/include" \
  -library "$work/ios-simulator/$lib" -headers "$work/include" \
  -library "$work/macos/$lib" -headers "$work/include" \
  -output "$output"
xcframework_add_privacy_manifest "$output"
echo "built $output"
