# shellcheck shell=bash
# Sourced by the heavy suites (scripts/windows-test.sh, apple-build.sh and apple-test.sh,
# dist.sh and dist-test.sh, sanitize.sh, fuzz.sh): where each keeps its cargo target
# directory. CI runs every suite in a fresh clone; with the target directories inside
# the clone, each run rebuilt every dependency and -Zbuild-std's std from nothing
# (about 20 minutes of the run). Outside it, in one cache a kept machine keeps, a new
# clone recompiles only the workspace's own crates: cargo's fingerprints tell it which
# artifacts are this tree's sources.
#
#   build_cache_lock SUITE FALLBACK
#       sets build_cache_dir to SUITE's directory, $HAMUSTRO_BUILD_CACHE/SUITE
#       (default /var/cache/hamustro-build/SUITE), made if missing, and holds an
#       exclusive lock on it (SUITE.lock beside it) until the calling script exits;
#       FALLBACK (the suite's old directory in the work tree) when the cache cannot be
#       made or written (not root, a read-only /var/cache); fails when another run has
#       held it for longer than the bound of scripts/lock.sh
#
# The lock: two clones may run on one machine at once, and cargo's own lock covers a
# build but not what a suite keeps beside it or reads by path afterwards (the Wine
# prefix, the DLL it copies, the fuzz binaries it replays). Take it in the script's
# own shell, not in a subshell such as a `check`, and before the build. What a suite
# hands to its users (dist/, the XCFramework, the wheels) it copies into the work tree
# while it holds the lock, so nothing outside the lock reads another clone's build.
#
# The bound: every clone leaves its own copy of the workspace crates (their metadata
# hash includes the clone's path), so a suite's directory grows a little with every
# run. When it holds more than $HAMUSTRO_BUILD_CACHE_LIMIT_GB (default 10) GB, it is
# emptied, under the lock, before the build: that run rebuilds everything once. Here
# the largest, windows and sanitize, held about 5 GB after their first build and grew
# by 0.4 and 0.6 GB a clone: emptied about every tenth clone.
# Emptied, never removed, so a chroot's bind mount of it stays the same directory.

# shellcheck source-path=SCRIPTDIR source=lock.sh
source "$(dirname "${BASH_SOURCE[0]}")/lock.sh"

build_cache_lock() {
  local suite=$1 fallback=$2
  local dir="${HAMUSTRO_BUILD_CACHE:-/var/cache/hamustro-build}/$suite" size limit
  if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ] || ! touch "$dir.lock" 2>/dev/null; then
    echo "build cache: cannot write $dir, building in $fallback" >&2
    dir=$fallback
    mkdir -p "$dir"
  fi
  build_cache_dir=$(cd "$dir" && pwd)
  dir=$build_cache_dir
  # Re-entrant (a suite that runs another, as dist-test.sh runs dist.sh) and bounded.
  hamustro_lock "$dir.lock" "$hamustro_cache_lock_seconds" || return 1
  [ -n "$hamustro_lock_fd" ] || return 0
  limit=${HAMUSTRO_BUILD_CACHE_LIMIT_GB:-10}
  size=$(du -s --block-size=1M "$dir" 2>/dev/null | cut -f1)
  if [ "${size:-0}" -gt $((limit * 1024)) ]; then
    echo "build cache: $dir holds $((size / 1024)) GB, more than $limit GB: emptying it" >&2
    find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
  fi
}
