#!/usr/bin/env bash
# The C compiler of the Apple builds (scripts/apple-build.sh sets it as CC_<target>):
# `zig cc` for the Darwin target in $HAMUSTRO_ZIG_TARGET (e.g. aarch64-ios.13.0), run
# inside the cross chroot. cc-rs passes the flags it would give Xcode's clang (the
# target, the architecture, the SDK and the minimum OS version); zig takes its own
# target instead and has no SDK, so those are dropped. zig adds its Darwin libc headers
# for macOS only: -isystem adds them for iOS too.
#
#   HAMUSTRO_ZIG=<zig> HAMUSTRO_ZIG_TARGET=<zig target> scripts/apple-cc.sh CC-ARGS...
set -euo pipefail

args=()
while [ $# -gt 0 ]; do
  case $1 in
    -target | -arch | -isysroot) shift ;; # and the value after it, below
    --target=* | -m*-version-min=*) ;;
    *) args+=("$1") ;;
  esac
  shift
done
darwin_headers="$(dirname "$HAMUSTRO_ZIG")/lib/libc/include/any-darwin-any"
exec "$HAMUSTRO_ZIG" cc -target "$HAMUSTRO_ZIG_TARGET" -isystem "$darwin_headers" "${args[@]}"
