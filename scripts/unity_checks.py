#!/usr/bin/env python3
"""Checks of the Unity package (bindings/csharp/com.hamustro.tracker), as its source
tree and as the tarball scripts/unity-package.sh makes:

  unity_checks.py source DIR       the package's source: every asset has a .meta, every
                                   .meta an asset (a plugin's may wait for its binary),
                                   GUIDs well-formed and unique, the plugins' .meta
                                   settings, package.json against Cargo.toml
  unity_checks.py tarball FILE     the same of the unpacked tarball (package/ inside),
                                   where every .meta must have its asset, and each
                                   binary must be built for the platform its .meta names

Unity ignores a file without a .meta in an immutable (tarball) package, and two
assets with one GUID break references, so both are failures. Prints one line per
problem and exits 1 on any.
"""

from __future__ import annotations

import json
import re
import struct
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Each native plugin: the platforms its .meta enables, the CPU it names, the editor's
# OS (None: not loaded by the editor), and how to recognise a binary for it.
PLUGINS = {
    "Plugins/Linux/x86_64/libhamustro.so": ({"Editor", "Linux64"}, "x86_64", "Linux", "elf-x86_64"),
    "Plugins/Windows/x86_64/hamustro.dll": ({"Editor", "Win64"}, "x86_64", "Windows", "pe-x86_64"),
    "Plugins/iOS/libhamustro.a": ({"iOS"}, "ARM64", None, "ar"),
    "Plugins/macOS/libhamustro.dylib": ({"Editor", "OSXUniversal"}, "AnyCPU", "OSX", "mach-o"),
}
# Which plugins a package must have; macOS only comes from a release built on a Mac.
REQUIRED_PLUGINS = [path for path in PLUGINS if "macOS" not in path]


def assets(root: Path) -> list[str]:
    """Every file and folder Unity imports: not .meta, not hidden, nothing in a
    folder whose name ends with ~ (Documentation~, Samples~)."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part.endswith("~") for part in relative.parts):
            continue
        if path.suffix != ".meta":
            found.append(relative.as_posix())
    return found


def platform_data(meta: str) -> dict[str, dict[str, str]]:
    """The PluginImporter's platformData: {"Editor": {"enabled": "1", "CPU": ...}, ...}."""
    entries: dict[str, dict[str, str]] = {}
    current = None
    for line in meta.splitlines():
        match = re.match(r"^      (\w*): (\w+)\s*$", line)
        if match and current is None:
            current = match.group(2)
            entries[current] = {}
            continue
        if line.startswith("  - first:"):
            current = None
            continue
        setting = re.match(r"^\s+(enabled|CPU|OS): (\S*)", line)
        if setting and current is not None:
            entries[current][setting.group(1)] = setting.group(2)
    return entries


def binary_kind(path: Path) -> str:
    head = path.read_bytes()[:4096]
    if head[:4] == b"\x7fELF" and len(head) > 20 and struct.unpack_from("<H", head, 18)[0] == 62:
        return "elf-x86_64"
    if head[:2] == b"MZ" and len(head) >= 64:
        offset = struct.unpack_from("<I", head, 60)[0]
        if head[offset:offset + 4] == b"PE\0\0" and struct.unpack_from("<H", head, offset + 4)[0] == 0x8664:
            return "pe-x86_64"
    if head[:8] == b"!<arch>\n":
        return "ar"
    if head[:4] in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "mach-o"
    return "unknown"


