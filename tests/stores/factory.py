"""Small builders of events and samples shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.protocol import HistorySample, StreamEvent
from app.protocol.models import STREAM_EVENT

NOW_MS = 1_795_000_000_000
"""A fixed 'now' (2026-11-18) for the injected clock."""
STREAM = "customer.tutor.search"
OTHER = "supply.tutor.signup"


def clock_at(ms: int) -> float:
    """Seconds since the epoch, as ``time.time`` returns them."""
    return ms / 1000


def event(
    ts_ms: int,
    value: float | None = 50.0,
    *,
    stream: str = STREAM,
    id: str | None = None,
    seq: int | None = None,
    data: dict[str, Any] | None = None,
    flag: str | None = "normal",
) -> StreamEvent:
    """A StreamEvent at ``ts_ms`` built as the parser would build it."""
    return STREAM_EVENT.validate_python(
        {
            "stream": stream,
            "timestamp": datetime.fromtimestamp(ts_ms / 1000, UTC),
            "data": data if data is not None else {"n": 1},
            "normalizedValue": value,
            "anomalyFlag": flag,
            "id": id,
            "seq": seq,
        }
    )


def sample(ts_ms: int, value: float | None = 50.0, *, id: str | None = None) -> HistorySample:
    """A history bucket at ``ts_ms``."""
    return HistorySample(ts_ms, value, None if value is None else value / 10, "normal", id)
