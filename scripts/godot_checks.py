#!/usr/bin/env python3
"""Checks the Godot addon's zip (scripts/dist.sh godot) from the zip alone.

    python3 scripts/godot_checks.py dist/hamustro-godot-V.zip V

- the files are exactly the addon's, under addons/hamustro/;
- hamustro.gdextension names gdext's entry point, Godot 4.3 as the minimum, and for
  each platform a library that is in the zip (and no library the zip has is unnamed);
- plugin.cfg's version is V;
- the Linux libraries are x86-64 ELF shared object that exports gdext_rust_init and
  needs no glibc symbol newer than 2.17 (objdump -T);
- the Windows libraries are x86-64 PE DLLs that exports gdext_rust_init (read from its
  export directory here: the host has no MinGW objdump);
- each platform has two libraries: the editor's carries the class reference for its
  help (gdext's register-docs), the export templates' does not.

Prints what it found and one line per failure; exits non-zero on any failure.
"""

import configparser
import re
import struct
import subprocess
import sys
import tempfile
import zipfile

ADDON = "addons/hamustro/"
ENTRY = "gdext_rust_init"
# The first words of the class's description (bindings/godot/src/hamustro_node.rs).
REFERENCE = b"Tracks events and delivers them"
# Each platform's two libraries: the editor's (with the class reference) and the one
# export templates load (without).
LINUX = ADDON + "bin/linux-x86_64/libhamustro_godot.so"
LINUX_EDITOR = ADDON + "bin/linux-x86_64/libhamustro_godot.editor.so"
WINDOWS = ADDON + "bin/windows-x86_64/hamustro_godot.dll"
WINDOWS_EDITOR = ADDON + "bin/windows-x86_64/hamustro_godot.editor.dll"
PLATFORMS = {
    "linux.editor.x86_64": LINUX_EDITOR,
    "linux.x86_64": LINUX,
    "windows.editor.x86_64": WINDOWS_EDITOR,
    "windows.x86_64": WINDOWS,
}
FILES = {
    ADDON + name
    for name in (
        "hamustro.gdextension",
        "plugin.cfg",
        "plugin.gd",
        "analytics.gd",
        "example.gd",
        "README.md",
        "LICENSE",
    )
} | set(PLATFORMS.values())

failures = []


def fail(message):
    failures.append(message)
    print(f"FAILED: {message}")


def ini(text):
    parser = configparser.ConfigParser(comment_prefixes=(";", "#"), interpolation=None)
    parser.read_string(text)
    return parser


def unquote(value):
    return value.strip().strip('"')


def check_gdextension(archive):
    config = ini(archive.read(ADDON + "hamustro.gdextension").decode())
    entry = unquote(config.get("configuration", "entry_symbol", fallback=""))
    minimum = unquote(config.get("configuration", "compatibility_minimum", fallback=""))
    if entry != ENTRY:
        fail(f"entry_symbol is {entry!r}, not {ENTRY!r}")
    if minimum != "4.3":
        fail(f"compatibility_minimum is {minimum!r}, not the API level 4.3")
    named = {}
    for platform, path in config.items("libraries"):
        named[platform] = unquote(path).removeprefix("res://")
    print(f"libraries: {named}")
    for platform, path in named.items():
        if path not in archive.namelist():
            fail(f"{platform}'s library {path} is not in the zip")
    unnamed = {name for name in archive.namelist() if "/bin/" in name} - set(named.values())
    if unnamed:
        fail(f"libraries the .gdextension does not name: {sorted(unnamed)}")
    if named != PLATFORMS:
        fail(f"libraries {named}, not {PLATFORMS}")


def check_plugin(archive, version):
    config = ini(archive.read(ADDON + "plugin.cfg").decode())
    found = unquote(config.get("plugin", "version", fallback=""))
    if found != version:
        fail(f"plugin.cfg's version is {found!r}, not {version!r}")
    if unquote(config.get("plugin", "script", fallback="")) != "plugin.gd":
        fail("plugin.cfg's script is not plugin.gd")


