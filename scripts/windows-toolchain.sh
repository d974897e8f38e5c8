#!/usr/bin/env bash
# The cross toolchain for Windows (x86_64-pc-windows-gnu), built and run on this Linux
# machine: rustup cannot download targets here, so a Debian trixie chroot (made and
# marked ready as scripts/trixie-chroot.sh describes) holds Debian's rustc, cargo and
# rust-src from trixie-backports (std is built from source with -Zbuild-std, for any
# target: Windows here, Apple's later), the MinGW-w64 C and C++ compilers, gendef, and
# Wine to run what they build.
#
#   scripts/windows-toolchain.sh             installs what is missing, then self-tests
#                                            once (below); each stage skips itself when done
#   scripts/windows-toolchain.sh --self-test runs the self-test again
#   scripts/windows-toolchain.sh --packages  the packages only, not the self-test (make
#                                            setup fetches them while cargo builds)
#   source scripts/windows-toolchain.sh      defines windows_root, windows_env and
#                                            windows_run for scripts/windows-test.sh
#
# The self-test proves the whole path before the chroot is marked ready: cargo in the
# chroot reaches crates.io (std's own dependencies come from there), std builds for
# Windows, a Rust test binary and C and C++ programs run under Wine, and a program
# under Wine connects to a server on the host's 127.0.0.1.
#
# Needs root (debootstrap, chroot, mount). The chroot is $HAMUSTRO_TOOLCHAINS/hamustro-cross
# (scripts/toolchains.sh; $HAMUSTRO_CROSS_ROOT moves it alone).

# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchains.sh"
# shellcheck source-path=SCRIPTDIR source=trixie-chroot.sh
source "$(dirname "${BASH_SOURCE[0]}")/trixie-chroot.sh"
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/build-cache.sh"

windows_root=$cross_root
windows_target=x86_64-pc-windows-gnu

# cargo's home inside the chroot, kept with it (the registry std's sources need).
windows_cargo_home=/var/cache/hamustro-cargo

# The environment of a build and of the programs it runs under Wine, for a cargo
# target directory TARGET (the Wine prefix and runtime directory live in it). Sets the
# array windows_env.
windows_env_for() {
  local target=$1
  local gcc_dlls
  gcc_dlls=$(find "$windows_root/usr/lib/gcc/x86_64-w64-mingw32" -maxdepth 1 -name '*-posix' \
    -printf '/usr/lib/gcc/x86_64-w64-mingw32/%f\n' 2>/dev/null | sort -V | tail -n 1)
  windows_env=(
    CARGO_HOME="$windows_cargo_home"
    CARGO_TARGET_DIR="$target"
    CARGO_TERM_COLOR=never
    # -Zbuild-std is unstable; Debian's rustc is a stable release.
    RUSTC_BOOTSTRAP=1
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
    # Each program cargo runs (a test binary) gets a time limit, so that one that
    # hangs under Wine fails instead of stopping the run.
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="timeout -k 10 ${HAMUSTRO_WINDOWS_TEST_LIMIT:-900} wine"
    CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
    CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++
    AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
    WINEDEBUG=-all
    WINEPREFIX="$target/wine"
    XDG_RUNTIME_DIR="$target/xdg-runtime"
    # No Mono or Gecko: the prefix is made without asking to download them.
    WINEDLLOVERRIDES="mscoree,mshtml="
    # The MinGW runtime DLLs (libstdc++, libgcc_s, libwinpthread) for C and C++
    # programs linked against them.
    WINEPATH="$gcc_dlls;/usr/x86_64-w64-mingw32/lib"
  )
}

# Runs COMMAND in the chroot with windows_env (call windows_env_for first) and any
# NAME=VALUE words given before it.
windows_run() {
  trixie_chroot_run "$windows_root" "${windows_env[@]}" "$@"
}

# Makes what Wine needs in a target directory: the runtime directory, mode 700 (Wine
# refuses another).
windows_prepare() {
  local target=$1
  mkdir -p "$windows_root$target/xdg-runtime" "$windows_root$target/wine"
  chmod 700 "$windows_root$target/xdg-runtime"
}

# Starts the Wine server of a target directory's prefix, persistent: by default it
# exits a few seconds after its last program, and a program starting just then fails
# ("wine client error: recvmsg: Connection reset by peer"). Call windows_env_for first.
# It also boots the prefix with its output thrown away: Wine's own services
# (services.exe, winedevice.exe...) start with the first program and would otherwise
# keep that program's stdout open for as long as the server runs.
windows_start_wine() {
  windows_run wineserver -p >/dev/null 2>&1 &&
    windows_run timeout 300 wine wineboot.exe -i </dev/null >/dev/null 2>&1
}

# Stops the Wine server of a target directory's prefix (and anything still running
# under it) and waits for it to exit, so that nothing in the chroot is still running
# (or holding a mount) when it is unmounted.
windows_stop_wine() {
  [ -d "$windows_root$1/wine" ] || return 0
  windows_env_for "$1"
  timeout 60 chroot "$windows_root" env "${windows_env[@]}" wineserver -k 2>/dev/null || true
  timeout 60 chroot "$windows_root" env "${windows_env[@]}" wineserver -w 2>/dev/null || true
}

# Writes DIR/hamustro.def from DIR/hamustro.dll's own export table (gendef): the file
# MSVC's `lib /def:` makes an import library from. Call windows_env_for first.
windows_def_file() {
  # shellcheck disable=SC2016 # expanded by the shell in the chroot
  windows_run sh -c 'cd "$0" && gendef - hamustro.dll >hamustro.def.tmp &&
    mv hamustro.def.tmp hamustro.def' "$1"
}

