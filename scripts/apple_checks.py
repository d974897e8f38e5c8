"""The checks of scripts/apple-test.sh on the Apple builds, each a subcommand that
prints what it found and exits non-zero on a failure:

  archive ARCHIVE PLATFORM   every member of the static library is built for PLATFORM
                             (LC_BUILD_VERSION: ios, iossimulator, macos) and every
                             function of include/hamustro.h is defined in it
  xcframework DIR ID:PLATFORM:VARIANT...
                             Info.plist lists exactly these slices, and each holds its
                             library, headers, module map and privacy manifest
  privacy MANIFEST ARCHIVE...
                             the manifest declares exactly the required-reason API
                             categories that the archives call (REQUIRED_REASON_SYMBOLS),
                             each with a reason, the data the library sends, and no
                             tracking

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

# Apple's required-reason API categories, by the C functions that belong to each
# ("Describing use of required reason API"). A function listed under two categories
# (getattrlist: timestamps and disk space) needs both.
REQUIRED_REASON_SYMBOLS = {
    "NSPrivacyAccessedAPICategoryFileTimestamp": {
        "stat", "fstat", "fstatat", "lstat",
        "getattrlist", "fgetattrlist", "getattrlistat", "getattrlistbulk",
    },
    "NSPrivacyAccessedAPICategorySystemBootTime": {"mach_absolute_time"},
    "NSPrivacyAccessedAPICategoryDiskSpace": {
        "statfs", "fstatfs", "statvfs", "fstatvfs",
        "getattrlist", "fgetattrlist", "getattrlistat",
    },
}
# The Foundation names of each category, as the Swift binding's sources would use them.
SWIFT_REQUIRED_REASON_NAMES = {
    "NSPrivacyAccessedAPICategoryUserDefaults": ("UserDefaults",),
    "NSPrivacyAccessedAPICategorySystemBootTime": ("systemUptime", "mach_absolute_time"),
    "NSPrivacyAccessedAPICategoryFileTimestamp": (
        "creationDate", "modificationDate", "fileModificationDate",
        "contentModificationDateKey", "creationDateKey"),
    "NSPrivacyAccessedAPICategoryDiskSpace": (
        "volumeAvailableCapacityKey", "volumeAvailableCapacityForImportantUsageKey",
        "volumeAvailableCapacityForOpportunisticUsageKey", "volumeTotalCapacityKey",
        "systemFreeSize", "systemSize"),
}

# What every request carries (proto/hamustro.proto): the hashed device id, the user and
# tenant, the events, and the country and IPv4 address.
SENT_DATA_TYPES = {
    "NSPrivacyCollectedDataTypeDeviceID",
    "NSPrivacyCollectedDataTypeUserID",
    "NSPrivacyCollectedDataTypeProductInteraction",
    "NSPrivacyCollectedDataTypeCoarseLocation",
}

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
    manifest = (REPO / "bindings/swift/Sources/Hamustro/PrivacyInfo.xcprivacy").read_bytes()
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
            root / "PrivacyInfo.xcprivacy": manifest,
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
              "libhamustro.a, Headers/CHamustro/{hamustro.h,module.modulemap} and "
              "PrivacyInfo.xcprivacy")
    return not failures


def check_privacy(tools, manifest_path, archives, swift_sources):
    failures = []
    manifest = plistlib.loads(manifest_path.read_bytes())
    # What the archives call from outside themselves: undefined in a member and
    # defined in none.
    called = set()
    for archive in archives:
        defined = set().union(*tools.symbols(archive, "--defined-only").values())
        called |= set().union(*tools.symbols(archive, "--undefined-only").values()) - defined
    used = {}
    for category, functions in REQUIRED_REASON_SYMBOLS.items():
        if called & functions:
            used[category] = sorted(called & functions)
    swift = "\n".join(p.read_text() for p in sorted(swift_sources.rglob("*.swift")))
    for category, names in SWIFT_REQUIRED_REASON_NAMES.items():
        found = [name for name in names if re.search(rf"\b{name}\b", swift)]
        if found:
            used[category] = sorted(set(used.get(category, [])) | set(found))
    declared = {}
    for entry in manifest.get("NSPrivacyAccessedAPITypes", []):
        declared[entry["NSPrivacyAccessedAPIType"]] = entry.get("NSPrivacyAccessedAPITypeReasons", [])
    for category, symbols in sorted(used.items()):
        print(f"called: {category} ({', '.join(symbols)})")
        if category not in declared:
            failures.append(f"{category} is used ({', '.join(symbols)}) but not declared")
    for category, reasons in sorted(declared.items()):
        if category not in used:
            failures.append(f"{category} is declared but nothing calls it")
        if not reasons or not all(re.fullmatch(r"[0-9A-F]{4}\.[0-9]", r) for r in reasons):
            failures.append(f"{category}: reasons {reasons} are not Apple reason codes")
    if manifest.get("NSPrivacyTracking") is not False:
        failures.append("NSPrivacyTracking is not false")
    collected = {}
    for entry in manifest.get("NSPrivacyCollectedDataTypes", []):
        collected[entry["NSPrivacyCollectedDataType"]] = entry
        for key in ("NSPrivacyCollectedDataTypeLinked", "NSPrivacyCollectedDataTypeTracking"):
            if not isinstance(entry.get(key), bool):
                failures.append(f"{entry['NSPrivacyCollectedDataType']}: {key} missing")
        if entry.get("NSPrivacyCollectedDataTypeTracking"):
            failures.append(f"{entry['NSPrivacyCollectedDataType']}: used for tracking")
        if not entry.get("NSPrivacyCollectedDataTypePurposes"):
            failures.append(f"{entry['NSPrivacyCollectedDataType']}: no purposes")
    if set(collected) != SENT_DATA_TYPES:
        failures.append(f"collected data types {sorted(collected)}, not what the library "
                        f"sends: {sorted(SENT_DATA_TYPES)}")
    for failure in failures:
        print(failure)
    if not failures:
        print(f"declared: {', '.join(sorted(declared))}; collected: "
              f"{', '.join(sorted(collected))}; no tracking")
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
    privacy = commands.add_parser("privacy")
    privacy.add_argument("manifest", type=Path)
    privacy.add_argument("archives", type=Path, nargs="+")
    privacy.add_argument("--swift-sources", type=Path,
                         default=REPO / "bindings/swift/Sources/Hamustro")
    args = parser.parse_args()
    tools = Tools(args.chroot)
    if args.command == "archive":
        ok = check_archive(tools, args.archive, args.platform)
    elif args.command == "xcframework":
        ok = check_xcframework(args.directory, args.slices)
    else:
        ok = check_privacy(tools, args.manifest, args.archives, args.swift_sources)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
