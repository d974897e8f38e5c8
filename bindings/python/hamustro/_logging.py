"""The library's log messages, forwarded to the standard :mod:`logging` module.

The C library has one process-wide log callback (``hamustro_set_log_callback``). This
module owns the single Python function ever installed there: it is created once, at
import, and kept for the life of the process, because a library thread may still be
calling the previous callback just after it was replaced, and a ctypes callback
object that is garbage-collected frees the code C would jump to.
"""

from __future__ import annotations

import atexit
import logging
import operator
from typing import Optional

from . import _ffi
from ._ffi import lib

logger = logging.getLogger("hamustro")
"""The logger every library message goes to."""

# The C API's levels (1 error … 4 debug) as logging levels.
_PYTHON_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}


def _forward(level: int, message: Optional[bytes], _user_data: Optional[int]) -> None:
    # Runs on library threads (the delivery thread among them). An exception cannot
    # go anywhere useful from here, and must never reach C: drop the message instead.
    try:
        # A level added after this binding can only be more verbose than debug.
        python_level = _PYTHON_LEVELS.get(level, logging.DEBUG)
        if logger.isEnabledFor(python_level):
            # No arguments: the text is never %-formatted, whatever it contains.
            logger.log(python_level, (message or b"").decode("utf-8", errors="replace"))
    except BaseException:  # noqa: BLE001 - nothing may propagate into C
        pass


# Never replaced nor released (see the module docstring).
_CALLBACK = _ffi.LogCallback(_forward)
# A NULL HamustroLogCallback (ctypes refuses None for a function pointer argument).
_NO_CALLBACK = _ffi.LogCallback()
# Whether _CALLBACK is installed, so that exiting leaves another installer's alone.
_installed = False


def _c_level(level: int) -> int:
    """The C API's most verbose level that ``level`` lets through."""
    if level <= logging.DEBUG:
        return 4
    if level <= logging.INFO:
        return 3
    if level <= logging.WARNING:
        return 2
    return 1


def enable_logging(level: int = logging.INFO) -> None:
    """Sends the library's log messages at ``level`` and above to the ``"hamustro"``
    logger.

    The library's levels map to ERROR, WARNING, INFO and DEBUG (CRITICAL, or any
    level above WARNING, means errors only). Messages the library does not produce
    at this level are not even formatted. The records then go through
    :mod:`logging` as usual: the ``"hamustro"`` logger's level, its handlers and the
    root logger's (for example ``logging.basicConfig(level=logging.DEBUG)``) decide
    what is shown.

    Messages describe what the library does (deliveries, failures, retries,
    storage); they never contain the shared secret, user ids or event parameters.

    Logging is off until this is called. It is process-wide: it applies to every
    tracker, and replaces the log callback any other user of the library in this
    process installed. Records are emitted on the library's threads; an exception a
    handler or filter raises drops the message and never reaches the library.
    Calling it again changes the level.
    """
    global _installed
    lib.hamustro_set_log_callback(_CALLBACK, None, _c_level(operator.index(level)))
    _installed = True


def disable_logging() -> None:
    """Stops the library's log messages (the default). Process-wide, like
    :func:`enable_logging`."""
    global _installed
    lib.hamustro_set_log_callback(_NO_CALLBACK, None, 0)
    _installed = False


def _at_exit() -> None:
    # Library threads may outlive the interpreter's orderly shutdown (a tracker never
    # closed is freed during finalization); they must not call into Python then.
    if _installed:
        disable_logging()


atexit.register(_at_exit)
