#!/usr/bin/env bash
# Installs a Rust toolchain that can rebuild std with ThreadSanitizer, for
# scripts/sanitize.sh. A clean TSan run needs std itself instrumented (`-Zbuild-std`):
# otherwise every lock and channel of std is invisible to TSan and reports as a race.
# build-std needs the std sources of exactly the running rustc, and rustup's `rust-src`
# cannot be downloaded here, so we use Debian's own matching set: rustc-web, cargo-web,
# libstd-rust-web and rust-web-src (Debian 12 ships them for its browsers' builds), plus
# the TSan runtime of the same LLVM (libclang-rt-N-dev), named the way rustc looks for
# it. The packages are unpacked into a folder of ours, not installed, so the machine's
# rustup toolchain stays the one on PATH; only the shared libraries they link
# (libllvmN, libgit2) are installed with apt-get. The folder lives outside the work tree
# (a kept machine reuses it; $HAMUSTRO_TOOLCHAINS/hamustro-rust-tsan, scripts/toolchains.sh),
# is made under a lock and is marked ready only once complete.
# Prints the folder; scripts/sanitize.sh puts its usr/bin first on PATH for the TSan run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchains.sh"

root=$tsan_root
marker="$root/.hamustro-ready"

candidate() { apt-cache policy "$1" | awk '/Candidate:/ { print $2 }'; }

version=$(candidate rustc-web)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  hamustro_apt update -qq
  version=$(candidate rustc-web)
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "no Debian package rustc-web in this machine's apt sources" >&2
  exit 1
fi

ready() {
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$version" ]; then
    echo "$root"
    exit 0
  fi
}
ready
hamustro_lock "$root.lock" "$hamustro_setup_lock_seconds" >&2
ready # made by the run we waited for

# 1.96.0+dfsg1-1~deb12u2 -> 1.96, the suffix of the versioned std library package.
release=$(echo "$version" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
packages=(rustc-web cargo-web "libstd-rust-web-$release" libstd-rust-web-dev rust-web-src)

rm -rf "$root"
mkdir -p "$root/debs"
(cd "$root/debs" && hamustro_apt download -q=2 "${packages[@]/%/=$version}" 2>/dev/null)

# The shared libraries the unpacked programs link: every dependency of the packages,
# but for the packages themselves and the C compiler alternatives already on PATH.
deps=$(for deb in "$root"/debs/*.deb; do dpkg-deb -f "$deb" Depends; done |
  tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' |
  grep -v -E '^(rustc-web|cargo-web|libstd-rust-web.*|rust-web-src|gcc|binutils|libc-dev|libc6-dev)$' |
  sort -u)
# shellcheck disable=SC2086 # one package name per word
hamustro_apt install -y -qq --no-install-recommends --no-upgrade $deps >/dev/null

for deb in "$root"/debs/*.deb; do
  dpkg-deb -x "$deb" "$root"
done
export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu"
llvm=$("$root/usr/bin/rustc" -vV | sed -n -E 's/^LLVM version: ([0-9]+).*/\1/p')

# The C code (the C test programs, bundled SQLite) needs a TSan of the same LLVM too:
# GCC 12's libtsan lacks entry points (__tsan_memcpy, ...) that LLVM 22's
# instrumentation of the Rust cdylib calls.
hamustro_apt install -y -qq --no-install-recommends --no-upgrade "clang-$llvm" \
  "libclang-rt-$llvm-dev" >/dev/null
cp "$(clang-"$llvm" -print-resource-dir)/lib/linux/libclang_rt.tsan-x86_64.a" \
  "$root/usr/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-stable_rt.tsan.a"
echo "$llvm" >"$root/llvm-major"
rm -rf "$root/debs"

"$root/usr/bin/rustc" -vV >&2
echo "$version" >"$marker"
echo "$root"