def check_linux(data):
    if data[:4] != b"\x7fELF" or data[4] != 2:
        fail("the Linux library is not a 64-bit ELF file")
        return
    kind, machine = struct.unpack_from("<HH", data, 16)
    if kind != 3 or machine != 62:
        fail(f"the Linux library is ELF type {kind}, machine {machine}: not an x86-64 shared object")
    with tempfile.NamedTemporaryFile(suffix=".so") as file:
        file.write(data)
        file.flush()
        symbols = subprocess.run(
            ["objdump", "-T", file.name], capture_output=True, text=True, check=True
        ).stdout
    exported = [line for line in symbols.splitlines() if line.split()[-1:] == [ENTRY]]
    if not exported or " .text" not in exported[0]:
        fail(f"the Linux library does not export {ENTRY}")
    versions = {
        tuple(int(part) for part in found.split("."))
        for found in re.findall(r"GLIBC_([0-9]+(?:\.[0-9]+)*)", symbols)
    }
    newest = max(versions, default=None)
    print(f"Linux: {ENTRY} exported; newest glibc symbol version {newest}")
    if newest is None or newest > (2, 17):
        fail(f"the Linux library needs glibc {newest}, newer than 2.17")


def pe_exports(data):
    """The names in a PE file's export directory, and its machine."""
    offset = struct.unpack_from("<I", data, 0x3C)[0]
    if data[offset : offset + 4] != b"PE\0\0":
        raise ValueError("no PE signature")
    machine, sections = struct.unpack_from("<HH", data, offset + 4)
    optional_size = struct.unpack_from("<H", data, offset + 20)[0]
    optional = offset + 24
    if struct.unpack_from("<H", data, optional)[0] != 0x20B:
        raise ValueError("not PE32+")
    export_rva = struct.unpack_from("<I", data, optional + 112)[0]
    table = optional + optional_size
    spans = []
    for i in range(sections):
        size, rva, _, raw = struct.unpack_from("<IIII", data, table + 40 * i + 8)
        spans.append((rva, size, raw))

    def at(rva):
        for start, size, raw in spans:
            if start <= rva < start + size:
                return raw + rva - start
        raise ValueError(f"RVA {rva:#x} in no section")

    if export_rva == 0:
        return machine, []
    directory = at(export_rva)
    count, _, names_rva = struct.unpack_from("<III", data, directory + 24)
    names = []
    for i in range(count):
        name = at(struct.unpack_from("<I", data, at(names_rva) + 4 * i)[0])
        names.append(data[name : data.index(b"\0", name)].decode())
    return machine, names


def check_windows(data):
    if data[:2] != b"MZ":
        fail("the Windows library is not a PE file")
        return
    try:
        machine, names = pe_exports(data)
    except (ValueError, struct.error) as error:
        fail(f"the Windows library's export directory: {error}")
        return
    print(f"Windows: machine {machine:#x}, {len(names)} exports")
    if machine != 0x8664:
        fail(f"the Windows library's machine is {machine:#x}, not x86-64")
    if ENTRY not in names:
        fail(f"the Windows library does not export {ENTRY}")


def check_reference(data, name, editor):
    if editor and REFERENCE not in data:
        fail(f"{name} carries no class reference (register-docs)")
    if not editor and REFERENCE in data:
        fail(f"{name}, for export templates, carries the class reference (register-docs)")


def main():
    path, version = sys.argv[1:]
    with zipfile.ZipFile(path) as archive:
        names = {name for name in archive.namelist() if not name.endswith("/")}
        print(f"files: {sorted(names)}")
        if names != FILES:
            fail(f"missing {sorted(FILES - names)}, unexpected {sorted(names - FILES)}")
        present = names & FILES
        if ADDON + "hamustro.gdextension" in present:
            check_gdextension(archive)
        if ADDON + "plugin.cfg" in present:
            check_plugin(archive, version)
        for name in (LINUX, LINUX_EDITOR, WINDOWS, WINDOWS_EDITOR):
            if name not in present:
                continue
            data = archive.read(name)
            print(f"{name}:")
            if name.endswith(".so"):
                check_linux(data)
            else:
                check_windows(data)
            check_reference(data, name, ".editor." in name)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
