"""The checks of scripts/apple-test.sh on the Apple builds, each a subcommand that
prints what it found and exits non-zero on a failure:

  archive ARCHIVE PLATFORM   every member of the static library is built for PLATFORM
                             (LC_BUILD_VERSION: ios, iossimulator, macos) and every
                             function of include/hamustro.h is defined in it
  xcframework DIR ID:PLATFORM:VARIANT...
                             Info.plist lists exactly these slices, and each holds its
                             library, headers and module map

The archives are read with Debian's llvm-objdump and llvm-nm, run in the chroot given
by --chroot (the paths are the same inside).
"""

import argparse
import plistlib
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEADER = REPO / "include" / "hamustro.h"

# The platform names llvm-objdump prints in LC_BUILD_VERSION.
PLATFORMS = ("ios", "iossimulator", "macos")


class Tools:
    def __init__(self, chroot):
        self.prefix = ["chroot", chroot] if chroot else []

    def run(self, *command):
        result = subprocess.run(self.prefix + list(command), capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result.stdout

    # {member: set of symbol names (without Mach-O's leading underscore)}
    def symbols(self, archive, *flags):
        members, member = {}, None
        for line in self.run("llvm-nm", "--no-llvm-bc", "--extern-only", *flags, str(archive)).splitlines():
            if line.endswith(":") and "(" in line or line.endswith(".o:"):
                member = line[:-1]
                members.setdefault(member, set())
            elif line.strip() and member is not None:
                name = line.split()[-1]
                # x86_64 Darwin names some functions with a suffix (stat$INODE64).
                members[member].add(name.removeprefix("_").split("$")[0])
        return members


def header_functions():
    declared = re.findall(r"^HAMUSTRO_API .*?\b(hamustro_[a-z0-9_]+)\(", HEADER.read_text(),
                          re.MULTILINE)
    if not declared:
        sys.exit(f"no functions found in {HEADER}")
    return set(declared)


def check_archive(tools, archive, platform):
    failures = []
    headers = tools.run("llvm-objdump", "--macho", "--private-headers", str(archive))
    members = re.split(r"^(?=\S.*\(.*\.o\):$)", headers, flags=re.MULTILINE)
    members = [m for m in members if re.match(r"\S.*\(.*\):\n", m)]
    if not members:
        failures.append("no members")
    for member in members:
        name = member.splitlines()[0].rstrip(":")
        found = re.findall(r"^\s*platform\s+(\S+)", member, re.MULTILINE)
        if not found:
            failures.append(f"{name}: no LC_BUILD_VERSION")
        elif any(p != platform for p in found):
            failures.append(f"{name}: built for {', '.join(found)}, not {platform}")
        if not re.search(r"^\s*MH_MAGIC_64\s+ARM64\s", member, re.MULTILINE):
            failures.append(f"{name}: not arm64")
    defined = set().union(*tools.symbols(archive, "--defined-only").values())
    missing = sorted(header_functions() - defined)
    if missing:
        failures.append(f"functions of the header not defined: {', '.join(missing)}")
    for failure in failures:
        print(f"{archive.name}: {failure}")
    if not failures:
        minos = sorted(set(re.findall(r"^\s*minos\s+(\S+)", headers, re.MULTILINE)))
        print(f"{len(members)} Mach-O arm64 members, each for {platform} (minos "
              f"{', '.join(minos)}); all {len(header_functions())} functions of "
              f"include/hamustro.h defined")
    return not failures


def check_xcframework(directory, slices):
    failures = []
    info = plistlib.loads((directory / "Info.plist").read_bytes())
    libraries = {library["LibraryIdentifier"]: library for library in info["AvailableLibraries"]}
    if info.get("CFBundlePackageType") != "XFWK":
        failures.append("Info.plist: CFBundlePackageType is not XFWK")
    expected = {}
    for slice_ in slices:
        identifier, platform, variant = slice_.split(":")
        expected[identifier] = (platform, None if variant == "-" else variant)
    if set(libraries) != set(expected):
        failures.append(f"Info.plist lists {sorted(libraries)}, not {sorted(expected)}")
    for identifier, (platform, variant) in expected.items():
        library = libraries.get(identifier)
        if library is None:
            continue
        if (library.get("SupportedPlatform"), library.get("SupportedPlatformVariant")) != (
                platform, variant):
            failures.append(f"{identifier}: platform {library.get('SupportedPlatform')} "
                            f"variant {library.get('SupportedPlatformVariant')}, not "
                            f"{platform} {variant}")
        if library.get("SupportedArchitectures") != ["arm64"]:
            failures.append(f"{identifier}: architectures {library.get('SupportedArchitectures')}")
        root = directory / identifier
        headers = root / library["HeadersPath"] / "CHamustro"
        wanted = {
            root / library["LibraryPath"]: None,
            headers / "hamustro.h": HEADER.read_bytes(),
        }
        for path, content in wanted.items():
            if not path.is_file():
                failures.append(f"missing {path.relative_to(directory)}")
            elif content is not None and path.read_bytes() != content:
                failures.append(f"{path.relative_to(directory)} differs from the repository's")
        module_map = headers / "module.modulemap"
        if not module_map.is_file() or not re.search(
                r'module CHamustro \{\s*header "hamustro.h"', module_map.read_text()):
            failures.append(f"{identifier}: no CHamustro module map for hamustro.h")
    for failure in failures:
        print(failure)
    if not failures:
        print(f"Info.plist lists {', '.join(sorted(expected))}; each slice holds "
              "libhamustro.a and Headers/CHamustro/{hamustro.h,module.modulemap}")
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chroot", help="run llvm-objdump and llvm-nm in this chroot")
    commands = parser.add_subparsers(dest="command", required=True)
    archive = commands.add_parser("archive")
    archive.add_argument("archive", type=Path)
    archive.add_argument("platform", choices=PLATFORMS)
    xcframework = commands.add_parser("xcframework")
    xcframework.add_argument("directory", type=Path)
    xcframework.add_argument("slices", nargs="+")
    args = parser.parse_args()
    tools = Tools(args.chroot)
    if args.command == "archive":
        ok = check_archive(tools, args.archive, args.platform)
    else:
        ok = check_xcframework(args.directory, args.slices)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
