#!/usr/bin/env bash
# Installs what the tests need beyond Rust and a C compiler: cmake and pkg-config (C
# install checks), valgrind, openssl and python3 with pytest, and a Swift toolchain in
# a Debian trixie chroot under /opt. Idempotent: a machine that has it all skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
packages=(gcc g++ make cmake pkg-config debootstrap valgrind openssl python3)
missing=()
for tool in cc c++ make cmake pkg-config debootstrap valgrind openssl python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
python3 -m pytest --version >/dev/null 2>&1 ||
  python3 -m pip install -q --disable-pip-version-check pytest
bash scripts/swift-toolchain.sh
