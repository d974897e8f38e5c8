#!/usr/bin/env bash
# Packs the Unity package (bindings/csharp/com.hamustro.tracker) with its native
# plugins into a UPM tarball, installable with the Package Manager's "Add package from
# tarball": package/ at the top, every asset with its committed .meta (stable GUIDs),
# the LICENSE, and each library at its Plugins/ path. Then unpacks it and checks it
# (`xtask check unity-tarball`: xtask/src/unity.rs). Reproducible: names sorted,
# owner 0, every time SOURCE_DATE_EPOCH (the last commit's unless set), no time in the gzip header.
#
#   scripts/unity-package.sh --linux LIB.so --windows LIB.dll --ios LIB.a \
#     [--macos LIB.dylib] OUT.tgz
#
# scripts/dist.sh (`make dist`) calls it with the libraries it built; macOS comes
# only from a release built on a Mac. Needs nothing but tar, gzip, and cargo for the
# check.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=checks.sh
source "$repo/scripts/checks.sh"
package="$repo/bindings/csharp/com.hamustro.tracker"

usage() {
  echo "usage: $0 --linux LIB.so --windows LIB.dll --ios LIB.a [--macos LIB.dylib] OUT.tgz" >&2
  exit 2
}
declare -A plugins=()
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --linux) plugins[Plugins/Linux/x86_64/libhamustro.so]=${2:?}; shift 2 ;;
    --windows) plugins[Plugins/Windows/x86_64/hamustro.dll]=${2:?}; shift 2 ;;
    --ios) plugins[Plugins/iOS/libhamustro.a]=${2:?}; shift 2 ;;
    --macos) plugins[Plugins/macOS/libhamustro.dylib]=${2:?}; shift 2 ;;
    -*) usage ;;
    *) [ -z "$out" ] || usage; out=$1; shift ;;
  esac
done
[ -n "$out" ] || usage
[ ${#plugins[@]} -ge 3 ] || usage

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/package"
mkdir -p "$root"
# Everything but the plugins, from the committed tree's files (not build leftovers).
(cd "$package" && git ls-files -z --cached --others --exclude-standard . |
  grep -zv '^Plugins/' | xargs -0 cp --parents -t "$root")
cp "$repo/LICENSE" "$root/LICENSE"
for path in "${!plugins[@]}"; do
  library=${plugins[$path]}
  [ -f "$library" ] || { echo "$library is missing" >&2; exit 1; }
  mkdir -p "$root/$(dirname "$path")"
  cp "$library" "$root/$path"
  cp "$package/$path.meta" "$root/$path.meta"
  # The .meta of each folder on the way (Plugins, Plugins/Linux, Plugins/Linux/x86_64).
  folder=$(dirname "$path")
  while [ "$folder" != . ]; do
    cp "$package/$folder.meta" "$root/$folder.meta"
    folder=$(dirname "$folder")
  done
done
chmod -R u+rwX,go+rX,go-w "$root"
mkdir -p "$(dirname "$out")"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -C "$stage" -cf - package | gzip -n -9 >"$out"
mkdir "$stage/unpacked" && tar -xzf "$out" -C "$stage/unpacked"
xtask check unity-tarball "$stage/unpacked"
