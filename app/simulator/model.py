"""The rate model: lambda(stream, t) and the normalization both live events and history use.

    expected(t) = eventsPerDay / 86400 * time-of-day(t) * day-of-week(t)      (events/s)
    lambda(t)   = expected(t) * world factor(cell of t) * scenario multiplier(t)
    value(t)    = lambda(t) * 300                           (events per 5-minute bucket)
    z(t)        = (lambda(t) - expected(t)) / (expected(t) * variance)

so ``z`` is the deviation from the seasonal expectation, independent of the hour and the
weekday. ``normalized = clamp(50 + 15 z, 0, 100)`` and the flag follow PROTOCOL.md.
"""

from __future__ import annotations

from typing import Literal

from app.simulator.catalog import BUCKET_S, Catalog, Stream
from app.simulator.scenarios import Run, ScenarioBook, multiplier
from app.simulator.world import World

Flag = Literal["normal", "warning", "critical"]


def z_score(factor: float, variance: float) -> float:
    """The z of a stream running at ``factor`` times its seasonal expectation."""
    return (factor - 1.0) / variance


def normalize(z: float) -> float:
    """The contract's 0-100 scale: 50 is the expectation, 15 points per standard deviation."""
    return min(100.0, max(0.0, 50.0 + 15.0 * z))


def flag_of(z: float) -> Flag:
    """``normal`` for |z| < 1, ``warning`` for |z| < 2, ``critical`` otherwise."""
    a = abs(z)
    return "normal" if a < 1.0 else "warning" if a < 2.0 else "critical"


class Model:
    """lambda(stream, t) for one seed and one scenario book. Pure apart from the book."""

    def __init__(self, catalog: Catalog, seed: int, book: ScenarioBook) -> None:
        self.catalog = catalog
        self.seed = seed
        self.book = book
        self.world = World(catalog, seed)

    def expected(self, stream: Stream, t: float) -> float:
        """Seasonal expectation in events per second."""
        return stream.base_rate * self.catalog.seasonal(stream, t)

    def factor(self, stream: Stream, t: float, runs: tuple[Run, ...] | None = None) -> float:
        """lambda(t) / expected(t): world factor of the cell times the scenario multiplier."""
        runs = self.book.runs if runs is None else runs
        f = self.world.factor_at(stream.index, t)
        return f * multiplier(runs, stream.index, t) if runs else f

    def rate(self, stream: Stream, t: float, runs: tuple[Run, ...] | None = None) -> float:
        """lambda(stream, t) in events per second (at simulator rate 1)."""
        return self.expected(stream, t) * self.factor(stream, t, runs)

    def value(self, stream: Stream, t: float) -> float:
        """lambda(t) as events per 5-minute bucket: the ``value`` history and events carry."""
        return self.rate(stream, t) * BUCKET_S
