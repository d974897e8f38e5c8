#!/usr/bin/env bash
# `make test-dist`: tests each artifact of `make dist` (scripts/dist.sh) from the
# artifact alone, unpacked or installed in a fresh directory outside the repository,
# with no cargo on the PATH (but for the sdist, which is built with Rust on install):
#
#   1. the Linux SDK: its files and soname, no glibc symbol newer than 2.17, and a C++
#      program built with CMake (find_package(hamustro CONFIG)) and with pkg-config,
#      shared and static, delivering an event to the development collector; then the
#      SDK's own bin/hamustro-collector (glibc 2.17 too) started from the archive, the
#      program delivering to it and its test API counting the event;
#   2. the Windows SDK: its files, its DLL and collector importing system DLLs only,
#      and the same program built with the MinGW-w64 compilers from the unpacked
#      archive (CMake and a plain -lhamustro), run under Wine against the collector on
#      the host; then bin/hamustro-collector.exe started under Wine, the program (under
#      Wine too) delivering to it, and its test API, asked from the host, counting the
#      event;
#   3. the Python wheels and sdist: the manylinux wheel's tag (auditwheel), the Python
#      test suite and a smoke script against the wheel installed with --no-index in a
#      fresh venv, the Windows wheel's contents and tag, and the sdist installed with
#      pip (building the crate it carries);
#   4. the Unity package: the unpacked tarball checked (`xtask check unity-tarball`:
#      package.json, .meta files, plugins, GUIDs), and the C# binding compiled from its
#      Runtime with Mono's mcs, tracking and flushing through the package's own Linux
#      library;
#   5. the Godot addon: the unpacked zip checked (`xtask check godot-addon`: its files,
#      .gdextension, plugin.cfg and each library's platform, export and glibc), the
#      zip's two Linux libraries in headless Godot through the addon's own suite
#      (bindings/godot/run-tests.sh --addon), and its Windows libraries loaded under
#      Wine by a small program (LoadLibrary, GetProcAddress of gdext_rust_init);
#   and first, that the artifacts are reproducible: scripts/dist.sh run again (its
#   builds cached, about 25 s) writes the same bytes.
#
#   scripts/dist-test.sh      (after scripts/dist.sh)
#
# The script unpacks, builds and runs; what it asserts of an artifact's files, of what
# objdump, readelf and auditwheel report on it, and of the collector's answers is
# judged by xtask's checks (`xtask check`, scripts/checks.sh; the SDKs' and Python's
# are in xtask/src/sdk.rs, linkage.rs, python_dist.rs and collector_api.rs).
#
# The Wine prefix is the Windows suite's, in the build cache (scripts/build-cache.sh),
# held locked for the whole run; the sdist's crate builds in the cache's "dist-sdist".
# Prints "N passed, M failed" and exits non-zero on any failure. Needs root (the
# Windows chroot).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# shellcheck source-path=SCRIPTDIR source=windows-toolchain.sh
source "$repo/scripts/windows-toolchain.sh"
# shellcheck source-path=SCRIPTDIR source=dev-collector.sh
source "$repo/scripts/dev-collector.sh"
# shellcheck source-path=SCRIPTDIR source=checks.sh
source "$repo/scripts/checks.sh"
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source "$repo/scripts/build-cache.sh"

version=$(make -s --no-print-directory -C bindings/c version)
dist="$repo/dist"
secret="dist-test-secret"
linux_name="hamustro-$version-x86_64-linux-gnu"
windows_name="hamustro-$version-x86_64-windows-gnu"
linux_wheel="$dist/hamustro-$version-py3-none-manylinux_2_17_x86_64.whl"
windows_wheel="$dist/hamustro-$version-py3-none-win_amd64.whl"
sdist="$dist/hamustro-$version.tar.gz"
unity_tarball="$dist/hamustro-unity-$version.tgz"
godot_zip="$dist/hamustro-godot-$version.zip"
# Outside the repository, so that nothing is found through it.
work=$(mktemp -d /tmp/hamustro-dist-test.XXXXXX)
wine_target=""

# Before the build cache's locks below: dist.sh takes them itself.
reproducible() {
  local before after
  before=$(cd "$dist" && sha256sum -- *) || return 1
  bash "$repo/scripts/dist.sh" >"$work/dist-again.log" 2>&1 || {
    tail -20 "$work/dist-again.log"
    return 1
  }
  after=$(cd "$dist" && sha256sum -- *) || return 1
  diff <(echo "$before") <(echo "$after")
}
check "Every artifact is reproducible: scripts/dist.sh again writes the same bytes" reproducible

