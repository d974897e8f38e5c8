# shellcheck shell=bash
# Sourced by build-xcframework.sh (on a Mac, with xcodebuild) and scripts/apple-build.sh
# (on Linux, without Xcode): what both put into Hamustro.xcframework besides the static
# libraries, so that both make the same layout:
#   <slice>/libhamustro.a
#   <slice>/Headers/CHamustro/hamustro.h, module.modulemap
#   <slice>/PrivacyInfo.xcprivacy
#   Info.plist (AvailableLibraries: one entry a slice)
#
#   xcframework_stage_headers DIR   writes DIR/CHamustro/{hamustro.h,module.modulemap},
#                                   the -headers directory of every slice
#   xcframework_add_privacy_manifest XCFRAMEWORK
#                                   copies Sources/Hamustro/PrivacyInfo.xcprivacy into
#                                   every slice that XCFRAMEWORK/Info.plist lists
#   xcframework_assemble OUTPUT IDENTIFIER:PLATFORM:VARIANT:LIBRARY...
#                                   makes OUTPUT as `xcodebuild -create-xcframework`
#                                   does, from one arm64 library a slice (VARIANT "-"
#                                   for none, or "simulator"), privacy manifest included

xcframework_package="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
xcframework_repo="$(cd "$xcframework_package/../.." && pwd)"
xcframework_privacy_manifest="$xcframework_package/Sources/Hamustro/PrivacyInfo.xcprivacy"

# The module map sits in a CHamustro/ folder of Headers, not at its top: Xcode copies
# every XCFramework's Headers into one include directory, where two top-level
# module.modulemap files would collide. Clang finds it there by the module's name. No
# `link` line: Xcode links the XCFramework's library itself.
xcframework_stage_headers() {
  local dir=$1
  mkdir -p "$dir/CHamustro"
  cp "$xcframework_repo/include/hamustro.h" "$dir/CHamustro/"
  cat >"$dir/CHamustro/module.modulemap" <<'MODULEMAP'
module CHamustro {
    header "hamustro.h"
    export *
}
MODULEMAP
}

xcframework_add_privacy_manifest() {
  local xcframework=$1 identifier
  python3 -c 'import plistlib, sys
for library in plistlib.load(open(sys.argv[1], "rb"))["AvailableLibraries"]:
    print(library["LibraryIdentifier"])' "$xcframework/Info.plist" |
    while read -r identifier; do
      cp "$xcframework_privacy_manifest" "$xcframework/$identifier/"
    done
}

xcframework_assemble() {
  local output=$1 slice identifier library
  shift
  rm -rf "$output"
  mkdir -p "$output"
  for slice in "$@"; do
    IFS=: read -r identifier _ _ library <<<"$slice"
    mkdir -p "$output/$identifier"
    cp "$library" "$output/$identifier/libhamustro.a"
    xcframework_stage_headers "$output/$identifier/Headers"
  done
  python3 - "$output/Info.plist" "$@" <<'PYTHON'
import plistlib, sys

libraries = []
for slice in sys.argv[2:]:
    identifier, platform, variant, _ = slice.split(":", 3)
    library = {
        "LibraryIdentifier": identifier,
        "LibraryPath": "libhamustro.a",
        "HeadersPath": "Headers",
        "SupportedArchitectures": ["arm64"],
        "SupportedPlatform": platform,
    }
    if variant != "-":
        library["SupportedPlatformVariant"] = variant
    libraries.append(library)
with open(sys.argv[1], "wb") as plist:
    plistlib.dump({"AvailableLibraries": libraries, "CFBundlePackageType": "XFWK",
                   "XCFrameworkFormatVersion": "1.0"}, plist, sort_keys=True)
PYTHON
  xcframework_add_privacy_manifest "$output"
}
