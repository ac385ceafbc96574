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
import re
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from app.protocol.models import (
    ISO_PREFIX,
    ContractHistory,
    ContractPoint,
    ErrorBody,
    OriginalHistory,
    StreamBaseline,
)
from app.protocol.parse import ProtocolError, validate_events
from app.protocol.timestamps import datetime_ms
from app.protocol.topics import is_stream_name
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
    events: list[Any] = field(default_factory=list)
    """External events as they came (raw JSON objects): the external events store checks
    each one (:func:`app.protocol.external.read_external`)."""
    baselines: dict[str, StreamBaseline] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    """What the parser refused, by kind: points whose timestamp is not ISO 8601, streams
    whose name is not a dotted name, events that are not stream events."""


_by_time = attrgetter("ts_ms")


_set_ts, _set_normalized, _set_value, _set_flag, _set_id = (
    slot_setter(HistorySample, name) for name in ("ts_ms", "normalized", "value", "flag", "id")
)


BAD = -(2**63)
"""What :class:`_EpochMs` gives a timestamp that is not an ISO 8601 string."""
_ISO = re.compile(ISO_PREFIX)


class _EpochMs(dict[Any, int]):
    """Epoch ms of one body's timestamps: each distinct one is checked and converted once.

    Only ISO 8601 strings count (as live events: a number, or a string of digits that a
    datetime parser would take as epoch time, is refused); anything else maps to :data:`BAD`.
    """

    __slots__ = ()

    def __missing__(self, key: Any) -> int:
        ms = BAD
        if isinstance(key, str) and _ISO.match(key):
            try:
                ms = datetime_ms(_DATETIME.validate_python(key))
            except (ValueError, OverflowError):  # ValidationError is a ValueError
                ms = BAD
        self[key] = ms
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
    return _from_contract(contract)


def _explain(exc: ValidationError, size: int) -> ProtocolError:
    err = exc.errors()[0]
    if err["type"] == "json_invalid":
        return ProtocolError("invalid_json", f"history is not valid JSON: {err['msg']}", size)
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return _neither(where, err["msg"], size)


def _neither(where: str, why: str, size: int) -> ProtocolError:
    return ProtocolError("invalid_shape", f"history has neither known shape ({where}: {why})", size)


def _from_contract(h: ContractHistory) -> HistoryResult:
    epoch_ms = _EpochMs()
    flags = _Flags()
    raw = h.streams
    streams: dict[str, list[HistorySample]] = {}
    rejected: dict[str, int] = {}
    for name in list(raw):
        points = raw.pop(name)  # freed once converted: the dicts and samples never all coexist
        if not is_stream_name(name):
            _count(rejected, "bad_stream_name", len(points) or 1)
            continue
        samples, bad = _contract_samples(points, epoch_ms, flags)
        streams[name] = samples
        if bad:
            _count(rejected, "bad_timestamp", bad)
    return HistoryResult(
        shape="contract",
        start=h.time_range.start if h.time_range else None,
        end=h.time_range.end if h.time_range else None,
        streams=streams,
        events=h.events,
        baselines=dict(h.baseline_stats or {}),
        rejected=rejected,
    )


def _count(rejected: dict[str, int], kind: str, n: int) -> None:
    rejected[kind] = rejected.get(kind, 0) + n


def _contract_samples(
    points: list[ContractPoint], epoch_ms: _EpochMs, flags: _Flags
) -> tuple[list[HistorySample], int]:
    """One stream's samples in time order (stable: equal timestamps keep their order), and
    how many points were refused for their timestamp."""
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
    bad = 0
    for p in points:
        try:
            ms = epoch_ms[p["timestamp"]]
        except (TypeError, KeyError):  # unhashable (a list, an object) or missing
            ms = BAD
        if ms == BAD:
            bad += 1
            continue
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
    return samples, bad


def _from_original(h: OriginalHistory) -> HistoryResult:
    """Each event is filed under the stream its own ``stream`` field names, whatever key the
    server listed it under; events that are not valid stream events are refused, by kind."""
    streams: dict[str, list[HistorySample]] = {}
    baselines: dict[str, StreamBaseline] = {}
    rejected: dict[str, int] = {}
    for name, item in h.data.items():
        events, refused = validate_events(item.events)
        for kind, count in refused.items():
            _count(rejected, kind, count)
        for ev in events:
            value = _raw_value((ev.get("data") or {}).get("value"))
            normalized = ev.get("normalizedValue")
            flag = ev.get("anomalyFlag")
            if flag is None and normalized is not None:
                flag = flag_for(normalized)
            sample = HistorySample(
                datetime_ms(ev["timestamp"]), normalized, value, flag, ev.get("id")
            )
            streams.setdefault(ev["stream"], []).append(sample)
        if item.baseline is not None and is_stream_name(name):
            baselines[name] = item.baseline
    for samples in streams.values():
        samples.sort(key=_by_time)
    return HistoryResult(
        shape="original",
        start=h.start,
        end=h.end,
        streams=streams,
        baselines=baselines,
        rejected=rejected,
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
