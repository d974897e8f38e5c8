#!/usr/bin/env bash
# Installs what the tests need beyond Rust and a C compiler: cmake and pkg-config (C
# install checks), valgrind, openssl, python3 with venv, shellcheck, and Mono with NUnit
# (the C# binding) (apt-get); the
# pinned Python tools (pytest, mypy, zig, cargo-zigbuild, build, auditwheel) and cargo
# tools (cargo-deny, cargo-fuzz) into $HAMUSTRO_TOOLCHAINS/hamustro-tools; a Swift
# toolchain in a Debian trixie chroot and the Godot engine in a Debian sid chroot
# (scripts/godot-toolchain.sh), made while the cargo tools build
# (scripts/toolchains.sh says where each lives and which version it is). Each step skips
# itself when its marker says it is done, on a fresh machine and a kept one alike. Then
# checks that everything is there, and fails naming what is not: a suite whose tool is
# missing would otherwise skip its checks and pass (tests/it/valgrind.rs without valgrind,
# the C++ wrapper test without g++, the C install checks without cmake or pkg-config).
#
#   make setup                    # or bash scripts/setup.sh; make test runs it first
#   bash scripts/setup.sh --check # only the check, installing nothing (scripts/test.sh)
#
# It also fetches the packages of the Windows and Apple cross chroot
# (scripts/windows-toolchain.sh --packages, scripts/apple-build.sh --packages) and the
# TSan toolchain (scripts/tsan-toolchain.sh); their suites finish them (the Windows
# self-test) and would make them on first use if setup had not.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh

check_only=0
case "${1:-}" in
  "") ;;
  --check) check_only=1 ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

cxx="${CXX:-g++}"
valgrind="${VALGRIND:-valgrind}"

if [ "$check_only" = 0 ]; then
  packages=(gcc g++ make cmake pkg-config debootstrap valgrind openssl python3 python3-venv
    shellcheck mono-devel mono-mcs nunit-console libnunit-cil-dev)
  missing=()
  for tool in cc c++ make cmake pkg-config debootstrap valgrind openssl python3 shellcheck \
    mcs mono nunit-console; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  # A venv needs ensurepip, which Debian's python3 has only with python3-venv.
  python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt-get)"
    hamustro_apt update -qq
    hamustro_apt install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  fi
  # pytest and mypy (the Python binding), zig (links the Linux library against glibc
  # 2.17), build (packs the wheels), auditwheel (checks their tag).
  mkdir -p "$hamustro_toolchains"
  hamustro_python_tools
  # The chroots and the TSan toolchain are fetched while cargo builds the tools: the one
  # is the network's and dpkg's work, the other the two cores'. Each job's output is
  # shown only if it fails.
  logs="$hamustro_toolchains/hamustro-setup-logs"
  mkdir -p "$logs"
  jobs_started=()
  background() {
    local name=$1
    shift
    "$@" >"$logs/$name.log" 2>&1 &
    jobs_started+=("$name:$!")
  }
  background swift bash scripts/swift-toolchain.sh
  background godot bash scripts/godot-toolchain.sh
  background cross bash scripts/apple-build.sh --packages
  background tsan bash scripts/tsan-toolchain.sh
  hamustro_cargo_tool cargo-deny
  hamustro_cargo_tool cargo-fuzz
  setup_failed=0
  for job in "${jobs_started[@]}"; do
    if ! wait "${job#*:}"; then
      cat "$logs/${job%%:*}.log" >&2
      echo "FAILED: setting up ${job%%:*} (log above, in $logs)" >&2
      setup_failed=1
    fi
  done
  [ "$setup_failed" = 0 ] || exit 1
fi

# need WHAT WHO: WHAT is missing, and WHO would have skipped or failed without it.
absent=()
need() {
  absent+=("$1 (for $2)")
}
for tool in cc make openssl; do
  command -v "$tool" >/dev/null 2>&1 || need "$tool" "the Rust suite's C programs"
done
command -v "$cxx" >/dev/null 2>&1 || need "$cxx" "the C++ wrapper test in tests/it/c_api.rs"
command -v "$valgrind" >/dev/null 2>&1 || need "$valgrind" "tests/it/valgrind.rs"
command -v cmake >/dev/null 2>&1 || need cmake "the CMake checks of bindings/c/run-tests.sh"
command -v pkg-config >/dev/null 2>&1 || need pkg-config "the pkg-config checks of bindings/c/run-tests.sh"
command -v debootstrap >/dev/null 2>&1 || need debootstrap "the Swift and Windows chroots"
command -v shellcheck >/dev/null 2>&1 || need shellcheck "the scripts' lint in scripts/test.sh"
for tool in mcs mono nunit-console; do
  command -v "$tool" >/dev/null 2>&1 || need "$tool (Debian's Mono and NUnit)" "bindings/csharp/run-tests.sh"
done
[ -f /usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll ] ||
  need "nunit.framework.dll (libnunit-cil-dev)" "bindings/csharp/run-tests.sh"
python3 -m pytest --version >/dev/null 2>&1 || need "python3 with pytest" "the Python binding"
cargo fmt --version >/dev/null 2>&1 || need rustfmt "cargo fmt --check"
cargo clippy --version >/dev/null 2>&1 || need clippy "cargo clippy"
for tool in "${!hamustro_cargo_versions[@]}"; do
  [ -f "$tools_root/.ready-$tool-${hamustro_cargo_versions[$tool]}" ] ||
    need "$tool ${hamustro_cargo_versions[$tool]}" "scripts/deny.sh, fuzz.sh"
done
[ -f "$tools_root/.ready-python-$(sha256sum scripts/python-tools.txt | cut -c1-16)" ] ||
  need "the Python tools of scripts/python-tools.txt" "the Python binding, dist.sh"
python3 -m ziglang version >/dev/null 2>&1 || need "zig (PyPI ziglang)" "scripts/dist.sh"
python3 -m build --version >/dev/null 2>&1 || need "python3 -m build (PyPI build)" "scripts/dist.sh"
python3 -m auditwheel --version >/dev/null 2>&1 || need "auditwheel (PyPI)" "scripts/dist-test.sh"
[ -f "$swift_root/.hamustro-ready" ] ||
  need "the Swift chroot in $swift_root, scripts/swift-toolchain.sh" "the Swift binding"
[ -f "$godot_root/.hamustro-ready" ] ||
  need "the Godot chroot in $godot_root, scripts/godot-toolchain.sh" "bindings/godot/run-tests.sh"

if [ ${#absent[@]} -gt 0 ]; then
  echo "FAILED: the test toolchains are not all set up; missing:" >&2
  printf '  %s\n' "${absent[@]}" >&2
  [ "$check_only" = 0 ] || echo "make setup installs them" >&2
  exit 1
fi
echo "test toolchains ready"
