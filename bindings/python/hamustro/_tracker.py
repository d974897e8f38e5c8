"""The tracker and its configuration, as thin wrappers over the C API."""

from __future__ import annotations

import ctypes
import enum
import numbers
import operator
import os
import weakref
from itertools import chain
from typing import Literal, Mapping, Optional, SupportsIndex, Union

from . import _ffi
from ._error import InvalidArgument
from ._ffi import lib
from ._managed import Managed
from ._stats import Stats

_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1
_PAYLOAD_FORMATS = {"protobuf": 0, "json": 1}


class Environment(enum.IntEnum):
    """The environment an app build runs in (``hamustro_environment``)."""

    PRODUCTION = 0
    GENERAL_AVAILABILITY = 1
    RELEASE_TO_MARKETING = 2
    RELEASE_CANDIDATE = 3
    BETA = 4
    ALPHA = 5
    WEEKLY = 6
    NIGHTLY = 7
    STAGING = 8
    QUALITY_ASSURANCE = 9
    TESTING = 10
    DEVELOPMENT = 11


# Conversions from Python values to C arguments. They check only what C cannot see
# (types, NUL characters, integer width); everything else is the library's to judge.

def _text(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgument(f"{name} must not contain NUL characters")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidArgument(f"{name} is not valid Unicode: {error.reason}") from None


def _optional_text(value: Optional[str], name: str) -> Optional[bytes]:
    return None if value is None else _text(value, name)


def _integer(value: SupportsIndex, name: str, low: int, high: int) -> int:
    number = operator.index(value)  # TypeError for floats, strings, None
    if not low <= number <= high:
        raise InvalidArgument(f"{name} {number} is out of range ({low} to {high})")
    return number


def _flag(value: object, name: str) -> bool:
    # Strictly a bool: for a privacy switch, a truthy "no" must not mean yes.
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def _milliseconds(seconds: float, name: str) -> int:
    if not isinstance(seconds, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, not {type(seconds).__name__}")
    milliseconds = seconds * 1000
    if not 0 <= milliseconds <= _U32_MAX:  # also refuses NaN
        raise InvalidArgument(f"{name} {seconds!r} s is out of range (0 to {_U32_MAX} ms)")
    return round(milliseconds)


def _value(value: object, name: str) -> bytes:
    """A parameter or header value: str as it is, anything else through str()."""
    return _text(value if isinstance(value, str) else str(value), name)


def _keyed_text(value: object, what: str, key: object) -> bytes:
    """``_text(value, f"{what} {key!r}")``, with the name built only for an error."""
    if isinstance(value, str) and "\0" not in value:
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            pass
    return _text(value, f"{what} {key!r}")  # raises, saying what is wrong


def _pairs(mapping: Mapping[str, object], what: str) -> tuple[list[bytes], list[bytes]]:
    """The names and the values of ``mapping``, encoded, in its order. Names must be
    str; values that are not are converted with str(). Every name is checked before
    the first value is converted."""
    items = list(mapping.items())
    name_label = f"{what} name"
    names = [_keyed_text(name, name_label, name) for name, _ in items]
    values = [
        _keyed_text(value if isinstance(value, str) else str(value), what, name)
        for name, value in items
    ]
    return names, values


def _packed_event(event: object, params: Optional[Mapping[str, object]]) -> bytes:
    """``event`` and ``params`` as ``hamustro_tracker_track_event_packed`` takes them:
    the name, then each parameter's name and value, each ending with a NUL, in UTF-8.
    One buffer instead of two ctypes arrays, which ctypes fills a pointer at a time
    at a cost well above the rest of the call."""
    if params is None or type(params) is dict:
        # The common case, in one pass: every string a str (join refuses anything else)
        # without a NUL of its own (which would add a separator) that encodes. Reading
        # a dict runs no code of the caller's, so trying first changes nothing.
        strings = [event, *chain.from_iterable(params.items()), ""] if params else [event, ""]
        try:
            joined = "\0".join(strings)  # type: ignore[arg-type]  # checked by join
            if joined.count("\0") == len(strings) - 1:
                return joined.encode("utf-8")
        except (TypeError, UnicodeEncodeError):
            pass
    # Anything else one string at a time, as the checks that name the culprit go.
    name = _text(event, "event")
    names, values = _pairs(params or {}, "parameter")
    return b"\0".join([name, *chain.from_iterable(zip(names, values)), b""])


def _arrays(names: list[bytes], values: list[bytes]) -> tuple[object, object, int]:
    """C arrays of ``names`` and ``values`` (None for none), and their count."""
    if not names:
        return None, None, 0
    array = ctypes.c_char_p * len(names)
    return array(*names), array(*values), len(names)


class _Config(Managed):
    """A ``hamustro_config`` builder handle, used only while creating a tracker."""

    def __init__(self) -> None:
        handle = _ffi.ConfigHandle()
        lib.hamustro_config_new(ctypes.byref(handle))
        self._handle = handle.id

    def c_handle(self) -> _ffi.ConfigHandle:
        """The live handle as the C functions take it."""
        return _ffi.ConfigHandle(self._live_handle())

    def set_text(self, field: str, value: Optional[str]) -> None:
        """Calls ``hamustro_config_set_<field>`` unless ``value`` is None."""
        if value is not None:
            setter = getattr(lib, f"hamustro_config_set_{field}")
            setter(self.c_handle(), _text(value, field))

    def _free(self, handle: int) -> None:
        lib.hamustro_config_free(_ffi.ConfigHandle(handle))


# Trackers alive in this process, so that a forked child can tell its inherited ones.
_LIVE_TRACKERS: "weakref.WeakSet[Tracker]" = weakref.WeakSet()


def _mark_inherited_trackers() -> None:
    # Runs in the child right after os.fork(): the library refuses every call on an
    # inherited tracker; closing one then simply forgets it (its thread and files are
    # the parent's), so `with` blocks and garbage collection stay quiet in the child.
    for tracker in list(_LIVE_TRACKERS):
        tracker._inherited = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_mark_inherited_trackers)


class Tracker(Managed):
    """Tracks events and delivers them, signed, to a Hamustro collector.

    Every option maps to one ``hamustro_config_set_*`` function of the C API; see
    ``include/hamustro.h`` for the details. The options up to ``product_version``
    are required, except ``system_version`` (None: the running system's version):
    one left out makes the constructor raise :class:`InvalidArgument` naming it.
    ``None`` leaves an option at the library's default, which this binding never
    restates (see the header). ``request_timeout`` is in seconds; ``ip`` is None (detect the device's IPv4 address), "" (send none)
    or an IPv4 address; ``country`` is an ISO code (None: from the locale);
    ``system`` and ``system_language`` are None (detect them from the OS and the
    locale), "" (send none) or the value to send.

    Where the queue lives: ``database_path`` names its SQLite file;
    ``database_directory`` names only the directory, in which the library gives each
    client id a file of its own (None for both: the library's data directory).
    Giving both raises :class:`InvalidArgument`.

    Privacy and control: ``user_id_salt`` makes the library store and send
    ``sha256hex(user_id + salt)`` instead of raw user ids (keep it constant for an
    app); ``max_queued_events`` caps the queue on the device, dropping the oldest
    events beyond it; ``accept_invalid_certs_for_loopback=True``
    skips TLS certificate checks, allowed only for a collector on 127.0.0.1, ::1 or
    localhost (any other host raises :class:`InvalidArgument`).

    Networks: certificates are verified against the operating system's trust store;
    ``ca_certificates`` (PEM text, e.g. a company's private CA) adds anchors, and
    ``ca_certificates_only=True`` trusts them alone. ``proxy``
    (``"http://[user:password@]host:port"``) sends every request through that HTTP
    proxy; without it, the standard variables (``https_proxy``, ``http_proxy``,
    ``all_proxy``, ``no_proxy``) choose one, as curl does, unless
    ``proxy_from_environment=False``. A PEM or proxy URL that cannot be used raises
    :class:`InvalidArgument` naming the problem.

    All methods may be called from any thread at once. Use it as a context manager,
    or call :meth:`close`; after closing, every method raises :class:`InvalidHandle`.

    A tracker belongs to the process that created it. In a child made by
    ``os.fork()`` (``multiprocessing``'s "fork" start method, a pre-forking server)
    every method of an inherited tracker raises :class:`InvalidHandle` ("create a new
    tracker in the child"), and nothing the child does touches the parent's queue;
    :meth:`close` on it does nothing. Create a new tracker in the child, on another
    ``database_path`` (the parent's stays locked by the parent).
    """

    _inherited = False

    def __init__(
        self,
        collector_url: Optional[str] = None,
        shared_secret_key: Optional[str] = None,
        device_id: Optional[str] = None,
        client_id: Optional[str] = None,
        system_version: Optional[str] = None,
        product_version: Optional[str] = None,
        env: Union[Environment, int, None] = None,
        *,
        database_path: Union[str, "os.PathLike[str]", None] = None,
        database_directory: Union[str, "os.PathLike[str]", None] = None,
        queue_size: Optional[int] = None,
        queue_retention: Optional[int] = None,
        payload_format: Optional[Literal["protobuf", "json"]] = None,
        device_make: Optional[str] = None,
        device_model: Optional[str] = None,
        system: Optional[str] = None,
        system_language: Optional[str] = None,
        browser: Optional[str] = None,
        browser_version: Optional[str] = None,
        product_git_hash: Optional[str] = None,
        product_language: Optional[str] = None,
        request_timeout: Optional[float] = None,
        ip: Optional[str] = None,
        country: Optional[str] = None,
        user_id_salt: Optional[str] = None,
        max_queued_events: Optional[int] = None,
        accept_invalid_certs_for_loopback: Optional[bool] = None,
        ca_certificates: Optional[str] = None,
        ca_certificates_only: Optional[bool] = None,
        proxy: Optional[str] = None,
        proxy_from_environment: Optional[bool] = None,
    ) -> None:
        if database_path is not None:
            database_path = os.fsdecode(database_path)
        if database_directory is not None:
            database_directory = os.fsdecode(database_directory)
        # For __repr__ only; never the secret.
        self._described = (client_id, collector_url, database_path, database_directory)
        if payload_format is not None and payload_format not in _PAYLOAD_FORMATS:
            raise InvalidArgument(
                f"payload_format {payload_format!r} is not one of {sorted(_PAYLOAD_FORMATS)}"
            )
        with _Config() as config:
            for field, value in (
                ("collector_url", collector_url),
                ("shared_secret_key", shared_secret_key),
                ("device_id", device_id),
                ("client_id", client_id),
                ("system_version", system_version),
                ("product_version", product_version),
                ("device_make", device_make),
                ("device_model", device_model),
                ("system", system),
                ("system_language", system_language),
                ("browser", browser),
                ("browser_version", browser_version),
                ("product_git_hash", product_git_hash),
                ("product_language", product_language),
                ("database_path", database_path),
                ("database_directory", database_directory),
                ("ip", ip),
                ("country", country),
                ("user_id_salt", user_id_salt),
                ("ca_certificates", ca_certificates),
                ("proxy", proxy),
            ):
                config.set_text(field, value)
            handle = config.c_handle()
            if env is not None:
                lib.hamustro_config_set_env(handle, _integer(env, "env", -(2**31), 2**31 - 1))
            if payload_format is not None:
                lib.hamustro_config_set_payload_format(handle, _PAYLOAD_FORMATS[payload_format])
            if queue_size is not None:
                lib.hamustro_config_set_queue_size(
                    handle, _integer(queue_size, "queue_size", 0, _U32_MAX))
            if queue_retention is not None:
                lib.hamustro_config_set_queue_retention(
                    handle, _integer(queue_retention, "queue_retention", 0, _U32_MAX))
            if request_timeout is not None:
                lib.hamustro_config_set_request_timeout_ms(
                    handle, _milliseconds(request_timeout, "request_timeout"))
            if max_queued_events is not None:
                lib.hamustro_config_set_max_queued_events(
                    handle, _integer(max_queued_events, "max_queued_events", 0, _U64_MAX))
            if accept_invalid_certs_for_loopback is not None:
                lib.hamustro_config_set_accept_invalid_certs_for_loopback(
                    handle,
                    _flag(accept_invalid_certs_for_loopback, "accept_invalid_certs_for_loopback"),
                )
            if ca_certificates_only is not None:
                lib.hamustro_config_set_ca_certificates_only(
                    handle, _flag(ca_certificates_only, "ca_certificates_only"))
            if proxy_from_environment is not None:
                lib.hamustro_config_set_proxy_from_environment(
                    handle, _flag(proxy_from_environment, "proxy_from_environment"))
            tracker = _ffi.TrackerHandle()
            lib.hamustro_tracker_new(handle, ctypes.byref(tracker))
        # Built once and passed by every call. After close() _handle is 0 and calls
        # stop before C; one racing close() passes the freed id, which the library
        # refuses (InvalidHandle), as a handle built per call would.
        self._c_tracker = tracker
        self._handle = tracker.id
        _LIVE_TRACKERS.add(self)

    def track_event(self, event: str, params: Optional[Mapping[str, object]] = None) -> None:
        """Stores one event with optional parameters; returns once it is on disk.

        Parameter names must be str (TypeError otherwise); values that are not str
        are converted with ``str()``. Global parameters are added (the event's own
        win). Never waits for the network. While tracking is switched off (see
        :meth:`set_enabled`) it stores nothing and returns normally.

        Raises :class:`InvalidArgument` past a limit (the name 1 to 1024 bytes,
        the encoded event at most 256 KiB), and :class:`StorageError` when the event
        was not stored: a full disk, or 50,000 events already waiting for a database
        that refuses them (200,000 while it takes them but lags behind).
        """
        packed = _packed_event(event, params)
        lib.hamustro_tracker_track_event_packed(self._c_handle(), packed, len(packed))

    def set_user(self, tenant_id: Optional[str] = None, user_id: Optional[str] = None) -> None:
        """Sets, and persists, the tenant and user later events are attributed to.

        Both are set at once: a field given as None (or left out) is cleared.
        """
        lib.hamustro_tracker_set_user(
            self._c_handle(),
            _optional_text(tenant_id, "tenant_id"),
            _optional_text(user_id, "user_id"),
        )

    def set_headers(self, headers: Mapping[str, object]) -> None:
        """Replaces the extra HTTP headers sent with every request ({} removes them).

        Names must be str; values that are not are converted with ``str()``. Not
        persisted: set them again after creating a tracker. Raises
        :class:`InvalidArgument` for a name that is not an HTTP token, a value with a
        control character (C0 but tab, DEL, U+0080 to U+009F, U+2028, U+2029), and
        for the reserved headers: the library's own (X-Hamustro-Time,
        X-Hamustro-Signature, Content-Type) and those that change how HTTP carries
        the request (Content-Length, Content-Encoding, Transfer-Encoding, Trailer,
        TE, Connection, Keep-Alive, Upgrade, HTTP2-Settings, Host, Expect, Proxy-*).
        """
        names, values, count = _arrays(*_pairs(headers, "header"))
        lib.hamustro_tracker_set_headers(self._c_handle(), names, values, count)

    def flush(self, timeout: Optional[float] = 10.0) -> None:
        """Blocks until every event tracked so far is delivered.

        Raises :class:`NetworkError` or :class:`RejectedError` when a delivery attempt
        fails, :class:`TimeoutError` after ``timeout`` seconds (None: no limit),
        :class:`DisabledError` while tracking is switched off. Events are never
        dropped: on failure they stay queued and are retried.
        """
        milliseconds = _U32_MAX if timeout is None else _milliseconds(timeout, "timeout")
        lib.hamustro_tracker_flush(self._c_handle(), milliseconds)

    def set_enabled(self, enabled: bool) -> None:
        """Switches tracking on or off, persistently: the choice survives restarts.

        While off, :meth:`track_event` stores nothing (and does not raise), nothing
        is sent, and :meth:`flush` raises :class:`DisabledError`. Events queued
        before are kept (and sent once tracking is on again) unless you also call
        :meth:`discard_queued`. ``enabled`` must be a bool (TypeError otherwise).
        """
        lib.hamustro_tracker_set_enabled(self._c_handle(), _flag(enabled, "enabled"))

    @property
    def enabled(self) -> bool:
        """Whether tracking is switched on (see :meth:`set_enabled`)."""
        enabled = ctypes.c_bool()
        lib.hamustro_tracker_is_enabled(self._c_handle(), ctypes.byref(enabled))
        return enabled.value

    def discard_queued(self) -> int:
        """Deletes every queued event from the device (for example on a user's
        erasure request) and returns how many. A request already in flight may
        still reach the collector."""
        discarded = ctypes.c_uint64()
        lib.hamustro_tracker_discard_queued(self._c_handle(), ctypes.byref(discarded))
        return discarded.value

    def set_global_parameter(self, name: str, value: object) -> None:
        """Adds a parameter to every event tracked from now on, persistently.

        An event's own parameter of the same name wins. ``name`` must be a str;
        ``value`` None removes the parameter, any other non-str value is converted
        with ``str()``.
        """
        handle = self._c_handle()
        encoded = None if value is None else _value(value, f"global parameter {name!r}")
        lib.hamustro_tracker_set_global_parameter(
            handle, _text(name, "global parameter name"), encoded)

    def remove_global_parameter(self, name: str) -> None:
        """Removes one global parameter (nothing happens if it is not set)."""
        self.set_global_parameter(name, None)

    def clear_global_parameters(self) -> None:
        """Removes every global parameter, persistently."""
        lib.hamustro_tracker_clear_global_parameters(self._c_handle())

    def stats(self) -> Stats:
        """A snapshot of the queue and of delivery: see :class:`hamustro.Stats`.

        Read in two calls (the counters, then the last failure's message), so a
        failure happening meanwhile may show its message with the counters of the
        one before. Never waits for the network.
        """
        handle = self._c_handle()
        raw = _ffi.HamustroStats(size=ctypes.sizeof(_ffi.HamustroStats))
        lib.hamustro_tracker_get_stats(handle, ctypes.byref(raw))
        return Stats._from_c(raw, _ffi.last_delivery_error(handle))

    def close(self) -> None:
        """Stops the tracker; queued events stay on disk for the next tracker.

        Waits for a request in progress (at most the request timeout), and closes
        the queue's files before it returns: a new tracker may open the same
        database at once. Calling it again does nothing; in a forked child, closing
        an inherited tracker does nothing either.
        """
        if self._inherited:
            self._handle = 0
            return
        super().close()

    def _c_handle(self) -> _ffi.TrackerHandle:
        if not self._handle:
            self._live_handle()  # raises InvalidHandle
        return self._c_tracker

    def _free(self, handle: int) -> None:
        lib.hamustro_tracker_free(_ffi.TrackerHandle(handle))

    def __repr__(self) -> str:
        client_id, collector_url, database_path, database_directory = getattr(
            self, "_described", (None,) * 4)
        database = "" if database_path is None else f" database_path={database_path!r}"
        if database_directory is not None:
            database += f" database_directory={database_directory!r}"
        state = " closed" if self.closed else ""
        return (f"<hamustro.Tracker client_id={client_id!r} "
                f"collector_url={collector_url!r}{database}{state}>")
