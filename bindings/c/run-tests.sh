#!/usr/bin/env bash
# Tests the C and C++ bindings end to end:
#   1. builds the release library, the examples and the test programs (make, make tests);
#   2. runs the C++ wrapper test, the C API test and both examples against the
#      development collector (target/debug/hamustro-collector);
#   3. installs into a temporary prefix and builds tiny programs against it with
#      pkg-config (shared, C++ and static) and with CMake's find_package(hamustro);
#   4. uninstalls, and checks that make clean leaves cargo's target/ alone.
# Prints "N passed, M failed" (", K skipped" when tools are missing) and exits non-zero
# on any failure. cmake and pkg-config are installed with apt-get when missing and
# this runs as root; otherwise their checks are skipped.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$here/build"
work=$(mktemp -d)
secret="run-tests-secret"
passed=0
failed=0
skipped=0
collector_pid=""

cleanup() {
  if [ -n "$collector_pid" ]; then
    kill "$collector_pid" 2>/dev/null
    wait "$collector_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Runs one check: `check NAME COMMAND...`. Its output is shown indented (so that a
# program's own summary line is not mistaken for this script's), in full on failure.
check() {
  local name=$1
  shift
  echo "==> $name"
  if "$@" >"$work/check.log" 2>&1; then
    passed=$((passed + 1))
    tail -n 5 "$work/check.log" | sed 's/^/    | /'
    echo "    ok"
  else
    failed=$((failed + 1))
    sed 's/^/    | /' "$work/check.log"
    echo "    FAILED: $name"
  fi
}

skip() {
  skipped=$((skipped + 1))
  echo "==> $1"
  echo "    skipped: $2"
}

# Installs missing tools with apt-get when that is possible (root, Debian-like).
ensure_tools() {
  local missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${missing[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
  fi
}

# ---------------------------------------------------------------------------------
# 1. Build
# ---------------------------------------------------------------------------------

ensure_tools cmake pkg-config
version=$(make -s --no-print-directory -C "$here" version)

check "make (release library, example and example-cpp)" make -C "$here"
check "make test_hpp (bindings/c/tests/test_hpp.cpp)" make -C "$here" test_hpp
check "make test_hpp_noexcept (test_hpp_noexcept.cpp, -fno-exceptions)" \
  make -C "$here" test_hpp_noexcept
check "make api_test (tests/c/api_test.c)" make -C "$here" api_test
check "cargo build -p hamustro-collector" \
  cargo build --quiet -p hamustro-collector --manifest-path "$root/Cargo.toml"

# ---------------------------------------------------------------------------------
# 2. The programs against the development collector
# ---------------------------------------------------------------------------------

start_collector() {
  "$root/target/debug/hamustro-collector" --port 0 --secret "$secret" >"$work/collector.out" 2>&1 &
  collector_pid=$!
  # The first line is the banner with the URL.
  for _ in $(seq 1 100); do
    if [ -s "$work/collector.out" ]; then
      url=$(head -n 1 "$work/collector.out" | sed -n 's|.* on \(http://[^ /]*\)/api/v1/track.*|\1|p')
      [ -n "$url" ] && return 0
    fi
    sleep 0.1
  done
  echo "the development collector printed no URL:"
  cat "$work/collector.out"
  return 1
}

url=""
if [ -x "$root/target/debug/hamustro-collector" ] && start_collector; then
  echo "    collector at $url"
  check "C++ wrapper test (bindings/c/tests/test_hpp.cpp)" \
    timeout 300 "$build/test_hpp" "$url" "$secret" "$work/hpp.sqlite3"
  check "C++ wrapper test without exceptions (bindings/c/tests/test_hpp_noexcept.cpp)" \
    timeout 300 "$build/test_hpp_noexcept" "$url" "$secret" "$work/hpp-noexcept.sqlite3"
  check "C API test (tests/c/api_test.c)" \
    timeout 300 "$build/api_test" "$url" "$secret" "$work/c.sqlite3"
  check "example (bindings/c/example.c)" \
    timeout 60 "$build/example" "$url" "$secret" "$work/example.sqlite3"
  check "C++ example (bindings/c/example.cpp)" \
    timeout 60 "$build/example-cpp" "$url" "$secret" "$work/example-cpp.sqlite3"
  kill "$collector_pid" 2>/dev/null
  wait "$collector_pid" 2>/dev/null
  collector_pid=""
else
  echo "==> development collector"
  echo "    FAILED: could not start target/debug/hamustro-collector"
  failed=$((failed + 1))
fi

# ---------------------------------------------------------------------------------
# 3. Install into a temporary prefix and build against it
# ---------------------------------------------------------------------------------

prefix="$work/prefix"
consumer="$work/consumer"
mkdir -p "$consumer"

installed_files() {
  local lib="$prefix/lib"
  for file in "$lib/libhamustro.so" "$lib/libhamustro.so.$version" "$lib/libhamustro.a" \
    "$prefix/include/hamustro.h" "$prefix/include/hamustro.hpp" \
    "$lib/pkgconfig/hamustro.pc" "$lib/cmake/hamustro/hamustroConfig.cmake" \
    "$lib/cmake/hamustro/hamustroConfigVersion.cmake"; do
    [ -e "$file" ] || { echo "missing: $file"; return 1; }
  done
  grep -q "^Version: $version\$" "$lib/pkgconfig/hamustro.pc" || { echo "wrong Version in hamustro.pc"; return 1; }
  ls -l "$lib"
}

check "make install PREFIX=<temporary>" make -C "$here" install PREFIX="$prefix"
check "installed files" installed_files

cat >"$consumer/main.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <hamustro.h>
int main(int argc, char **argv)
{
    const char *version = hamustro_version();
    printf("hamustro_version() = %s\n", version);
    return argc > 1 && strcmp(version, argv[1]) == 0 ? 0 : 1;
}
EOF
cat >"$consumer/main.cpp" <<'EOF'
#include <cstring>
#include <iostream>
#include <hamustro.hpp>
int main(int argc, char **argv)
{
    std::cout << "hamustro::version() = " << hamustro::version() << "\n";
    // Handle 0: the wrapper reports the library's status without a live tracker.
    hamustro::Tracker empty;
    std::error_code ec;
    empty.flush(std::chrono::milliseconds(1), ec);
    return argc > 1 && std::strcmp(hamustro::version(), argv[1]) == 0 &&
                   ec == hamustro::Status::invalid_handle ? 0 : 1;
}
EOF

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"

pkg_config_shared() {
  [ "$(pkg-config --modversion hamustro)" = "$version" ] || return 1
  # shellcheck disable=SC2046 # pkg-config's output is a list of flags
  cc -std=c11 -Wall -Wextra -Werror "$consumer/main.c" -o "$consumer/app_pc" \
    $(pkg-config --cflags --libs hamustro) &&
    LD_LIBRARY_PATH="$prefix/lib" "$consumer/app_pc" "$version"
}

pkg_config_cxx() {
  # shellcheck disable=SC2046
  c++ -std=c++17 -Wall -Wextra -Werror "$consumer/main.cpp" -o "$consumer/app_pc_cxx" \
    $(pkg-config --cflags --libs hamustro) &&
    LD_LIBRARY_PATH="$prefix/lib" "$consumer/app_pc_cxx" "$version"
}

# The static library with only the flags of Libs.private: the program must not need
# libhamustro.so at run time.
# The same program with exceptions off, as game engines build it.
pkg_config_cxx_noexcept() {
  # shellcheck disable=SC2046
  c++ -std=c++17 -Wall -Wextra -Werror -fno-exceptions "$consumer/main.cpp" \
    -o "$consumer/app_pc_cxx_noexcept" $(pkg-config --cflags --libs hamustro) &&
    LD_LIBRARY_PATH="$prefix/lib" "$consumer/app_pc_cxx_noexcept" "$version"
}

pkg_config_static() {
  local libs
  libs=$(pkg-config --static --libs hamustro | sed 's/-lhamustro//')
  # shellcheck disable=SC2046,SC2086
  cc -std=c11 -Wall -Wextra -Werror "$consumer/main.c" -o "$consumer/app_static" \
    $(pkg-config --cflags hamustro) -Wl,-Bstatic -lhamustro -Wl,-Bdynamic $libs || return 1
  if readelf -d "$consumer/app_static" | grep -q 'NEEDED.*libhamustro'; then
    echo "app_static still needs libhamustro.so"
    return 1
  fi
  "$consumer/app_static" "$version"
}

if command -v pkg-config >/dev/null 2>&1; then
  check "pkg-config: C program, shared library" pkg_config_shared
  check "pkg-config: C++ program with hamustro.hpp" pkg_config_cxx
  check "pkg-config: C++ program with hamustro.hpp, -fno-exceptions" pkg_config_cxx_noexcept
  check "pkg-config --static: C program, static library" pkg_config_static
else
  skip "pkg-config checks" "pkg-config is not installed"
fi

mkdir -p "$consumer/cmake"
cp "$consumer/main.c" "$consumer/main.cpp" "$consumer/cmake/"
cat >"$consumer/cmake/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.14)
project(hamustro_consumer C CXX)
find_package(hamustro $version REQUIRED)
add_executable(app main.c)
target_link_libraries(app PRIVATE hamustro::hamustro)
add_executable(app_cxx main.cpp)
set_target_properties(app_cxx PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
target_link_libraries(app_cxx PRIVATE hamustro::hamustro)
# The same program with exceptions off, as game engines build: main.cpp uses only the
# std::error_code API, which is all the wrapper has then.
add_executable(app_cxx_noexcept main.cpp)
set_target_properties(app_cxx_noexcept PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
target_compile_options(app_cxx_noexcept PRIVATE -fno-exceptions)
target_link_libraries(app_cxx_noexcept PRIVATE hamustro::hamustro)
add_executable(app_static main.c)
target_link_libraries(app_static PRIVATE hamustro::hamustro_static)
EOF

cmake_consumer() {
  local out="$consumer/cmake/build"
  cmake -S "$consumer/cmake" -B "$out" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null &&
    cmake --build "$out" &&
    LD_LIBRARY_PATH="$prefix/lib" "$out/app" "$version" &&
    LD_LIBRARY_PATH="$prefix/lib" "$out/app_cxx" "$version" &&
    LD_LIBRARY_PATH="$prefix/lib" "$out/app_cxx_noexcept" "$version" &&
    "$out/app_static" "$version"
}

# The version file refuses a version from another (0.x) series.
cmake_version_check() {
  mkdir -p "$consumer/cmake_future"
  cat >"$consumer/cmake_future/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.14)
project(hamustro_future NONE)
find_package(hamustro 99.0 QUIET)
if(hamustro_FOUND)
  message(FATAL_ERROR "hamustro 99.0 was accepted")
endif()
EOF
  cmake -S "$consumer/cmake_future" -B "$consumer/cmake_future/build" \
    -DCMAKE_PREFIX_PATH="$prefix"
}

if command -v cmake >/dev/null 2>&1; then
  check "CMake: find_package(hamustro) shared, C++ (with and without exceptions), static" cmake_consumer
  check "CMake: an incompatible version is refused" cmake_version_check
else
  skip "CMake checks" "cmake is not installed"
fi

# ---------------------------------------------------------------------------------
# 4. Uninstall and clean
# ---------------------------------------------------------------------------------

uninstalled() {
  make -C "$here" uninstall PREFIX="$prefix" || return 1
  local left
  left=$(find "$prefix" \( -type f -o -type l \) | grep -i hamustro)
  [ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

cleaned() {
  make -C "$here" clean || return 1
  [ ! -e "$build" ] || { echo "$build is still there"; return 1; }
  [ -e "$root/target/release/libhamustro.so" ] || { echo "make clean removed target/"; return 1; }
}

check "make uninstall removes every installed file" uninstalled
check "make clean removes build/ and leaves target/" cleaned

echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
