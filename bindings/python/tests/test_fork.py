"""A tracker belongs to the process that created it: a forked child's calls on an
inherited tracker are refused, lose nothing of the parent's, and its own tracker works."""

from __future__ import annotations

import os

import pytest

import hamustro

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")


def _in_child(body) -> int:
    """Runs `body` in a forked child; its exit status (0 when body returned True)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if body() else 3
        except BaseException:  # noqa: BLE001 - the child must always _exit
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_is_refused_and_the_parent_loses_nothing(
    collector, make_tracker, options, tmp_path
):
    tracker = make_tracker(collector.url, queue_size=1000)
    for i in range(3):
        tracker.track_event("Parent", {"i": i})

    def child() -> bool:
        refused = 0
        for call in (
            lambda: tracker.track_event("Child"),
            lambda: tracker.set_user(None, "child"),
            lambda: tracker.stats(),
            lambda: tracker.flush(1),
        ):
            try:
                call()
            except hamustro.InvalidHandle as error:
                refused += "create a new tracker in the child" in str(error)
        tracker.close()  # quiet in the child; the parent's tracker is untouched
        with hamustro.Tracker(
            collector_url=collector.url,
            **{**options, "database_path": str(tmp_path / "child.db")},
        ) as own:
            own.track_event("ChildOwn")
            own.flush(30)
        return refused == 4

    assert _in_child(child) == 0
    for i in range(3, 200):
        tracker.track_event("Parent", {"i": i})
    tracker.flush(30)
    events = collector.events(201)
    parents = [e for e in events if e["event"] == "Parent"]
    assert [int(e["params"]["i"]) for e in parents] == list(range(200))
    assert [e["nr"] for e in parents] == list(range(1, 201))
    assert [e["event"] for e in events if e["event"] != "Parent"] == ["ChildOwn"]
