"""The C API, declared once: finding the library, every function's argtypes and
restype, and the check that turns a failed call's status into an exception.

Functions returning a ``hamustro_status`` raise through :func:`_check` (an ``errcheck``
hook, so it runs on the calling thread right after the call, while that thread's last
error message is still the call's own). Nothing else in the package talks to C.
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_bool,
    c_char_p,
    c_int32,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Callable

from ._error import error_for_status

_PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout the package is <repository>/bindings/python/hamustro.
_IN_CHECKOUT = _PACKAGE_DIR.parent.match("bindings/python")
_REPO_TARGET = _PACKAGE_DIR.parents[2] / "target" if _IN_CHECKOUT else None



def library_file_name(platform: str = sys.platform) -> str:
    """The file name the C library has on ``platform`` (a ``sys.platform`` value):
    ``hamustro.dll`` on Windows, ``libhamustro.dylib`` on Apple platforms,
    ``libhamustro.so`` elsewhere."""
    if platform in ("win32", "cygwin"):
        return "hamustro.dll"
    if platform in ("darwin", "ios"):
        return "libhamustro.dylib"
    return "libhamustro.so"


def _candidates(
    platform: str = sys.platform,
    package_dir: Path = _PACKAGE_DIR,
    repo_target: Path | None = _REPO_TARGET,
) -> list[Path]:
    """Where the library may be, in lookup order (see the README)."""
    file_name = library_file_name(platform)
    stem, suffix = os.path.splitext(file_name)
    # A build backend may name the copy after the module, e.g.
    # libhamustro.cpython-311-x86_64-linux-gnu.so or libhamustro.abi3.so.
    bundled = sorted((package_dir / "_lib").glob(f"{stem}*{suffix}"))
    candidates = bundled or [package_dir / "_lib" / file_name]
    if repo_target is not None:
        candidates += [repo_target / profile / file_name for profile in ("release", "debug")]
    return candidates


def _load() -> tuple[ctypes.CDLL, Path]:
    explicit = os.environ.get("HAMUSTRO_LIBRARY")
    if explicit:
        # An explicit choice that points nowhere is a mistake, not a cue to guess.
        if not Path(explicit).is_file():
            raise ImportError(f"HAMUSTRO_LIBRARY is {explicit!r}, which is not a file")
        return ctypes.CDLL(explicit), Path(explicit)
    candidates = _candidates()
    for path in candidates:
        if path.is_file():
            return ctypes.CDLL(str(path)), path
    looked = "\n  ".join(["$HAMUSTRO_LIBRARY (not set)", *map(str, candidates)])
    raise ImportError(
        f"cannot find the hamustro library ({library_file_name()}); looked in:\n  {looked}\n"
        "Install the package with pip, run `cargo build` in the repository, "
        "or set HAMUSTRO_LIBRARY to the library's path."
    )


lib, library_path = _load()

_BUFFER_START = 256


def _read_text(fill: Callable[[ctypes.Array[ctypes.c_char], int], int]) -> str:
    """A string the library copies out: ``fill(buffer, size)`` copies at most ``size``
    bytes and returns the full length, so a message that did not fit is read again
    with a buffer large enough."""
    size = _BUFFER_START
    while True:
        buffer = ctypes.create_string_buffer(size)
        length = fill(buffer, size)
        if length < size:
            return buffer.raw[:length].decode("utf-8", errors="replace")
        size = length + 1


def last_error_message() -> str:
    """The calling thread's last error message, however long it is."""
    return _read_text(lib.hamustro_last_error_message)


def last_delivery_error(tracker: TrackerHandle) -> str:
    """The message of the tracker's last failed delivery attempt ("" if none)."""
    def fill(buffer: ctypes.Array[ctypes.c_char], size: int) -> int:
        length = c_size_t()
        lib.hamustro_tracker_last_delivery_error(tracker, buffer, size, ctypes.byref(length))
        return length.value

    return _read_text(fill)


def _check(status: int, function: object, arguments: tuple[object, ...]) -> int:
    if status != 0:
        # Every failure records a message; the status name is a fallback, never expected.
        message = last_error_message() or lib.hamustro_status_name(status).decode()
        raise error_for_status(status, message)
    return status


class ConfigHandle(ctypes.Structure):
    """The header's ``hamustro_config``: a one-field struct, so that ctypes refuses a
    tracker handle (or a bare int) where a configuration is expected, as a C compiler
    does. A ctypes Structure rather than ``c_uint64``, although the two are passed alike
    on every platform we target: libffi then passes exactly what the header declares,
    on any ABI, instead of relying on that equivalence."""

    _fields_ = [("id", c_uint64)]


class TrackerHandle(ctypes.Structure):
    """The header's ``hamustro_tracker``; see :class:`ConfigHandle`."""

    _fields_ = [("id", c_uint64)]


_strings = POINTER(c_char_p)


class HamustroStats(ctypes.Structure):
    """The header's ``HamustroStats`` (its comments call it ``hamustro_stats``), field
    for field, in the same order and widths. Set ``size`` to
    ``ctypes.sizeof(HamustroStats)`` before passing it to ``hamustro_tracker_get_stats``."""

    _fields_ = [
        ("size", c_uint32),
        ("enabled", c_uint32),
        ("queued", c_uint64),
        ("in_flight", c_uint64),
        ("delivered", c_uint64),
        ("dropped", c_uint64),
        ("last_sync_time", c_uint64),
        ("consecutive_failures", c_uint32),
        ("last_error_status", c_uint32),
        ("next_retry_ms", c_uint64),
        ("quarantined", c_uint64),
    ]


