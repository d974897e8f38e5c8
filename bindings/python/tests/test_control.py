"""Control over what is kept and sent: opting out, discarding the queue, capping it."""

from __future__ import annotations

import pytest

import hamustro


def test_opting_out_persists_across_a_restart_and_nothing_reaches_the_collector(
    collector, make_tracker
):
    # queue_size=1: anything stored would be sent at once.
    with make_tracker(collector.url, queue_size=1) as tracker:
        assert tracker.enabled is True
        tracker.set_enabled(False)
        assert tracker.enabled is False and tracker.stats().enabled is False
        tracker.track_event("While.Disabled")  # stores nothing, raises nothing
        with pytest.raises(hamustro.DisabledError) as caught:
            tracker.flush()
        assert caught.value.status == 8 and isinstance(caught.value, hamustro.HamustroError)

    with make_tracker(collector.url, queue_size=1) as tracker:
        assert tracker.enabled is False
        tracker.track_event("Disabled.After.Restart")
        with pytest.raises(hamustro.DisabledError):
            tracker.flush()
        assert tracker.stats().queued == 0

        tracker.set_enabled(True)
        assert tracker.enabled is True
        tracker.track_event("Enabled.Again")
        tracker.flush()

    # The first event the collector ever received is the one after opting back in.
    assert collector.events(1)[0]["event"] == "Enabled.Again"


def test_set_enabled_takes_only_a_bool(make_tracker):
    tracker = make_tracker("http://127.0.0.1:9")
    for not_a_bool in ("no", 0, None):
        with pytest.raises(TypeError):
            tracker.set_enabled(not_a_bool)
    assert tracker.enabled is True


def test_discard_queued_returns_the_count_and_the_events_never_arrive(
    collector, make_tracker, dead_url
):
    with make_tracker(dead_url) as tracker:
        for n in range(3):
            tracker.track_event("To.Discard", {"n": n})
        assert tracker.discard_queued() == 3
        assert tracker.stats().queued == 0
        assert tracker.discard_queued() == 0

    with make_tracker(collector.url) as tracker:
        tracker.track_event("Tracked.After")
        tracker.flush()
    assert collector.events(1)[0]["event"] == "Tracked.After"


def test_max_queued_events_drops_the_oldest(collector, make_tracker, dead_url):
    with make_tracker(dead_url, max_queued_events=5) as tracker:
        for n in range(8):
            tracker.track_event("Capped", {"n": n})

    # Reopened against the dead port again, so nothing is delivered while we look.
    with make_tracker(dead_url, max_queued_events=5) as tracker:
        stats = tracker.stats()
    assert (stats.queued, stats.dropped) == (5, 3)

    with make_tracker(collector.url, max_queued_events=5) as tracker:
        tracker.flush()
    assert [e["params"]["n"] for e in collector.events(5)] == ["3", "4", "5", "6", "7"]
