"""Global parameters: added to every event, persisted, overridden by an event's own."""

from __future__ import annotations

import pytest

import hamustro


def test_global_parameters_arrive_on_every_event_and_changes_persist(
    collector, make_tracker
):
    with make_tracker(collector.url) as tracker:
        tracker.set_global_parameter("plan", "pro")
        tracker.set_global_parameter("build", 42)
        tracker.track_event("Plain")
        tracker.track_event("Own.Wins", {"plan": "free", "items": 3})
        tracker.remove_global_parameter("build")
        tracker.track_event("Build.Removed")
        tracker.flush()
    plain, own, removed = collector.events(3)
    assert plain["params"] == {"plan": "pro", "build": "42"}
    assert own["params"] == {"plan": "free", "build": "42", "items": "3"}
    assert removed["params"] == {"plan": "pro"}

    with make_tracker(collector.url) as tracker:
        tracker.track_event("After.Restart")
        tracker.clear_global_parameters()
        tracker.track_event("Cleared")
        tracker.flush()
    restarted, cleared = collector.events(2)
    assert restarted["params"] == {"plan": "pro"}
    assert cleared["params"] == {}

    with make_tracker(collector.url) as tracker:
        tracker.track_event("Cleared.After.Restart")
        tracker.flush()
    assert collector.events(1)[0]["params"] == {}


def test_a_none_value_removes_a_global_parameter(collector, make_tracker):
    tracker = make_tracker(collector.url)
    tracker.set_global_parameter("plan", "pro")
    tracker.set_global_parameter("plan", None)
    tracker.remove_global_parameter("never-set")
    tracker.track_event("Without")
    tracker.flush()
    assert collector.events(1)[0]["params"] == {}


def test_global_parameter_names_must_be_str(make_tracker):
    tracker = make_tracker("http://127.0.0.1:9")
    with pytest.raises(TypeError):
        tracker.set_global_parameter(1, "one")
    with pytest.raises(hamustro.InvalidArgument):
        tracker.set_global_parameter("nul", "in\0side")
