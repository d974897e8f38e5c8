"""Python binding of hamustro: reliable, signed event tracking for the Hamustro
collector. A thin ctypes layer over the library's C API (``include/hamustro.h``).

>>> with hamustro.Tracker(collector_url="https://t.example.com", ...) as tracker:
...     tracker.track_event("Checkout.Completed", {"items": 3})
...     tracker.flush(timeout=10.0)
"""

from ._error import (
    DisabledError,
    HamustroError,
    InternalError,
    InvalidArgument,
    InvalidHandle,
    NetworkError,
    OutOfResourcesError,
    RejectedError,
    StorageError,
    TimeoutError,
)
from ._ffi import lib as _lib
from ._logging import disable_logging, enable_logging
from ._stats import Stats
from ._tracker import Environment, Tracker


def library_version() -> str:
    """The version of the loaded native library (``hamustro_version``)."""
    version: bytes = _lib.hamustro_version()
    return version.decode()


__version__ = library_version()

__all__ = [
    "DisabledError",
    "Environment",
    "HamustroError",
    "InternalError",
    "InvalidArgument",
    "InvalidHandle",
    "NetworkError",
    "OutOfResourcesError",
    "RejectedError",
    "Stats",
    "StorageError",
    "TimeoutError",
    "Tracker",
    "disable_logging",
    "enable_logging",
    "library_version",
]
