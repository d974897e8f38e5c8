"""stats() reports the queue and delivery as the library sees them."""

from __future__ import annotations

import ctypes
import datetime
import re

import pytest

import hamustro
from hamustro._ffi import HamustroStats



def test_a_new_tracker_has_empty_stats(make_tracker):
    assert make_tracker("http://127.0.0.1:9").stats() == hamustro.Stats(
        queued=0, in_flight=0, delivered=0, dropped=0, last_sync_time=None,
        last_error=None, last_error_status=None, consecutive_failures=0,
        next_retry=None, enabled=True, quarantined=0)


def test_stats_report_queued_events_failures_and_deliveries(start_collector, make_tracker):
    failing = start_collector("--fail-with", "500")
    with make_tracker(failing.url) as tracker:
        tracker.track_event("First")
        tracker.track_event("Second")
        with pytest.raises(hamustro.NetworkError):
            tracker.flush()
        failed = tracker.stats()
    assert (failed.queued, failed.delivered, failed.last_sync_time) == (2, 0, None)
    assert failed.consecutive_failures >= 1
    assert failed.last_error_status == hamustro.NetworkError.status
    assert "500" in failed.last_error
    # The library backs off exponentially: at most 2**(failures - 1) seconds.
    assert failed.next_retry is not None
    assert 0 < failed.next_retry <= 2 ** (failed.consecutive_failures - 1)

    collector = start_collector()
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    with make_tracker(collector.url) as tracker:
        tracker.flush()
        delivered = tracker.stats()
    after = datetime.datetime.now(datetime.timezone.utc)
    collector.events(2)
    assert (delivered.queued, delivered.in_flight, delivered.delivered) == (0, 0, 2)
    assert (delivered.consecutive_failures, delivered.next_retry) == (0, None)
    assert (delivered.last_error, delivered.last_error_status) == (None, None)
    assert delivered.last_sync_time.utcoffset() == datetime.timedelta(0)
    assert before <= delivered.last_sync_time <= after


def test_stats_are_frozen(make_tracker):
    stats = make_tracker("http://127.0.0.1:9").stats()
    with pytest.raises(AttributeError):
        stats.queued = 1  # type: ignore[misc]


def test_the_stats_struct_mirrors_the_header(repo):
    header = (repo / "include" / "hamustro.h").read_text()
    body = re.search(r"typedef struct hamustro_stats \{(.*?)\} hamustro_stats;", header, re.S).group(1)
    declared = re.findall(r"^\s*(uint\d+)_t (\w+);", body, re.M)
    widths = {"uint32": ctypes.c_uint32, "uint64": ctypes.c_uint64}
    assert [(name, widths[kind]) for kind, name in declared] == HamustroStats._fields_
