"""The build of the hamustro package: the ctypes binding plus the C library inside it
(hamustro/_lib/). pyproject.toml holds the metadata; this file adds what metadata
cannot say:

- The version is the crate's (Cargo.toml), so the package and the library it carries
  never disagree.
- The library comes from $HAMUSTRO_PREBUILT_LIBRARY when set (scripts/dist.sh builds it
  once, for glibc 2.17 or for Windows, and packs it), or else from `cargo build
  --release` of the crate: ../../ in the repository, rust/ in an sdist.
- The sdist carries the crate as `cargo package` packs it (the published crate: its
  sources, the wire schema and Cargo.lock), so it builds on any machine with Rust.
- The wheel is tagged py3-none-<platform>: the package uses no Python C API, so one
  wheel serves every Python 3 on that platform. $HAMUSTRO_WHEEL_PLATFORM names the
  platform (manylinux_2_17_x86_64, win_amd64) when the library was built for one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

try:  # setuptools 70.1 and later carry bdist_wheel themselves.
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
# The crate: inside an sdist, or the repository around bindings/python.
CRATE_DIRS = (HERE / "rust", HERE.parent.parent)


def crate_dir() -> Path:
    for directory in CRATE_DIRS:
        if (directory / "Cargo.toml").is_file() and (directory / "src" / "lib.rs").is_file():
            return directory
    sys.exit(f"hamustro: the Rust crate is in none of {', '.join(map(str, CRATE_DIRS))}")


def crate_version(crate: Path) -> str:
    """The version of Cargo.toml's [package] section."""
    text = (crate / "Cargo.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    version = section and re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
    if not version:
        sys.exit(f"hamustro: no [package] version in {crate / 'Cargo.toml'}")
    return version.group(1)


def library_file_name() -> str:
    """The library's file name on the platform building the package (as in _ffi.py)."""
    if sys.platform in ("win32", "cygwin"):
        return "hamustro.dll"
    if sys.platform == "darwin":
        return "libhamustro.dylib"
    return "libhamustro.so"


def cargo_build(crate: Path) -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", crate / "target"))
    command = ["cargo", "build", "--release", "--lib", "--locked",
               "--manifest-path", str(crate / "Cargo.toml")]
    print("hamustro: " + " ".join(command), flush=True)
    try:
        subprocess.run(command, check=True)
    except FileNotFoundError:
        sys.exit("hamustro: building from source needs Rust's cargo on PATH (https://rustup.rs)")
    except subprocess.CalledProcessError as error:
        sys.exit(f"hamustro: cargo build failed (exit status {error.returncode})")
    return target / "release" / library_file_name()


class BuildPyWithLibrary(build_py):
    """build_py, then the C library into hamustro/_lib/."""

    def run(self) -> None:
        super().run()
        prebuilt = os.environ.get("HAMUSTRO_PREBUILT_LIBRARY")
        library = Path(prebuilt) if prebuilt else cargo_build(crate_dir())
        if not library.is_file():
            sys.exit(f"hamustro: the library {library} is not a file")
        destination = Path(self.build_lib) / "hamustro" / "_lib"
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, destination / library.name)


class SdistWithCrate(sdist):
    """The sdist, with the crate in rust/ as `cargo package` packs it."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        crate = crate_dir()
        destination = Path(base_dir) / "rust"
        if crate == HERE / "rust":  # an sdist of an sdist: the crate is already packed
            shutil.copytree(crate, destination, dirs_exist_ok=True)
            return
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run(
                ["cargo", "package", "--quiet", "--no-verify", "--allow-dirty",
                 "--manifest-path", str(crate / "Cargo.toml"), "--target-dir", scratch],
                check=True,
            )
            packed = Path(scratch) / "package" / f"hamustro-{crate_version(crate)}.crate"
            with tarfile.open(packed) as archive:
                # The "data" filter (Python 3.12 and later backports) refuses members
                # that would land outside the directory.
                safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                archive.extractall(scratch, **safe)
            shutil.copytree(Path(scratch) / packed.name[: -len(".crate")], destination)
        # cargo's own bookkeeping of the packed crate, which a build does not read.
        for name in (".cargo_vcs_info.json", "Cargo.toml.orig"):
            if (destination / name).exists():
                (destination / name).unlink()


class PlatformWheel(bdist_wheel):
    """A py3-none-<platform> wheel: platform-specific (it holds a native library) but
    free of any Python ABI."""

    def finalize_options(self) -> None:
        platform = os.environ.get("HAMUSTRO_WHEEL_PLATFORM")
        if platform:
            self.plat_name = platform
        super().finalize_options()

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class DistributionWithLibrary(Distribution):
    """Not pure: the files go to the wheel's root (platlib), beside the native library."""

    def has_ext_modules(self) -> bool:
        return True


setup(
    distclass=DistributionWithLibrary,
    version=crate_version(crate_dir()),
    cmdclass={"build_py": BuildPyWithLibrary, "sdist": SdistWithCrate,
              "bdist_wheel": PlatformWheel},
)
