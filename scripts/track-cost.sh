#!/usr/bin/env bash
# Where a C call of hamustro_tracker_track_event spends its instructions: the profile
# behind docs/performance.md's figures. Builds the release library with symbols
# (target/profile, the release profile otherwise unchanged: opt-level "s", fat LTO) and
# scripts/track-calls.c, which tracks the bench's event ("E" with 3 parameters) N times
# through one non-inlined function, and counts inside that function with callgrind. Prints the
# instructions per call, then the functions that take the most of them (inclusive,
# per call). Instruction counts do not depend on the machine's load.
#
#   bash scripts/track-cost.sh          # 20,000 calls
#   CALLS=5000 bash scripts/track-cost.sh
#
# Needs valgrind, cc and cargo. No root, no network (the collector is a closed port).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
calls="${CALLS:-20000}"
target="$root/target/profile"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=1 CARGO_TARGET_DIR="$target" \
  cargo build --quiet --release --lib --manifest-path "$root/Cargo.toml"
bash "$root/scripts/soname-link.sh" "$target/release" >/dev/null

cc -O2 -I "$root/include" -o "$work/track" "$root/scripts/track-calls.c" -L "$target/release" -lhamustro \
  -Wl,-rpath,"$target/release"

valgrind --tool=callgrind --separate-threads=yes --toggle-collect=one_call \
  --callgrind-out-file="$work/cg" "$work/track" "$work/q.sqlite3" "$calls" arrays >/dev/null 2>&1
total="$(awk '/^totals:/ { print $2 }' "$work/cg-01")"
echo "hamustro_tracker_track_event(\"E\", 3 parameters): $((total / calls)) instructions a call" \
  "($calls calls, callgrind, $(git -C "$root" rev-parse --short HEAD))"
echo "the most expensive functions, inclusive, instructions a call:"
callgrind_annotate --inclusive=yes --threshold=100 "$work/cg-01" 2>/dev/null |
  awk -v calls="$calls" '
    /^ *[0-9,]+ +\([ 0-9.]+%\) +.*:/ {
      count = $1; gsub(",", "", count)
      name = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", name)
      sub(/ \[.*\]$/, "", name); sub(/^[^:]*:/, "", name)
      if (name ~ /^(main|one_call|\(below main\)|__libc_start|0x)/ || seen[name]++) next
      if (count / calls < 100 || shown++ >= 20) next
      printf "  %7d  %s\n", count / calls, substr(name, 1, 110)
    }'
