"""What leaves the device: salted user ids, TLS verification, detected system fields."""

from __future__ import annotations

import hashlib
import json
import sys

import pytest

import hamustro

USER_ID = "alice@example.com"


def test_a_salted_user_id_is_sent_hashed_and_never_raw(collector, make_tracker, tmp_path):
    with make_tracker(collector.url, user_id_salt="pepper") as tracker:
        tracker.set_user(tenant_id="t1", user_id=USER_ID)
        tracker.track_event("Signed.In")
        tracker.flush()
    [event] = collector.events(1)

    assert event["user_id"] == hashlib.sha256(f"{USER_ID}pepper".encode()).hexdigest()
    assert event["tenant_id"] == "t1"
    assert USER_ID not in json.dumps(event)
    # Nor is it stored: the queue database and its side files never hold it.
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files
    for path in files:
        assert USER_ID.encode() not in path.read_bytes(), path


def test_without_a_salt_the_user_id_is_sent_as_given(collector, make_tracker):
    tracker = make_tracker(collector.url)
    tracker.set_user(user_id=USER_ID)
    tracker.track_event("Signed.In")
    tracker.flush()
    assert collector.events(1)[0]["user_id"] == USER_ID


def test_accepting_invalid_certificates_is_refused_for_a_non_loopback_collector(options):
    with pytest.raises(hamustro.InvalidArgument, match="t.example.com|loopback|localhost"):
        hamustro.Tracker(collector_url="https://t.example.com",
                         accept_invalid_certs_for_loopback=True, **options)


def test_accepting_invalid_certificates_is_allowed_for_loopback(make_tracker):
    tracker = make_tracker("https://127.0.0.1:9", accept_invalid_certs_for_loopback=True)
    assert not tracker.closed
    with pytest.raises(TypeError):
        make_tracker("https://127.0.0.1:9", accept_invalid_certs_for_loopback="yes")


_DETECTED_SYSTEM = {"linux": "Linux", "darwin": "macOS"}


@pytest.mark.skipif(sys.platform not in _DETECTED_SYSTEM, reason="Linux or macOS only")
def test_system_and_language_are_detected_unless_given_and_empty_sends_none(
    collector, make_tracker, monkeypatch, tmp_path
):
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    with make_tracker(collector.url) as tracker:
        tracker.track_event("Detected")
        tracker.flush()
    [detected] = collector.events(1)
    assert detected["system"] == _DETECTED_SYSTEM[sys.platform]
    assert detected["system_language"] == "de-DE"

    with make_tracker(collector.url, system="", system_language="") as tracker:
        tracker.track_event("Omitted")
        tracker.flush()
    [omitted] = collector.events(1)
    assert (omitted["system"], omitted["system_language"]) == (None, None)

    with make_tracker(collector.url, system="Plan 9", system_language="eo") as tracker:
        tracker.track_event("Given")
        tracker.flush()
    [given] = collector.events(1)
    assert (given["system"], given["system_language"]) == ("Plan 9", "eo")
