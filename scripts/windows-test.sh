#!/usr/bin/env bash
# Builds hamustro for Windows (x86_64-pc-windows-gnu) and tests it under Wine, in the
# chroot of scripts/windows-toolchain.sh:
#   1. the DLL, its import library and the static library (cargo build -Zbuild-std),
#      and hamustro.def (for MSVC's `lib /def:`), whose exports must be the header's
#      functions; the tools' reports are judged by xtask's checks (`xtask check`,
#      scripts/checks.sh: xtask/src/windows.rs, linkage.rs);
#   2. tests/c/api_test.c, tests/c/abuse_test.c, bindings/c/tests/test_hpp.cpp and the
#      C and C++ examples, compiled with the MinGW-w64 compilers against
#      include/hamustro.h and linked to the DLL;
#   3. the library's Rust test suite (-p hamustro: the Godot addon's crate is built for
#      Windows by scripts/dist.sh, and its code runs in the engine's suite), with Wine
#      as cargo's runner. A test under Wine cannot start
#      Linux programs, so the C test programs come from step 2
#      (HAMUSTRO_TEST_PROGRAMS) and the self-signed HTTPS server of tests/it/tls.rs runs
#      on the host (HAMUSTRO_TEST_TLS_URL);
#   4. the C and C++ programs under Wine against the development collector running on
#      the host (target/debug/hamustro-collector, at 127.0.0.1).
#
#   scripts/windows-test.sh [extra cargo test arguments, e.g. -- --skip crash]
#
# The work tree is bound into the chroot at its own path, and so is the Windows build's
# target directory: the suite "windows" of the build cache (scripts/build-cache.sh;
# $HAMUSTRO_BUILD_CACHE, else /var/cache/hamustro-build/windows), with the Wine prefix
# in it (wine/), so it never touches the host's build and a kept machine reuses std
# and the dependencies. The C programs of step 2 are built into the work tree
# (target/windows-programs), afresh each run. Prints "N passed, M failed" and exits
# non-zero on any failure. Needs root (chroot, mount).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=windows-toolchain.sh
source "$repo/scripts/windows-toolchain.sh"
# shellcheck source-path=SCRIPTDIR source=dev-collector.sh
source "$repo/scripts/dev-collector.sh"
# shellcheck source-path=SCRIPTDIR source=checks.sh
source "$repo/scripts/checks.sh"
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source "$repo/scripts/build-cache.sh"

if [ "$(id -u)" != 0 ]; then
  echo "$(basename "$0") needs root (chroot, mount)" >&2
  exit 1
fi
bash "$repo/scripts/windows-toolchain.sh" || {
  echo "FAILED: the Windows toolchain (scripts/windows-toolchain.sh)"
  exit 1
}

build_cache_lock windows "$repo/target/windows"
target=$build_cache_dir
out="$target/$windows_target/debug"
# This run's programs only: a program whose compile failed must not run as an older one.
programs="$repo/target/windows-programs"
secret="windows-test-secret"
cargo_flags=(--locked "-Zbuild-std=std,panic_unwind" --target "$windows_target")
work=""

tls_server_pid=""
stop_tls_server() {
  if [ -n "$tls_server_pid" ]; then
    kill "$tls_server_pid" 2>/dev/null
    wait "$tls_server_pid" 2>/dev/null
    tls_server_pid=""
  fi
}

# start_tls_server: tests/support/tls_server.py on the host; sets tls_url.
start_tls_server() {
  mkdir -p "$work/tls" && mkfifo "$work/tls/port" || return 1
  python3 "$repo/tests/support/tls_server.py" "$work/tls" >"$work/tls/port" &
  tls_server_pid=$!
  local port=""
  read -r port <"$work/tls/port" || true
  [ -n "$port" ] || { echo "the TLS server did not start"; return 1; }
  tls_url="https://127.0.0.1:$port"
}

