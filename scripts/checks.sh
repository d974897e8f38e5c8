# shellcheck shell=bash
# Sourced by the test scripts that count their own checks (scripts/windows-test.sh,
# scripts/apple-test.sh, scripts/dist-test.sh) and end with one "N passed, M failed" line:
#
#   check NAME COMMAND...   runs one check, its output indented; counts it
#   summary                 prints the counts and exits, non-zero if any check failed
#   xtask check NAME ARGS   one of xtask/'s checks (below); also what
#                           bindings/csharp/run-tests.sh and scripts/unity-package.sh
#                           source it for
passed=0
failed=0

check() {
  local name=$1
  shift
  echo "==> $name"
  if "$@" 2>&1 | sed -u 's/^/    | /'; then
    passed=$((passed + 1))
    echo "    ok"
  else
    failed=$((failed + 1))
    echo "    FAILED: $name"
  fi
}

summary() {
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# xtask check NAME ARGS...: one of xtask/'s typed checks on a built artifact (`cargo
# xtask list` names them). Its own target directory, so that it never waits for the
# lock of a cargo build or test that the other lane runs in target/.
hamustro_checks_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xtask() {
  cargo run --quiet --locked --package xtask \
    --manifest-path "$hamustro_checks_repo/Cargo.toml" \
    --target-dir "$hamustro_checks_repo/target/xtask" -- "$@"
}
