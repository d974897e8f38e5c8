#!/usr/bin/env bash
# `make dist`: the artifacts users download, built into dist/ (git-ignored), each named
# with Cargo.toml's version V:
#
#   hamustro-V-x86_64-linux-gnu.tar.gz           C/C++ SDK for Linux, built against glibc
#                                                2.17 (cargo-zigbuild: zig links against
#                                                that glibc's symbol versions), with the
#                                                development collector,
#                                                bin/hamustro-collector (glibc 2.17 too)
#   hamustro-V-x86_64-windows-gnu.zip            C/C++ SDK for Windows (MinGW-w64, in the
#                                                chroot of scripts/windows-toolchain.sh),
#                                                with bin/hamustro-collector.exe
#   hamustro-V-py3-none-manylinux_2_17_x86_64.whl
#   hamustro-V-py3-none-win_amd64.whl            the Python package, holding the library
#                                                of the SDK beside it
#   hamustro-V.tar.gz                            the Python sdist: the package and the
#                                                crate, built with Rust on install
#   hamustro-unity-V.tgz                         the Unity package (UPM tarball), with
#                                                the Linux and Windows libraries above
#                                                and the iOS archive of
#                                                scripts/apple-build.sh (target/apple);
#                                                macOS's dylib only when
#                                                HAMUSTRO_MACOS_DYLIB names one (a Mac
#                                                release build)
#   hamustro-godot-V.zip                         the Godot 4 addon (addons/hamustro/):
#                                                the GDExtension of bindings/godot for
#                                                Linux x86_64 (glibc 2.17, as the SDK)
#                                                and Windows x86_64 (MinGW-w64), each
#                                                an editor's and an export template's
#                                                library; a Mac release adds
#                                                bin/macos/ (below)
#
#   scripts/dist.sh [linux] [windows] [python] [unity] [godot]   (no argument: all five;
#                                                python and unity need linux and windows
#                                                built)
#
# scripts/dist-test.sh tests each artifact from the artifact alone. The archives are
# reproducible: fixed file order and owners, and every time the last commit's (the
# sdist rewritten so, after setuptools); dist-test.sh builds them again to compare.
# The cargo builds go to the build cache (scripts/build-cache.sh: the suites "dist" for
# Linux and "windows", shared with scripts/windows-test.sh; the Godot addon's builds
# share them too), each held locked while it
# is built and its libraries are copied into target/dist-stage in the work tree, from
# where the SDKs and the wheels take them: `scripts/dist.sh python` never reads a
# library another clone built since.
# The collector builds with the release profile in the same cache directories as the
# SDK's library, so it reuses the library's build of their common dependencies (SQLite's
# C, prost, the hashes) and, for Windows, of std (-Zbuild-std builds std once a
# profile). A profile of its own without LTO (16 codegen units) was measured here and
# dropped: from nothing it took as long (99 s of CPU with opt-level 3, 105 with "s",
# against the release profile's 96),
# it could share nothing with the library (63 s of CPU for the release profile in the
# SDK's cache), and it made a binary of 3.1 MB instead of 2.0; only a rebuild after a
# change to the collector was quicker (37 s against 51, on a loaded machine).
# Needs root for the Windows chroot (chroot, mount).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source scripts/build-cache.sh

version=$(make -s --no-print-directory -C bindings/c version)
dist="$repo/dist"
stage="$repo/target/dist-stage"
# Every file's time in the archives (reproducible builds' convention).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

linux_name="hamustro-$version-x86_64-linux-gnu"
linux_target=x86_64-unknown-linux-gnu
# cargo-zigbuild's target suffix: the glibc whose symbol versions the link may use.
linux_glibc=2.17
# This run's libraries, copied out of the build cache by build_linux and build_windows.
linux_library="$stage/libhamustro.so"
windows_library="$stage/hamustro.dll"
windows_name="hamustro-$version-x86_64-windows-gnu"

