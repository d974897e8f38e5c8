#!/usr/bin/env bash
# Builds hamustro's static library for Apple platforms on this Linux machine, and
# assembles Hamustro.xcframework from the three archives (arm64: iOS devices, the iOS
# simulator, macOS). Debian's rustc in the cross chroot of scripts/windows-toolchain.sh
# builds std from source (-Zbuild-std); zig (PyPI ziglang) compiles the C code (SQLite,
# ring) through scripts/apple-cc.sh, and `zig ar` archives it. Only the staticlib: a
# dylib would need Apple's linker. On a Mac, bindings/swift/build-xcframework.sh
# (xcodebuild) is the release path; both make the same layout.
#
#   scripts/apple-build.sh           the toolchain (first use), the archives, the XCFramework
#   scripts/apple-build.sh --packages  the toolchain's packages only (make setup)
#   source scripts/apple-build.sh    defines the apple_* names for scripts/apple-test.sh
#
# cargo builds into the suite "apple" of the build cache (scripts/build-cache.sh;
# $HAMUSTRO_BUILD_CACHE, else /var/cache/hamustro-build/apple), bound into the chroot
# at its own path and held locked until the script exits, so a kept machine rebuilds
# only the workspace: <target>/release/libhamustro.a there. Hamustro.xcframework,
# assembled from this run's archives, goes into the work tree, target/apple
# (bindings/swift/release.sh takes it from there). The first run installs
# Debian's llvm into the chroot (the tests read the archives with its tools) and zig
# beside it (/opt/hamustro-zig in the chroot), each marked done by a file in the chroot.
# Needs root (chroot, mount).

apple_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=windows-toolchain.sh
source "$apple_repo/scripts/windows-toolchain.sh"
# shellcheck source-path=SCRIPTDIR source=../bindings/swift/xcframework.sh
source "$apple_repo/bindings/swift/xcframework.sh"
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source "$apple_repo/scripts/build-cache.sh"

apple_root=$windows_root
apple_targets=(aarch64-apple-ios aarch64-apple-ios-sim aarch64-apple-darwin)
apple_out="" # cargo's target directory, set by apple_cache
apple_cc=""  # the C compiler, scripts/apple-cc.sh as copied by apple_cache
apple_xcframework="$apple_repo/target/apple/Hamustro.xcframework"
# The zig of the host's Python tools (scripts/python-tools.txt): one pin for both.
apple_zig_version=$(sed -n 's/^ziglang==//p' "$apple_repo/scripts/python-tools.txt")
apple_zig_dir=/opt/hamustro-zig # inside the chroot
apple_zig="$apple_zig_dir/ziglang/zig"
# SDKROOT, empty, so that nothing looks for Xcode. Its path is in the C objects' debug
# information: outside the work tree, the same archives come out of any checkout.
apple_no_sdk=/opt/hamustro-no-sdk # inside the chroot

# The archive cargo builds for TARGET.
apple_archive() {
  echo "$apple_out/$1/release/libhamustro.a"
}

# TARGET's XCFramework slice, as words: LibraryIdentifier, SupportedPlatform,
# SupportedPlatformVariant ("-" for none), the platform LC_BUILD_VERSION names, the
# lowest OS version (Package.swift's, or the first with arm64 for the simulator and
# macOS) and zig's target.
apple_slice() {
  case $1 in
    aarch64-apple-ios) echo "ios-arm64 ios - ios 13.0 aarch64-ios.13.0" ;;
    aarch64-apple-ios-sim) echo "ios-arm64-simulator ios simulator iossimulator 14.0 aarch64-ios.14.0-simulator" ;;
    aarch64-apple-darwin) echo "macos-arm64 macos - macos 11.0 aarch64-macos.11.0" ;;
    *) echo "no Apple slice for $1" >&2; return 1 ;;
  esac
}

# Debian's llvm in the chroot and zig beside it, unless their markers exist.
apple_packages() {
  [ -f "$apple_root/.hamustro-apple-llvm" ] &&
    [ -f "$apple_root/.hamustro-apple-zig-$apple_zig_version" ] && return 0
  (
    set -e
    trixie_chroot_lock "$apple_root"
    trixie_chroot_install "$apple_root" .hamustro-apple-llvm llvm
    if [ ! -f "$apple_root/.hamustro-apple-zig-$apple_zig_version" ]; then
      echo "installing zig $apple_zig_version (PyPI ziglang) into $apple_root$apple_zig_dir" >&2
      rm -rf "${apple_root:?}$apple_zig_dir"
      python3 -m pip install -q --disable-pip-version-check --no-deps \
        --target "$apple_root$apple_zig_dir" "ziglang==$apple_zig_version"
      touch "$apple_root/.hamustro-apple-zig-$apple_zig_version"
    fi
  )
}

