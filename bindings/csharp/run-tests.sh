#!/usr/bin/env bash
# The C# binding's tests, on Debian's Mono and NUnit 2.6 (make setup installs them):
# builds the library and the development collector (debug), compiles the package's
# Runtime with mcs twice (the plain binding alone, as any .NET Standard 2.0 project
# builds it, and the whole Runtime as Unity does, against the UnityEngine stub of
# tests/UnityEngineStub), every public member's XML documentation required; checks the
# package's source (`xtask check unity-source`: .meta files, GUIDs, plugin settings,
# package.json); runs the NUnit suite of tests/ against the real libhamustro.so and
# collector, and prints "N passed, N failed" (`xtask check nunit-result`).
#
#   bash bindings/csharp/run-tests.sh [-run=Hamustro.Tests.ErrorTests]   (nunit-console arguments)
#
# mcs knows C# up to 7.2; the package uses nothing later, so Unity's compilers (C# 7.3
# and newer) take it as it is.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
# shellcheck source-path=SCRIPTDIR source=../../scripts/checks.sh
source "$root/scripts/checks.sh"

for tool in mcs mono nunit-console; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: make setup installs it" >&2; exit 1; }
done

cargo build -p hamustro -p hamustro-collector

package="$here/com.hamustro.tracker"
out="$root/target/csharp"
rm -rf "$out"
mkdir -p "$out/plain"
nunit=/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll
# -warnaserror with -doc: CS1591 (a public member without XML documentation) fails.
mcs_flags=(-langversion:7.2 -nologo -warnaserror -debug)

mapfile -t core < <(find "$package/Runtime" -maxdepth 1 -name '*.cs' | sort)
mapfile -t unity < <(find "$package/Runtime/Unity" -name '*.cs' | sort)
mapfile -t tests < <(find "$here/tests" -maxdepth 1 -name '*.cs' | sort)

echo "compiling the plain binding (no UnityEngine)" >&2
mcs "${mcs_flags[@]}" -target:library -out:"$out/plain/Hamustro.dll" \
  -doc:"$out/plain/Hamustro.xml" "${core[@]}"
echo "compiling the Runtime as Unity does, against the UnityEngine stub" >&2
mcs -langversion:7.2 -nologo -target:library -out:"$out/UnityEngine.dll" \
  "$here/tests/UnityEngineStub/UnityEngine.cs"
mcs "${mcs_flags[@]}" -target:library -define:UNITY_5_3_OR_NEWER -r:"$out/UnityEngine.dll" \
  -out:"$out/Hamustro.dll" -doc:"$out/Hamustro.xml" "${core[@]}" "${unity[@]}"
echo "compiling the sample (Samples~) against the stub" >&2
mcs -langversion:7.2 -nologo -warnaserror -target:library -r:"$out/Hamustro.dll" \
  -r:"$out/UnityEngine.dll" -out:"$out/Sample.dll" "$package/Samples~/Tracking/"*.cs
mcs -langversion:7.2 -nologo -debug -target:library -r:"$out/Hamustro.dll" \
  -r:"$out/UnityEngine.dll" -r:"$nunit" -r:System.Web.Extensions.dll \
  -out:"$out/Hamustro.Tests.dll" "${tests[@]}"
cp "$nunit" "$out/"

status=0
echo "checking the package's source (.meta files, GUIDs, plugins, package.json)" >&2
xtask check unity-source "$package" || status=1
# The packer, with this build's libhamustro.so and stand-ins of the Windows DLL and the
# iOS archive (their headers only: make dist packs the real ones), twice, to the same
# bytes.
echo "packing the Unity tarball (scripts/unity-package.sh) with stand-ins" >&2
python3 - "$out" <<'PY'
import struct, sys
out = sys.argv[1]
header = bytearray(512)
header[:2] = b"MZ"
struct.pack_into("<I", header, 60, 128)
header[128:132] = b"PE\0\0"
struct.pack_into("<H", header, 132, 0x8664)
open(f"{out}/hamustro.dll", "wb").write(header)
open(f"{out}/libhamustro.a", "wb").write(b"!<arch>\n")
PY
for copy in 1 2; do
  bash "$root/scripts/unity-package.sh" --linux "$root/target/debug/libhamustro.so" \
    --windows "$out/hamustro.dll" --ios "$out/libhamustro.a" "$out/unity-$copy.tgz" || status=1
done
cmp "$out/unity-1.tgz" "$out/unity-2.tgz" || { echo "the Unity tarball is not reproducible" >&2; status=1; }

export LD_LIBRARY_PATH="$root/target/debug${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export HAMUSTRO_COLLECTOR="$root/target/debug/hamustro-collector"
export HAMUSTRO_SOURCE_DIR="$root"
result="$out/TestResult.xml"
nunit-console -nologo -labels -result="$result" "$@" "$out/Hamustro.Tests.dll" || true

# The verdict from NUnit's result file, not from its exit code.
xtask check nunit-result "$result" || status=1
exit "$status"
