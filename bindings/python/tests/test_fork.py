"""A tracker belongs to the process that created it: a forked child's calls on an
inherited tracker are refused, lose nothing of the parent's, and its own tracker works."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import signal
import threading
import time
from typing import Optional

import pytest

import hamustro

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")

# Only ever reached when a child hung: it is then killed and the test fails.
WAIT_SECONDS = 30.0


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


class _BusyParent:
    """Threads that keep the library's process-wide locks busy, as an app's would: two
    trackers tracking and delivering, trackers opened and closed, the log handler
    switched on and off. Forks land while one of them holds some lock."""

    def __init__(self, url: str, options: dict, tmp_path) -> None:
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._guarded, args=(body,), daemon=True)
            for body in (
                lambda: self._track(url, options, tmp_path / "parent-0.db"),
                lambda: self._track(url, options, tmp_path / "parent-1.db"),
                lambda: self._churn(url, options, tmp_path / "churn.db"),
                self._log,
            )
        ]
        for thread in self._threads:
            thread.start()

    def _guarded(self, body) -> None:
        try:
            body()
        except BaseException as error:  # noqa: BLE001 - reported by stop()
            self._errors.append(error)

    def _track(self, url: str, options: dict, db) -> None:
        with hamustro.Tracker(collector_url=url, **{**options, "database_path": str(db)}) as t:
            n = 0
            while not self._stop.is_set():
                t.track_event("Parent", {"n": n})
                n += 1
                if n % 50 == 0:
                    t.flush(10)

    def _churn(self, url: str, options: dict, db) -> None:
        while not self._stop.is_set():
            try:
                hamustro.Tracker(collector_url=url, **{**options, "database_path": str(db)}).close()
            except hamustro.StorageError:
                pass  # a child alive now keeps the inherited lock on the file

    def _log(self) -> None:
        while not self._stop.is_set():
            hamustro.enable_logging(logging.DEBUG)
            hamustro.disable_logging()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(WAIT_SECONDS)
        assert not self._errors, self._errors


def _child_tracks(url: str, options: dict, db: str) -> None:
    """A child's own tracker: tracks and delivers; raises on any failure."""
    with hamustro.Tracker(collector_url=url, **{**options, "database_path": db}) as own:
        own.track_event("ChildOwn")
        own.flush(20)


def _wait_bounded(pid: int, seconds: float) -> Optional[int]:
    """The child's exit code, or None after killing it when it outlived `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_child_forked_while_another_thread_closes_an_object_closes_its_own(
    collector, options, tmp_path
):
    # Another thread inside close() (holding the binding's close lock) at the moment of
    # the fork: the child's own tracker must still close. The holder lets go after a
    # while by itself, since a fork that waits for it (the fix) cannot signal it.
    from hamustro import _managed

    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with _managed._CLOSE_LOCK:
            held.set()
            done.wait(2.0)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    try:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _child_tracks(collector.url, options, str(tmp_path / "child.db"))
                code = 0
            finally:
                os._exit(code)
        outcome = _wait_bounded(pid, WAIT_SECONDS)
    finally:
        done.set()
        holder.join()
    assert outcome == 0, "None: hung and killed; 1: failed"


def test_children_forked_at_any_moment_track_with_their_own_trackers(
    collector, options, tmp_path
):
    busy = _BusyParent(collector.url, options, tmp_path)
    outcomes = []
    try:
        for i in range(40):
            time.sleep(random.random() * 0.005)
            db = str(tmp_path / f"child-{i}.db")
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    _child_tracks(collector.url, options, db)
                    code = 0
                finally:
                    os._exit(code)
            outcomes.append(_wait_bounded(pid, WAIT_SECONDS))
            if outcomes[-1] is None:
                break  # one hung child fails the test: spare the other bounds
    finally:
        busy.stop()
    assert outcomes == [0] * len(outcomes), "None: hung and killed; 1: failed"


def test_multiprocessing_fork_children_track_with_their_own_trackers(
    collector, options, tmp_path
):
    context = multiprocessing.get_context("fork")
    busy = _BusyParent(collector.url, options, tmp_path)
    codes = []
    try:
        for i in range(20):
            time.sleep(random.random() * 0.005)
            child = context.Process(
                target=_child_tracks, args=(collector.url, options, str(tmp_path / f"mp-{i}.db"))
            )
            child.start()
            child.join(WAIT_SECONDS)
            if child.is_alive():
                child.kill()
                child.join()
                codes.append(None)
                break
            else:
                codes.append(child.exitcode)
    finally:
        busy.stop()
    assert codes == [0] * len(codes), "None: hung and killed"
