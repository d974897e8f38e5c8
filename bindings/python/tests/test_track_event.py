"""track_event's conversions: whatever shape the parameters come in, the same strings
reach the collector, and a malformed event raises what it always raised, naming the
culprit, before anything reaches the library."""

from __future__ import annotations

import collections
import types

import pytest

import hamustro


class Recorded:
    """A value whose str() is recorded, to see whether and when it is called."""

    def __init__(self, text: str, calls: list[str]) -> None:
        self.text, self.calls = text, calls

    def __str__(self) -> str:
        self.calls.append(self.text)
        return self.text


def test_any_mapping_and_any_text_arrive_as_given(collector, make_tracker):
    tracker = make_tracker(collector.url)
    tracker.track_event("Pet.Named", {"名前": "ハムスター 🐹", "empty": ""})
    tracker.track_event("Ordered", collections.OrderedDict([("a", "1"), ("b", 2)]))
    tracker.track_event("Proxy", types.MappingProxyType({"level": 3}))
    tracker.track_event("Empty", {})
    tracker.track_event("Bare")
    tracker.flush()
    assert [(event["event"], event["params"]) for event in collector.events(5)] == [
        ("Pet.Named", {"名前": "ハムスター 🐹", "empty": ""}),
        ("Ordered", {"a": "1", "b": "2"}),
        ("Proxy", {"level": "3"}),
        ("Empty", {}),
        ("Bare", {}),
    ]


@pytest.mark.parametrize(
    ("event", "params", "error", "message"),
    [
        (b"E", None, TypeError, "event must be a str, not bytes"),
        ("E\0", None, hamustro.InvalidArgument, "event must not contain NUL characters"),
        ("\ud800", {}, hamustro.InvalidArgument,
         "event is not valid Unicode: surrogates not allowed"),
        (1, {2: "v"}, TypeError, "event must be a str, not int"),
        ("E", {"ok": "1", 2: "v"}, TypeError, "parameter name 2 must be a str, not int"),
        ("E", {b"k": "v"}, TypeError, "parameter name b'k' must be a str, not bytes"),
        ("E", {"a\0b": "v"}, hamustro.InvalidArgument,
         "parameter name 'a\\x00b' must not contain NUL characters"),
        ("E", {"k": "v\0"}, hamustro.InvalidArgument,
         "parameter 'k' must not contain NUL characters"),
        ("E", {"k": 1, "n": Recorded("\0", [])}, hamustro.InvalidArgument,
         "parameter 'n' must not contain NUL characters"),
        ("E", {"k": "\udc80"}, hamustro.InvalidArgument,
         "parameter 'k' is not valid Unicode: surrogates not allowed"),
        ("E", collections.OrderedDict(k="v\0"), hamustro.InvalidArgument,
         "parameter 'k' must not contain NUL characters"),
        ("", None, hamustro.InvalidArgument, "event name must not be empty"),
        ("E", {"": "v"}, hamustro.InvalidArgument, "parameter name must not be empty"),
    ],
)
def test_a_malformed_event_raises_naming_the_culprit(
    make_tracker, dead_url, event, params, error, message
):
    tracker = make_tracker(dead_url)
    with pytest.raises(error) as caught:
        tracker.track_event(event, params)
    assert str(caught.value) == message
    assert tracker.stats().queued == 0


def test_every_name_is_checked_before_a_value_is_converted(make_tracker, dead_url):
    tracker = make_tracker(dead_url)
    calls: list[str] = []
    with pytest.raises(TypeError):
        tracker.track_event("E", {"a": Recorded("1", calls), 2: "v"})
    assert calls == []
    tracker.track_event("E", {"a": Recorded("1", calls), "b": Recorded("2", calls)})
    assert calls == ["1", "2"], "each value is converted once, in order"


def test_arguments_are_checked_before_the_handle(make_tracker, dead_url):
    tracker = make_tracker(dead_url)
    tracker.close()
    with pytest.raises(TypeError):
        tracker.track_event(b"E")
    with pytest.raises(hamustro.InvalidHandle):
        tracker.track_event("E", {"k": "v"})
