#!/usr/bin/env bash
# The Rust test suite (with the C and C++ test programs it compiles and runs) under
# AddressSanitizer + LeakSanitizer and under ThreadSanitizer, then Miri on the unit tests
# where this machine has it. Each suite prints its tests' totals and its sanitizer
# findings; the script fails on any failed test or any finding.
# Usage: make sanitize, or bash scripts/sanitize.sh [asan] [tsan] [miri] (default: all).
#
# - Every Rust crate, the bundled SQLite and ring (C code built by the cc crate, through
#   $CC) and the C/C++ test programs (tests/support/c_program.rs compiles them with $CC
#   and $CXX) are instrumented: $CC and $CXX are small wrappers adding -fsanitize=...
# - Reports go to files (log_path), one per process, so a finding in a child process
#   whose stderr a test swallows is still counted; the script prints them at the end.
# - ASan runs on the machine's rustup toolchain, std uninstrumented (ASan needs no more:
#   an uninstrumented std only hides errors inside std itself).
# - TSan needs std rebuilt with TSan (-Zbuild-std): with rustup's uninstrumented std,
#   its locks and channels are invisible to TSan, and one run gave 746 false reports,
#   most in hamustro's worker and tracker, too many to suppress without hiding real
#   races. rustup's rust-src cannot be downloaded here, so TSan runs on
#   Debian's rustc-web with its matching std sources (scripts/tsan-toolchain.sh).
#   scripts/tsan.supp names the two races inside SQLite that are by design.
# - The library's crate only (-p hamustro; the development collector it tests against is
#   instrumented as its dependency): the Godot addon's crate would add a sanitized build
#   of the `godot` crate, minutes on a fresh machine, for a crate whose code is a thin
#   layer that bindings/godot/run-tests.sh runs in the engine.
# - Doc tests are left out (--tests): rustdoc would link the instrumented crate with an
#   uninstrumented std, and the doc examples are not concurrency or memory tests.
# - The builds (asan/, tsan/ and miri/, each with its reports) go to the suite
#   "sanitize" of the build cache (scripts/build-cache.sh; $HAMUSTRO_BUILD_CACHE, else
#   /var/cache/hamustro-build/sanitize), held locked for the run: a kept machine
#   rebuilds only the workspace, not the dependencies and TSan's std.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source scripts/build-cache.sh

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(asan tsan miri)
for suite in "${suites[@]}"; do
  case "$suite" in
    asan | tsan | miri) ;;
    *)
      echo "unknown suite '$suite' (asan, tsan, miri)" >&2
      exit 2
      ;;
  esac
done
host=$(rustc -vV | sed -n 's/^host: //p')
build_cache_lock sanitize "$repo/target/sanitize" || exit 1
out=$build_cache_dir

# A symbolizer for the reports' stacks: any llvm-symbolizer, else binutils' addr2line.
symbolizer=$(command -v llvm-symbolizer || true)
for candidate in /usr/lib/llvm-*/bin/llvm-symbolizer; do
  [ -n "$symbolizer" ] || [ ! -x "$candidate" ] || symbolizer=$candidate
done
[ -n "$symbolizer" ] || symbolizer=$(command -v addr2line || true)
symbolizer=$(readlink -f "$symbolizer" 2>/dev/null || true)

summaries=()
failed=0

# compiler_wrapper DIR NAME COMPILER FLAGS...: DIR/NAME runs COMPILER with FLAGS first.
compiler_wrapper() {
  local dir=$1 name=$2 compiler=$3
  shift 3
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$compiler" "$*" >"$dir/$name"
  chmod +x "$dir/$name"
}

# total WORD LOG: the sum of "N WORD" over cargo's "test result:" lines.
total() {
  sed -n -E "s/^test result: .* ([0-9]+) $1.*/\\1/p" "$2" | awk '{ n += $1 } END { print n + 0 }'
}

