"""History in the contract's shape, computed from the same model as live events.

Buckets start on multiples of ``interval`` (300 s by default) inside [start, end) and not
after now. A bucket's ``value`` is the model's mean rate over the bucket in events per
5-minute bucket (whatever the interval), its ``normalized`` the contract's scale of the
deviation from the seasonal expectation: the numbers a live event of that bucket carries.
No event is enumerated, so 50 streams x 7 days cost a few hundred milliseconds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.simulator.catalog import BUCKET_S, Catalog, Stream, js_weekday
from app.simulator.config import SimulatorConfig
from app.simulator.external import from_run, from_world
from app.simulator.generator import iso_ms
from app.simulator.model import Model, normalize
from app.simulator.scenarios import Run, multiplier
from app.simulator.text import EXCERPT_CHARS, excerpt
from app.simulator.world import CELLS_PER_DAY

MAX_NAMES_SHOWN = 20
"""An error lists at most this many unknown stream names, each clipped."""


class HistoryError(Exception):
    """A refused history request: HTTP status, contract code, message, optional details."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    start_s: float
    end_s: float
    streams: tuple[Stream, ...]
    interval_s: int


def _instant(params: Mapping[str, str], name: str) -> float:
    raw = params.get(name)
    if raw is None or not raw.strip():
        raise HistoryError(400, "INVALID_TIME_RANGE", f"'{name}' is required (ISO 8601)")
    try:
        instant = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise HistoryError(
            400, "INVALID_TIME_RANGE", f"'{name}' is not an ISO 8601 time: {excerpt(raw)}"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.timestamp()


def parse_query(
    params: Mapping[str, str], catalog: Catalog, config: SimulatorConfig
) -> HistoryQuery:
    """Validate ``start``, ``end``, ``streams`` and ``interval``; raises HistoryError."""
    start, end = _instant(params, "start"), _instant(params, "end")
    if end <= start:
        raise HistoryError(400, "INVALID_TIME_RANGE", "'end' must be after 'start'")
    if end - start > config.history_max_days * 86_400:
        raise HistoryError(
            400, "INVALID_TIME_RANGE", f"the window is over {config.history_max_days:g} days"
        )
    interval = BUCKET_S
    raw_interval = params.get("interval")
    if raw_interval is not None:
        try:
            interval = int(raw_interval)
        except ValueError:
            interval = 0
        if not 1 <= interval <= 86_400:
            raise HistoryError(
                400,
                "INVALID_TIME_RANGE",
                "'interval' must be a whole number of seconds, 1 to 86400",
            )
    names = [n.strip() for n in params.get("streams", "").split(",") if n.strip()]
    unknown = [n for n in names if catalog.get(n) is None]
    if unknown:
        shown = [n[:EXCERPT_CHARS] for n in unknown[:MAX_NAMES_SHOWN]]
        raise HistoryError(
            404, "STREAM_NOT_FOUND", f"unknown stream {excerpt(unknown[0])}", {"streams": shown}
        )
    streams = tuple(s for n in dict.fromkeys(names) if (s := catalog.get(n))) or catalog.streams
    points = math.ceil((end - start) / interval) * len(streams)
    if points > config.history_max_points:
        raise HistoryError(
            400,
            "INVALID_TIME_RANGE",
            f"{points} points requested, at most {config.history_max_points}: "
            "use a larger interval or fewer streams",
        )
    return HistoryQuery(start, end, streams, interval)


def build_history(model: Model, runs: tuple[Run, ...], query: HistoryQuery, now_s: float) -> bytes:
    """The contract's history body as JSON bytes (CPU-bound: run it off the event loop)."""
    interval = query.interval_s
    first = math.ceil(query.start_s / interval) * interval
    last = min(query.end_s, now_s)
    starts = list(range(first, math.floor(last) + 1, interval)) if last >= first else []
    starts = [b for b in starts if b < query.end_s]
    per = max(1, round(interval / BUCKET_S))
    times = [b + (i + 0.5) * interval / per for b in starts for i in range(per)]
    stamps = [iso_ms(b * 1000) for b in starts]
    weekend = [js_weekday(b) in model.catalog.weekend_days for b in starts]
    cells = [divmod(int(t // BUCKET_S), CELLS_PER_DAY) for t in times]
    days = sorted({d for d, _ in cells})
    seasonal: dict[tuple[bool, bool], list[float]] = {}
    parts: list[str] = []
    baselines: dict[str, Any] = {}
    for stream in query.streams:
        flags = (stream.time_of_day, stream.day_of_week)
        if flags not in seasonal:
            seasonal[flags] = [model.catalog.seasonal(stream, t) for t in times]
        seas = seasonal[flags]
        arrays = {d: model.world.cell_factors(stream.index, d) for d in days}
        factors = [arrays[d][r] for d, r in cells]
        if any(i == stream.index for run in runs for i, _ in run.factors):
            factors = [
                f * multiplier(runs, stream.index, t) for f, t in zip(factors, times, strict=True)
            ]
        scale = stream.base_rate * BUCKET_S
        if per == 1:
            values = [round(scale * s * f, 3) for s, f in zip(seas, factors, strict=True)]
            k = 15.0 / stream.variance
            raw = [50.0 + (f - 1.0) * k for f in factors]
            normals = [0.0 if n < 0.0 else 100.0 if n > 100.0 else n for n in raw]
        else:
            values, normals = _aggregate(seas, factors, per, scale, stream.variance)
        # printf-style formatting is 2-3x cheaper than round() and repr() (7 days x 50
        # streams: ~100 ms less); "%.3f" of an already rounded value gives that value back.
        points = ",".join(
            '{"timestamp":"%s","value":%.3f,"normalized":%.2f}' % row  # noqa: UP031
            for row in zip(stamps, values, normals, strict=True)
        )
        parts.append(f"{json.dumps(stream.name)}:[{points}]")
        baselines[stream.name] = baseline(stream, values, weekend)
    events = [
        from_world(e, model.catalog) for e in model.world.events_between(query.start_s, query.end_s)
    ]
    events += [from_run(r) for r in runs if r.start_s < query.end_s and r.settled_s > query.start_s]
    events.sort(key=lambda e: str(e["timestamp"]))
    time_range = {
        "start": iso_ms(int(query.start_s * 1000)),
        "end": iso_ms(int(query.end_s * 1000)),
    }
    body = (
        f'{{"timeRange":{json.dumps(time_range)},"streams":{{{",".join(parts)}}},'
        f'"events":{json.dumps(events)},"baselineStats":{json.dumps(baselines)}}}'
    )
    return body.encode()


def _aggregate(
    seas: list[float], factors: list[float], per: int, scale: float, variance: float
) -> tuple[list[float], list[float]]:
    """Values and normalized values of buckets made of ``per`` samples each."""
    values: list[float] = []
    normals: list[float] = []
    for k in range(0, len(seas), per):
        s = seas[k : k + per]
        expected = sum(s)
        actual = sum(a * b for a, b in zip(s, factors[k : k + per], strict=True))
        values.append(round(scale * actual / per, 3))
        normals.append(round(normalize((actual / expected - 1.0) / variance), 2))
    return values, normals


def _percentile(ordered: list[float], q: float) -> float:
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def baseline(stream: Stream, values: list[float], weekend: list[bool]) -> dict[str, Any]:
    """StreamBaseline of the values returned (empty series: nulls)."""
    seasonality = {
        (True, True): "daily+weekly",
        (True, False): "daily",
        (False, True): "weekly",
        (False, False): "none",
    }
    patterns: dict[str, Any] = {
        "weekdayAvg": _mean([v for v, w in zip(values, weekend, strict=True) if not w]),
        "weekendAvg": _mean([v for v, w in zip(values, weekend, strict=True) if w]),
        "trend": "stable",
        "seasonality": seasonality[(stream.time_of_day, stream.day_of_week)],
    }
    if not values:
        return {
            "name": stream.name,
            "mean": None,
            "median": None,
            "stdDev": None,
            "min": None,
            "max": None,
            "percentiles": None,
            "patterns": patterns,
        }
    ordered = sorted(values)
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    third = max(1, len(values) // 3)
    head, tail = sum(values[:third]) / third, sum(values[-third:]) / third
    if head > 0 and tail / head > 1.1:
        patterns["trend"] = "increasing"
    elif head > 0 and tail / head < 0.9:
        patterns["trend"] = "decreasing"
    return {
        "name": stream.name,
        "mean": round(mean, 3),
        "median": round(_percentile(ordered, 0.5), 3),
        "stdDev": round(std, 3),
        "min": ordered[0],
        "max": ordered[-1],
        "percentiles": {
            f"p{int(q * 100)}": round(_percentile(ordered, q), 3)
            for q in (0.25, 0.5, 0.75, 0.9, 0.95)
        },
        "patterns": patterns,
    }
