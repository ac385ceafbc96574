"""What the simulator generated, recomputed in-process, and checks of a series against it.

The simulator is a pure function of (seed, rate, stream, slot, scenario runs): with no
scenario active, the events of any window can be regenerated here, with the same instants
and values the running simulator sent. That is the ground truth a dashboard's merged
series is compared with: "no duplicate" and "no missing event" become multiset equalities
per (timestamp, normalized value), and "nothing silently missing" means every event the
series lacks lies in a hole the series shows (a gap marker or backfilled history).
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from app.simulator import SimulatorConfig
from app.simulator.service import Simulator

Key = tuple[int, float]
"""(epoch ms, normalized value): one event as a chart point shows it."""

LIVE_SOURCES = frozenset({"live", "catchup"})
HOLE_SOURCES = frozenset({"gap", "backfill"})


@dataclass(frozen=True, slots=True)
class Row:
    """One point of a merged series (from the export, or from the store)."""

    ts_ms: int
    normalized: float | None
    source: str


@cache
def _simulator(seed: int, rate: float) -> Simulator:
    return Simulator(SimulatorConfig(seed=seed, rate=rate, prefill=False))


def model_events(stream: str, start_ms: int, end_ms: int, *, seed: int, rate: float) -> list[Key]:
    """The events the simulator emits for ``stream`` with start_ms <= ts < end_ms."""
    sim = _simulator(seed, rate)
    found = sim.catalog.get(stream)
    if found is None:
        raise KeyError(f"unknown stream {stream!r}")
    length = sim.generator.slot_ms[found.index]
    keys: list[Key] = []
    for index in range(start_ms // length, (end_ms - 1) // length + 1):
        for event in sim.generator.slot(found, index, ()).between(start_ms, end_ms):
            body = json.loads(event.json)
            keys.append((event.ts_ms, float(body["normalizedValue"])))
    return keys


def export_rows(points: Iterable[dict[str, Any]]) -> list[Row]:
    """Rows from ``GET /api/dashboard/export?format=json`` points."""
    return [
        Row(
            int(datetime.fromisoformat(p["timestamp"]).timestamp() * 1000),
            None if p["normalized"] is None else float(p["normalized"]),
            str(p["source"]),
        )
        for p in points
    ]


@dataclass
class SeriesCheck:
    """One stream's series over [start, end) compared with the model."""

    stream: str
    start_ms: int
    end_ms: int
    expected: int = 0
    present: int = 0
    duplicates: list[Key] = field(default_factory=list)
    """Events shown more often than the simulator produced them."""
    unexpected: list[Key] = field(default_factory=list)
    """Live points the simulator never produced."""
    missing: list[Key] = field(default_factory=list)
    """Events the series lacks."""
    uncovered: list[Key] = field(default_factory=list)
    """Missing events with no gap marker or backfill around them: silently missing."""
    gap_markers: int = 0
    backfill_points: int = 0

    @property
    def exact(self) -> bool:
        """Every event exactly once: no duplicate, nothing missing, nothing made up."""
        return not (self.duplicates or self.unexpected or self.missing)

    @property
    def honest(self) -> bool:
        """No duplicate, nothing made up, and whatever is missing is shown as a hole."""
        return not (self.duplicates or self.unexpected or self.uncovered)

    def summary(self) -> dict[str, Any]:
        """JSON-able figures, with a few examples of each problem."""
        return {
            "stream": self.stream,
            "expected": self.expected,
            "present": self.present,
            "duplicates": len(self.duplicates),
            "unexpected": len(self.unexpected),
            "missing": len(self.missing),
            "uncovered": len(self.uncovered),
            "gapMarkers": self.gap_markers,
            "backfillPoints": self.backfill_points,
            "examples": {
                "duplicates": self.duplicates[:3],
                "unexpected": self.unexpected[:3],
                "uncovered": self.uncovered[:3],
            },
        }


def check_series(
    stream: str, rows: Sequence[Row], start_ms: int, end_ms: int, *, seed: int, rate: float
) -> SeriesCheck:
    """Compare the live/catch-up points of ``rows`` in [start, end) with the model."""
    want = Counter(model_events(stream, start_ms, end_ms, seed=seed, rate=rate))
    inside = [r for r in rows if start_ms <= r.ts_ms < end_ms]
    got = Counter(
        (r.ts_ms, r.normalized)
        for r in inside
        if r.source in LIVE_SOURCES and r.normalized is not None
    )
    check = SeriesCheck(stream, start_ms, end_ms, expected=sum(want.values()))
    check.present = sum(min(n, want[k]) for k, n in got.items())
    check.gap_markers = sum(r.source == "gap" for r in inside)
    check.backfill_points = sum(r.source == "backfill" for r in inside)
    for key, n in sorted(got.items()):
        if key not in want:
            check.unexpected.extend([key] * n)
        elif n > want[key]:
            check.duplicates.extend([key] * (n - want[key]))
    for key, n in sorted(want.items()):
        if got[key] < n:
            check.missing.extend([key] * (n - got[key]))
    check.uncovered = _uncovered(check.missing, rows)
    return check


def _uncovered(missing: list[Key], rows: Sequence[Row]) -> list[Key]:
    """Missing events not bracketed by a hole: between the live points around a missing
    event there must be a gap marker or backfilled history, or the chart hides the loss."""
    live = sorted(r.ts_ms for r in rows if r.source in LIVE_SOURCES)
    holes = sorted(r.ts_ms for r in rows if r.source in HOLE_SOURCES)
    silent: list[Key] = []
    for key in missing:
        ts = key[0]
        i = bisect_left(live, ts)
        before = live[i - 1] if i > 0 else None
        after = live[bisect_right(live, ts)] if bisect_right(live, ts) < len(live) else None
        lo = before if before is not None else -(2**62)
        hi = after if after is not None else 2**62
        j = bisect_left(holes, lo)
        if not (j < len(holes) and holes[j] <= hi):
            silent.append(key)
    return silent
