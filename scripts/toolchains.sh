# shellcheck shell=bash disable=SC2034 # names set here for the scripts that source this
# Sourced by setup.sh, test.sh and every suite's script: where the test toolchains live,
# which versions they are, and the one way each is installed. Every toolchain is made by
# the same steps on a fresh machine and a kept one: each step skips itself when its own
# marker says it is done, and writes that marker only once the step has finished.
#
# Roots (all outside the work tree, so a kept machine reuses them):
#   $HAMUSTRO_TOOLCHAINS (default /opt) holds
#     hamustro-swift       the Swift chroot (scripts/swift-toolchain.sh)
#     hamustro-cross       the cross chroot: Windows and Apple (scripts/windows-toolchain.sh,
#                          scripts/apple-build.sh)
#     hamustro-rust-tsan   the ThreadSanitizer rustc (scripts/tsan-toolchain.sh)
#     hamustro-godot       the Godot engine, headless, in a Debian sid chroot
#                          (scripts/godot-toolchain.sh)
#     hamustro-tools       the pinned cargo tools (bin/), Python tools (python/, a venv)
#                          and npm packages (npm/node_modules: playwright-core)
#   $HAMUSTRO_BUILD_CACHE (default /var/cache/hamustro-build) holds the heavy suites'
#     cargo target directories (scripts/build-cache.sh).
# HAMUSTRO_SWIFT_ROOT, HAMUSTRO_CROSS_ROOT, HAMUSTRO_TSAN_ROOT and HAMUSTRO_GODOT_ROOT
# move one chroot alone.
# Pointing both at empty directories is the closest this machine gets to a fresh one:
#   HAMUSTRO_TOOLCHAINS=/tmp/cold/tc HAMUSTRO_BUILD_CACHE=/tmp/cold/cache make test
#
# Pinned here: the cargo tools below, the Python tools of scripts/python-tools.txt
# (cargo-zigbuild among them: PyPI has its binary, which spares a cargo build) and the
# npm packages of tests/browser/package-lock.json (exact versions and their integrity
# hashes; `npm ci` installs exactly those).
# Not pinnable, and so tolerated: Debian's packages (the host's, bookworm, among them
# chromium, which the browser test drives; the chroots',
# trixie and trixie-backports, whose backports keep only their newest version; see
# xtask/src/clippy_lints.rs for how a newer clippy is tolerated; sid's godot, which
# moves with sid: bindings/godot/run-tests.sh accepts any Godot 4 from 4.3 on, the
# addon's API level).
#
#   hamustro_cargo_tool NAME       installs the pinned NAME (cargo install --locked) into
#                                  hamustro-tools/bin unless its marker exists
#   hamustro_python_tools          makes the venv and installs scripts/python-tools.txt
#                                  unless the marker of that file's contents exists
#   hamustro_npm_tools             `npm ci` of tests/browser/package-lock.json into
#                                  hamustro-tools/npm unless the marker of the lock
#                                  file's contents exists

hamustro_scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lock.sh
source "$hamustro_scripts/lock.sh"

hamustro_toolchains=${HAMUSTRO_TOOLCHAINS:-/opt}
swift_root=${HAMUSTRO_SWIFT_ROOT:-$hamustro_toolchains/hamustro-swift}
cross_root=${HAMUSTRO_CROSS_ROOT:-$hamustro_toolchains/hamustro-cross}
tsan_root=${HAMUSTRO_TSAN_ROOT:-$hamustro_toolchains/hamustro-rust-tsan}
godot_root=${HAMUSTRO_GODOT_ROOT:-$hamustro_toolchains/hamustro-godot}
tools_root=$hamustro_toolchains/hamustro-tools
# The browser test's node_modules (scripts/browser-test.sh points NODE_PATH at it).
npm_tools=$tools_root/npm

# The cargo tools, each at a release that builds with the machine's rustc (1.95).
declare -A hamustro_cargo_versions=(
  [cargo-deny]=0.20.2
  [cargo-fuzz]=0.13.2
)

# Every pip run of the tests takes the pinned versions.
export PIP_CONSTRAINT="$hamustro_scripts/python-tools.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PATH="$tools_root/bin:$tools_root/python/bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# apt-get on the host, waiting at most 15 minutes for another apt run's lock.
hamustro_apt() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 "$@"
}

hamustro_cargo_tool() {
  local name=$1 version=${hamustro_cargo_versions[$1]}
  local marker="$tools_root/.ready-$name-$version"
  [ -f "$marker" ] && return 0
  hamustro_lock "$tools_root.lock" "$hamustro_setup_lock_seconds" || return 1
  [ -f "$marker" ] && return 0
  echo "installing $name $version (cargo install --locked, a few minutes)" >&2
  rm -f "$tools_root/.ready-$name-"*
  # Without the tools' own LTO and single codegen unit, which make their release
  # builds the longest step of a fresh machine's setup and speed up nothing a test
  # waits for. One target directory for all of them shares what their lock files
  # have in common.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    nice -n 10 cargo install --locked "$name@$version" --quiet --root "$tools_root" \
    --target-dir "$tools_root/build" || return 1
  hash -r
  touch "$marker"
}

hamustro_python_tools() {
  local sum marker
  sum=$(sha256sum "$hamustro_scripts/python-tools.txt" | cut -c1-16)
  marker="$tools_root/.ready-python-$sum"
  [ -f "$marker" ] && return 0
  hamustro_lock "$tools_root.lock" "$hamustro_setup_lock_seconds" || return 1
  [ -f "$marker" ] && return 0
  echo "installing the Python tools (scripts/python-tools.txt) into $tools_root/python" >&2
  rm -f "$tools_root/.ready-python-"*
  if [ ! -x "$tools_root/python/bin/python3" ]; then
    rm -rf "$tools_root/python"
    # The system interpreter, not a venv's (this PATH may already name ours).
    /usr/bin/env -u VIRTUAL_ENV python3 -m venv "$tools_root/python" || return 1
  fi
  "$tools_root/python/bin/python3" -m pip install -q -r "$hamustro_scripts/python-tools.txt" ||
    return 1
  # This shell may have run python3 before the venv existed: forget where it found it.
  hash -r
  touch "$marker"
}

hamustro_npm_tools() {
  local lock="$hamustro_scripts/../tests/browser/package-lock.json" sum marker
  sum=$(sha256sum "$lock" | cut -c1-16)
  marker="$tools_root/.ready-npm-$sum"
  [ -f "$marker" ] && return 0
  hamustro_lock "$tools_root.lock" "$hamustro_setup_lock_seconds" || return 1
  [ -f "$marker" ] && return 0
  echo "installing the npm packages (tests/browser/package-lock.json) into $npm_tools" >&2
  rm -f "$tools_root/.ready-npm-"*
  rm -rf "$npm_tools"
  mkdir -p "$npm_tools"
  cp "$hamustro_scripts/../tests/browser/package.json" "$lock" "$npm_tools/"
  # `npm ci` takes the lock file's versions and checks their integrity hashes; no
  # package's install script runs, and Playwright never downloads a browser of its own
  # (the test drives Debian's chromium).
  (cd "$npm_tools" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit \
    --no-fund --loglevel=error) || return 1
  touch "$marker"
}
