"""The one translation from store points to what the chart draws and the export returns.

The rows pushed to the browser (:func:`wire_rows`) and the export endpoint
(:func:`export_points`, :func:`export_csv`) are both built from :func:`chart_rows`, so
they cannot disagree. Export times are ISO 8601 in the time zone the operator chose on
screen (UTC by default), named in the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.stores.types import Source

SOURCES: tuple[str, ...] = tuple(s.value for s in Source)
"""Source names in the order of their compact codes (the chart sends the index)."""

FLAGS: tuple[str, ...] = ("normal", "warning", "critical")
"""Anomaly flags in the order of their compact codes."""

ROLLUP = Source.ROLLUP.value
_SOURCE_CODE = {name: code for code, name in enumerate(SOURCES)}
_FLAG_CODE = {name: code for code, name in enumerate(FLAGS)}

CSV_HEADER = (
    "stream",
    "timestamp",
    "normalized",
    "raw",
    "anomalyFlag",
    "source",
    "rollupBucketStart",
    "rollupEvents",
)


class Rollups(NamedTuple):
    """A stream's roll-up buckets as the export needs them: width and events per start."""

    bucket_ms: int
    events: Mapping[int, int]

    def bucket(self, ts_ms: int) -> tuple[int, int]:
        """``(bucket start ms, events it stands for)`` of a roll-up point at ``ts_ms``."""
        start = ts_ms - ts_ms % self.bucket_ms
        return start, self.events.get(start, 0)


NO_ROLLUPS = Rollups(1, {})


class PointLike(Protocol):
    """What a row needs from a store point (``app.stores.streams.Point`` fits)."""

    @property
    def ts_ms(self) -> int: ...
    @property
    def normalized(self) -> float | None: ...
    @property
    def flag(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def raw(self) -> float | None: ...


class Row(NamedTuple):
    """One point as the chart shows it: ``normalized`` None is a break in the line."""

    ts_ms: int
    normalized: float | None
    flag: str | None
    source: str
    raw: float | None = None


def chart_rows(points: Iterable[PointLike], after_ms: int | None = None) -> list[Row]:
    """Rows in time order; gap points and missing values become breaks.

    A point older than the one before it (or than ``after_ms``, the newest point already
    shown) is dropped, so appending rows to the right edge can never reorder the line.
    Distinct points sharing one millisecond are kept: the store has deduplicated them.
    """
    rows: list[Row] = []
    append = rows.append
    make = tuple.__new__  # skips NamedTuple's Python-level __new__: this runs per point
    last = after_ms
    for p in points:
        ts = p.ts_ms
        if last is not None and ts < last:
            continue
        source = p.source
        value = None if source == "gap" else p.normalized
        flag = p.flag if value is not None and p.flag in _FLAG_CODE else None
        append(make(Row, (ts, value, flag, source, p.raw)))
        last = ts
    return rows


# --- chart encoding ------------------------------------------------------------------------

WireRow = tuple[int, float | None, int, int, float | None]
"""``[ts_ms, normalized | null, source code, flag code | -1, raw | null]``: one row as sent."""


def wire_rows(rows: Sequence[Row]) -> list[WireRow]:
    """The compact form of rows sent to the browser; ``livechart.js`` splits them into series."""
    return [
        (
            r.ts_ms,
            r.normalized,
            _SOURCE_CODE.get(r.source, 0),
            _FLAG_CODE.get(r.flag or "", -1),
            r.raw,
        )
        for r in rows
    ]


# --- export --------------------------------------------------------------------------------


def zone(name: str | None) -> tuple[str, tzinfo]:
    """The time zone called ``name`` (an IANA name), UTC for none or an unknown one."""
    if name and name != "UTC":
        try:
            return name, ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return "UTC", UTC


def iso_in(ts_ms: int, tz: tzinfo) -> str:
    """ISO 8601 with milliseconds in ``tz`` (``Z`` for UTC, else the offset)."""
    text = datetime.fromtimestamp(ts_ms / 1000, tz).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if tz is UTC else text


def export_points(
    rows: Sequence[Row], tz: tzinfo = UTC, rollups: Rollups = NO_ROLLUPS
) -> list[dict[str, Any]]:
    """The export's JSON points, in the contract's field names and ISO 8601 times.

    A roll-up point (source ``rollup``: one of the few real events its bucket kept) also
    says which bucket it stands for and how many live events that bucket held."""
    out: list[dict[str, Any]] = []
    for r in rows:
        item: dict[str, Any] = {
            "timestamp": iso_in(r.ts_ms, tz),
            "normalized": r.normalized,
            "raw": r.raw,
            "anomalyFlag": r.flag,
            "source": r.source,
        }
        if r.source == ROLLUP:
            start, events = rollups.bucket(r.ts_ms)
            item["rollup"] = {
                "bucketStart": iso_in(start, tz),
                "bucketSeconds": rollups.bucket_ms / 1000,
                "events": events,
            }
        out.append(item)
    return out


def export_csv(
    series: Mapping[str, Sequence[Row]],
    tz: tzinfo = UTC,
    rollups: Mapping[str, Rollups] | None = None,
) -> str:
    """The export as CSV with a header row, one line per point of each stream in turn.

    A missing value, raw value or flag is an empty cell, as are the bucket's start and
    event count of a point that is not a roll-up.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for stream, rows in series.items():
        for r in rows:
            value = "" if r.normalized is None else repr(r.normalized)
            raw = "" if r.raw is None else repr(r.raw)
            bucket: tuple[str, str | int] = ("", "")
            if r.source == ROLLUP:
                start, events = (rollups or {}).get(stream, NO_ROLLUPS).bucket(r.ts_ms)
                bucket = (iso_in(start, tz), events)
            when = iso_in(r.ts_ms, tz)
            writer.writerow((stream, when, value, raw, r.flag or "", r.source, *bucket))
    return buffer.getvalue()


LEDGER_CSV_HEADER = ("stream", "start", "end", "seconds", "outcome", "count", "label")


def ledger_csv(entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Interruption entries (as :func:`app.stores.gaps.describe` gives them) as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LEDGER_CSV_HEADER)
    for items in entries.values():
        for e in items:
            writer.writerow(tuple(e[k] for k in LEDGER_CSV_HEADER))
    return buffer.getvalue()
