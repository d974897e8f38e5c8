"""Fixtures: the development collector (target/debug/hamustro-collector) in a
subprocess, and trackers pointed at it that are closed after each test."""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import threading
from pathlib import Path

import pytest

import hamustro

# The repository (its Cargo.toml and header): around these tests, or named by
# $HAMUSTRO_SOURCE_DIR when they run from a copy against an installed package
# (scripts/dist-test.sh).
REPO = Path(os.environ.get("HAMUSTRO_SOURCE_DIR", Path(__file__).resolve().parents[3]))
COLLECTOR = Path(os.environ.get("HAMUSTRO_COLLECTOR", REPO / "target/debug/hamustro-collector"))
SECRET = "test-secret"
# Only ever reached when a test is about to fail: waiting is always on a queue.
WAIT_SECONDS = 30.0


class Collector:
    """A running `collector --jsonl`: its base URL and the lines it prints, in order."""

    def __init__(self, *args: str, secret: str = SECRET) -> None:
        if not COLLECTOR.is_file():
            pytest.fail(f"{COLLECTOR} is missing; run `cargo build -p hamustro-collector` first")
        command = [str(COLLECTOR), "--port", "0", "--secret", secret, "--jsonl", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        banner = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+?)/api/v1/track", banner)
        if not match:
            self.close()
            rest = self.process.stdout.read()
            pytest.fail(f"collector did not start: {banner}{rest}")
        self.url = match.group(1)
        self._lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                self._lines.put(json.loads(line))
            except ValueError:
                self._lines.put({"unexpected output": line})

    def next_line(self) -> dict:
        try:
            return self._lines.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            pytest.fail(f"the collector printed nothing for {WAIT_SECONDS} s")

    def events(self, count: int) -> list[dict]:
        """The next `count` accepted events; fails on anything else."""
        events = []
        while len(events) < count:
            line = self.next_line()
            if "event" not in line:
                pytest.fail(f"expected an event, the collector printed {line}")
            events.append(line)
        return events

    def rejection(self) -> dict:
        """The next line, which must report a request the collector refused."""
        line = self.next_line()
        assert "rejected" in line, line
        return line

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def start_collector():
    """start_collector(*extra_args, secret=SECRET) -> Collector, stopped afterwards."""
    started: list[Collector] = []

    def start(*args: str, secret: str = SECRET) -> Collector:
        started.append(Collector(*args, secret=secret))
        return started[-1]

    yield start
    for collector in started:
        collector.close()


@pytest.fixture
def collector(start_collector) -> Collector:
    return start_collector()


@pytest.fixture
def options(tmp_path) -> dict:
    """Complete tracker options, except collector_url."""
    return dict(
        shared_secret_key=SECRET,
        device_id="raw-device-id",
        client_id="python-tests",
        system_version="14.1",
        product_version="2.0.0",
        database_path=str(tmp_path / "events.db"),
        request_timeout=5.0,
    )


@pytest.fixture
def make_tracker(options):
    """make_tracker(url, **overrides) -> Tracker, closed after the test."""
    trackers: list[hamustro.Tracker] = []

    def make(url: str, **overrides) -> hamustro.Tracker:
        trackers.append(hamustro.Tracker(collector_url=url, **{**options, **overrides}))
        return trackers[-1]

    yield make
    for tracker in trackers:
        tracker.close()


@pytest.fixture
def dead_url() -> str:
    """A URL on a local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def repo() -> Path:
    """The repository whose Cargo.toml and header the package must agree with."""
    return REPO
