#!/usr/bin/env bash
# Installs a Swift toolchain for the Swift binding's tests: Debian 12 has none, so we
# build a Debian trixie chroot holding Debian's `swiftlang` package (made and marked
# ready as scripts/trixie-chroot.sh describes), in $HAMUSTRO_TOOLCHAINS/hamustro-swift
# (scripts/toolchains.sh). A kept machine reuses it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchains.sh"
# shellcheck source-path=SCRIPTDIR source=trixie-chroot.sh
source "$(dirname "${BASH_SOURCE[0]}")/trixie-chroot.sh"

root=$swift_root
# The marker of the whole chroot (the name it has always had, so that chroots made
# before the shared helper are reused).
marker=.hamustro-ready

ready() {
  if [ -f "$root/$marker" ]; then
    echo "swift chroot ready at $root"
    exit 0
  fi
}

ready
trixie_chroot_lock "$root"
ready # made by the run we waited for
trixie_chroot_base "$root"
trixie_chroot_install "$root" .hamustro-swift-packages swiftlang libc6-dev
trixie_chroot_mount "$root"
trap trixie_chroot_unmount EXIT
trixie_chroot_run "$root" swift --version
touch "$root/$marker"
echo "swift chroot ready at $root"
