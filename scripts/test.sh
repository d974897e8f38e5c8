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

# The host's own builds (target/debug and target/release) go to the build cache's
# "host" directory, as the heavy suites' builds do (scripts/build-cache.sh): CI tests a
# fresh clone, which otherwise rebuilt every dependency (the `godot` crate and the web
# stack among them) for clippy, the Rust suite and the bindings. In a clone without
# them, the two are links into the cache, held locked for the whole run; a tree that
# already has its own keeps them. Incremental compilation is off: a new clone's crates
# are new to it anyway, and its files would pile up in the cache.
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source scripts/build-cache.sh
host_build_cache() {
  local profile
  for profile in debug release; do
    [ -e "target/$profile" ] && [ ! -L "target/$profile" ] && return 0
  done
  build_cache_lock host "$PWD/target" || return 1
  [ "$build_cache_dir" != "$PWD/target" ] || return 0
  mkdir -p target
  for profile in debug release; do
    mkdir -p "$build_cache_dir/$profile"
    ln -sfn "$build_cache_dir/$profile" "target/$profile"
  done
  export CARGO_INCREMENTAL=0
  echo "host builds: target/debug and target/release are in $build_cache_dir"
}

quick=0
case "${1:-}" in
  "") ;;
  --quick) quick=1 ;;
  *)
    echo "usage: $0 [--quick]" >&2
    exit 2
    ;;
esac

# Two lanes of suites run side by side, each suite after the one before it in its lane:
# much of a suite's time is one core's (a fat-LTO link, Wine, a fuzzer, a test that
# waits on a child process), so on two cores a lane's single-threaded step and the
# other lane's builds overlap. The lanes are balanced by their cold times (TESTING.md's
# table: the release artifacts alone take about as long as lane 2's heavy suites) and
# ordered so that no suite waits for the other lane: Windows, first in lane 2, is done
# with the build cache's "windows" before the release artifacts, last in lane 1, build
# the SDK's DLL there, and they take the iOS archive Apple has built by then. Each suite's
# output goes to a log and is printed whole when it ends, so two suites never
# interleave. HAMUSTRO_TEST_LANES=1 runs everything in one lane, in the listed order
# (to time each suite alone).
host_build_cache || exit 1
logs="$PWD/target/test-logs"
rm -rf "$logs"
mkdir -p "$logs"
: >"$logs/results"
lane=1
step=0

# run NAME COMMAND...: one suite, in the current lane; its status, time and name go to
# the results file, in the order the suites end.
run() {
  local name=$1
  shift
  local start=$SECONDS status=0 log
  step=$((step + 1))
  log="$logs/lane$lane-$(printf '%02d' "$step").log"
  echo "==> $name (lane $lane): started"
  "$@" >"$log" 2>&1 </dev/null || status=$?
  local seconds=$((SECONDS - start)) verdict=passed
  [ "$status" = 0 ] || verdict="FAILED (exit $status)"
  (
    hamustro_lock "$logs/print.lock" 600 || true
    echo
    echo "==> $name (lane $lane): $verdict in $seconds s"
    cat "$log"
  )
  printf '%s\t%s\t%s\t%s\n' "$status" "$seconds" "$log" "$name" >>"$logs/results"
}

# failure_digest LOG: what a failed suite's log says of its failures (cargo's output of
# each failed test, from "---- NAME stdout ----" to the list of failures, and every
# line naming a failure), at most 80 lines: printed again at the very end, so that the
# last screen of a long run says why it failed.
failure_digest() {
  awk '
    /^---- .* ----$/ { inside = 1 }
    /^failures:$/ { inside = 0 }
    inside || /FAILED/ { print "    | " $0; if (++n == 80) exit }
  ' "$1"
}

lane_one() {
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
  run "C# binding (Mono, NUnit)" bash bindings/csharp/run-tests.sh
  run "The workbench in a browser (hamustro-collector's live page in headless chromium, the C example against it)" \
    bash scripts/browser-test.sh
  [ "$quick" = 1 ] && return
  run "Release artifacts (make dist, then each one tested from the artifact alone)" \
    sh -c 'bash scripts/dist.sh && bash scripts/dist-test.sh'
}

lane_two() {
  if [ "$quick" = 0 ]; then
    run "Windows under Wine (DLL, import and static libraries, .def, the Rust suite, C/C++ programs)" \
      bash scripts/windows-test.sh
  fi
  run "Swift binding" bash bindings/swift/run-tests.sh
  run "Godot addon (headless Godot 4 in the sid chroot, against the development collector)" \
    bash bindings/godot/run-tests.sh
  [ "$quick" = 1 ] && return
  run "Apple (static libraries for iOS, the simulator and macOS; XCFramework, privacy manifest, release package)" \
    bash scripts/apple-test.sh
  run "Sanitizers (the Rust suite and C/C++ programs under ASan+LSan and TSan)" \
    bash scripts/sanitize.sh
  run "Fuzzers (cargo-fuzz, ${FUZZ_SECONDS:-20} s per target, from the seeds and regressions)" \
    env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" bash scripts/fuzz.sh
}

if [ "${HAMUSTRO_TEST_LANES:-2}" = 1 ]; then
  lane_one
  lane_two
else
  lane_one &
  lane_one_pid=$!
  lane=2 lane_two &
  lane_two_pid=$!
  wait "$lane_one_pid" "$lane_two_pid"
fi

failed=()
failed_logs=()
timings=()
while IFS=$'\t' read -r status seconds log name; do
  [ "$status" = 0 ] || {
    failed+=("$name")
    failed_logs+=("$log")
  }
  timings+=("$(printf '%5d s  %s' "$seconds" "$name")")
done <"$logs/results"

echo
printf '%s\n' "${timings[@]}"
printf '%5d s  %s\n' "$SECONDS" "in all, two lanes at once (scripts/test.sh; make setup before it is not counted)"
echo
if [ ${#failed[@]} -gt 0 ]; then
  for i in "${!failed[@]}"; do
    echo "==> why ${failed[$i]} failed (${failed_logs[$i]})"
    failure_digest "${failed_logs[$i]}"
  done
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
