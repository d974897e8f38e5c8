"""The base of every object that owns a native handle."""

from __future__ import annotations

import os
import threading
from typing import Any, TypeVar

from ._error import InvalidHandle

# Re-entrant: a garbage collection run while one object is closing may close another.
_CLOSE_LOCK = threading.RLock()

if hasattr(os, "register_at_fork"):
    # A forked child keeps only the thread that forked: had another thread held this
    # lock at that moment, it would stay held in the child for good, and the child's
    # first close() (of its own tracker's config, say) would hang. The forking thread
    # takes it across the fork instead, as the logging module does with its locks.
    os.register_at_fork(
        before=_CLOSE_LOCK.acquire,
        after_in_parent=_CLOSE_LOCK.release,
        after_in_child=_CLOSE_LOCK.release,
    )

_Self = TypeVar("_Self", bound="Managed")


class Managed:
    """Owns one native handle: ``close()`` frees it once, however often and from
    whichever threads it is called; ``with`` closes on exit; garbage collection
    closes quietly. Any use after closing raises :class:`InvalidHandle`."""

    # A class attribute, so that an object whose __init__ failed is simply closed.
    _handle: int = 0

    def _free(self, handle: int) -> None:
        raise NotImplementedError

    def _live_handle(self) -> int:
        handle = self._handle
        if not handle:
            raise InvalidHandle(f"this {type(self).__name__} is closed")
        return handle

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return not self._handle

    def close(self) -> None:
        """Frees the native object. Calling it again does nothing."""
        with _CLOSE_LOCK:
            handle, self._handle = self._handle, 0
        if handle:
            self._free(handle)

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing can be raised from __del__
            pass
