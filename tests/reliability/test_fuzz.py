"""Fuzzing the parsers: 100,000 mutated real frames, 10,000 mutated history bodies, and a
hypothesis pass; nothing may escape ``parse_frame``, ``parse_history`` or the path from a
frame into the stream store (``Session.handle``)."""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from app.protocol import ProtocolError, parse_frame
from app.protocol.history import HistoryResult, parse_error_body, parse_history
from app.ratelog import RateLimitedLog
from app.stores.connection import ConnectionStore
from app.stores.streams import StreamStore
from app.stores.types import Source
from app.ws_client.heartbeat import SilenceWatch
from app.ws_client.recovery import Recovery
from app.ws_client.session import Session

from .mutations import frame_mutants, mutants, real_frames, real_history_bodies

pytestmark = pytest.mark.timeout(60)

FRAMES = 100_000
HISTORIES = 10_000
PIPELINE = 20_000
SEED = 20261126


def _replay_hint(n: int, item: bytes | str) -> str:
    return f"input #{n} (seed {SEED}): {item[:300]!r}"


def test_parse_frame_never_raises_on_100k_mutated_frames() -> None:
    """100,000 mutated real frames: each becomes a message or a ProtocolError."""
    kinds: Counter[str] = Counter()
    for n, frame in enumerate(frame_mutants(FRAMES, SEED)):
        try:
            result = parse_frame(frame)
        except Exception as exc:  # pragma: no cover - the property under test
            raise AssertionError(f"{exc!r} escaped on {_replay_hint(n, frame)}") from exc
        assert isinstance(result, ProtocolError | BaseModel), _replay_hint(n, frame)
        kinds[result.kind if isinstance(result, ProtocolError) else type(result).__name__] += 1
    assert kinds.total() == FRAMES
    # The corpus exercises both sides: usable messages of every kind, and every refusal.
    for name in ("BatchMessage", "CatchupMessage", "EventMessage", "UnknownMessage"):
        assert kinds[name] > 1_000, kinds
    for kind in ("invalid_json", "invalid_shape", "bad_event"):
        assert kinds[kind] > 500, kinds


def test_every_unmutated_frame_parses() -> None:
    """The seeds are valid: a fuzz failure is the mutation's doing, not the corpus's."""
    for frame in real_frames(random.Random(SEED)):
        assert not isinstance(parse_frame(frame), ProtocolError), frame[:200]


def test_session_pipeline_survives_mutated_frames(caplog: pytest.LogCaptureFixture) -> None:
    """20,000 mutated frames through Session.handle into a real store: nothing raises."""
    caplog.set_level(logging.ERROR)
    conn, store = ConnectionStore(), StreamStore()
    session = Session(
        None,  # type: ignore[arg-type]  # handle() never touches the link
        sink=store,
        store=conn,
        recovery=Recovery(store, window_s=300.0),
        watch=SilenceWatch(60.0),
        ratelog=RateLimitedLog(logging.getLogger("fuzz"), 60.0),
        max_frame_bytes=64 * 1024,
    )
    for n, frame in enumerate(frame_mutants(PIPELINE, SEED + 1)):
        try:
            session.handle(frame)
        except Exception as exc:  # pragma: no cover - the property under test
            raise AssertionError(f"{exc!r} escaped on {_replay_hint(n, frame)}") from exc
    assert conn.messages_received == PIPELINE
    assert conn.events_received > 1_000
    assert conn.malformed_messages > 1_000
    for name in store.stream_names():
        for point in store.series(name):
            assert point.normalized is None or math.isfinite(point.normalized)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_history_parsers_never_raise_on_10k_mutated_bodies() -> None:
    """10,000 mutated history answers and error bodies: parsed or refused, then storable."""
    store = StreamStore()
    kinds: Counter[str] = Counter()
    for n, body in enumerate(mutants(real_history_bodies(), HISTORIES, SEED)):
        try:
            result = parse_history(body)
            parse_error_body(body)
            if isinstance(result, HistoryResult):
                store.add_history(result.streams, Source.BACKFILL if n % 2 else Source.HISTORY)
        except Exception as exc:  # pragma: no cover - the property under test
            raise AssertionError(f"{exc!r} escaped on {_replay_hint(n, body)}") from exc
        kinds[result.kind if isinstance(result, ProtocolError) else result.shape] += 1
    assert kinds["contract"] > 100 and kinds["original"] > 100, kinds
    assert kinds["invalid_json"] > 100 and kinds["invalid_shape"] > 100, kinds


_HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["2026-11-26T12:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31"]),
)
_JSONISH = st.recursive(
    _HOSTILE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_EVENT = st.fixed_dictionaries(
    {},
    optional={
        "stream": st.one_of(st.sampled_from(["customer.tutor.search", ""]), _HOSTILE),
        "timestamp": _HOSTILE,
        "data": _JSONISH,
        "normalizedValue": _HOSTILE,
        "anomalyFlag": st.one_of(st.sampled_from(["normal", "warning", "critical"]), _HOSTILE),
        "id": _HOSTILE,
        "seq": _HOSTILE,
    },
)
_FRAME = st.one_of(
    st.fixed_dictionaries({"type": st.just("event"), "data": _EVENT}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["batch", "catchup"]), "events": st.lists(_EVENT, max_size=5)}
    ),
    st.dictionaries(st.text(max_size=10), _JSONISH, max_size=4),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_FRAME)
def test_parse_frame_never_raises_on_generated_structures(body: dict[str, Any]) -> None:
    """Hypothesis: frames shaped like the contract with hostile values in every field."""
    text = json.dumps(body, allow_nan=True)
    result = parse_frame(text)
    assert isinstance(result, ProtocolError | BaseModel)
    store = StreamStore()
    for events in (getattr(result, "events", None), [getattr(result, "data", None)]):
        if events and all(e is not None for e in events):
            store.add_events(events)
