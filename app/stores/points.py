"""What a series is made of: points, deltas, counts, and how a point is packed in columns.

A point's anomaly flag and source share one byte (``meta = 4 * source code + flag code``),
so a point costs 25 bytes in the columns of :mod:`app.stores.column` and no Python object;
:class:`Point` objects are built only when a page or the export reads them.

Dedupe key, cheapest first: ``(ts, id)``, ``(ts, seq)``, else timestamp + value + flag +
payload (:func:`payload_key`: sorted items; canonical JSON only when the payload nests).
The timestamp is in every key, so a restarted server that reuses ``seq`` numbers is not
mistaken for a replay. The store keeps the 64-bit ``hash()`` of the key, not the key: two
different events of one stream would have to collide in 64 bits to be confused (odds
around 1e-10 for a full stream), and it halves the memory a point costs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from app.slots import slot_setter
from app.stores.types import Source

DAY_MS = 86_400_000
NAN = math.nan


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a merged series; ``normalized`` is None only for a gap marker."""

    ts_ms: int
    normalized: float | None
    flag: str | None
    source: Source
    raw: float | None = None
    """The stream's own value (events per bucket, an amount...) where the source gave one."""


@dataclass(frozen=True, slots=True)
class Delta:
    """What a page must do to catch up with a series since the version it holds.

    ``reset``: replace everything with ``points``. Otherwise drop ``trimmed`` points from
    the front (retention and cap evictions), then append ``points``. Keep ``version``.
    """

    version: int
    reset: bool
    points: list[Point]
    trimmed: int = 0


@dataclass(frozen=True, slots=True)
class StreamStats:
    """Counts for a status line: history (history + backfill) and live (live + catch-up)."""

    history_points: int
    live_points: int
    first_ts_ms: int | None
    last_ts_ms: int | None


# --- packed flag and source ---------------------------------------------------------------

FLAGS: tuple[str | None, ...] = (None, "normal", "warning", "critical")
FLAG_CODE: dict[str | None, int] = {f: i for i, f in enumerate(FLAGS)}
SOURCES = tuple(Source)
SOURCE_BASE = {src: 4 * i for i, src in enumerate(SOURCES)}
"""``meta`` of a point of each source with no flag; add :data:`FLAG_CODE` for the flag."""
HISTORY_CODES = frozenset(SOURCE_BASE[s] // 4 for s in (Source.HISTORY, Source.BACKFILL))
LIVE_CODES = frozenset(SOURCE_BASE[s] // 4 for s in (Source.LIVE, Source.CATCHUP, Source.ROLLUP))
"""Sources counted as live points; these are also what roll-ups fold."""
ROLLUP_CODE = SOURCE_BASE[Source.ROLLUP] // 4
SERVER_TIME = frozenset({Source.LIVE, Source.CATCHUP, Source.BACKFILL})
"""Sources whose timestamps say what the server has delivered (history is a model)."""
HISTORY_METAS = tuple(4 * code + f for code in HISTORY_CODES for f in range(4))
LIVE_METAS = tuple(4 * code + f for code in LIVE_CODES for f in range(4))
_UNPACK = tuple((FLAGS[m % 4], SOURCES[m // 4]) for m in range(4 * len(SOURCES)))

_set_ts, _set_normalized, _set_flag, _set_source, _set_raw = (
    slot_setter(Point, name) for name in ("ts_ms", "normalized", "flag", "source", "raw")
)


def point(ts: int, value: float, meta: int, raw: float) -> Point:
    """A :class:`Point` from packed columns, filling the slots directly (half the cost)."""
    flag, source = _UNPACK[meta]
    p = object.__new__(Point)
    _set_ts(p, ts)
    _set_normalized(p, None if value != value else value)  # NaN stands for None
    _set_flag(p, flag)
    _set_source(p, source)
    _set_raw(p, None if raw != raw else raw)
    return p


def raw_value(value: object) -> float:
    """A point's raw value from the wire: a finite number, else NaN (never raises)."""
    if value.__class__ is float:
        return value if value - value == 0 else NAN
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return NAN
    return NAN


def rank(value: float, meta: int) -> tuple[bool, float, int]:
    """Order of points sharing one timestamp, so arrival order never matters."""
    missing = value != value
    return (missing, 0.0 if missing else value, meta)


def payload_key(ts: int, value: float, flag: str | None, data: dict[str, Any] | None) -> int:
    """Key of an event without id or seq: its sorted items, or canonical JSON if nested."""
    items = tuple(sorted(data.items())) if data else ()
    try:
        return hash((ts, value, flag, items))
    except TypeError:  # nested dicts or lists: slower, so only then
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hash((ts, value, flag, text))
