#!/usr/bin/env bash
# Every test: formatting and lints, the Rust suite (which also compiles and runs the C
# test programs), cargo-deny's licence, ban and source checks (scripts/deny.sh), the
# C/C++, Python, Swift and C# bindings' own suites, the Godot addon in headless Godot,
# the development collector's live page in headless chromium (scripts/browser-test.sh),
# Windows under Wine, the Apple builds
# (scripts/apple-test.sh, also `make apple`), the release artifacts (scripts/dist.sh
# and scripts/dist-test.sh, also `make dist` and `make test-dist`), then the sanitizer
# runs (scripts/sanitize.sh, also `make sanitize`) and the fuzzers for 20 s a target
# (scripts/fuzz.sh, also `make fuzz`, 60 s a target). Each prints
# its runner's summary; this script fails if any part fails. Usage: make test, which
# runs `make setup` (scripts/setup.sh) first.
#
# `make check` (scripts/test.sh --quick) is the edit-test loop: formatting, lints, the
# Rust suite and the C/C++, Python, Swift and C# bindings' suites, the Godot addon's and
# the browser test, without the cross builds,
# the release artifacts, the sanitizers and the fuzzers.
#
# A suite whose tool is missing would skip its checks and pass, so the first step
# fails, naming the tool, unless setup has made every toolchain (scripts/setup.sh
# --check); the other suites still run, so one missing tool hides nothing else.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# The pinned tools first on PATH, for every suite (scripts/toolchains.sh).
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh

quick=0
case "${1:-}" in
  "") ;;
  --quick) quick=1 ;;
  *)
    echo "usage: $0 [--quick]" >&2
    exit 2
    ;;
esac

failed=()
timings=()
run() {
  local name=$1
  shift
  local start=$SECONDS
  echo
  echo "==> $name"
  if ! "$@"; then
    failed+=("$name")
  fi
  # Each suite's time, to keep the whole run inside CI's limit.
  timings+=("$(printf '%5d s  %s' $((SECONDS - start)) "$name")")
}

run "Test toolchains set up (scripts/setup.sh --check; make setup installs them)" \
  bash scripts/setup.sh --check
run "cargo fmt --check" cargo fmt --all -- --check
run "cargo clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
run "shellcheck (every script, warnings and errors)" \
  shellcheck -S warning -x scripts/*.sh bindings/*/*.sh .ci/run
run "Rust tests (core, C API, C program, header, the test collector)" cargo test --workspace
run "cargo deny (licences, bans, sources; advisories only with a local database)" \
  bash scripts/deny.sh
run "C and C++ bindings" bash bindings/c/run-tests.sh
run "Python binding" bash bindings/python/run-tests.sh
run "Swift binding" bash bindings/swift/run-tests.sh
run "C# binding (Mono, NUnit)" bash bindings/csharp/run-tests.sh
run "Godot addon (headless Godot 4 in the sid chroot, against the development collector)" \
  bash bindings/godot/run-tests.sh
run "The workbench in a browser (hamustro-collector's live page in headless chromium, the C example against it)" \
  bash scripts/browser-test.sh
if [ "$quick" = 0 ]; then
run "Windows under Wine (DLL, import and static libraries, .def, the Rust suite, C/C++ programs)" \
  bash scripts/windows-test.sh
run "Apple (static libraries for iOS, the simulator and macOS; XCFramework, privacy manifest, release package)" \
  bash scripts/apple-test.sh
run "Release artifacts (make dist, then each one tested from the artifact alone)" \
  sh -c 'bash scripts/dist.sh && bash scripts/dist-test.sh'
run "Sanitizers (the Rust suite and C/C++ programs under ASan+LSan and TSan)" \
  bash scripts/sanitize.sh
run "Fuzzers (cargo-fuzz, ${FUZZ_SECONDS:-20} s per target, from the seeds and regressions)" \
  env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" bash scripts/fuzz.sh
fi

echo
printf '%s\n' "${timings[@]}"
printf '%5d s  %s\n' "$SECONDS" "in all (scripts/test.sh; make setup before it is not counted)"
echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
