# shellcheck shell=bash
# Sourced by the scripts that keep a Debian chroot for toolchains Debian 12 lacks: trixie
# for scripts/swift-toolchain.sh and scripts/windows-toolchain.sh, sid for
# scripts/godot-toolchain.sh (only sid packages the Godot engine). The helpers take the
# chroot's root and work for any suite; only the base names its suites. Every chroot is
# made the same careful way:
#   - it lives outside the work tree (a kept machine reuses it) and is made under a lock
#     (ROOT.lock), so two runs never build it at once;
#   - each stage is marked done by a file in ROOT only once complete, so an interrupted
#     install is redone rather than half-used, and a kept machine skips what is done;
#   - a half-made chroot is deleted only when nothing is mounted inside it (deleting
#     through a bind mount would delete the mounted tree);
#   - the Debian mirror is the host's own (its apt sources), never a name of ours.
#
#   trixie_mirror                  prints the Debian mirror of the host's apt sources
#                                  ($HAMUSTRO_DEBIAN_MIRROR overrides it)
#   trixie_chroot_lock ROOT        holds ROOT.lock until the calling script exits
#                                  (re-entrant and bounded: scripts/lock.sh)
#   debian_chroot_base ROOT SUITE [SUITE...]
#                                  debootstraps ROOT (minbase) with the first SUITE, its
#                                  apt sources naming every SUITE, unless
#                                  ROOT/.hamustro-base-ready exists
#   trixie_chroot_base ROOT        debian_chroot_base with trixie, -updates and -backports
#   trixie_chroot_install ROOT MARKER [-t SUITE] PACKAGE...
#                                  installs the packages (from SUITE, e.g. trixie-backports)
#                                  unless ROOT/MARKER exists, then creates it
#   trixie_chroot_certificates ROOT
#                                  makes the chroot trust the CA certificates the host
#                                  trusts beyond Debian's (/usr/local/share/ca-certificates)
#   trixie_chroot_run ROOT COMMAND...
#                                  COMMAND inside ROOT with a clean environment (NAME=VALUE
#                                  words first are passed into it, as with env)
#   trixie_chroot_mount ROOT [DIR...]
#                                  mounts /proc and a tmpfs on /dev/shm in ROOT, and binds
#                                  each DIR at the same path inside (the work tree, the
#                                  build cache's directory); what was already mounted (by
#                                  a run still going on) is used, unless it is a bind of a
#                                  directory that has since been deleted
#   trixie_chroot_unmount          leaves the chroots this run mounted in; the last run
#                                  using one unmounts everything inside it
#
# Needs root (debootstrap, chroot, mount).

# shellcheck source-path=SCRIPTDIR source=lock.sh
source "$(dirname "${BASH_SOURCE[0]}")/lock.sh"

# The host's Debian mirror: the URI of the first enabled `deb` source, in the host's
# apt configuration, whose suite is a Debian release (not -security, -updates or a
# third-party repository).
trixie_mirror() {
  if [ -n "${HAMUSTRO_DEBIAN_MIRROR:-}" ]; then
    echo "$HAMUSTRO_DEBIAN_MIRROR"
    return 0
  fi
  local files=() file uri
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for file in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] && files+=("$file")
  done
  for file in "${files[@]}"; do
    uri=$(awk -v deb822="$([[ $file == *.sources ]] && echo 1)" '
      function release(suite) {
        return suite ~ /^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)$/
      }
      # One-line format: deb [options] URI SUITE COMPONENT...
      !deb822 {
        sub(/#.*/, "")
        if ($1 != "deb") next
        i = 2
        if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if (release($(i + 1))) { print $i; exit }
        next
      }
      # deb822: stanzas of "Field: value" lines, separated by blank lines.
      function stanza_end() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
          n = split(suites, list, " ")
          for (k = 1; k <= n; k++)
            if (release(list[k])) { split(uris, u, " "); print u[1]; found = 1; exit }
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { stanza_end(); next }
      {
        field = tolower($1); sub(/:$/, "", field)
        value = $0; sub(/^[^:]*:[ \t]*/, "", value)
        if (field == "types") types = value
        else if (field == "uris") uris = value
        else if (field == "suites") suites = value
        else if (field == "enabled") enabled = tolower(value)
      }
      END { if (deb822 && !found) stanza_end() }
    ' "$file")
    if [ -n "$uri" ]; then
      echo "${uri%/}"
      return 0
    fi
  done
  echo "no Debian mirror in the host's apt sources (/etc/apt/sources.list{,.d/}): set" \
    "HAMUSTRO_DEBIAN_MIRROR" >&2
  return 1
}

trixie_chroot_lock() {
  hamustro_lock "$1.lock" "$hamustro_setup_lock_seconds"
}

