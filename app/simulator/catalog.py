"""The 50 marketplace streams and their daily and weekly patterns, loaded from catalog.json.

The catalog is package data (``app/simulator/catalog.json``), so the simulator never reads
anything outside the installed package at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

SECONDS_PER_DAY = 86_400
BUCKET_S = 300
"""The model's resolution: noise and anomalies are constant within a 5-minute cell."""


@dataclass(frozen=True, slots=True)
class Stream:
    """One stream of the catalog; ``index`` is its position, used in seeds and ``seq``."""

    index: int
    name: str
    domain: str
    events_per_day: float
    cadence: str
    variance: float
    time_of_day: bool
    day_of_week: bool

    @property
    def base_rate(self) -> float:
        """Events per second before any modulation."""
        return self.events_per_day / SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class Catalog:
    """Streams plus the hour-of-day and day-of-week multiplier tables (UTC)."""

    streams: tuple[Stream, ...]
    hour_multipliers: tuple[float, ...]
    """24 entries: the time-of-day multiplier of each UTC hour."""
    weekday_multipliers: tuple[float, ...]
    """7 entries in JavaScript ``getDay`` order (0 = Sunday)."""
    weekend_days: frozenset[int] = frozenset({0, 6})
    by_name: dict[str, Stream] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {s.name: s for s in self.streams})

    def get(self, name: str) -> Stream | None:
        """The stream called ``name``, or None."""
        return self.by_name.get(name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.streams]

    def seasonal(self, stream: Stream, epoch_s: float) -> float:
        """The time-of-day times day-of-week multiplier of ``stream`` at ``epoch_s``."""
        factor = 1.0
        if stream.time_of_day:
            factor *= self.hour_multipliers[int(epoch_s // 3600) % 24]
        if stream.day_of_week:
            factor *= self.weekday_multipliers[js_weekday(epoch_s)]
        return factor


def js_weekday(epoch_s: float) -> int:
    """JavaScript ``getDay`` of a UTC instant: 0 = Sunday ... 6 = Saturday."""
    # 1970-01-01 was a Thursday (4).
    return (int(epoch_s // SECONDS_PER_DAY) + 4) % 7


def _hours(span: list[int]) -> list[int]:
    first, last = span
    if first <= last:
        return list(range(first, last + 1))
    return list(range(first, 24)) + list(range(0, last + 1))


def build_catalog(raw: dict[str, Any]) -> Catalog:
    """A catalog from the parsed JSON document."""
    tod = raw["timeOfDay"]
    hours = [1.0] * 24
    for h in _hours(tod["peakHours"]):
        hours[h] = float(tod["peakMultiplier"])
    for h in _hours(tod["offHours"]):
        hours[h] = float(tod["offMultiplier"])
    dow = raw["dayOfWeek"]
    days = [1.0] * 7
    for d in dow["weekendDays"]:
        days[int(d)] = float(dow["weekendMultiplier"])
    streams = tuple(
        Stream(
            index=i,
            name=s["name"],
            domain=s["domain"],
            events_per_day=float(s["eventsPerDay"]),
            cadence=s["cadence"],
            variance=float(s["variance"]),
            time_of_day=bool(s["timeOfDay"]),
            day_of_week=bool(s["dayOfWeek"]),
        )
        for i, s in enumerate(raw["streams"])
    )
    weekend = frozenset(int(d) for d in dow["weekendDays"])
    return Catalog(streams, tuple(hours), tuple(days), weekend)


@cache
def load_catalog() -> Catalog:
    """The packaged catalog (read once per process)."""
    text = resources.files("app.simulator").joinpath("catalog.json").read_text("utf-8")
    return build_catalog(json.loads(text))
