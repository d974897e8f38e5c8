#!/usr/bin/env bash
# Makes a release of the Swift package that apps consume remotely (the root
# Package.swift): Hamustro.xcframework, its zip, the zip's checksum, and the manifest
# pointed at them.
#   1. the XCFramework: on a Mac build-xcframework.sh (xcodebuild; arm64 and x86_64),
#      elsewhere scripts/apple-build.sh (arm64 only, no Xcode), unless --xcframework
#      names one already built;
#   2. Hamustro.xcframework.zip, made by zip-xcframework.py (the same files give the
#      same bytes);
#   3. its checksum, by `swift package compute-checksum` (in the Swift chroot off a Mac),
#      checked against the zip's SHA-256, which is what SwiftPM computes;
#   4. the manifest's `version` set to Cargo.toml's, its `checksum` to the zip's, and
#      `downloads` to --downloads when given.
#
#   bindings/swift/release.sh [--xcframework DIR] [--output DIR] [--manifest FILE]
#                             [--downloads URL]
#
# --output defaults to target/swift-release, --manifest to the root Package.swift.
# Then commit the manifest, tag the commit v<version>, and upload the zip as
# <downloads>/v<version>/Hamustro.xcframework.zip. Off a Mac it needs root (chroots).
set -euo pipefail

package="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$package/../.." && pwd)"
xcframework=""
output="$repo/target/swift-release"
manifest="$repo/Package.swift"
downloads=""
while [ $# -gt 0 ]; do
  case $1 in
    --xcframework) xcframework=$2 ;;
    --output) output=$2 ;;
    --manifest) manifest=$2 ;;
    --downloads) downloads=$2 ;;
    *)
      echo "usage: $0 [--xcframework DIR] [--output DIR] [--manifest FILE] [--downloads URL]" >&2
      exit 2
      ;;
  esac
  shift 2
done

version=$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml")
[ -n "$version" ] || { echo "no version in Cargo.toml's [package]" >&2; exit 1; }

if [ -z "$xcframework" ]; then
  if [ "$(uname)" = Darwin ]; then
    "$package/build-xcframework.sh"
    xcframework="$package/Hamustro.xcframework"
  else
    "$repo/scripts/apple-build.sh"
    xcframework="$repo/target/apple/Hamustro.xcframework"
  fi
fi

mkdir -p "$output"
zip="$(cd "$output" && pwd)/Hamustro.xcframework.zip"
python3 "$package/zip-xcframework.py" "$xcframework" "$zip"

if [ "$(uname)" = Darwin ]; then
  checksum=$(swift package --package-path "$repo" compute-checksum "$zip")
else
  # shellcheck source-path=SCRIPTDIR source=../../scripts/toolchains.sh
  source "$repo/scripts/toolchains.sh"
  # shellcheck source=../../scripts/trixie-chroot.sh
  source "$repo/scripts/trixie-chroot.sh"
  "$repo/scripts/swift-toolchain.sh" >/dev/null
  mounts=("$repo")
  [[ $zip == "$repo"/* ]] || mounts+=("$(dirname "$zip")")
  trixie_chroot_mount "$swift_root" "${mounts[@]}"
  # TMPDIR inside the chroot: swift leaves a directory there each call.
  swift_tmp="/tmp/hamustro-release.$$"
  trap 'trixie_chroot_unmount; rm -rf "${swift_root:?}$swift_tmp"' EXIT
  mkdir -p "$swift_root$swift_tmp"
  checksum=$(trixie_chroot_run "$swift_root" TMPDIR="$swift_tmp" \
    swift package --package-path "$repo" compute-checksum "$zip")
fi
sha256=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$zip")
if [ "$checksum" != "$sha256" ]; then
  echo "swift package compute-checksum gave $checksum, the zip's SHA-256 is $sha256" >&2
  exit 1
fi

# set_constant NAME VALUE: the manifest's one `let NAME = "…"` line.
set_constant() {
  if [ "$(grep -c "^let $1 = \".*\"\$" "$manifest")" != 1 ]; then
    echo "$manifest has no single 'let $1 = \"…\"' line" >&2
    exit 1
  fi
  sed -i.bak "s|^let $1 = \".*\"\$|let $1 = \"$2\"|" "$manifest" && rm -f "$manifest.bak"
}
set_constant version "$version"
set_constant checksum "$checksum"
[ -z "$downloads" ] || set_constant downloads "${downloads%/}"
echo "$zip: version $version, checksum $checksum, written into $manifest"
