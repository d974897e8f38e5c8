"""Exceptions: one class per ``hamustro_status``, chosen in one place."""

from __future__ import annotations

import builtins


class HamustroError(Exception):
    """A call into the hamustro library failed.

    ``status`` is the C API's ``hamustro_status`` value and ``message`` the library's
    explanation (it never contains the shared secret or user ids). Catch a subclass
    to handle one kind of failure.
    """

    status: int = -1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(HamustroError, ValueError):
    """An argument is out of range or malformed, or a required option is missing."""

    status = 1


class InvalidHandle(HamustroError):
    """The object is closed (or its native handle is otherwise not live)."""

    status = 2


class StorageError(HamustroError, OSError):
    """The queue database could not be opened, read or written; nothing was stored."""

    status = 3


class NetworkError(HamustroError, ConnectionError):
    """The collector could not be reached or answered 5xx; events stay queued."""

    status = 4


class RejectedError(HamustroError):
    """The collector refused the request (HTTP 4xx); events stay queued."""

    status = 5


class TimeoutError(HamustroError, builtins.TimeoutError):
    """The wait ran out; the work goes on in the background."""

    status = 6


class InternalError(HamustroError):
    """A bug in hamustro (a caught panic); please report it with the message."""

    status = 7


class DisabledError(HamustroError):
    """Tracking is switched off (:meth:`Tracker.set_enabled`): nothing may be sent.
    Queued events are kept."""

    status = 8


class OutOfResourcesError(HamustroError, MemoryError):
    """The system refused memory, a thread or address space the call needs; nothing
    was lost (no tracker was made, or the events stay queued). Retry later."""

    status = 9


_BY_STATUS = {
    cls.status: cls
    for cls in (InvalidArgument, InvalidHandle, StorageError, NetworkError,
                RejectedError, TimeoutError, InternalError, DisabledError,
                OutOfResourcesError)
}


def error_for_status(status: int, message: str) -> HamustroError:
    """The exception for a failed call's ``status`` and ``message``."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls(message)
    # A status added in a later library version than this binding knows.
    error = HamustroError(message)
    error.status = status
    return error
