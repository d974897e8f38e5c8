#!/usr/bin/env bash
# Installs what the tests need beyond Rust and a C compiler: cmake and pkg-config (C
# install checks), valgrind, openssl and python3 with pytest, cargo-deny, and a Swift
# toolchain in a Debian trixie chroot under /opt, and what the release artifacts need
# (zig, cargo-zigbuild, build, auditwheel). Idempotent: a machine that has it all
# skips it. Then checks that everything is there, and fails naming what is not: a suite
# whose tool is missing would otherwise skip its checks and pass (tests/valgrind.rs
# without valgrind, the C++ wrapper test without g++, the C install checks without
# cmake or pkg-config).
#
#   make setup                    # or bash scripts/setup.sh; make test runs it first
#   bash scripts/setup.sh --check # only the check, installing nothing (scripts/test.sh)
#
# The Windows (scripts/windows-toolchain.sh), Apple (scripts/apple-build.sh), TSan
# (scripts/tsan-toolchain.sh) and cargo-fuzz toolchains are made by their own suites on
# first use, which fail if they cannot make them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

check_only=0
case "${1:-}" in
  "") ;;
  --check) check_only=1 ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

swift_root="${HAMUSTRO_SWIFT_ROOT:-/opt/hamustro-swift}"
cxx="${CXX:-g++}"
valgrind="${VALGRIND:-valgrind}"

if [ "$check_only" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  packages=(gcc g++ make cmake pkg-config debootstrap valgrind openssl python3 shellcheck)
  missing=()
  for tool in cc c++ make cmake pkg-config debootstrap valgrind openssl python3 shellcheck; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  fi
  python3 -m pytest --version >/dev/null 2>&1 ||
    python3 -m pip install -q --disable-pip-version-check pytest
  # The release artifacts (scripts/dist.sh): zig links the Linux library against
  # glibc 2.17; build packs the Python wheels; auditwheel checks their tag.
  python3 -m ziglang version >/dev/null 2>&1 && python3 -m build --version >/dev/null 2>&1 &&
    python3 -m auditwheel --version >/dev/null 2>&1 ||
    python3 -m pip install -q --disable-pip-version-check ziglang build auditwheel
  if ! command -v cargo-zigbuild >/dev/null 2>&1; then
    # About 3 minutes on the 2-core development machine.
    echo "installing cargo-zigbuild (cargo install, about 3 minutes)"
    nice -n 10 cargo install --locked cargo-zigbuild
  fi
  if ! command -v cargo-deny >/dev/null 2>&1; then
    # 2 min 41 s on the 2-core development machine (nice -n 10).
    echo "installing cargo-deny (cargo install, about 3 minutes)"
    nice -n 10 cargo install --locked cargo-deny
  fi
  bash scripts/swift-toolchain.sh
fi

# need WHAT WHO: WHAT is missing, and WHO would have skipped or failed without it.
absent=()
need() {
  absent+=("$1 (for $2)")
}
for tool in cc make openssl; do
  command -v "$tool" >/dev/null 2>&1 || need "$tool" "the Rust suite's C programs"
done
command -v "$cxx" >/dev/null 2>&1 || need "$cxx" "the C++ wrapper test in tests/c_api.rs"
command -v "$valgrind" >/dev/null 2>&1 || need "$valgrind" "tests/valgrind.rs"
command -v cmake >/dev/null 2>&1 || need cmake "the CMake checks of bindings/c/run-tests.sh"
command -v pkg-config >/dev/null 2>&1 || need pkg-config "the pkg-config checks of bindings/c/run-tests.sh"
command -v debootstrap >/dev/null 2>&1 || need debootstrap "the Swift and Windows chroots"
command -v shellcheck >/dev/null 2>&1 || need shellcheck "the scripts' lint in scripts/test.sh"
python3 -m pytest --version >/dev/null 2>&1 || need "python3 with pytest" "the Python binding"
cargo fmt --version >/dev/null 2>&1 || need rustfmt "cargo fmt --check"
cargo clippy --version >/dev/null 2>&1 || need clippy "cargo clippy"
command -v cargo-deny >/dev/null 2>&1 || need cargo-deny "scripts/deny.sh"
command -v cargo-zigbuild >/dev/null 2>&1 || need cargo-zigbuild "scripts/dist.sh"
python3 -m ziglang version >/dev/null 2>&1 || need "zig (PyPI ziglang)" "scripts/dist.sh"
python3 -m build --version >/dev/null 2>&1 || need "python3 -m build (PyPI build)" "scripts/dist.sh"
python3 -m auditwheel --version >/dev/null 2>&1 || need "auditwheel (PyPI)" "scripts/dist-test.sh"
[ -f "$swift_root/.hamustro-ready" ] ||
  need "the Swift chroot in $swift_root, scripts/swift-toolchain.sh" "the Swift binding"

if [ ${#absent[@]} -gt 0 ]; then
  echo "FAILED: the test toolchains are not all set up; missing:" >&2
  printf '  %s\n' "${absent[@]}" >&2
  [ "$check_only" = 0 ] || echo "make setup installs them" >&2
  exit 1
fi
echo "test toolchains ready"
