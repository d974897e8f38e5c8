"""Closing: idempotent, by `with` or by garbage collection; use after it raises."""

from __future__ import annotations

import gc
import importlib.metadata
import os
import re
import threading
from pathlib import Path

import pytest

import hamustro

def test_versions_come_from_the_library(repo):
    cargo = (repo / "Cargo.toml").read_text()
    version = re.search(r'^version = "(.+)"', cargo, re.MULTILINE).group(1)
    assert hamustro.__version__ == hamustro.library_version() == version


@pytest.mark.skipif(
    not os.environ.get("HAMUSTRO_TEST_INSTALLED"),
    reason="runs against an installed package (scripts/dist-test.sh sets HAMUSTRO_TEST_INSTALLED)",
)
def test_the_installed_package_carries_its_own_library_of_the_crates_version():
    from hamustro import _ffi

    package = Path(hamustro.__file__).resolve().parent
    assert "HAMUSTRO_LIBRARY" not in os.environ
    assert _ffi.library_path.resolve().parent == package / "_lib"
    # The distribution's version (from the wheel's METADATA) is the crate's.
    assert importlib.metadata.version("hamustro") == hamustro.__version__


def test_close_twice_is_fine(make_tracker):
    tracker = make_tracker("http://127.0.0.1:9")
    tracker.close()
    tracker.close()
    assert tracker.closed


def test_every_method_raises_invalid_handle_after_close(make_tracker):
    tracker = make_tracker("http://127.0.0.1:9")
    tracker.close()
    for call in (
        lambda: tracker.track_event("Late"),
        lambda: tracker.set_user("t", "u"),
        lambda: tracker.set_headers({"X-A": "b"}),
        lambda: tracker.flush(),
        lambda: tracker.set_enabled(False),
        lambda: tracker.enabled,
        lambda: tracker.discard_queued(),
        lambda: tracker.set_global_parameter("name", "value"),
        lambda: tracker.remove_global_parameter("name"),
        lambda: tracker.clear_global_parameters(),
        lambda: tracker.stats(),
    ):
        with pytest.raises(hamustro.InvalidHandle) as caught:
            call()
        assert caught.value.status == 2


def test_the_context_manager_closes(options):
    with hamustro.Tracker(collector_url="http://127.0.0.1:9", **options) as tracker:
        tracker.track_event("Inside")
    assert tracker.closed
    with pytest.raises(hamustro.InvalidHandle):
        tracker.track_event("Outside")


def test_garbage_collection_closes_and_frees_the_database(options):
    tracker = hamustro.Tracker(collector_url="http://127.0.0.1:9", **options)
    del tracker
    gc.collect()
    # The database is locked while a tracker has it open.
    hamustro.Tracker(collector_url="http://127.0.0.1:9", **options).close()


def test_closing_while_other_threads_track_is_safe(make_tracker):
    tracker = make_tracker("http://127.0.0.1:9")
    all_tracking = threading.Barrier(5)
    outcomes: list[BaseException] = []

    def track() -> None:
        tracker.track_event("Before.Close")
        all_tracking.wait()
        try:
            while True:
                tracker.track_event("Racing")
        except BaseException as error:
            outcomes.append(error)

    threads = [threading.Thread(target=track) for _ in range(4)]
    for thread in threads:
        thread.start()
    all_tracking.wait()
    tracker.close()
    for thread in threads:
        thread.join()
    assert [type(error) for error in outcomes] == [hamustro.InvalidHandle] * 4


def test_repr_names_the_tracker_but_never_the_secret(options):
    options = {**options, "shared_secret_key": "very-secret-value"}
    with hamustro.Tracker(collector_url="http://127.0.0.1:9", **options) as tracker:
        text = repr(tracker)
    assert "very-secret-value" not in text and "very-secret-value" not in repr(tracker)
    assert "python-tests" in text and "http://127.0.0.1:9" in text
    assert "closed" in repr(tracker)
