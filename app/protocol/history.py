"""Both history shapes (the contract's and the original server's) into one internal form.

The contract's shape is the big one (a week of 50 streams in 5-minute buckets is 100,800
points, 7.5 MB of JSON), so it takes a lean path: pydantic validates the body with the
points as plain dicts (:class:`~app.protocol.models.ContractPoint`, no model per point),
each distinct timestamp string is turned into epoch ms once (buckets repeat across
streams), flags come from a per-body table of normalized values, and one tight loop per
stream fills the samples' slots directly. Each stream's dicts are dropped as soon as its
samples exist, so the parse never holds both forms of the whole body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from app.protocol.models import (
    ContractHistory,
    ContractPoint,
    ErrorBody,
    ExternalEvent,
    OriginalHistory,
    StreamBaseline,
)
from app.protocol.parse import ProtocolError
from app.protocol.timestamps import datetime_ms
from app.slots import slot_setter

_CONTRACT: TypeAdapter[ContractHistory] = TypeAdapter(ContractHistory)
_ORIGINAL: TypeAdapter[OriginalHistory] = TypeAdapter(OriginalHistory)
_ERROR: TypeAdapter[ErrorBody] = TypeAdapter(ErrorBody)
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


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


_by_time = attrgetter("ts_ms")


_set_ts, _set_normalized, _set_value, _set_flag, _set_id = (
    slot_setter(HistorySample, name) for name in ("ts_ms", "normalized", "value", "flag", "id")
)


class _EpochMs(dict[str | datetime, int]):
    """Epoch ms of one body's timestamps: each distinct one is validated and converted once.

    A string is validated as pydantic validates a ``datetime`` field from JSON (same
    parser, same rules); a missing key raises ``ValidationError`` for a bad one.
    """

    __slots__ = ()

    def __missing__(self, key: str | datetime) -> int:
        ts = key if isinstance(key, datetime) else _DATETIME.validate_python(key)
        ms = self[key] = datetime_ms(ts)
        return ms


class _Flags(dict[float | None, str | None]):
    """:func:`flag_for` of one body's normalized values, computed once per distinct value."""

    __slots__ = ()

    def __missing__(self, key: float | None) -> str | None:
        flag = self[key] = None if key is None else flag_for(key)
        return flag


def parse_history(body: bytes | str) -> HistoryResult | ProtocolError:
    """Parse a 2xx history body of either shape. Never raises."""
    size = len(body)
    try:
        contract = _CONTRACT.validate_json(body)
    except ValidationError as first:
        if first.error_count() == 1 and first.errors()[0]["type"] == "json_invalid":
            return _explain(first, size)  # not JSON: the other shape cannot do better
        try:
            original = _ORIGINAL.validate_json(body)
        except ValidationError:
            return _explain(first, size)
        return _from_original(original)
    return _from_contract(contract, size)


def _explain(exc: ValidationError, size: int) -> ProtocolError:
    err = exc.errors()[0]
    if err["type"] == "json_invalid":
        return ProtocolError("invalid_json", f"history is not valid JSON: {err['msg']}", size)
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return _neither(where, err["msg"], size)


def _neither(where: str, why: str, size: int) -> ProtocolError:
    return ProtocolError("invalid_shape", f"history has neither known shape ({where}: {why})", size)


def _from_contract(h: ContractHistory, size: int) -> HistoryResult | ProtocolError:
    epoch_ms = _EpochMs()
    flags = _Flags()
    raw = h.streams
    streams: dict[str, list[HistorySample]] = {}
    for name in list(raw):
        points = raw.pop(name)  # freed once converted: the dicts and samples never all coexist
        try:
            streams[name] = _contract_samples(points, epoch_ms, flags)
        except (ValueError, OverflowError):  # a bad timestamp string (ValidationError)
            return _bad_timestamp(name, points, size)
    return HistoryResult(
        shape="contract",
        start=h.time_range.start if h.time_range else None,
        end=h.time_range.end if h.time_range else None,
        streams=streams,
        events=h.events,
        baselines=dict(h.baseline_stats or {}),
    )


def _contract_samples(
    points: list[ContractPoint], epoch_ms: _EpochMs, flags: _Flags
) -> list[HistorySample]:
    """One stream's samples in time order (stable: equal timestamps keep their order)."""
    new, sample = object.__new__, HistorySample
    set_ts, set_normalized, set_value, set_flag, set_id = (
        _set_ts,
        _set_normalized,
        _set_value,
        _set_flag,
        _set_id,
    )
    samples: list[HistorySample] = []
    append = samples.append
    last = -(2**63)
    ordered = True
    for p in points:
        ms = epoch_ms[p["timestamp"]]
        normalized = p.get("normalized")
        s = new(sample)
        set_ts(s, ms)
        set_normalized(s, normalized)
        set_value(s, p.get("value"))
        set_flag(s, flags[normalized])
        set_id(s, None)
        append(s)
        if ms < last:
            ordered = False
        last = ms
    if not ordered:
        samples.sort(key=_by_time)
    return samples


def _bad_timestamp(name: str, points: list[ContractPoint], size: int) -> ProtocolError:
    """The refusal for a stream whose points hold an unusable timestamp (the first one)."""
    for i, p in enumerate(points):
        try:
            _EpochMs()[p["timestamp"]]
        except ValidationError as exc:
            return _neither(f"streams.{name}.{i}.timestamp", exc.errors()[0]["msg"], size)
        except (ValueError, OverflowError) as exc:
            return _neither(f"streams.{name}.{i}.timestamp", str(exc), size)
    return _neither(f"streams.{name}", "unusable timestamp", size)  # pragma: no cover


def _from_original(h: OriginalHistory) -> HistoryResult:
    streams: dict[str, list[HistorySample]] = {}
    baselines: dict[str, StreamBaseline] = {}
    for name, item in h.data.items():
        samples: list[HistorySample] = []
        for ev in item.events:
            value = _raw_value((ev.get("data") or {}).get("value"))
            normalized = ev.get("normalizedValue")
            flag = ev.get("anomalyFlag")
            if flag is None and normalized is not None:
                flag = flag_for(normalized)
            samples.append(
                HistorySample(datetime_ms(ev["timestamp"]), normalized, value, flag, ev.get("id"))
            )
        samples.sort(key=lambda s: s.ts_ms)
        streams[name] = samples
        if item.baseline is not None:
            baselines[name] = item.baseline
    return HistoryResult(
        shape="original", start=h.start, end=h.end, streams=streams, baselines=baselines
    )


def _raw_value(raw: object) -> float | None:
    """An original-shape event's ``data.value`` as a finite float, else None (never raises)."""
    if not isinstance(raw, int | float):
        return None
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond the float range
        return None
    return value if math.isfinite(value) else None


def parse_error_body(body: bytes | str) -> tuple[str | None, str] | None:
    """``(code, message)`` from a REST error body of either shape, or None if it is neither."""
    try:
        err = _ERROR.validate_json(body).error
    except ValidationError:
        return None
    if isinstance(err, str):
        return None, err
    return err.code, err.message
