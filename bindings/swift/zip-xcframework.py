"""Zips an XCFramework the same way every time, so that the same files give the same
bytes and so the same checksum: entries sorted, every time stamp 1980-01-01, modes
0644 and 0755 only, no owner. Used by release.sh.

  python3 zip-xcframework.py Hamustro.xcframework Hamustro.xcframework.zip
"""

import os
import sys
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def entry(name, mode):
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.create_system = 3  # Unix, so that the modes below are read
    info.external_attr = mode << 16
    return info


def zip_directory(directory, output):
    directory = Path(directory)
    paths = sorted(directory.rglob("*"), key=lambda p: p.relative_to(directory).as_posix())
    temporary = Path(f"{output}.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        archive.writestr(entry(f"{directory.name}/", 0o40755), b"")
        for path in paths:
            name = f"{directory.name}/{path.relative_to(directory).as_posix()}"
            if path.is_dir():
                archive.writestr(entry(f"{name}/", 0o40755), b"")
            else:
                executable = os.access(path, os.X_OK)
                info = entry(name, 0o100755 if executable else 0o100644)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes(), compresslevel=9)
    temporary.replace(output)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    zip_directory(sys.argv[1], sys.argv[2])
