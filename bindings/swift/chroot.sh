# shellcheck shell=bash
# Sourced by run-tests.sh and run-example.sh: runs SwiftPM on Linux. Debian 12 has no
# Swift, so it runs inside the Debian trixie chroot made by scripts/swift-toolchain.sh,
# against the Rust library and development collector built here on the host (a
# host-built cdylib loads there). The chroot shares the host's network, so a collector
# started on the host at 127.0.0.1 is reachable from inside.
#
#   source chroot.sh        sets the variables below and the EXIT, INT and TERM traps
#   chroot_setup            root check, toolchain, cargo build, mounts
#   swift_in_chroot SUBCOMMAND [ARGS...]
#                           swift SUBCOMMAND with the package's build flags, then ARGS
#
# The EXIT trap runs chroot_cleanup. A script with more to clean up replaces it with its
# own function that ends by calling chroot_cleanup.

package="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$package/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=../../scripts/toolchains.sh
source "$repo/scripts/toolchains.sh"
# shellcheck source=../../scripts/trixie-chroot.sh
source "$repo/scripts/trixie-chroot.sh"
root=$swift_root
# The Rust library and the development collector (cargo's debug profile).
libdir="$repo/target/debug"
# shellcheck disable=SC2034 # used by run-example.sh, which sources this
collector="$libdir/hamustro-collector"
# SwiftPM's build directory, inside the chroot and outside the work tree.
scratch="${HAMUSTRO_SWIFT_SCRATCH:-/var/tmp/hamustro-swift-build}"
# TMPDIR inside the chroot for this run, removed by chroot_cleanup: swift leaves a
# TemporaryDirectory.* behind on every call, and the tests and the example make their
# queue databases there.
tmp="/tmp/hamustro-swift.$$"
# Extra NAME=VALUE pairs for the environment inside the chroot.
# shellcheck disable=SC2034 # read by swift_in_chroot, set by the scripts sourcing this
chroot_env=()

# The mounts are shared with any other run using the chroot, and the last run out
# unmounts them (trixie_chroot_unmount): the chroot must not be deleted while the work
# tree is bound inside it.
chroot_cleanup() {
  trixie_chroot_unmount
  rm -rf "${root:?}$tmp"
}
trap chroot_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chroot_setup() {
  if [ "$(id -u)" != 0 ]; then
    echo "$(basename "$0") needs root (chroot, mount)" >&2
    exit 1
  fi

  HAMUSTRO_SWIFT_ROOT="$root" "$repo/scripts/swift-toolchain.sh"

  echo "building the Rust library and the development collector" >&2
  (cd "$repo" && cargo build -p hamustro -p hamustro-collector) &&
    bash "$repo/scripts/soname-link.sh" "$libdir"

  # swift finds its own libraries through /proc/self/exe. The work tree is bound at the
  # same path inside as outside, so that paths in the build and in #filePath agree.
  # target/debug may be a link into the build cache (scripts/test.sh): bind where it
  # leads too, at the same path.
  libdir=$(readlink -f "$libdir")
  local mounts=("$repo")
  [[ $libdir == "$repo"/* ]] || mounts+=("$libdir")
  trixie_chroot_mount "$root" "${mounts[@]}"
  mkdir -p "$root$tmp"
}

# Runs `swift SUBCOMMAND` on the package inside the chroot, under `env -i`, with the
# header and the Rust library's directory; ARGS follow the build flags (for `swift run`,
# the product name and its arguments).
swift_in_chroot() {
  local subcommand=$1
  shift
  chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root TMPDIR="$tmp" \
    "${chroot_env[@]}" \
    swift "$subcommand" \
      --package-path "$repo/bindings/swift" \
      --scratch-path "$scratch" \
      -Xcc -I"$repo/include" \
      -Xlinker -L"$libdir" -Xlinker -rpath -Xlinker "$libdir" \
      "$@"
}
