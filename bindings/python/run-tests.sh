#!/usr/bin/env bash
# The Python binding's tests: builds the library and the development collector (debug),
# then runs pytest against exactly that build. Extra arguments go to pytest.
# Usage: bash bindings/python/run-tests.sh [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# shellcheck source-path=SCRIPTDIR source=../../scripts/toolchains.sh
source "$root/scripts/toolchains.sh"
# The pinned pytest and mypy (make setup installs them).
hamustro_python_tools

cargo build -p hamustro -p hamustro-collector

case "$(uname -s)" in
  Darwin) library=libhamustro.dylib ;;
  *) library=libhamustro.so ;;
esac
# Pin the library: the lookup order would prefer an older target/release build.
export HAMUSTRO_LIBRARY="$root/target/debug/$library"
export HAMUSTRO_COLLECTOR="$root/target/debug/hamustro-collector"
export PYTHONPATH="$root/bindings/python${PYTHONPATH:+:$PYTHONPATH}"
# The package's annotations hold: strict mode, so an untyped or Any-returning function
# (ctypes results are Any) fails the run.
(cd "$here" && python3 -m mypy --strict hamustro)
exec python3 -m pytest "$here/tests" "$@"
