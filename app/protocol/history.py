"""Both history shapes (the contract's and the original server's) into one internal form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from app.protocol.models import (
    ContractHistory,
    ErrorBody,
    ExternalEvent,
    OriginalHistory,
    StreamBaseline,
)
from app.protocol.parse import ProtocolError, datetime_ms

_CONTRACT: TypeAdapter[ContractHistory] = TypeAdapter(ContractHistory)
_ORIGINAL: TypeAdapter[OriginalHistory] = TypeAdapter(OriginalHistory)
_ERROR: TypeAdapter[ErrorBody] = TypeAdapter(ErrorBody)


def flag_for(normalized: float) -> Literal["normal", "warning", "critical"]:
    """The contract's anomaly flag for a normalized value (|z| < 1 normal, < 2 warning)."""
    distance = abs(normalized - 50.0)
    if distance < 15.0:
        return "normal"
    if distance < 30.0:
        return "warning"
    return "critical"


@dataclass(frozen=True, slots=True)
class HistorySample:
    """One history point: epoch ms, the normalized 0-100 value, the raw value, the flag."""

    ts_ms: int
    normalized: float | None
    value: float | None
    flag: str | None
    id: str | None = None


@dataclass(slots=True)
class HistoryResult:
    """A history answer in the one form the rest of the dashboard uses."""

    shape: Literal["contract", "original"]
    start: datetime | None
    end: datetime | None
    streams: dict[str, list[HistorySample]]
    events: list[ExternalEvent] = field(default_factory=list)
    baselines: dict[str, StreamBaseline] = field(default_factory=dict)
    rejected: int = 0


def parse_history(body: bytes | str) -> HistoryResult | ProtocolError:
    """Parse a 2xx history body of either shape. Never raises."""
    size = len(body)
    try:
        contract = _CONTRACT.validate_json(body)
    except ValidationError as first:
        try:
            original = _ORIGINAL.validate_json(body)
        except ValidationError:
            return _explain(first, size)
        return _from_original(original)
    return _from_contract(contract)


def _explain(exc: ValidationError, size: int) -> ProtocolError:
    err = exc.errors()[0]
    if err["type"] == "json_invalid":
        return ProtocolError("invalid_json", f"history is not valid JSON: {err['msg']}", size)
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return ProtocolError(
        "invalid_shape", f"history has neither known shape ({where}: {err['msg']})", size
    )


def _from_contract(h: ContractHistory) -> HistoryResult:
    streams: dict[str, list[HistorySample]] = {}
    for name, points in h.streams.items():
        samples = [
            HistorySample(
                datetime_ms(p.timestamp),
                p.normalized,
                p.value,
                flag_for(p.normalized) if p.normalized is not None else None,
            )
            for p in points
        ]
        samples.sort(key=lambda s: s.ts_ms)
        streams[name] = samples
    return HistoryResult(
        shape="contract",
        start=h.time_range.start if h.time_range else None,
        end=h.time_range.end if h.time_range else None,
        streams=streams,
        events=h.events,
        baselines=dict(h.baseline_stats or {}),
    )


def _from_original(h: OriginalHistory) -> HistoryResult:
    streams: dict[str, list[HistorySample]] = {}
    baselines: dict[str, StreamBaseline] = {}
    for name, item in h.data.items():
        samples: list[HistorySample] = []
        for ev in item.events:
            raw = (ev.data or {}).get("value")
            value = float(raw) if isinstance(raw, int | float) else None
            flag = ev.anomaly_flag
            if flag is None and ev.normalized_value is not None:
                flag = flag_for(ev.normalized_value)
            samples.append(
                HistorySample(datetime_ms(ev.timestamp), ev.normalized_value, value, flag, ev.id)
            )
        samples.sort(key=lambda s: s.ts_ms)
        streams[name] = samples
        if item.baseline is not None:
            baselines[name] = item.baseline
    return HistoryResult(
        shape="original", start=h.start, end=h.end, streams=streams, baselines=baselines
    )


def parse_error_body(body: bytes | str) -> tuple[str | None, str] | None:
    """``(code, message)`` from a REST error body of either shape, or None if it is neither."""
    try:
        err = _ERROR.validate_json(body).error
    except ValidationError:
        return None
    if isinstance(err, str):
        return None, err
    return err.code, err.message