trixie_chroot_run() {
  local root=$1
  shift
  local vars=()
  while [ $# -gt 0 ] && [[ $1 == *=* ]]; do
    vars+=("$1")
    shift
  done
  chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "${vars[@]}" "$@"
}

trixie_chroot_base() {
  debian_chroot_base "$1" trixie trixie-updates trixie-backports
}

debian_chroot_base() {
  local root=$1 mirror
  shift
  local suites=("$@")
  [ -f "$root/.hamustro-base-ready" ] && return 0
  mirror=$(trixie_mirror) || return 1

  if ! command -v debootstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  # A half-made chroot from an interrupted run: start over, but only when nothing is
  # mounted inside it.
  if [ -e "$root" ]; then
    if grep -q " ${root}[/ ]" /proc/mounts; then
      echo "refusing to remove $root: something is mounted inside it" >&2
      return 1
    fi
    rm -rf --one-file-system "$root"
  fi

  echo "debootstrap ${suites[0]} into $root from $mirror" >&2
  debootstrap --variant=minbase "${suites[0]}" "$root" "$mirror" >/dev/null || return 1
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: ${suites[*]}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Release files that name an expiry (sid's, and trixie's -updates and -backports)
  # are refused once it passes, and the host's mirror may serve a frozen copy (this
  # machine's served a sid a month old): signatures are still checked, only their date
  # is not.
  echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99hamustro-mirror"
  trixie_chroot_run "$root" apt-get update -qq || return 1
  touch "$root/.hamustro-base-ready"
}

trixie_chroot_install() {
  local root=$1 marker=$2
  shift 2
  [ -f "$root/$marker" ] && return 0
  echo "installing into $root: $*" >&2
  # No pseudo-terminal for dpkg's log: the chroot has no /dev/pts.
  trixie_chroot_run "$root" apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "$@" >/dev/null || return 1
  trixie_chroot_run "$root" apt-get clean
  touch "$root/$marker"
}

# Copies the host's locally added CA certificates in (on this kind of machine, the
# network's own CA), so that HTTPS clients in the chroot (cargo) trust what the host
# trusts. Needs ca-certificates installed in the chroot; cheap when nothing changed.
trixie_chroot_certificates() {
  local root=$1 host=/usr/local/share/ca-certificates
  local mine="$root/usr/local/share/ca-certificates/host"
  if [ -d "$host" ] && diff -r -q "$host" "$mine" >/dev/null 2>&1; then
    return 0
  fi
  rm -rf "$mine"
  mkdir -p "$mine"
  if [ -d "$host" ]; then
    cp -r "$host/." "$mine/"
  fi
  trixie_chroot_run "$root" update-ca-certificates --fresh >/dev/null
}

# Several runs may use one chroot at once (the Windows suite, the Apple build, a helper's
# work tree), so mounts are shared: each run holds ROOT.mounts with a shared lock while
# it uses the chroot, and the last one out (the one that can take the lock exclusively)
# unmounts everything mounted inside ROOT. A run never unmounts what another still uses.
trixie_mount_roots=()
trixie_mount_fds=()

trixie_chroot_mount() {
  local root=$1 dir fd
  shift
  if [[ " ${trixie_mount_roots[*]} " != *" $root "* ]]; then
    hamustro_lock "$root.mounts" "$hamustro_setup_lock_seconds" --shared || return 1
    fd=$hamustro_lock_fd
    # Empty: the script that started this one holds the mounts, and unmounts them.
    if [ -n "$fd" ]; then
      trixie_mount_roots+=("$root")
      trixie_mount_fds+=("$fd")
    fi
  fi
  if ! mountpoint -q "$root/proc"; then
    mount -t proc proc "$root/proc" || return 1
  fi
  mkdir -p "$root/dev/shm"
  if ! mountpoint -q "$root/dev/shm"; then
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm" || return 1
  fi
  for dir in "$@"; do
    # A bind left by a run still going on, of a directory deleted and made again since
    # (a new clone at the same path, a build cache emptied by hand): it would show this
    # run the deleted one.
    if mountpoint -q "$root$dir" &&
      [ "$(stat -c %d:%i "$dir")" != "$(stat -c %d:%i "$root$dir")" ]; then
      umount "$root$dir" 2>/dev/null || umount -l "$root$dir" || return 1
    fi
    if ! mountpoint -q "$root$dir"; then
      mkdir -p "$root$dir"
      mount --bind "$dir" "$root$dir" || return 1
    fi
  done
}

trixie_chroot_unmount() {
  local i root fd point
  for ((i = ${#trixie_mount_roots[@]} - 1; i >= 0; i--)); do
    root=${trixie_mount_roots[i]}
    fd=${trixie_mount_fds[i]}
    if flock -n -x "$fd"; then
      # The mount points inside ROOT, deepest first (/proc/mounts escapes spaces as \040).
      awk -v root="$root" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/mounts |
        sort -r | while read -r point; do
        point=$(printf '%b' "$point")
        umount "$point" 2>/dev/null || umount -l "$point" || true
      done
    fi
    hamustro_unlock "$root.mounts" "$fd"
  done
  trixie_mount_roots=()
  trixie_mount_fds=()
}