# run_suite NAME DIR REPORT-PATTERN CARGO-ARGS...: runs cargo test, then sums up the
# test results and the sanitizer reports found in DIR/reports.
run_suite() {
  local name=$1 dir=$2 pattern=$3
  shift 3
  local started=$SECONDS log="$dir/test.log"
  echo
  echo "==> $name: $*"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local passed failed_tests findings
  passed=$(total passed "$log")
  failed_tests=$(total failed "$log")
  # In the log too: a report whose file could not be written goes to stderr.
  findings=$(cat "$dir"/reports/* "$log" 2>/dev/null | grep -c -E "$pattern")
  if [ "$findings" -gt 0 ]; then
    echo
    echo "==> $name: sanitizer reports"
    for report in "$dir"/reports/*; do
      echo "--- $report"
      cat "$report"
    done
  fi
  local line="$name: $passed tests passed, $failed_tests failed, $findings sanitizer findings ($((SECONDS - started)) s)"
  if [ "$status" -ne 0 ] || [ "$findings" -gt 0 ]; then
    failed=1
    line="$line — FAILED (cargo exit $status)"
  fi
  summaries+=("$line")
}

# fresh_dir NAME: the suite's own target dir, with an empty reports folder and bin/.
fresh_dir() {
  local dir="$out/$1"
  mkdir -p "$dir/bin" "$dir/reports"
  rm -f "$dir"/reports/*
  echo "$dir"
}

suite_asan() {
  local dir
  dir=$(fresh_dir asan)
  compiler_wrapper "$dir/bin" cc cc -fsanitize=address -fno-omit-frame-pointer
  compiler_wrapper "$dir/bin" c++ c++ -fsanitize=address -fno-omit-frame-pointer
  # -Cunsafe-allow-abi-mismatch: std stays uninstrumented on purpose (see the top);
  # rustc 1.96 and later refuse that mix without it.
  run_suite "ASan+LSan" "$dir" "ERROR: (Address|Leak)Sanitizer" \
    env RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-Zsanitizer=address -Cunsafe-allow-abi-mismatch=sanitizer" \
    CARGO_TARGET_DIR="$dir" CC="$dir/bin/cc" CXX="$dir/bin/c++" HAMUSTRO_SANITIZER=address \
    ASAN_OPTIONS="detect_leaks=1:log_path=$dir/reports/asan:external_symbolizer_path=$symbolizer" \
    LSAN_OPTIONS="report_objects=1" \
    cargo test --locked --target "$host" -p hamustro --tests --no-fail-fast
}

suite_tsan() {
  local dir root llvm
  dir=$(fresh_dir tsan)
  if ! root=$(bash scripts/tsan-toolchain.sh); then
    summaries+=("TSan: FAILED — could not install the TSan toolchain (scripts/tsan-toolchain.sh)")
    failed=1
    return
  fi
  llvm=$(cat "$root/llvm-major")
  # C and C++ through clang of the same LLVM as rustc: GCC 12's libtsan lacks entry
  # points that LLVM's TSan instrumentation of the Rust code calls.
  compiler_wrapper "$dir/bin" cc "clang-$llvm" -fsanitize=thread
  compiler_wrapper "$dir/bin" c++ "clang++-$llvm" -fsanitize=thread
  # die_after_fork=0: the abuse test's forked child makes a tracker of its own, so it
  # starts threads after a multi-threaded fork; TSan kills such a child by default.
  run_suite "TSan" "$dir" "WARNING: ThreadSanitizer" \
    env PATH="$root/usr/bin:$PATH" LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu" \
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=thread" \
    CARGO_TARGET_DIR="$dir" CC="$dir/bin/cc" CXX="$dir/bin/c++" HAMUSTRO_SANITIZER=thread \
    TSAN_OPTIONS="suppressions=$repo/scripts/tsan.supp:second_deadlock_stack=1:die_after_fork=0:log_path=$dir/reports/tsan:external_symbolizer_path=$symbolizer" \
    cargo test --locked -Zbuild-std --target "$host" -p hamustro --tests --no-fail-fast
}

suite_miri() {
  if ! cargo miri --version >/dev/null 2>&1; then
    summaries+=("Miri: skipped — no miri component for this toolchain (rustup cannot download it here, and Debian packages no miri)")
    return
  fi
  local dir
  dir=$(fresh_dir miri)
  run_suite "Miri" "$dir" "Undefined Behavior" \
    env CARGO_TARGET_DIR="$dir" cargo miri test --locked --lib
}

for suite in "${suites[@]}"; do
  case "$suite" in
    asan) suite_asan ;;
    tsan) suite_tsan ;;
    miri) suite_miri ;;
  esac
done

echo
echo "==> sanitizer summary"
printf '%s\n' "${summaries[@]}"
exit $failed
