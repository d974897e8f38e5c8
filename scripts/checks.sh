# shellcheck shell=bash
# Sourced by the test scripts that count their own checks (scripts/windows-test.sh,
# scripts/apple-test.sh, scripts/dist-test.sh) and end with one "N passed, M failed" line:
#
#   check NAME COMMAND...   runs one check, its output indented; counts it
#   summary                 prints the counts and exits, non-zero if any check failed
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