# Builds into the build cache's "windows" directory, as scripts/windows-test.sh does:
# the std it builds for Windows and the Wine prefix it boots are then the suite's own,
# made once on a fresh machine instead of twice.
windows_self_test() {
  local dir=/var/tmp/hamustro-windows-selftest target
  local host_dir="$windows_root$dir" status=0 server_pid="" port_file
  mkdir -p "$host_dir/src"
  cat >"$host_dir/Cargo.toml" <<'EOF'
[package]
name = "selftest"
version = "0.1.0"
edition = "2021"

[workspace]
EOF
  cat >"$host_dir/src/lib.rs" <<'EOF'
#[test]
fn connects_to_the_host_loopback() {
    use std::io::Read as _;
    let port = std::env::var("SELFTEST_PORT").unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port.parse().unwrap())).unwrap();
    let mut greeting = String::new();
    stream.read_to_string(&mut greeting).unwrap();
    assert_eq!(greeting, "hello from the host\n");
}
EOF
  cat >"$host_dir/hello.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
static void *run(void *text) { puts(text); return NULL; }
int main(void)
{
    pthread_t thread;
    pthread_create(&thread, NULL, run, "hello from C under Wine");
    return pthread_join(thread, NULL);
}
EOF
  cat >"$host_dir/hello.cpp" <<'EOF'
#include <iostream>
#include <stdexcept>
int main()
{
    try {
        throw std::runtime_error("hello from C++ under Wine");
    } catch (const std::exception &e) {
        std::cout << e.what() << "\n";
    }
}
EOF
  # A server on the host's loopback that greets one connection; it prints its port.
  port_file="$host_dir/port"
  rm -f "$port_file"
  python3 -c '
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
server.settimeout(600)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
connection, _ = server.accept()
connection.sendall(b"hello from the host\n")
connection.close()
' "$port_file" &
  server_pid=$!
  for _ in $(seq 1 50); do
    [ -s "$port_file" ] && break
    sleep 0.1
  done

  build_cache_lock windows "$host_dir/target" || return 1
  target=$build_cache_dir
  if [ "$target" = "$host_dir/target" ]; then
    target="$dir/target" # no build cache: the chroot's own directory
  else
    trixie_chroot_mount "$windows_root" "$target" || return 1
  fi
  windows_env_for "$target"
  windows_prepare "$target"
  echo "self-test: cargo test for $windows_target under Wine (builds std once)" >&2
  windows_run SELFTEST_PORT="$(cat "$port_file")" sh -c "cd $dir && nice -n 10 cargo test -q \
    -Zbuild-std=std,panic_unwind --target $windows_target" || status=1
  echo "self-test: C and C++ programs from the MinGW compilers under Wine" >&2
  windows_run sh -c "cd $dir && x86_64-w64-mingw32-gcc -Wall -Werror hello.c -o hello.exe \
    -pthread && wine hello.exe && x86_64-w64-mingw32-g++ -Wall -Werror hello.cpp \
    -o hello-cpp.exe && wine hello-cpp.exe" || status=1
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  windows_stop_wine "$target"
  return "$status"
}

# Every stage of the chroot, each skipped by its own marker (scripts/trixie-chroot.sh), in
# one order on a fresh machine and a kept one. clippy (Debian's, matching its rustc) is
# for the Windows-only code; cmake and make for the MinGW CMake consumer of
# scripts/dist-test.sh.
windows_stages=(.hamustro-base-ready .hamustro-ready-rust .hamustro-windows-packages
  .hamustro-windows-extras .hamustro-ready-windows)

windows_ready() {
  local stage
  for stage in "${windows_stages[@]}"; do
    [ -f "$windows_root/$stage" ] || return 1
  done
}

windows_toolchain_main() {
  set -euo pipefail
  if [ "${1:-}" = --packages ] && [ -f "$windows_root/.hamustro-windows-extras" ]; then
    return 0
  fi
  if [ "${1:-}" != --self-test ] && windows_ready; then
    echo "windows toolchain ready at $windows_root"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "$(basename "$0") needs root (debootstrap, chroot, mount)" >&2
    return 1
  fi
  trixie_chroot_lock "$windows_root"
  trixie_chroot_base "$windows_root"
  # Any target's std builds from rust-src with -Zbuild-std.
  trixie_chroot_install "$windows_root" .hamustro-ready-rust \
    -t trixie-backports rustc cargo rust-src
  trixie_chroot_install "$windows_root" .hamustro-windows-packages \
    ca-certificates gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix mingw-w64-tools \
    wine wine64
  trixie_chroot_install "$windows_root" .hamustro-windows-extras -t trixie-backports \
    rust-clippy cmake make
  trixie_chroot_certificates "$windows_root"
  [ "${1:-}" = --packages ] && return 0
  if [ "${1:-}" = --self-test ] || [ ! -f "$windows_root/.hamustro-ready-windows" ]; then
    # Wine finds its own libraries through /proc/self/exe.
    trixie_chroot_mount "$windows_root"
    trap trixie_chroot_unmount EXIT
    trixie_chroot_run "$windows_root" rustc --version
    trixie_chroot_run "$windows_root" wine --version
    windows_self_test
    touch "$windows_root/.hamustro-ready-windows"
  fi
  echo "windows toolchain ready at $windows_root"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  windows_toolchain_main "$@"
fi