def check(root: Path, tarball: bool) -> list[str]:
    problems = []
    names = assets(root)
    metas = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.meta")
                   if not any(part.endswith("~") or part.startswith(".")
                              for part in p.relative_to(root).parts))
    for name in names:
        if f"{name}.meta" not in metas:
            problems.append(f"{name}: no .meta (Unity ignores it in an immutable package)")
    plugin_folders = {str(Path(p).parent) for p in PLUGINS} | {"Plugins"} | {
        str(parent) for p in PLUGINS for parent in Path(p).parents if str(parent) != "."}
    for meta in metas:
        asset = meta[: -len(".meta")]
        if asset in names:
            continue
        # In the source, a plugin's .meta (and its folders') waits for its binary.
        if not tarball and (asset in PLUGINS or asset in plugin_folders or asset == "LICENSE"):
            continue
        problems.append(f"{meta}: no asset beside it")

    guids: dict[str, str] = {}
    for meta in metas:
        text = (root / meta).read_text()
        match = re.search(r"^guid: (\S+)$", text, re.MULTILINE)
        if not match or not re.fullmatch(r"[0-9a-f]{32}", match.group(1)):
            problems.append(f"{meta}: no guid of 32 lowercase hex digits")
            continue
        guid = match.group(1)
        if guid in guids:
            problems.append(f"{meta}: guid {guid} is also {guids[guid]}'s")
        guids[guid] = meta

    for plugin, (enabled, cpu, editor_os, kind) in PLUGINS.items():
        meta = root / f"{plugin}.meta"
        present = (root / plugin).is_file()
        if tarball and not present:
            if plugin in REQUIRED_PLUGINS:
                problems.append(f"{plugin}: missing")
            continue
        if not meta.is_file():
            problems.append(f"{plugin}: no .meta")
            continue
        data = platform_data(meta.read_text())
        on = {name for name, settings in data.items() if settings.get("enabled") == "1"}
        if on != enabled:
            problems.append(f"{plugin}.meta: enabled for {sorted(on)}, expected {sorted(enabled)}")
        for name in enabled:
            if data.get(name, {}).get("CPU") != cpu:
                problems.append(f"{plugin}.meta: {name} CPU is {data.get(name, {}).get('CPU')}, expected {cpu}")
        if editor_os is not None and data.get("Editor", {}).get("OS") != editor_os:
            problems.append(f"{plugin}.meta: the editor's OS is {data.get('Editor', {}).get('OS')}, expected {editor_os}")
        if present and binary_kind(root / plugin) != kind:
            problems.append(f"{plugin}: a {binary_kind(root / plugin)} file, expected {kind}")

    problems += check_manifest(root)
    return problems


def check_manifest(root: Path) -> list[str]:
    problems = []
    try:
        manifest = json.loads((root / "package.json").read_text())
    except (OSError, ValueError) as error:
        return [f"package.json: {error}"]
    cargo = (REPO / "Cargo.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE).group(1)
    expected = {"name": "com.hamustro.tracker", "version": version}
    for key, value in expected.items():
        if manifest.get(key) != value:
            problems.append(f"package.json: {key} is {manifest.get(key)!r}, expected {value!r}")
    for key in ("displayName", "description", "unity", "license"):
        if not manifest.get(key):
            problems.append(f"package.json: no {key}")
    for sample in manifest.get("samples", []):
        if not (root / sample["path"]).is_dir():
            problems.append(f"package.json: sample path {sample['path']} is not in the package")
    asmdef = root / "Runtime/Hamustro.asmdef"
    if not asmdef.is_file() or json.loads(asmdef.read_text()).get("name") != "Hamustro":
        problems.append("Runtime/Hamustro.asmdef: missing or not named Hamustro")
    return problems


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("source", "tarball"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, target = sys.argv[1], Path(sys.argv[2])
    if kind == "source":
        problems = check(target, tarball=False)
    else:
        with tempfile.TemporaryDirectory() as scratch, tarfile.open(target) as archive:
            tops = {member.name.split("/")[0] for member in archive.getmembers()}
            if tops != {"package"}:
                print(f"{target}: the top folder is {sorted(tops)}, Unity expects package/")
                return 1
            archive.extractall(scratch)
            problems = check(Path(scratch) / "package", tarball=True)
    for problem in problems:
        print(f"{target}: {problem}")
    if not problems:
        print(f"{target}: package.json, every .meta, the plugins' platforms and CPUs, GUIDs unique: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
