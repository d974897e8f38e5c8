#!/usr/bin/env bash
# Installs the Godot engine for the Godot addon's tests (bindings/godot/run-tests.sh):
# Debian 12 and trixie have no Godot 4, sid packages it (`godot`), and it runs headless.
# So a Debian sid chroot holds Debian's `godot` (made and marked ready as
# scripts/trixie-chroot.sh describes: per-stage markers, the host's own mirror, under a
# lock), in $HAMUSTRO_TOOLCHAINS/hamustro-godot (scripts/toolchains.sh;
# $HAMUSTRO_GODOT_ROOT moves it alone). A kept machine reuses it; sid's godot is not
# pinnable, so the chroot keeps the version it was made with until it is removed.
#
#   bash scripts/godot-toolchain.sh    (make setup runs it in the background)
#
# Needs root (debootstrap, chroot, mount) and the network (the Debian mirror).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchains.sh"
# shellcheck source-path=SCRIPTDIR source=trixie-chroot.sh
source "$(dirname "${BASH_SOURCE[0]}")/trixie-chroot.sh"

root=$godot_root
marker=.hamustro-ready

ready() {
  if [ -f "$root/$marker" ]; then
    echo "godot chroot ready at $root"
    exit 0
  fi
}

ready
trixie_chroot_lock "$root"
ready # made by the run we waited for
debian_chroot_base "$root" sid
# Without recommends: the engine and the libraries it links, no desktop around it.
trixie_chroot_install "$root" .hamustro-godot-packages godot
# The self-test: the engine starts headless and names its version.
trixie_chroot_mount "$root"
trap trixie_chroot_unmount EXIT
trixie_chroot_run "$root" HOME=/tmp godot --headless --version
touch "$root/$marker"
echo "godot chroot ready at $root"
