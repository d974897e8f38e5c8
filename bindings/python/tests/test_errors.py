"""Every failure is an exception of the class its status names, with the library's
message."""

from __future__ import annotations

import builtins
import pickle
import socket
import time

import pytest

import hamustro
from hamustro._error import error_for_status


def test_each_status_has_its_class():
    expected = {
        1: (hamustro.InvalidArgument, ValueError),
        2: (hamustro.InvalidHandle, hamustro.HamustroError),
        3: (hamustro.StorageError, OSError),
        4: (hamustro.NetworkError, ConnectionError),
        5: (hamustro.RejectedError, hamustro.HamustroError),
        6: (hamustro.TimeoutError, builtins.TimeoutError),
        7: (hamustro.InternalError, hamustro.HamustroError),
        8: (hamustro.DisabledError, hamustro.HamustroError),
    }
    for status, (cls, builtin) in expected.items():
        error = error_for_status(status, "why")
        assert type(error) is cls and isinstance(error, builtin)
        assert (error.status, error.message, str(error)) == (status, "why", "why")
        assert isinstance(pickle.loads(pickle.dumps(error)), cls)
    unknown = error_for_status(99, "new")
    assert type(unknown) is hamustro.HamustroError and unknown.status == 99


@pytest.mark.parametrize(
    "missing",
    ["collector_url", "shared_secret_key", "device_id", "client_id", "product_version"],
)
def test_a_missing_required_option_is_named(options, missing):
    options = {"collector_url": "http://127.0.0.1:9", **options}
    del options[missing]
    with pytest.raises(hamustro.InvalidArgument, match=missing) as caught:
        hamustro.Tracker(**options)
    assert caught.value.status == 1 and isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "bad",
    [{"env": 12}, {"env": -1}, {"env": 2**40}, {"payload_format": "xml"},
     {"ip": "not-an-ip"}, {"request_timeout": 0}, {"request_timeout": -1.0},
     {"queue_size": 2**32}, {"collector_url": "ftp://example.com"},
     {"max_queued_events": 0}, {"max_queued_events": -1}, {"max_queued_events": 2**64},
     {"client_id": "nul\0inside"}, {"database_path": None, "database_directory": ""}],
)
def test_invalid_options_raise_invalid_argument(options, bad):
    with pytest.raises(hamustro.InvalidArgument):
        hamustro.Tracker(**{"collector_url": "http://127.0.0.1:9", **options, **bad})


def test_wrong_types_raise_type_error(make_tracker, options):
    with pytest.raises(TypeError):
        hamustro.Tracker(collector_url="http://127.0.0.1:9", **{**options, "env": "BETA"})
    tracker = make_tracker("http://127.0.0.1:9")
    with pytest.raises(TypeError):
        tracker.track_event("Event", {1: "one"})
    with pytest.raises(TypeError):
        tracker.set_headers({b"X-Bytes": "v"})


def test_invalid_calls_raise_invalid_argument(make_tracker):
    tracker = make_tracker("http://127.0.0.1:9")
    with pytest.raises(hamustro.InvalidArgument, match="empty"):
        tracker.track_event("")
    with pytest.raises(hamustro.InvalidArgument):
        tracker.set_headers({"Content-Type": "text/plain"})
    with pytest.raises(hamustro.InvalidArgument):
        tracker.set_headers({"Bad Name": "v"})
    with pytest.raises(hamustro.InvalidArgument):
        tracker.flush(timeout=-1)


def test_a_long_message_is_read_whole(options):
    ip = "1.2.3.4" + "9" * 1000
    with pytest.raises(hamustro.InvalidArgument) as caught:
        hamustro.Tracker(collector_url="http://127.0.0.1:9", **{**options, "ip": ip})
    assert ip in caught.value.message


def test_flush_raises_network_error_when_nothing_listens(make_tracker, dead_url):
    tracker = make_tracker(dead_url)
    tracker.track_event("Lost.Connection")
    started = time.monotonic()
    with pytest.raises(hamustro.NetworkError) as caught:
        tracker.flush(timeout=10.0)
    assert time.monotonic() - started < 10.0
    assert caught.value.status == 4 and isinstance(caught.value, ConnectionError)
    assert dead_url in caught.value.message


@pytest.mark.parametrize(
    "args, secret, status, error",
    [
        (["--fail-with", "400"], None, 400, hamustro.RejectedError),
        ([], "not-the-trackers-secret", 405, hamustro.RejectedError),
        (["--fail-with", "503"], None, 503, hamustro.NetworkError),
    ],
)
def test_collector_refusals_raise(start_collector, make_tracker, args, secret, status, error):
    collector = start_collector(*args, **({"secret": secret} if secret else {}))
    tracker = make_tracker(collector.url)
    tracker.track_event("Refused")
    with pytest.raises(error, match=str(status)):
        tracker.flush(timeout=10.0)
    assert collector.rejection()["rejected"] == status


def test_flush_raises_timeout_error_when_the_collector_never_answers(make_tracker):
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        tracker = make_tracker(f"http://127.0.0.1:{silent.getsockname()[1]}",
                               request_timeout=2.0)
        tracker.track_event("Waiting")
        with pytest.raises(hamustro.TimeoutError) as caught:
            tracker.flush(timeout=0.2)
        assert isinstance(caught.value, builtins.TimeoutError)
        tracker.close()


def test_an_unusable_database_raises_storage_error(options, tmp_path):
    (tmp_path / "a-file").write_text("")
    options = {**options, "database_path": str(tmp_path / "a-file" / "events.db")}
    with pytest.raises(hamustro.StorageError) as caught:
        hamustro.Tracker(collector_url="http://127.0.0.1:9", **options)
    assert isinstance(caught.value, OSError)


def test_a_database_in_use_raises_storage_error(make_tracker):
    make_tracker("http://127.0.0.1:9")
    with pytest.raises(hamustro.StorageError):
        make_tracker("http://127.0.0.1:9")


def test_a_database_path_and_a_database_directory_together_raise_invalid_argument(
    options, tmp_path
):
    options = {**options, "database_directory": tmp_path / "queues"}
    with pytest.raises(hamustro.InvalidArgument, match="database_path and database_directory"):
        hamustro.Tracker(collector_url="http://127.0.0.1:9", **options)
    assert not (tmp_path / "queues").exists()