# tar_gz DIR NAME OUT: DIR/NAME as a reproducible .tar.gz.
tar_gz() {
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$1" -cf - "$2" | gzip -n -9 >"$3"
}

# zip_dir DIR NAME OUT: DIR/NAME as a reproducible .zip.
zip_dir() {
  python3 - "$@" <<'EOF'
import os, sys, time, zipfile
root, name, out = sys.argv[1:]
stamp = time.gmtime(max(int(os.environ["SOURCE_DATE_EPOCH"]), 315532800))[:6]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, dirs, files in os.walk(os.path.join(root, name)):
        dirs.sort()
        for file in sorted(files):
            path = os.path.join(folder, file)
            entry = zipfile.ZipInfo(os.path.relpath(path, root), stamp)
            entry.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                archive.writestr(entry, f.read())
EOF
}

# sdk_readme TEMPLATE OUT [NAME=VALUE...]: the SDK's README with @VERSION@, @ABI@ and
# the given names filled in.
sdk_readme() {
  local template=$1 out=$2 abi
  shift 2
  abi=$(readelf -d "$linux_library" 2>/dev/null |
    sed -n 's/.*soname: \[libhamustro\.so\.\(.*\)\]/\1/p')
  local substitutions=(-e "s|@VERSION@|$version|g" -e "s|@ABI@|$abi|g")
  local pair
  for pair in "$@"; do
    substitutions+=(-e "s|@${pair%%=*}@|${pair#*=}|g")
  done
  sed "${substitutions[@]}" "$template" >"$out"
}

build_linux() {
  echo "==> $linux_name.tar.gz (cargo zigbuild, glibc $linux_glibc)"
  build_cache_lock dist "$repo/target/dist"
  local built="$build_cache_dir/$linux_target/release"
  CARGO_TARGET_DIR="$build_cache_dir" nice -n 10 cargo zigbuild --locked --release --lib \
    --quiet --target "$linux_target.$linux_glibc"
  cp "$built/libhamustro.so" "$linux_library"
  local root="$stage/$linux_name"
  rm -rf "$root"
  # The SDK is a relocatable install tree, as `make install` makes it.
  make -s --no-print-directory -C bindings/c install PREFIX="$root" RELEASE="$built" \
    >/dev/null
  strip --strip-debug "$root/lib/libhamustro.a"
  CARGO_TARGET_DIR="$build_cache_dir" nice -n 10 cargo zigbuild --locked --release \
    -p hamustro-collector --bin hamustro-collector --quiet --target "$linux_target.$linux_glibc"
  mkdir -p "$root/bin"
  cp "$built/hamustro-collector" "$root/bin/"
  cp LICENSE "$root/"
  sdk_readme bindings/c/sdk/README-linux.md "$root/README.md"
  tar_gz "$stage" "$linux_name" "$dist/$linux_name.tar.gz"
}

