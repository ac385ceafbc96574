"""The one translation from store points to what the chart draws and the export returns.

The rows pushed to the browser (:func:`wire_rows`) and the export endpoint
(:func:`export_points`, :func:`export_csv`) are both built from :func:`chart_rows`, so
they cannot disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from app.protocol import iso_utc

SOURCES: tuple[str, ...] = ("history", "live", "catchup", "backfill", "gap")
"""Source names in the order of their compact codes (the chart sends the index)."""

FLAGS: tuple[str, ...] = ("normal", "warning", "critical")
"""Anomaly flags in the order of their compact codes."""

_SOURCE_CODE = {name: code for code, name in enumerate(SOURCES)}
_FLAG_CODE = {name: code for code, name in enumerate(FLAGS)}

CSV_HEADER = ("timestamp", "normalized", "anomalyFlag", "source")


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


class Row(NamedTuple):
    """One point as the chart shows it: ``normalized`` None is a break in the line."""

    ts_ms: int
    normalized: float | None
    flag: str | None
    source: str


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
        append(make(Row, (ts, value, flag, source)))
        last = ts
    return rows


# --- chart encoding ------------------------------------------------------------------------

WireRow = tuple[int, float | None, int, int]
"""``[ts_ms, normalized | null, source code, flag code | -1]``: one row as sent to the chart."""


def wire_rows(rows: Sequence[Row]) -> list[WireRow]:
    """The compact form of rows sent to the browser; ``livechart.js`` splits them into series."""
    return [
        (r.ts_ms, r.normalized, _SOURCE_CODE.get(r.source, 0), _FLAG_CODE.get(r.flag or "", -1))
        for r in rows
    ]


# --- export --------------------------------------------------------------------------------


def export_points(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """The export's JSON points, in the contract's field names and ISO 8601 UTC times."""
    return [
        {
            "timestamp": iso_utc(r.ts_ms),
            "normalized": r.normalized,
            "anomalyFlag": r.flag,
            "source": r.source,
        }
        for r in rows
    ]


def export_csv(rows: Sequence[Row]) -> str:
    """The export as CSV with a header row; a missing value or flag is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        value = "" if r.normalized is None else repr(r.normalized)
        writer.writerow((iso_utc(r.ts_ms), value, r.flag or "", r.source))
    return buffer.getvalue()
