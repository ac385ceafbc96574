"""Frame parsing: every server message of the contract, the original's shapes, and garbage."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocol import (
    BatchMessage,
    CatchupMessage,
    ErrorMessage,
    EventMessage,
    ProtocolError,
    SubscribedMessage,
    UnknownMessage,
    UnsubscribedMessage,
    event_time_ms,
    iso_utc,
    parse_frame,
    subscribe_frame,
    unsubscribe_frame,
)

EVENT = {
    "stream": "customer.tutor.search",
    "timestamp": "2026-11-26T10:00:00.000Z",
    "data": {"subject": "math", "nested": {"a": [1, 2]}},
    "normalizedValue": 61.5,
    "anomalyFlag": "normal",
}


def frame(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_subscribed_and_unsubscribed() -> None:
    """Both subscription acknowledgements parse with their topics."""
    sub = parse_frame(frame({"type": "subscribed", "topics": ["a.b", "*"]}))
    assert isinstance(sub, SubscribedMessage) and sub.topics == ["a.b", "*"]
    unsub = parse_frame(frame({"type": "unsubscribed", "topics": ["a.b"]}))
    assert isinstance(unsub, UnsubscribedMessage) and unsub.topics == ["a.b"]


def test_event_with_all_fields_and_optional_id_seq() -> None:
    """A single event keeps its payload, normalized value, flag and the optional id/seq."""
    msg = parse_frame(frame({"type": "event", "data": {**EVENT, "id": "e1", "seq": 7}}))
    assert isinstance(msg, EventMessage)
    ev = msg.data
    assert (ev["stream"], ev["normalizedValue"], ev["anomalyFlag"], ev["id"], ev["seq"]) == (
        "customer.tutor.search",
        61.5,
        "normal",
        "e1",
        7,
    )
    assert ev["data"] == EVENT["data"]
    assert event_time_ms(ev) == int(datetime(2026, 11, 26, 10, tzinfo=UTC).timestamp() * 1000)


def test_event_with_only_stream_and_timestamp() -> None:
    """Only stream and timestamp are required; a naive timestamp is taken as UTC."""
    msg = parse_frame(
        frame({"type": "event", "data": {"stream": "x.y", "timestamp": "2026-01-01T00:00:00"}})
    )
    assert isinstance(msg, EventMessage)
    assert msg.data.get("normalizedValue") is None and msg.data.get("id") is None
    assert iso_utc(msg.data["timestamp"]) == "2026-01-01T00:00:00.000Z"


def test_batch_and_catchup() -> None:
    """Batches and catch-up replays parse in order; catch-up carries its end time."""
    batch = parse_frame(
        frame({"type": "batch", "events": [EVENT, {**EVENT, "normalizedValue": 20}]})
    )
    assert isinstance(batch, BatchMessage) and len(batch.events) == 2 and batch.rejected == {}
    catchup = parse_frame(
        frame({"type": "catchup", "events": [EVENT], "catchUpEndTime": "2026-11-26T10:05:00Z"})
    )
    assert isinstance(catchup, CatchupMessage) and len(catchup.events) == 1
    assert catchup.catch_up_end_time == datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    empty = parse_frame(frame({"type": "catchup", "events": []}))
    assert isinstance(empty, CatchupMessage) and empty.events == []


def test_error_with_and_without_code() -> None:
    """Error frames parse with a code (contract) and without one (original server)."""
    with_code = parse_frame(frame({"type": "error", "code": "INVALID_TOPICS", "message": "no"}))
    assert isinstance(with_code, ErrorMessage) and with_code.code == "INVALID_TOPICS"
    original = parse_frame(frame({"type": "error", "message": "Invalid message format"}))
    assert isinstance(original, ErrorMessage) and original.code is None


def test_unknown_type_and_extra_fields_are_tolerated() -> None:
    """A type outside the contract becomes UnknownMessage; extra fields are ignored."""
    unknown = parse_frame(frame({"type": "welcome", "server": "v2"}))
    assert isinstance(unknown, UnknownMessage) and unknown.type == "welcome"
    extra = parse_frame(frame({"type": "event", "data": {**EVENT, "region": "eu"}, "x": 1}))
    assert isinstance(extra, EventMessage)


def test_batch_keeps_good_events_around_bad_ones() -> None:
    """One bad event costs that event, not the batch."""
    bad = [
        {"stream": "a.b"},  # no timestamp
        {**EVENT, "timestamp": "yesterday"},
        {**EVENT, "timestamp": "1795046400000"},  # digits: epoch time of unknown unit
        {**EVENT, "timestamp": 1795046400000},
        {**EVENT, "normalizedValue": "high"},
        {**EVENT, "anomalyFlag": "panic"},
        {**EVENT, "stream": 5},
        {**EVENT, "stream": "_example"},
        {**EVENT, "stream": "<b>x</b>.y"},
        "not an event",
    ]
    raw = frame({"type": "batch", "events": [EVENT, *bad, EVENT]})
    msg = parse_frame(raw)
    assert isinstance(msg, BatchMessage)
    assert len(msg.events) == 2
    assert msg.rejected == {"bad_event": 5, "bad_timestamp": 3, "bad_stream_name": 2}
    nan = (
        b'{"type":"catchup","events":[{"stream":"a.b","timestamp":"2026-01-01T00:00:00Z",'
        b'"normalizedValue":NaN},' + json.dumps(EVENT).encode() + b"]}"
    )
    msg2 = parse_frame(nan)
    assert isinstance(msg2, CatchupMessage) and len(msg2.events) == 1
    assert msg2.rejected == {"bad_event": 1}


MALFORMED: list[tuple[bytes, str]] = [
    (b"", "invalid_json"),
    (b"{", "invalid_json"),
    (b"not json", "invalid_json"),
    (b"\xff\xfe\x00", "invalid_json"),
    (b"[]", "invalid_shape"),
    (b"42", "invalid_shape"),
    (b'"event"', "invalid_shape"),
    (b"null", "invalid_shape"),
    (b"{}", "invalid_shape"),
    (b'{"type": 5}', "invalid_shape"),
    (b'{"type": "batch", "events": 3}', "invalid_shape"),
    (b'{"type": "subscribed", "topics": "a.b"}', "invalid_shape"),
    (b'{"type": "event"}', "bad_event"),
    (b'{"type": "event", "data": {"stream": "a.b"}}', "bad_event"),
    (b'{"type": "event", "data": {"stream": "a.b", "timestamp": "x"}}', "bad_timestamp"),
    (b'{"type": "event", "data": {"stream": "a.b", "timestamp": "1795046400"}}', "bad_timestamp"),
    (
        b'{"type": "event", "data": {"stream": "a", "timestamp": "2026-01-01T00:00:00Z"}}',
        "bad_stream_name",
    ),
    (
        b'{"type": "event", "data": {"stream": "a.b", "timestamp": "2026-01-01T00:00:00Z",'
        b' "normalizedValue": Infinity}}',
        "bad_event",
    ),
    (
        b'{"type": "event", "data": {"stream": "a.b", "timestamp": "2026-01-01T00:00:00Z",'
        b' "data": [1]}}',
        "bad_event",
    ),
]


@pytest.mark.parametrize(("raw", "kind"), MALFORMED)
def test_malformed_frames_become_typed_errors(raw: bytes, kind: str) -> None:
    """Each malformed frame gives a ProtocolError of the right kind, never an exception."""
    result = parse_frame(raw)
    assert isinstance(result, ProtocolError), result
    assert result.kind == kind
    assert result.detail


def test_binary_and_oversized_frames() -> None:
    """Binary frames and frames over the limit are refused before parsing."""
    assert parse_frame(b"\x00\x01", binary=True) == ProtocolError(
        "binary", "binary frame of 2 bytes", 2
    )
    big = frame({"type": "batch", "events": [EVENT] * 50})
    result = parse_frame(big, max_bytes=1024)
    assert isinstance(result, ProtocolError) and result.kind == "too_large"
    assert isinstance(parse_frame(big, max_bytes=len(big)), BatchMessage)


def test_client_frames() -> None:
    """subscribe and unsubscribe frames are the contract's JSON."""
    assert json.loads(subscribe_frame(["a.b", "c.*"])) == {
        "type": "subscribe",
        "topics": ["a.b", "c.*"],
    }
    ts = datetime(2026, 11, 26, 9, 30, 0, 250000, tzinfo=UTC)
    assert json.loads(subscribe_frame(["*"], ts)) == {
        "type": "subscribe",
        "topics": ["*"],
        "lastTimestamp": "2026-11-26T09:30:00.250Z",
    }
    assert json.loads(unsubscribe_frame(["a.b"])) == {"type": "unsubscribe", "topics": ["a.b"]}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
message_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["event", "batch", "catchup", "error", "subscribed", "x"])},
    optional={
        "data": json_values,
        "events": st.lists(json_values, max_size=4),
        "topics": json_values,
        "code": json_values,
        "message": json_values,
    },
)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_no_bytes_make_the_parser_raise(raw: bytes) -> None:
    """Arbitrary bytes give a message or a ProtocolError."""
    parse_frame(raw)


@settings(max_examples=400, deadline=None)
@given(message_like)
def test_no_message_shaped_json_makes_the_parser_raise(obj: dict[str, object]) -> None:
    """JSON shaped like messages but with arbitrary field values never raises."""
    result = parse_frame(json.dumps(obj).encode())
    if isinstance(result, BatchMessage | CatchupMessage):
        assert all(n > 0 for n in result.rejected.values())
