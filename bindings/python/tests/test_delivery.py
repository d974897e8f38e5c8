"""Events tracked through the binding arrive at the collector as tracked."""

from __future__ import annotations

import hashlib
import threading

import pytest

import hamustro


@pytest.mark.parametrize(
    "payload_format, content_type",
    [("protobuf", "application/protobuf"), ("json", "application/json")],
)
def test_tracked_events_arrive_with_params_and_user(
    collector, make_tracker, payload_format, content_type
):
    tracker = make_tracker(
        collector.url,
        payload_format=payload_format,
        env=hamustro.Environment.BETA,
        device_make="Apple",
        ip="10.1.2.3",
        country="HU",
    )
    tracker.set_user(tenant_id="t1", user_id="u1")
    tracker.track_event("Checkout.Completed", {"items": "3", "currency": "EUR"})
    tracker.set_user(None, None)
    tracker.track_event("App.Closed")
    tracker.flush(timeout=10.0)

    first, second = collector.events(2)
    assert (first["event"], first["nr"]) == ("Checkout.Completed", 1)
    assert first["params"] == {"items": "3", "currency": "EUR"}
    assert (first["tenant_id"], first["user_id"]) == ("t1", "u1")
    assert (second["event"], second["nr"], second["params"]) == ("App.Closed", 2, {})
    assert (second["tenant_id"], second["user_id"]) == (None, None)
    assert first["content_type"].startswith(content_type)
    assert first["device_id"] == hashlib.sha256(b"raw-device-id").hexdigest()
    assert (first["client_id"], first["system_version"], first["product_version"]) == (
        "python-tests", "14.1", "2.0.0")
    assert (first["env"], first["device_make"]) == (4, "Apple")
    assert (first["ip"], first["country"]) == ("10.1.2.3", "HU")


def test_env_accepts_a_plain_int(collector, make_tracker):
    tracker = make_tracker(collector.url, env=11)
    tracker.track_event("Started")
    tracker.flush()
    assert collector.events(1)[0]["env"] == hamustro.Environment.DEVELOPMENT


def test_non_string_param_values_are_converted_with_str(collector, make_tracker):
    tracker = make_tracker(collector.url)
    tracker.track_event("Measured", {"count": 3, "ratio": 1.5, "ok": True, "none": None})
    tracker.flush()
    assert collector.events(1)[0]["params"] == {
        "count": "3", "ratio": "1.5", "ok": "True", "none": "None"}


def test_set_headers_arrive_at_the_collector_until_removed(collector, make_tracker):
    tracker = make_tracker(collector.url)
    tracker.set_headers({"X-Api-Key": "k", "X-Build": 42})
    tracker.track_event("With.Headers")
    tracker.flush()
    headers = collector.events(1)[0]["headers"]
    assert (headers["x-api-key"], headers["x-build"]) == ("k", "42")

    tracker.set_headers({})
    tracker.track_event("Without.Headers")
    tracker.flush()
    assert "x-api-key" not in collector.events(1)[0]["headers"]


def test_nr_continues_and_unsent_events_go_out_after_restart(
    collector, make_tracker, dead_url
):
    with make_tracker(collector.url) as tracker:
        tracker.track_event("Run1.Sent")
        tracker.flush()
    [sent] = collector.events(1)

    # Nothing listens this time: the events stay in the database when it closes.
    with make_tracker(dead_url) as tracker:
        tracker.track_event("Run2.Queued", {"n": "1"})
        tracker.track_event("Run2.Queued", {"n": "2"})

    with make_tracker(collector.url) as tracker:
        tracker.flush()
        queued = collector.events(2)
        tracker.track_event("Run3.Tracked")
        tracker.flush()
        [tracked] = collector.events(1)

    assert sent["nr"] == 1
    assert [(e["event"], e["nr"], e["params"]) for e in queued] == [
        ("Run2.Queued", 2, {"n": "1"}), ("Run2.Queued", 3, {"n": "2"})]
    assert (tracked["event"], tracked["nr"]) == ("Run3.Tracked", 4)
    assert {e["session"] for e in [sent, *queued, tracked]} == {sent["session"]}


def test_eight_threads_tracking_at_once_deliver_every_event_once(collector, make_tracker):
    tracker = make_tracker(collector.url)
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def track(thread: int) -> None:
        try:
            start.wait()
            for index in range(per_thread):
                tracker.track_event("Threaded", {"thread": thread, "index": index})
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=track, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    tracker.flush(timeout=30.0)

    events = collector.events(threads * per_thread)
    assert sorted(e["nr"] for e in events) == list(range(1, threads * per_thread + 1))
    assert {(e["params"]["thread"], e["params"]["index"]) for e in events} == {
        (str(t), str(i)) for t in range(threads) for i in range(per_thread)}


def test_apps_sharing_a_database_directory_deliver_only_their_own(
    collector, make_tracker, dead_url, tmp_path
):
    # The library names each client id's file in the directory: `a.b` and `a_b`,
    # which the old file name confused, keep apart.
    directory = tmp_path / "queues"
    first = make_tracker(
        dead_url, client_id="a.b", database_path=None, database_directory=directory
    )
    second = make_tracker(
        collector.url, client_id="a_b", database_path=None, database_directory=directory
    )
    first.track_event("First.App")
    first.track_event("First.App")
    second.track_event("Second.App")
    second.flush(timeout=10.0)

    (event,) = collector.events(1)
    assert event["event"] == "Second.App"
    assert first.stats().queued == 2
    names = sorted(path.name for path in directory.glob("*.sqlite3"))
    assert len(names) == 2 and names[0].startswith("a_b-") and names[1].startswith("a_b-"), names
    assert "database_directory=" in repr(first)
