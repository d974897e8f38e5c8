#!/usr/bin/env bash
# Installs a Swift toolchain for the Swift binding's tests: Debian 12 has none, so we
# build a Debian trixie chroot holding Debian's `swiftlang` package. The chroot lives
# outside the work tree (so a kept machine reuses it) and is marked ready only once
# complete, so an interrupted install is redone rather than half-used.
set -euo pipefail

root="${HAMUSTRO_SWIFT_ROOT:-/opt/hamustro-swift}"
marker="$root/.hamustro-ready"

if [ -f "$marker" ]; then
  echo "swift chroot ready at $root"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq debootstrap >/dev/null
fi

# A half-made chroot from an interrupted run: start over, but only when nothing is
# mounted inside it (deleting through a bind mount would delete the mounted tree).
if [ -d "$root" ]; then
  if grep -q " $root/" /proc/mounts; then
    echo "refusing to remove $root: something is mounted inside it" >&2
    exit 1
  fi
  rm -rf "$root"
fi

debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian >/dev/null
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" || true' EXIT
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends swiftlang libc6-dev >/dev/null
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin swift --version
touch "$marker"
echo "swift chroot ready at $root"