cleanup() {
  stop_dev_collector
  stop_tls_server
  windows_stop_wine "$target"
  trixie_chroot_unmount
  [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# In the chroot, in the work tree, at lower priority (the machine is shared).
in_chroot() {
  windows_run sh -c 'cd "$0" && exec nice -n 10 "$@"' "$repo" "$@"
}

windows_env_for "$target"
if ! trixie_chroot_certificates "$windows_root" ||
  ! trixie_chroot_mount "$windows_root" "$repo" "$target" || ! windows_prepare "$target" ||
  ! windows_start_wine || ! rm -rf "$programs" || ! mkdir -p "$programs" ||
  ! work=$(mktemp -d "$programs/run.XXXXXX"); then
  echo "FAILED: preparing the chroot $windows_root for the work tree"
  exit 1
fi

# ---------------------------------------------------------------------------------
# 1. The libraries
# ---------------------------------------------------------------------------------

# The three libraries, and the DLL's imports: shipping the DLL must be enough, so it
# may import system DLLs only, never a MinGW runtime one (libgcc_s, libwinpthread).
built_libraries() {
  in_chroot x86_64-w64-mingw32-objdump -p "$out/hamustro.dll" |
    xtask check windows-libraries "$out" -
}

# hamustro.def, from the DLL's own export table (gendef): what the DLL exports, which
# must be exactly the functions the header declares.
def_file() {
  windows_def_file "$out" && xtask check def-exports "$out/hamustro.def"
}

check "cargo build --lib --target $windows_target" in_chroot cargo build "${cargo_flags[@]}" --lib
check "hamustro.dll, libhamustro.dll.a, libhamustro.a" built_libraries
if [ "$failed" -gt 0 ]; then
  echo "    (nothing else to test without the libraries)"
  summary
fi
check "hamustro.def (gendef) exports exactly the header's functions" def_file
# The Windows-only code (src/platform/windows.rs) under the workspace's lints, which
# the host's clippy never sees. missing_const_for_thread_local is allowed: Debian's
# clippy reports it for thread_locals that already have const initialisers. Not the
# bench, which measures Linux's own floors (/proc, pwrite). Debian's clippy may be newer
# than the host's: xtask's clippy-host-lints (xtask/src/clippy_lints.rs) fails on what
# the host's lints reject and tolerates lints the host does not know yet, so it gets
# the host's list of lints beside the pass's JSON messages.
windows_clippy() {
  local lints="$work/host-lints.txt"
  { clippy-driver rustc -W help && rustc -W help; } >"$lints" ||
    { echo "the host's clippy-driver and rustc did not list their lints"; return 1; }
  in_chroot cargo clippy "${cargo_flags[@]}" -p hamustro --lib --tests --examples --quiet \
    --message-format=json -- -A clippy::missing_const_for_thread_local |
    xtask check clippy-host-lints - "$lints"
}
check "cargo clippy --target $windows_target (the Windows-only code)" windows_clippy

# The system libraries a static link of libhamustro.a needs, as rustc reports them,
# must be the ones docs/platforms.md lists.
static_link_libraries() {
  local report="$work/native-static-libs.txt"
  in_chroot cargo rustc "${cargo_flags[@]}" --lib --crate-type staticlib -- \
    --print native-static-libs >"$report" 2>&1 || { tail -n 20 "$report"; return 1; }
  xtask check static-link-libraries "$report"
}
check "docs/platforms.md lists the system libraries of a static link" static_link_libraries

# ---------------------------------------------------------------------------------
# 2. C and C++ programs, linked to the DLL
# ---------------------------------------------------------------------------------

# compile COMPILER SOURCE PROGRAM [FLAGS...]: -lhamustro finds the import library
# libhamustro.dll.a first; the DLL is copied next to the programs, where Windows looks.
compile() {
  local compiler=$1 source=$2 program=$3
  shift 3
  cp "$out/hamustro.dll" "$programs/" &&
    in_chroot "$compiler" "$@" -Wall -Wextra -Werror -I"$repo/include" \
      -I"$repo/bindings/c" "$source" -o "$programs/$program" -L"$out" -lhamustro -pthread
}

check "compile tests/c/api_test.c (x86_64-w64-mingw32-gcc)" \
  compile x86_64-w64-mingw32-gcc "$repo/tests/c/api_test.c" api_test.exe -std=c11
check "compile tests/c/abuse_test.c" \
  compile x86_64-w64-mingw32-gcc "$repo/tests/c/abuse_test.c" abuse_test.exe -std=c11
check "compile bindings/c/tests/test_hpp.cpp (x86_64-w64-mingw32-g++)" \
  compile x86_64-w64-mingw32-g++ "$repo/bindings/c/tests/test_hpp.cpp" test_hpp.exe -std=c++17
check "compile bindings/c/tests/test_hpp_noexcept.cpp (-fno-exceptions)" \
  compile x86_64-w64-mingw32-g++ "$repo/bindings/c/tests/test_hpp_noexcept.cpp" \
  test_hpp_noexcept.exe -std=c++17 -fno-exceptions
check "compile bindings/c/example.c" \
  compile x86_64-w64-mingw32-gcc "$repo/bindings/c/example.c" example.exe -std=c11
check "compile bindings/c/example.cpp" \
  compile x86_64-w64-mingw32-g++ "$repo/bindings/c/example.cpp" example-cpp.exe -std=c++17

# The C example linked statically, with exactly the libraries docs/platforms.md lists: it
# must then need no hamustro.dll. HAMUSTRO_STATIC makes HAMUSTRO_API empty: a
# dllimport declaration would look for __imp_ symbols, which only the import library
# has.
compile_static() {
  local libraries
  read -ra libraries < <(sed -n 's/^Static link (MinGW): `\(.*\)`$/\1/p' "$repo/docs/platforms.md")
  in_chroot x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -DHAMUSTRO_STATIC \
    -I"$repo/include" "$repo/bindings/c/example.c" -o "$programs/example-static.exe" -L"$out" "${libraries[@]}" ||
    return 1
  in_chroot x86_64-w64-mingw32-objdump -p "$programs/example-static.exe" |
    xtask check not-linked-to hamustro.dll example-static.exe -
}
check "link bindings/c/example.c statically (libhamustro.a and docs/platforms.md's libraries)" \
  compile_static

# ---------------------------------------------------------------------------------
# 3. The Rust test suite under Wine
# ---------------------------------------------------------------------------------

tls_url=""
if ! start_tls_server; then
  failed=$((failed + 1))
  echo "    FAILED: could not start tests/support/tls_server.py on the host"
fi
check "cargo test --target $windows_target (under Wine)" \
  in_chroot env HAMUSTRO_TEST_PROGRAMS="$programs" HAMUSTRO_TEST_TLS_URL="$tls_url" \
  cargo test "${cargo_flags[@]}" -p hamustro --no-fail-fast "$@"
stop_tls_server

# ---------------------------------------------------------------------------------
# 4. The C and C++ programs under Wine, against the host's collector
# ---------------------------------------------------------------------------------

# run_program PROGRAM ARGS...: under Wine, from the programs' directory; it must exit
# 0, and a program that prints a summary must print "N passed, 0 failed".
run_program() {
  local program=$1 log="$work/$1.log" status=0
  shift
  # Windows programs end their lines with CR LF.
  in_chroot timeout 300 wine "$programs/$program" "$@" 2>&1 | tr -d '\r' >"$log" ||
    status=${PIPESTATUS[0]}
  cat "$log"
  [ "$status" -eq 0 ] || { echo "$program exited with status $status"; return 1; }
  if grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log"; then
    grep -qE '^[1-9][0-9]* passed, 0 failed$' "$log" || return 1
  fi
}

echo "==> the development collector (host, target/debug/hamustro-collector)"
if (cd "$repo" && nice -n 10 cargo build --quiet -p hamustro-collector) &&
  start_dev_collector "$repo/target/debug/hamustro-collector" "$secret" "$work"; then
  url=$dev_collector_url
  for program in api_test test_hpp test_hpp_noexcept example example-cpp example-static; do
    if [ -f "$programs/$program.exe" ]; then
      check "$program.exe under Wine against $url" \
        run_program "$program.exe" "$url" "$secret" "$work/$program.sqlite3"
    fi
  done
  stop_dev_collector
else
  failed=$((failed + 1))
  echo "    FAILED: could not start the development collector"
fi

summary
