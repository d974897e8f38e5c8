#!/usr/bin/env bash
# The Python wrapper's own cost per Tracker.track_event("E", {"a": "1", "b": "2",
# "c": "3"}), for the package in the working tree and for the package as committed at
# each REV given (main, say), all against the same library and a tracker on a dead
# collector (port 9: delivery backs off and the network never interferes):
# - instructions on the calling thread (callgrind, --separate-threads), all and inside
#   libffi's ffi_call (the C function and its marshalling); the rest is the wrapper's
#   own. Runs of 200 and 1200 calls are differenced, so start-up drops out. Stable on
#   a busy machine.
# - the p50 of one call, timed call by call over 20,000 calls: the packages and a C
#   program tracking the same event (hamustro_tracker_track_event, and the packed
#   form) in turn, REPS runs each (default 9), medians; the Python p50 less the C
#   p50 (arrays) is the wrapper's own.
#
#   bash scripts/python-wrapper-cost.sh main      # before (main) and after (the tree)
#   REPS=5 bash scripts/python-wrapper-cost.sh
#
# Needs python3, valgrind, cc and target/release/libhamustro.so (cargo build --release
# --lib); a package older than the library works with it. No root, no network.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lib="$root/target/release/libhamustro.so"
reps="${REPS:-9}"
[[ -f "$lib" ]] || { echo "FAILED: $lib is missing: cargo build --release --lib" >&2; exit 1; }
python="$(python3 -c 'import sys; print(sys.executable)')"  # not a shim valgrind cannot follow
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

labels=("working tree")
paths=("$root/bindings/python")
for rev in "$@"; do
  dir="$work/package-${#labels[@]}"
  mkdir -p "$dir"
  git -C "$root" archive "$rev" bindings/python/hamustro | tar -x -C "$dir"
  labels+=("$rev")
  paths+=("$dir/bindings/python")
done

cat > "$work/track.py" <<'PY'
import os, sys, tempfile, time
import hamustro
mode, n = sys.argv[1], int(sys.argv[2])
with tempfile.TemporaryDirectory() as d:
    t = hamustro.Tracker("http://127.0.0.1:9", "bench-secret", "bench-device", "bench",
                         "14.1", "2.0.0", database_path=os.path.join(d, "q.sqlite3"))
    params = {"a": "1", "b": "2", "c": "3"}
    track, clock, samples = t.track_event, time.perf_counter_ns, []
    track("E", params)  # first-call paths out of the count
    if mode == "loop":
        for _ in range(n):
            track("E", params)
    else:
        for _ in range(n):
            start = clock()
            track("E", params)
            samples.append(clock() - start)
    t.close()
if samples:
    print(sorted(samples)[n // 2])
PY

# The program needs the library under its soname (libhamustro.so.<ABI>).
soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
ln -s "$lib" "$work/${soname:-libhamustro.so}"
cc -O2 -I "$root/include" -o "$work/track" "$root/scripts/track-calls.c" "$lib" -Wl,-rpath,"$work"

# callgrind: this thread's instructions for n calls, all and inside ffi_call.
instructions() {
  local out="$work/cg.$2"
  PYTHONHASHSEED=0 HAMUSTRO_LIBRARY="$lib" PYTHONPATH="$1" valgrind --tool=callgrind \
    --separate-threads=yes --callgrind-out-file="$out" "$python" "$work/track.py" loop "$2" 2>/dev/null
  awk '/^totals:/ { print $2 }' "$out-01"
  callgrind_annotate --inclusive=yes --threshold=100 "$out-01" 2>/dev/null |
    awk '/:ffi_call / { gsub(",", "", $1); print $1; exit }'
  rm -f "$out"*
}

: > "$work/results"
for i in "${!labels[@]}"; do
  read -r -d '' all_200 ffi_200 < <(instructions "${paths[$i]}" 200; printf '\0') || true
  read -r -d '' all_1200 ffi_1200 < <(instructions "${paths[$i]}" 1200; printf '\0') || true
  echo "instructions $i $(( (all_1200 - all_200) / 1000 )) $(( (ffi_1200 - ffi_200) / 1000 ))" >> "$work/results"
done
for _ in $(seq "$reps"); do
  for i in "${!labels[@]}"; do
    echo "p50 $i $(HAMUSTRO_LIBRARY="$lib" PYTHONPATH="${paths[$i]}" "$python" "$work/track.py" p50 20000)" >> "$work/results"
  done
  for form in arrays packed; do
    echo "p50 c-$form $("$work/track" "$work/c-$RANDOM.sqlite3" 20000 $form)" >> "$work/results"
  done
done

"$python" - "$work/results" "${labels[@]}" <<'PY'
import collections, statistics, sys
results, labels = sys.argv[1], sys.argv[2:]
calls, p50s = {}, collections.defaultdict(list)
for line in open(results):
    kind, who, *numbers = line.split()
    if kind == "instructions":
        calls[who] = [int(n) for n in numbers]
    else:
        p50s[who].append(int(numbers[0]) / 1000)
c = statistics.median(p50s["c-arrays"])
print(f"track_event(\"E\", 3 parameters), dead collector; the C call's p50 {c:.2f} us, "
      f"packed {statistics.median(p50s['c-packed']):.2f} us (medians of {len(p50s['c-arrays'])} runs)")
print(f"{'package':<16} {'instructions: all':>18} {'in ffi_call':>12} {'own':>8}"
      f" {'p50 us':>8} {'own p50 us':>11}")
for i, label in enumerate(labels):
    total, ffi = calls[str(i)]
    p50 = statistics.median(p50s[str(i)])
    print(f"{label:<16} {total:>18,} {ffi:>12,} {total - ffi:>8,} {p50:>8.2f} {p50 - c:>11.2f}")
PY