# The whole toolchain: the cross chroot (scripts/windows-toolchain.sh), then llvm and zig.
apple_toolchain() {
  bash "$apple_repo/scripts/windows-toolchain.sh" && apple_packages
}

# Locks the build cache's "apple" directory until the script exits and binds it, with
# the work tree, into the chroot: sets apple_out. Call it in the script's own shell.
# The C compiler is copied there, named by its contents: cc-rs has cargo rerun the C
# builds (SQLite, ring) whenever CC_<target> changes, which a path in the clone would
# do in every clone, and a changed wrapper must rebuild them.
apple_cache() {
  local sum
  build_cache_lock apple "$apple_repo/target/apple" &&
    apple_out=$build_cache_dir &&
    sum=$(sha256sum "$apple_repo/scripts/apple-cc.sh" | cut -c1-16) &&
    apple_cc="$apple_out/cc-$sum/apple-cc.sh" &&
    mkdir -p "$(dirname "$apple_cc")" &&
    cp "$apple_repo/scripts/apple-cc.sh" "$apple_cc" &&
    trixie_chroot_certificates "$apple_root" &&
    trixie_chroot_mount "$apple_root" "$apple_repo" "$apple_out"
}

# Runs COMMAND in the chroot, in the work tree, at low priority, with cargo's and the C
# compiler's environment for TARGET.
apple_run() {
  local target=$1 minimum zig_target
  shift
  read -r _ _ _ _ minimum zig_target < <(apple_slice "$target")
  local var=${target//-/_}
  mkdir -p "$apple_root$apple_no_sdk"
  trixie_chroot_run "$apple_root" CARGO_HOME="$windows_cargo_home" \
    CARGO_TARGET_DIR="$apple_out" CARGO_TERM_COLOR=never RUSTC_BOOTSTRAP=1 \
    IPHONEOS_DEPLOYMENT_TARGET="$minimum" MACOSX_DEPLOYMENT_TARGET="$minimum" \
    SDKROOT="$apple_no_sdk" \
    "CC_$var=$apple_cc" "AR_$var=$apple_zig ar" \
    HAMUSTRO_ZIG="$apple_zig" HAMUSTRO_ZIG_TARGET="$zig_target" \
    ZIG_GLOBAL_CACHE_DIR="$apple_out/zig-cache" ZIG_LOCAL_CACHE_DIR="$apple_out/zig-cache" \
    sh -c 'cd "$0" && exec nice -n 10 "$@"' "$apple_repo" "$@"
}

apple_build_archive() {
  apple_run "$1" cargo rustc --locked "-Zbuild-std=std,panic_unwind" --release --lib \
    --target "$1" --crate-type staticlib
}

# Hamustro.xcframework from the archives: one slice a target (see xcframework.sh).
apple_assemble_xcframework() {
  local target identifier platform variant rest slices=()
  for target in "${apple_targets[@]}"; do
    read -r identifier platform variant rest < <(apple_slice "$target")
    slices+=("$identifier:$platform:$variant:$(apple_archive "$target")")
  done
  xcframework_assemble "$apple_xcframework" "${slices[@]}"
}

apple_build_main() {
  set -euo pipefail
  if [ "$(id -u)" != 0 ]; then
    echo "$(basename "$0") needs root (chroot, mount)" >&2
    return 1
  fi
  if [ "${1:-}" = --packages ]; then
    bash "$apple_repo/scripts/windows-toolchain.sh" --packages
    apple_packages
    return 0
  fi
  apple_toolchain
  trap trixie_chroot_unmount EXIT
  apple_cache
  local target
  for target in "${apple_targets[@]}"; do
    echo "==> cargo rustc --target $target --crate-type staticlib" >&2
    apple_build_archive "$target"
  done
  apple_assemble_xcframework
  echo "built $apple_xcframework"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  apple_build_main "$@"
fi