build_windows() {
  echo "==> $windows_name.zip (MinGW-w64, in the chroot of scripts/windows-toolchain.sh)"
  bash scripts/windows-toolchain.sh >/dev/null
  # shellcheck source-path=SCRIPTDIR source=windows-toolchain.sh
  source scripts/windows-toolchain.sh
  build_cache_lock windows "$repo/target/windows"
  local target=$build_cache_dir out root static_link
  out="$target/$windows_target/release"
  windows_env_for "$target"
  trixie_chroot_certificates "$windows_root"
  trixie_chroot_mount "$windows_root" "$repo" "$target"
  trap trixie_chroot_unmount EXIT
  # shellcheck disable=SC2016 # expanded by the shell in the chroot
  windows_run sh -c 'cd "$0" && exec nice -n 10 cargo build --quiet --locked --release --lib \
    -Zbuild-std=std,panic_unwind --target "$1"' "$repo" "$windows_target"
  # shellcheck disable=SC2016 # expanded by the shell in the chroot
  windows_run sh -c 'cd "$0" && exec nice -n 10 cargo build --quiet --locked --release \
    -p hamustro-collector --bin hamustro-collector -Zbuild-std=std,panic_unwind \
    --target "$1"' "$repo" "$windows_target"
  windows_def_file "$out"
  cp "$out/hamustro.dll" "$windows_library"
  root="$stage/$windows_name"
  rm -rf "$root"
  mkdir -p "$root/bin" "$root/lib/cmake/hamustro" "$root/include"
  cp "$out/hamustro.dll" "$out/hamustro-collector.exe" "$root/bin/"
  cp "$out/libhamustro.dll.a" "$out/hamustro.def" "$out/libhamustro.a" "$root/lib/"
  windows_run x86_64-w64-mingw32-strip --strip-debug "$root/lib/libhamustro.a"
  cp include/hamustro.h bindings/c/hamustro.hpp "$root/include/"
  # The system libraries of a static link: docs/platforms.md's line, which
  # windows-test.sh checks against rustc.
  # shellcheck disable=SC2016 # the backquotes are the document's
  static_link=$(sed -n 's/^Static link (MinGW): `\(.*\)`$/\1/p' docs/platforms.md)
  [ -n "$static_link" ] || { echo "docs/platforms.md has no 'Static link (MinGW)' line" >&2; return 1; }
  local deps
  deps=$(tr ' ' '\n' <<<"$static_link" | sed -n 's/^-l\([^:].*\)$/\1/p' | paste -sd ';')
  sed -e "s|@VERSION@|$version|g" -e "s|@STATIC_DEPS@|$deps|g" \
    bindings/c/cmake/hamustroConfig-windows.cmake.in >"$root/lib/cmake/hamustro/hamustroConfig.cmake"
  sed -e "s|@VERSION@|$version|g" -e "s|@SIZEOF_VOID_P@|8|g" \
    bindings/c/cmake/hamustroConfigVersion.cmake.in \
    >"$root/lib/cmake/hamustro/hamustroConfigVersion.cmake"
  cp LICENSE "$root/"
  sdk_readme bindings/c/sdk/README-windows.md "$root/README.md" \
    "STATIC_LINK=${static_link/-l:libhamustro.a /}"
  zip_dir "$stage" "$windows_name" "$dist/$windows_name.zip"
}

