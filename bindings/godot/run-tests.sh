#!/usr/bin/env bash
# The Godot addon's tests, in the engine: builds the addon's library and the development
# collector (debug), lays the addon out in a copy of the GDScript test project
# (bindings/godot/tests/), starts the collector on the host's 127.0.0.1 (--jsonl), runs
# test.gd headless in Debian sid's Godot (the chroot of scripts/godot-toolchain.sh,
# which shares the host's network), then checks what the collector received, field by
# field (tests/engine.rs). Prints every check and "N passed, N failed".
#
#   bash bindings/godot/run-tests.sh                 the addon of this tree, debug build
#   bash bindings/godot/run-tests.sh --addon DIR [--template]
#                                                    an addon as released: DIR is the
#                                                    addons/hamustro/ of the zip
#                                                    (scripts/dist-test.sh); Godot (an
#                                                    editor build) loads the editor's
#                                                    library, or with --template the
#                                                    one export templates load
#
# Needs root (the chroot); makes the chroot first if setup has not (the network).
# sid's godot is not pinnable: any Godot 4 from 4.3 (the addon's API level) on passes,
# and the version run is printed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root" || exit 1
# shellcheck source-path=SCRIPTDIR source=../../scripts/toolchains.sh
source "$root/scripts/toolchains.sh"
# shellcheck source-path=SCRIPTDIR source=../../scripts/trixie-chroot.sh
source "$root/scripts/trixie-chroot.sh"

addon_source=""
template=0
case "${1:-}" in
  "") ;;
  --addon)
    addon_source=$(cd "${2:?--addon DIR}" && pwd) || exit 2
    [ "${3:-}" = --template ] && template=1
    ;;
  *)
    echo "usage: $0 [--addon DIR [--template]]" >&2
    exit 2
    ;;
esac

fail() {
  echo "$*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

bash scripts/godot-toolchain.sh >/dev/null || fail "the Godot chroot could not be made (scripts/godot-toolchain.sh)"
if [ -z "$addon_source" ]; then
  nice -n 10 cargo build --quiet -p hamustro-godot || fail "the addon's library did not build"
fi
nice -n 10 cargo build --quiet -p hamustro-collector || fail "the development collector did not build"

work="$root/target/godot-tests"
project="$work/project"
addon="$project/addons/hamustro"
rm -rf "$work"
mkdir -p "$addon/bin/linux-x86_64" "$project/.godot" "$work/home"
cp "$here/tests/project.godot" "$here/tests/"*.gd "$project/"
if [ -n "$addon_source" ]; then
  cp -r "$addon_source/." "$addon/"
  # Without the editor's entries, the editor build loads the templates' library.
  [ "$template" = 0 ] || sed -i '/\.editor\./d' "$addon/hamustro.gdextension"
else
  cp "$here/addons/hamustro/"* "$addon/"
  sed -i "s/@VERSION@/$(make -s --no-print-directory -C bindings/c version)/" "$addon/plugin.cfg"
  # This tree's debug build, in the place of both (the editor's is the one loaded).
  cp target/debug/libhamustro_godot.so "$addon/bin/linux-x86_64/libhamustro_godot.editor.so"
  cp target/debug/libhamustro_godot.so "$addon/bin/linux-x86_64/"
fi
# The extension list an import would write: `godot --headless --import` on a project
# never opened crashes (signal 11, godotengine/godot#111048), and the test needs no
# imported resources.
echo "res://addons/hamustro/hamustro.gdextension" >"$project/.godot/extension_list.cfg"

secret=godot-test-secret
collector_pid=""
cleanup() {
  [ -z "$collector_pid" ] || kill "$collector_pid" 2>/dev/null
  trixie_chroot_unmount
}
trap cleanup EXIT
target/debug/hamustro-collector --port 0 --secret "$secret" --jsonl >"$work/collector.out" &
collector_pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -nE '1s|.* on (http://[^/]+)/api/v1/track.*|\1|p' "$work/collector.out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "the development collector did not start: $(cat "$work/collector.out")"

trixie_chroot_mount "$godot_root" "$work" || fail "cannot mount $work in $godot_root"
version=$(trixie_chroot_run "$godot_root" HOME="$work/home" godot --headless --version | tail -n 1)
echo "Godot $version (Debian sid, in $godot_root)"
case "$version" in
  4.[3-9].* | 4.[1-9][0-9].*) ;;
  *) fail "Godot $version: the addon needs Godot 4.3 or a later 4.x" ;;
esac

# A locale of its own, so that the defaults taken from OS.get_locale() are known.
trixie_chroot_run "$godot_root" HOME="$work/home" LANG=hu_HU.UTF-8 \
  HAMUSTRO_COLLECTOR_URL="$url" HAMUSTRO_SECRET="$secret" \
  timeout -k 10 300 godot --headless --path "$project" --script res://test.gd \
  >"$work/godot.out" 2>&1
godot_status=$?
cat "$work/godot.out"
kill "$collector_pid" 2>/dev/null
wait "$collector_pid" 2>/dev/null
collector_pid=""

HAMUSTRO_GODOT_COLLECTOR="$work/collector.out" HAMUSTRO_GODOT_OUTPUT="$work/godot.out" \
  nice -n 10 cargo test --quiet -p hamustro-godot --test engine -- --ignored --nocapture \
  >"$work/engine.out" 2>&1
engine_status=$?
grep -E '^(ok|not ok) - ' "$work/engine.out"

passed=$(cat "$work/godot.out" "$work/engine.out" | grep -c '^ok - ')
failed=$(cat "$work/godot.out" "$work/engine.out" | grep -c '^not ok - ')
# A crash or an exit before the end prints no "not ok": count the exit itself.
if [ "$godot_status" != 0 ] && [ "$failed" = 0 ]; then
  echo "not ok - Godot exited with status $godot_status"
  failed=1
fi
if ! grep -q '^gdscript: ' "$work/godot.out"; then
  echo "not ok - test.gd did not finish"
  failed=$((failed + 1))
fi
if [ "$engine_status" != 0 ] && ! grep -q '^not ok - ' "$work/engine.out"; then
  cat "$work/engine.out"
  echo "not ok - tests/engine.rs failed"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
