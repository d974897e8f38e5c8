"""Finding the C library by the platform's own file name, tested here on Linux for
every platform: the names, the lookup order, and the bundled copy's variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from hamustro import _ffi


@pytest.mark.parametrize(
    ("platform", "name"),
    [
        ("win32", "hamustro.dll"),
        ("cygwin", "hamustro.dll"),
        ("darwin", "libhamustro.dylib"),
        ("ios", "libhamustro.dylib"),
        ("linux", "libhamustro.so"),
        ("freebsd14", "libhamustro.so"),
    ],
)
def test_each_platform_has_its_own_file_name(platform: str, name: str) -> None:
    assert _ffi.library_file_name(platform) == name


@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_a_checkout_looks_in_the_package_then_release_then_debug(
    tmp_path: Path, platform: str
) -> None:
    name = _ffi.library_file_name(platform)
    package, target = tmp_path / "hamustro", tmp_path / "target"
    assert _ffi._candidates(platform, package, target) == [
        package / "_lib" / name,
        target / "release" / name,
        target / "debug" / name,
    ]


def test_an_installed_package_looks_only_in_its_own_directory(tmp_path: Path) -> None:
    assert _ffi._candidates("win32", tmp_path, None) == [tmp_path / "_lib" / "hamustro.dll"]


@pytest.mark.parametrize(
    ("platform", "bundled", "other"),
    [
        ("win32", "hamustro.cp311-win_amd64.dll", "libhamustro.so"),
        ("darwin", "libhamustro.abi3.dylib", "hamustro.dll"),
        ("linux", "libhamustro.cpython-311-x86_64-linux-gnu.so", "libhamustro.dylib"),
    ],
)
def test_a_bundled_copy_is_found_by_its_platform_name_only(
    tmp_path: Path, platform: str, bundled: str, other: str
) -> None:
    lib = tmp_path / "_lib"
    lib.mkdir()
    (lib / bundled).write_bytes(b"")
    (lib / other).write_bytes(b"")
    assert _ffi._candidates(platform, tmp_path, None) == [lib / bundled]