# normalize_tar_gz FILE: FILE written again as tar_gz writes archives (names sorted,
# owner 0, every time SOURCE_DATE_EPOCH, no time in the gzip header): setuptools' sdist
# keeps the build's own times, so two builds of one commit differed.
normalize_tar_gz() {
  python3 - "$1" <<'EOF'
import gzip, io, os, sys, tarfile
path, stamp = sys.argv[1], int(os.environ["SOURCE_DATE_EPOCH"])
packed = io.BytesIO()
with tarfile.open(path, "r:gz") as source, \
        tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as target:
    for member in sorted(source.getmembers(), key=lambda member: member.name):
        data = source.extractfile(member) if member.isfile() else None
        member.mtime, member.uid, member.gid, member.uname, member.gname = stamp, 0, 0, "", ""
        member.pax_headers = {}
        target.addfile(member, data)
with open(path, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as z:
    z.write(packed.getvalue())
EOF
}

# python_build KIND [NAME=VALUE...]: `python -m build --KIND` of bindings/python into
# dist/, in a fresh build/ each time (a wheel must hold only its own library).
python_build() {
  local kind=$1
  shift
  rm -rf bindings/python/build bindings/python/hamustro.egg-info
  env "$@" python3 -m build --"$kind" --outdir "$dist" bindings/python >"$stage/python-$kind.log" 2>&1 || {
    cat "$stage/python-$kind.log" >&2
    return 1
  }
  rm -rf bindings/python/build bindings/python/hamustro.egg-info
}

build_python() {
  for file in "$linux_library" "$windows_library"; do
    [ -f "$file" ] || { echo "$file is missing: build linux and windows first" >&2; return 1; }
  done
  echo "==> the Python wheels (manylinux_2_17_x86_64, win_amd64) and sdist"
  hamustro_python_tools
  python_build wheel HAMUSTRO_PREBUILT_LIBRARY="$linux_library" \
    HAMUSTRO_WHEEL_PLATFORM=manylinux_2_17_x86_64
  python_build wheel HAMUSTRO_PREBUILT_LIBRARY="$windows_library" HAMUSTRO_WHEEL_PLATFORM=win_amd64
  python_build sdist
  normalize_tar_gz "$dist/hamustro-$version.tar.gz"
}

# The Unity package: scripts/unity-package.sh packs and checks it.
build_unity() {
  local ios="$repo/target/apple/Hamustro.xcframework/ios-arm64/libhamustro.a"
  local macos=()
  [ -z "${HAMUSTRO_MACOS_DYLIB:-}" ] || macos=(--macos "$HAMUSTRO_MACOS_DYLIB")
  echo "==> hamustro-unity-$version.tgz (Linux, Windows, iOS${macos:+, macOS})"
  # The iOS device archive of the Apple build (root; about 10 s on a kept machine).
  [ -f "$ios" ] || bash scripts/apple-build.sh >"$stage/apple-build.log" 2>&1 || {
    cat "$stage/apple-build.log" >&2
    return 1
  }
  bash scripts/unity-package.sh --linux "$linux_library" --windows "$windows_library" \
    --ios "$ios" "${macos[@]}" "$dist/hamustro-unity-$version.tgz"
}

# The Godot addon: the same two builds as the SDKs' (the build cache's "dist" with
# cargo-zigbuild, "windows" in the cross chroot), of the crate bindings/godot, and the
# addon's files around them. A Mac release adds, from a Mac: bin/macos/
# libhamustro_godot.dylib and libhamustro_godot.editor.dylib (universal: cargo build
# --release -p hamustro-godot, with and without --no-default-features, for
# aarch64-apple-darwin and x86_64-apple-darwin, joined with lipo, then signed) and their
# lines `macos.editor = "res://addons/hamustro/bin/macos/libhamustro_godot.editor.dylib"`
# and `macos = "res://addons/hamustro/bin/macos/libhamustro_godot.dylib"` in
# hamustro.gdextension's [libraries].
# The addon builds with the release profile: a profile of its own with thin LTO (or
# none) over 16 codegen units was measured here and dropped: from nothing, on a quiet
# machine, 120 s (113 s) against 141 s, for a library of 5.7 MB (6.2 MB) against 4.7.
# godot_variant editor|template: sets suffix (of the library's file name) and features
# (cargo's flags) for one of the addon's two libraries.
godot_variant() {
  if [ "$1" = editor ]; then
    suffix=.editor
    features=()
  else
    suffix=""
    features=(--no-default-features)
  fi
}

# godot_linux ADDON: the addon's two Linux libraries into ADDON/bin/linux-x86_64.
godot_linux() {
  local addon=$1 variant suffix features
  build_cache_lock dist "$repo/target/dist"
  for variant in editor template; do
    godot_variant "$variant"
    CARGO_TARGET_DIR="$build_cache_dir" nice -n 10 cargo zigbuild --locked --release \
      -p hamustro-godot "${features[@]}" --quiet --target "$linux_target.$linux_glibc"
    cp "$build_cache_dir/$linux_target/release/libhamustro_godot.so" \
      "$addon/bin/linux-x86_64/libhamustro_godot$suffix.so"
  done
}

# godot_windows ADDON: the two Windows libraries into ADDON/bin/windows-x86_64. Run it
# in a subshell of its own: it mounts the chroot until that shell exits.
godot_windows() {
  local addon=$1 variant suffix features out
  bash scripts/windows-toolchain.sh >/dev/null
  # shellcheck source-path=SCRIPTDIR source=windows-toolchain.sh
  source scripts/windows-toolchain.sh
  # The SDK's cache ("windows"): the addon's build reuses its release std
  # (-Zbuild-std) and the library's dependencies instead of building both again in
  # a directory of its own, which a fresh machine paid about 3 minutes of a core for.
  # Tried on a kept cache: the SDK's build, windows-test.sh and this one in turn
  # rebuild nothing of each other's (a second run relinks only the addon's crate).
  build_cache_lock windows "$repo/target/windows"
  out="$build_cache_dir/$windows_target/release"
  windows_env_for "$build_cache_dir"
  trixie_chroot_certificates "$windows_root"
  trixie_chroot_mount "$windows_root" "$repo" "$build_cache_dir"
  trap trixie_chroot_unmount EXIT
  # The two variants share one target directory, where a cdylib's file has no hash in
  # its name: each build links its DLL again, and MinGW's ld would write the time of
  # that link into the PE and export headers. Without it, the DLL is the same bytes
  # whenever it is linked (only this crate's link gets the flag: RUSTFLAGS would
  # rebuild std and every dependency).
  for variant in editor template; do
    godot_variant "$variant"
    # shellcheck disable=SC2016 # expanded by the shell in the chroot
    windows_run sh -c 'cd "$0" && exec nice -n 10 cargo rustc --quiet --locked --release \
      -p hamustro-godot --lib -Zbuild-std=std,panic_unwind "$@" \
      -- -C link-arg=-Wl,--no-insert-timestamp' "$repo" \
      --target "$windows_target" "${features[@]}"
    cp "$out/hamustro_godot.dll" "$addon/bin/windows-x86_64/hamustro_godot$suffix.dll"
  done
}

build_godot() {
  local name="hamustro-godot-$version" root addon windows
  echo "==> $name.zip (Linux x86_64 glibc $linux_glibc, Windows x86_64)"
  root="$stage/$name"
  addon="$root/addons/hamustro"
  rm -rf "$root"
  mkdir -p "$addon/bin/linux-x86_64" "$addon/bin/windows-x86_64"

  # Two libraries a platform: the editor's carries the class reference for its help
  # (the crate's default feature editor-docs, gdext's register-docs); the one export
  # templates load, and exported games ship, leaves it out (--no-default-features):
  # an exported game would carry it and print gdext's warning about it at start.
  # Each build of the `godot` crate is one rustc on one core for minutes: the Windows
  # pair builds beside the Linux pair (they share no directory).
  (godot_windows "$addon") &
  windows=$!
  godot_linux "$addon"
  wait "$windows"

  cp bindings/godot/addons/hamustro/* "$addon/"
  sed -i "s/@VERSION@/$version/" "$addon/plugin.cfg"
  cp bindings/godot/README.md "$addon/README.md"
  cp LICENSE "$addon/"
  zip_dir "$root" addons "$dist/$name.zip"
}

windows_target=x86_64-pc-windows-gnu
parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
  parts=(linux windows python unity godot)
  rm -rf "$dist"
fi
mkdir -p "$dist" "$stage"
# Both SDKs asked for: the Windows one (the cross chroot, the build cache's "windows")
# builds beside the Linux one (the host, "dist"): their fat-LTO links are one core's
# work each.
if [[ " ${parts[*]} " == *" linux "* && " ${parts[*]} " == *" windows "* ]]; then
  (build_windows) &
  windows_sdk=$!
  build_linux
  wait "$windows_sdk"
  remaining=()
  for part in "${parts[@]}"; do
    [ "$part" = linux ] || [ "$part" = windows ] || remaining+=("$part")
  done
  parts=("${remaining[@]}")
fi
for part in "${parts[@]}"; do
  case "$part" in
    linux) build_linux ;;
    windows) build_windows ;;
    python) build_python ;;
    unity) build_unity ;;
    godot) build_godot ;;
    *)
      echo "usage: $0 [linux] [windows] [python] [unity] [godot]" >&2
      exit 2
      ;;
  esac
done
ls -l "$dist"
