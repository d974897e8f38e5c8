"""The library's log messages reach the standard logging module, and never carry a
secret, a user id or an event parameter."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

import hamustro

SECRET = "logging-secret-value"
USER_ID = "alice@example.com"
PARAMETER = "parameter-value"


@pytest.fixture
def library_logging():
    """Turns the process-wide log callback off again after the test."""
    yield
    hamustro.disable_logging()


def _deliver_and_fail(start_collector, make_tracker) -> None:
    """One delivery that succeeds, then one that fails with 500."""
    collector = start_collector(secret=SECRET)
    with make_tracker(collector.url, shared_secret_key=SECRET) as tracker:
        tracker.set_user(tenant_id="t1", user_id=USER_ID)
        tracker.set_global_parameter("global", PARAMETER)
        tracker.track_event("Logged", {"own": PARAMETER})
        tracker.flush()
    collector.events(1)

    failing = start_collector("--fail-with", "500", secret=SECRET)
    with make_tracker(failing.url, shared_secret_key=SECRET) as tracker:
        tracker.track_event("Failing")
        with pytest.raises(hamustro.NetworkError):
            tracker.flush()


def test_log_records_reach_the_hamustro_logger_without_secrets_or_user_ids(
    start_collector, make_tracker, caplog, library_logging
):
    caplog.set_level(logging.DEBUG, logger="hamustro")
    hamustro.enable_logging(logging.DEBUG)
    _deliver_and_fail(start_collector, make_tracker)

    records = [record for record in caplog.records if record.name == "hamustro"]
    assert any(record.levelno == logging.DEBUG and "delivered" in record.getMessage()
               for record in records), records
    assert any(record.levelno == logging.WARNING and "500" in record.getMessage()
               for record in records), records
    for record in records:
        for private in (SECRET, USER_ID, PARAMETER):
            assert private not in record.getMessage()


def test_the_level_limits_what_the_library_sends(
    start_collector, make_tracker, caplog, library_logging
):
    caplog.set_level(logging.DEBUG, logger="hamustro")
    hamustro.enable_logging(logging.WARNING)
    _deliver_and_fail(start_collector, make_tracker)

    levels = {record.levelno for record in caplog.records if record.name == "hamustro"}
    assert levels == {logging.WARNING}


def test_logging_is_off_by_default_and_exiting_with_it_on_is_clean(options):
    # A fresh interpreter: this one's callback has been switched on by other tests.
    script = (
        "import json, logging, sys, hamustro\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout,\n"
        "                    format='LOGGED %(message)s')\n"
        "options = dict(collector_url='http://127.0.0.1:9', **json.loads(sys.argv[1]))\n"
        "hamustro.Tracker(**options).close()\n"
        "hamustro.enable_logging(logging.DEBUG)\n"
        "hamustro.Tracker(**options).close()\n"
        "left_open = hamustro.Tracker(**options)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, json.dumps(options)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    logged = [line for line in run.stdout.splitlines() if line.startswith("LOGGED")]
    # Only the trackers created after enable_logging logged their start.
    assert sum("tracker started" in line for line in logged) == 2, run.stdout


def test_disable_logging_stops_the_records(
    start_collector, make_tracker, caplog, library_logging
):
    caplog.set_level(logging.DEBUG, logger="hamustro")
    hamustro.enable_logging(logging.DEBUG)
    hamustro.disable_logging()
    _deliver_and_fail(start_collector, make_tracker)
    assert [record for record in caplog.records if record.name == "hamustro"] == []


def test_a_raising_handler_never_reaches_the_library(
    collector, make_tracker, capfd, library_logging
):
    class Raising(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            raise RuntimeError("a broken logging setup")

    logger = logging.getLogger("hamustro")
    raising = Raising()
    logger.addFilter(raising)
    try:
        hamustro.enable_logging(logging.DEBUG)
        with make_tracker(collector.url) as tracker:
            tracker.track_event("Still.Delivered")
            tracker.flush()
        assert collector.events(1)[0]["event"] == "Still.Delivered"
    finally:
        logger.removeFilter(raising)
    assert "a broken logging setup" not in capfd.readouterr().err