# HamustroLogCallback: void (*)(uint32_t level, const char *message, void *user_data).
LogCallback = CFUNCTYPE(None, c_uint32, c_char_p, c_void_p)

# Every function that returns a hamustro_status, with its argument types; they raise
# on failure through _check, so callers ignore the returned status. Spelled out one by
# one, in the header's terms: tests/it/bindings.rs checks this table against
# include/hamustro.h (every function, its arity and argument types).
_STATUS_FUNCTIONS: dict[str, list[Any]] = {
    "hamustro_config_new": [POINTER(ConfigHandle)],
    "hamustro_config_free": [ConfigHandle],
    "hamustro_config_set_collector_url": [ConfigHandle, c_char_p],
    "hamustro_config_set_shared_secret_key": [ConfigHandle, c_char_p],
    "hamustro_config_set_device_id": [ConfigHandle, c_char_p],
    "hamustro_config_set_client_id": [ConfigHandle, c_char_p],
    "hamustro_config_set_system_version": [ConfigHandle, c_char_p],
    "hamustro_config_set_product_version": [ConfigHandle, c_char_p],
    "hamustro_config_set_device_make": [ConfigHandle, c_char_p],
    "hamustro_config_set_device_model": [ConfigHandle, c_char_p],
    "hamustro_config_set_system": [ConfigHandle, c_char_p],
    "hamustro_config_set_system_language": [ConfigHandle, c_char_p],
    "hamustro_config_set_browser": [ConfigHandle, c_char_p],
    "hamustro_config_set_browser_version": [ConfigHandle, c_char_p],
    "hamustro_config_set_product_git_hash": [ConfigHandle, c_char_p],
    "hamustro_config_set_product_language": [ConfigHandle, c_char_p],
    "hamustro_config_set_database_path": [ConfigHandle, c_char_p],
    "hamustro_config_set_database_directory": [ConfigHandle, c_char_p],
    "hamustro_config_set_ip": [ConfigHandle, c_char_p],
    "hamustro_config_set_country": [ConfigHandle, c_char_p],
    "hamustro_config_set_user_id_salt": [ConfigHandle, c_char_p],
    "hamustro_config_set_env": [ConfigHandle, c_int32],
    "hamustro_config_set_queue_size": [ConfigHandle, c_uint32],
    "hamustro_config_set_queue_retention": [ConfigHandle, c_uint32],
    "hamustro_config_set_payload_format": [ConfigHandle, c_uint32],
    "hamustro_config_set_request_timeout_ms": [ConfigHandle, c_uint32],
    "hamustro_config_set_max_queued_events": [ConfigHandle, c_uint64],
    "hamustro_config_set_accept_invalid_certs_for_loopback": [ConfigHandle, c_bool],
    "hamustro_config_set_ca_certificates": [ConfigHandle, c_char_p],
    "hamustro_config_set_ca_certificates_only": [ConfigHandle, c_bool],
    "hamustro_config_set_proxy": [ConfigHandle, c_char_p],
    "hamustro_config_set_proxy_from_environment": [ConfigHandle, c_bool],
    "hamustro_set_log_callback": [LogCallback, c_void_p, c_uint32],
    "hamustro_tracker_new": [ConfigHandle, POINTER(TrackerHandle)],
    "hamustro_tracker_track_event": [TrackerHandle, c_char_p, _strings, _strings, c_size_t],
    "hamustro_tracker_track_event_packed": [TrackerHandle, c_char_p, c_size_t],
    "hamustro_tracker_set_user": [TrackerHandle, c_char_p, c_char_p],
    "hamustro_tracker_set_headers": [TrackerHandle, _strings, _strings, c_size_t],
    "hamustro_tracker_flush": [TrackerHandle, c_uint32],
    "hamustro_tracker_free": [TrackerHandle],
    "hamustro_tracker_set_enabled": [TrackerHandle, c_bool],
    "hamustro_tracker_is_enabled": [TrackerHandle, POINTER(c_bool)],
    "hamustro_tracker_discard_queued": [TrackerHandle, POINTER(c_uint64)],
    "hamustro_tracker_set_global_parameter": [TrackerHandle, c_char_p, c_char_p],
    "hamustro_tracker_clear_global_parameters": [TrackerHandle],
    "hamustro_tracker_get_stats": [TrackerHandle, POINTER(HamustroStats)],
    "hamustro_tracker_last_delivery_error": [
        TrackerHandle, c_char_p, c_size_t, POINTER(c_size_t)],
}

for _name, _argtypes in _STATUS_FUNCTIONS.items():
    try:
        _function = getattr(lib, _name)
    except AttributeError:
        raise ImportError(f"{library_path} has no {_name}: it is older than this binding") from None
    _function.argtypes = _argtypes
    _function.restype = c_uint32
    _function.errcheck = _check

lib.hamustro_last_error_message.argtypes = [c_char_p, c_size_t]
lib.hamustro_last_error_message.restype = c_size_t
lib.hamustro_status_name.argtypes = [c_uint32]
lib.hamustro_status_name.restype = c_char_p
lib.hamustro_version.argtypes = []
lib.hamustro_version.restype = c_char_p