build_cache_lock windows "$repo/target/windows"
wine_target=$build_cache_dir
# Locked here, in the script's shell: the check that uses it runs in a subshell.
build_cache_lock dist-sdist "$repo/target/dist-sdist"
sdist_target=$build_cache_dir

cleanup() {
  stop_dev_collector
  [ -z "$wine_target" ] || windows_stop_wine "$wine_target"
  trixie_chroot_unmount
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The PATH of the checks: the system's directories, none of which has cargo.
clean_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
no_cargo() {
  env PATH="$clean_path" "$@"
}

for artifact in "$dist/$linux_name.tar.gz" "$dist/$windows_name.zip" "$linux_wheel" \
  "$windows_wheel" "$sdist" "$godot_zip"; do
  [ -f "$artifact" ] || { echo "FAILED: $artifact is missing; run make dist first"; exit 1; }
done
if no_cargo sh -c 'command -v cargo' >/dev/null; then
  echo "FAILED: cargo is on the system PATH ($clean_path), so 'no cargo' cannot be tested"
  exit 1
fi

echo "==> the development collector (target/debug/hamustro-collector)"
if ! cargo build --quiet -p hamustro-collector || ! mkdir -p "$work/collector" ||
  ! start_dev_collector "$repo/target/debug/hamustro-collector" "$secret" "$work/collector" >/dev/null; then
  echo "    FAILED: could not start the development collector"
  exit 1
fi
url=$dev_collector_url

# ---------------------------------------------------------------------------------
# 1. The Linux SDK
# ---------------------------------------------------------------------------------

linux="$work/linux/$linux_name"
mkdir -p "$work/linux" && tar -xzf "$dist/$linux_name.tar.gz" -C "$work/linux"

# The files, the soname (readelf's, judged by xtask) and its links, hamustro.pc's Version.
linux_files() {
  readelf -d "$linux/lib/libhamustro.so.$version" |
    xtask check linux-sdk "$linux" "$version" -
}

# The newest glibc symbol version the library and the collector need: at most 2.17.
linux_glibc() {
  local file status=0
  for file in "lib/libhamustro.so.$version" bin/hamustro-collector; do
    objdump -T "$linux/$file" | xtask check glibc-at-most 2.17 "$file" - || status=1
  done
  return "$status"
}

# run_consumer PROGRAM NAME: the consumer delivers one event to the collector.
run_consumer() {
  no_cargo "$1" "$url" "$secret" "$work/$2.sqlite3" "$version"
}

consumer_src="$work/consumer-src"
mkdir -p "$consumer_src" && cp tests/dist/consumer.cpp tests/dist/CMakeLists.txt "$consumer_src/"

linux_cmake() {
  local build="$work/linux-cmake"
  no_cargo cmake -S "$consumer_src" -B "$build" -DCMAKE_PREFIX_PATH="$linux" \
    -DHAMUSTRO_EXPECTED_VERSION="$version" >/dev/null &&
    no_cargo cmake --build "$build" >/dev/null || return 1
  readelf -d "$build/consumer_static" | xtask check not-linked-to libhamustro consumer_static - ||
    return 1
  # The shared one finds the library through the rpath CMake gives it in the build tree.
  run_consumer "$build/consumer_shared" linux-cmake-shared &&
    run_consumer "$build/consumer_static" linux-cmake-static
}

linux_pkg_config() {
  local build="$work/linux-pc" libs
  mkdir -p "$build"
  export PKG_CONFIG_PATH="$linux/lib/pkgconfig"
  [ "$(pkg-config --modversion hamustro)" = "$version" ] || { echo "pkg-config's version"; return 1; }
  # shellcheck disable=SC2046 # pkg-config's output is a list of flags
  no_cargo c++ -std=c++17 -DHAMUSTRO_CONSUMER_LINK='"pkg-config shared"' \
    "$consumer_src/consumer.cpp" -o "$build/shared" $(pkg-config --cflags --libs hamustro) &&
    LD_LIBRARY_PATH="$linux/lib" run_consumer "$build/shared" linux-pc-shared || return 1
  libs=$(pkg-config --static --libs hamustro | sed 's/-lhamustro//')
  # shellcheck disable=SC2046,SC2086
  no_cargo c++ -std=c++17 -DHAMUSTRO_CONSUMER_LINK='"pkg-config static"' \
    "$consumer_src/consumer.cpp" -o "$build/static" $(pkg-config --cflags hamustro) \
    -Wl,-Bstatic -lhamustro -Wl,-Bdynamic $libs &&
    run_consumer "$build/static" linux-pc-static
}

# The SDK's own collector: sdk_collector NAME COMMAND... starts COMMAND (the collector,
# natively or under Wine; a program, not a function, so that its pid is the collector's
# to stop) with --port 0 and the test's secret, sets url to the address
# its first line names, and keeps draining its output into $work/NAME/log. Call it in
# the check that uses it (a check runs in a subshell), and sdk_collector_stop at the end.
sdk_collector_pid=""
sdk_collector() {
  local dir="$work/$1" banner
  shift
  mkdir -p "$dir" && mkfifo "$dir/out" || return 1
  "$@" --port 0 --secret "$secret" >"$dir/out" 2>"$dir/err" &
  sdk_collector_pid=$!
  exec 4<"$dir/out"
  # The first line names the URL; EOF instead means it did not start.
  IFS= read -r -t 300 banner <&4 || true
  cat <&4 >"$dir/log" 2>/dev/null &
  exec 4<&-
  banner=${banner%$'\r'}
  echo "collector: $banner"
  url=$(sed -nE 's|.* on (http://[^/]+)/api/v1/track.*|\1|p' <<<"$banner")
  [ -n "$url" ] || { cat "$dir/err"; return 1; }
}

sdk_collector_stop() {
  [ -z "$sdk_collector_pid" ] || { kill "$sdk_collector_pid" && wait "$sdk_collector_pid"; } 2>/dev/null
  sdk_collector_pid=""
}

# sdk_collector_saw EVENT: the collector at $url accepted EVENT (its test API's wait),
# and its stats count it.
sdk_collector_saw() {
  xtask check collector-saw "$url" "$1"
}

# The SDK's collector, run from the archive with no cargo, and the program CMake built
# from the SDK delivering to it.
linux_collector() {
  local program="$work/linux-cmake/consumer_shared" url="" status
  [ -x "$program" ] || { echo "no $program: the CMake check above failed"; return 1; }
  sdk_collector linux-collector env PATH="$clean_path" "$linux/bin/hamustro-collector" &&
    run_consumer "$program" linux-collector && sdk_collector_saw Dist.Smoke
  status=$?
  sdk_collector_stop
  return "$status"
}

check "Linux SDK: the files, the soname and its links" linux_files
check "Linux SDK: libhamustro.so and bin/hamustro-collector need no glibc newer than 2.17" linux_glibc
check "Linux SDK: CMake find_package(hamustro CONFIG), shared and static, delivers" linux_cmake
check "Linux SDK: pkg-config, shared and static, delivers" linux_pkg_config
check "Linux SDK: bin/hamustro-collector runs from the archive and its API sees the program's event" \
  linux_collector

# ---------------------------------------------------------------------------------
# 2. The Windows SDK, under Wine
# ---------------------------------------------------------------------------------

windows="$work/windows/$windows_name"
mkdir -p "$work/windows" && python3 -m zipfile -e "$dist/$windows_name.zip" "$work/windows"

# The files, and what the binaries import (the host's objdump reads PE files): shipping
# bin/ must be enough, so system DLLs only, never a MinGW runtime one.
windows_files() {
  xtask check windows-sdk "$windows" || return 1
  local binary status=0
  for binary in bin/hamustro.dll bin/hamustro-collector.exe; do
    objdump -p "$windows/$binary" | xtask check system-dlls-only "$binary" - || status=1
  done
  return "$status"
}

in_chroot() {
  # shellcheck disable=SC2016 # expanded by the shell in the chroot
  windows_run sh -c 'cd "$0" && exec nice -n 10 "$@"' "$work" "$@"
}

# wine_consumer PROGRAM NAME: under Wine, from the program's directory.
wine_consumer() {
  in_chroot timeout 300 wine "$1" "$url" "$secret" "$work/$2.sqlite3" "$version" 2>&1 | tr -d '\r'
  return "${PIPESTATUS[0]}"
}

windows_cmake() {
  local build="$work/windows-cmake"
  in_chroot cmake -S "$consumer_src" -B "$build" -DCMAKE_SYSTEM_NAME=Windows \
    -DCMAKE_CXX_COMPILER=x86_64-w64-mingw32-g++ -DCMAKE_PREFIX_PATH="$windows" \
    -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=BOTH -DHAMUSTRO_EXPECTED_VERSION="$version" >/dev/null &&
    in_chroot cmake --build "$build" >/dev/null || return 1
  in_chroot x86_64-w64-mingw32-objdump -p "$build/consumer_static.exe" |
    xtask check not-linked-to hamustro.dll consumer_static.exe - || return 1
  cp "$windows/bin/hamustro.dll" "$build/" &&
    wine_consumer "$build/consumer_shared.exe" windows-cmake-shared &&
    wine_consumer "$build/consumer_static.exe" windows-cmake-static
}

windows_mingw() {
  local build="$work/windows-mingw"
  mkdir -p "$build"
  in_chroot x86_64-w64-mingw32-g++ -std=c++17 -Wall -Wextra -Werror \
    -DHAMUSTRO_CONSUMER_LINK='"MinGW -lhamustro"' -I"$windows/include" \
    "$consumer_src/consumer.cpp" -o "$build/consumer.exe" -L"$windows/lib" -lhamustro &&
    cp "$windows/bin/hamustro.dll" "$build/" &&
    wine_consumer "$build/consumer.exe" windows-mingw
}

# bin/hamustro-collector.exe under Wine, the MinGW program (under Wine) delivering to
# it, its API asked from the host.
windows_collector() {
  local program="$work/windows-mingw/consumer.exe" url="" status
  [ -f "$program" ] || { echo "no $program: the MinGW check above failed"; return 1; }
  sdk_collector windows-collector chroot "$windows_root" env -i PATH=/usr/bin:/bin HOME=/root \
    LANG=C.UTF-8 "${windows_env[@]}" wine "$windows/bin/hamustro-collector.exe" &&
    wine_consumer "$program" windows-collector && sdk_collector_saw Dist.Smoke
  status=$?
  sdk_collector_stop
  return "$status"
}

check "Windows SDK: the files, hamustro.def, the MSVC instructions, system DLLs only" windows_files
wine_ready=0
if bash scripts/windows-toolchain.sh >/dev/null && windows_env_for "$wine_target" && trixie_chroot_mount "$windows_root" "$repo" "$work" "$wine_target" &&
  windows_prepare "$wine_target" && windows_start_wine; then
  wine_ready=1
  check "Windows SDK: CMake (MinGW) find_package, shared and static, delivers under Wine" windows_cmake
  check "Windows SDK: x86_64-w64-mingw32-g++ -lhamustro, delivers under Wine" windows_mingw
  check "Windows SDK: bin/hamustro-collector.exe runs under Wine and its API sees the program's event" \
    windows_collector
else
  failed=$((failed + 1))
  echo "    FAILED: preparing the Windows chroot $windows_root"
fi

# ---------------------------------------------------------------------------------
# 3. Python
# ---------------------------------------------------------------------------------

linux_wheel_tag() {
  hamustro_python_tools || return 1
  python3 -m auditwheel show --json "$linux_wheel" |
    xtask check auditwheel-tag manylinux_2_17_x86_64 -
}

# wheel_contents WHEEL PLATFORM LIBRARY: the wheel's tag, version and native library,
# read from the wheel unpacked.
wheel_contents() {
  local dir="$work/wheel-$2"
  mkdir -p "$dir" && python3 -m zipfile -e "$1" "$dir" &&
    xtask check wheel-contents "$dir" "$2" "$3" "$version"
}

venv="$work/venv"
python_suite() {
  python3 -m venv "$venv" && "$venv/bin/python" -m pip install -q --disable-pip-version-check pytest &&
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-index "$linux_wheel" ||
    return 1
  # The suite from a copy outside the repository, against the installed package only.
  cp -r bindings/python/tests "$work/python-tests"
  (cd "$work" && no_cargo env -u PYTHONPATH -u HAMUSTRO_LIBRARY HAMUSTRO_TEST_INSTALLED=1 \
    HAMUSTRO_SOURCE_DIR="$repo" HAMUSTRO_COLLECTOR="$repo/target/debug/hamustro-collector" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "$work/python-tests")
}

python_smoke() {
  (cd "$work" && no_cargo env -u PYTHONPATH -u HAMUSTRO_LIBRARY \
    "$venv/bin/python" "$repo/tests/dist/smoke.py" "$url" "$secret" "$work/python-smoke.sqlite3")
}

# The sdist holds the crate as `cargo package` packs it, and pip builds it with cargo
# (on the PATH here: building from source needs Rust). The crate's build directory is
# in the build cache, so that a kept machine reuses its dependencies.
python_sdist() {
  tar -tzf "$sdist" | xtask check sdist-contents "$version" - || return 1
  python3 -m venv "$work/sdist-venv" &&
    (cd "$work" && CARGO_TARGET_DIR="$sdist_target" "$work/sdist-venv/bin/python" \
      -m pip install -q --disable-pip-version-check "$sdist") || return 1
  (cd "$work" && no_cargo env -u PYTHONPATH -u HAMUSTRO_LIBRARY "$work/sdist-venv/bin/python" \
    "$repo/tests/dist/smoke.py" "$url" "$secret" "$work/sdist-smoke.sqlite3")
}

check "Python: the Linux wheel is manylinux_2_17_x86_64 (auditwheel show)" linux_wheel_tag
check "Python: the Linux wheel's tag, version and library" \
  wheel_contents "$linux_wheel" manylinux_2_17_x86_64 libhamustro.so
check "Python: the Windows wheel's tag, version and library" \
  wheel_contents "$windows_wheel" win_amd64 hamustro.dll
check "Python: the test suite against the wheel, installed with --no-index" python_suite
check "Python: a script tracks and flushes with the installed wheel" python_smoke
check "Python: the sdist builds with pip and delivers" python_sdist

# Unpacked here; its check (xtask) reads the files. The smoke program is built in a
# folder of its own, so that the unpacked tarball holds what the tarball holds.
unity_unpacked="$work/unity"
mkdir -p "$unity_unpacked" && tar -xzf "$unity_tarball" -C "$unity_unpacked"

unity_smoke() {
  local dir="$work/unity-smoke" package="$unity_unpacked/package"
  mkdir -p "$dir" &&
    mcs -langversion:7.2 -nologo -target:exe -out:"$dir/smoke.exe" \
      "$package/Runtime/"*.cs "$repo/tests/dist/smoke.cs" || return 1
  (cd "$dir" && no_cargo env LD_LIBRARY_PATH="$package/Plugins/Linux/x86_64" \
    mono "$dir/smoke.exe" "$url" "$secret" "$dir/smoke.sqlite3")
}
check "Unity: the tarball's package.json, .meta files, plugins and GUIDs" \
  xtask check unity-tarball "$unity_unpacked"
check "Unity: the package's C# binding tracks and flushes with its Linux library (Mono)" unity_smoke

# ---------------------------------------------------------------------------------
# 5. The Godot addon
# ---------------------------------------------------------------------------------

# Unpacked here; its check (xtask) and the suites below read the files.
godot_addon="$work/godot/addons/hamustro"
mkdir -p "$work/godot" && python3 -m zipfile -e "$godot_zip" "$work/godot"

# The DLLs as Godot loads a GDExtension: LoadLibrary, then the entry point by name.
godot_wine_load() {
  local build="$work/godot-wine" dll
  mkdir -p "$build" &&
    in_chroot x86_64-w64-mingw32-gcc -Wall -Werror "$repo/tests/dist/load_library.c" \
      -o "$build/load_library.exe" &&
    cp "$godot_addon/bin/windows-x86_64/"*.dll "$build/" || return 1
  for dll in hamustro_godot.editor.dll hamustro_godot.dll; do
    in_chroot timeout 120 wine "$build/load_library.exe" "$build/$dll" gdext_rust_init 2>&1 |
      tr -d '\r'
    [ "${PIPESTATUS[0]}" = 0 ] || return 1
  done
}

check "Godot: the zip's files, .gdextension, plugin.cfg, and each library's platform and exports" \
  xtask check godot-addon "$work/godot" "$version"
check "Godot: the zip's Linux editor library in headless Godot delivers what GDScript tracked" \
  bash "$repo/bindings/godot/run-tests.sh" --addon "$godot_addon"
check "Godot: the zip's Linux export-template library does the same" \
  bash "$repo/bindings/godot/run-tests.sh" --addon "$godot_addon" --template
if [ "$wine_ready" = 1 ]; then
  check "Godot: the zip's Windows libraries load under Wine and export gdext_rust_init" \
    godot_wine_load
fi

summary
