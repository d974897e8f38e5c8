"""A tracker's delivery state, as one immutable value (``hamustro_tracker_get_stats``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Optional

from . import _ffi


@dataclass(frozen=True)
class Stats:
    """A snapshot of a tracker's queue and delivery, from :meth:`Tracker.stats`.

    Attributes:
        queued: Events stored on the device and not yet accepted by the collector.
        in_flight: Events in the request being sent right now.
        delivered: Events the collector accepted, over the database's lifetime.
        dropped: Events dropped because the queue reached ``max_queued_events``,
            over the database's lifetime.
        last_sync_time: When the last delivery succeeded, as a timezone-aware UTC
            :class:`datetime.datetime` (whole seconds); None if none has yet.
        last_error: The library's message for the last failed delivery attempt of
            this tracker (never the secret or a user id); None if none has failed
            since the tracker started. It stays after a later success: see
            ``consecutive_failures`` for whether delivery is failing now.
        last_error_status: The ``hamustro_status`` of that attempt (4 network,
            5 rejected…; compare with ``hamustro.NetworkError.status`` etc.); None if
            none has failed.
        consecutive_failures: Failed attempts since the last success (0: delivery
            is not failing).
        next_retry: Seconds until the next automatic attempt after a failure; None
            if none is scheduled.
        enabled: Whether tracking is switched on (:meth:`Tracker.set_enabled`).
        quarantined: Records kept aside in the database's quarantine table instead
            of being sent (undecodable, of another database, or numbered like a
            different event), over the database's lifetime; each was logged.
    """

    queued: int
    in_flight: int
    delivered: int
    dropped: int
    last_sync_time: Optional[datetime.datetime]
    last_error: Optional[str]
    last_error_status: Optional[int]
    consecutive_failures: int
    next_retry: Optional[float]
    enabled: bool
    quarantined: int

    @classmethod
    def _from_c(cls, raw: _ffi.HamustroStats, last_error: str) -> Stats:
        """Converts the C struct (0 means "none" in it) and the delivery error
        message, read in a separate call."""
        synced = raw.last_sync_time
        return cls(
            queued=raw.queued,
            in_flight=raw.in_flight,
            delivered=raw.delivered,
            dropped=raw.dropped,
            last_sync_time=(
                datetime.datetime.fromtimestamp(synced, datetime.timezone.utc)
                if synced else None
            ),
            last_error=last_error or None,
            last_error_status=raw.last_error_status or None,
            consecutive_failures=raw.consecutive_failures,
            next_retry=raw.next_retry_ms / 1000 if raw.next_retry_ms else None,
            enabled=bool(raw.enabled),
            quarantined=raw.quarantined,
        )
