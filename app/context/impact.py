"""What an external event was expected to do to a stream, and what the stream did. Pure.

Observed change: the stream's mean normalized level while the event lasted (its duration;
the hour after it when it has none; never past now) against its mean over the hour before
it. 15 normalized points are one standard deviation of the stream's usual level; a change
within :data:`FLAT` points is no clear change either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from app.protocol.external import Impact
from app.stores.streams import StreamStore

HOUR_MS: Final = 3_600_000
BEFORE_MS: Final = HOUR_MS
"""How long before the event its "before" level is taken."""
SPAN_MS: Final = HOUR_MS
"""How long after an event without a duration its "during" level is taken."""
FLAT: Final = 2.0
"""A change of fewer normalized points than this is no clear change."""
SIGMA: Final = 15.0
"""Normalized points per standard deviation."""
ARROWS: Final = {"increase": "\u2191", "decrease": "\u2193", "mixed": "\u2195"}


@dataclass(frozen=True, slots=True)
class Observed:
    """A stream's mean normalized level in the hour before an event and during it."""

    stream: str
    before: float | None
    during: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.during is None:
            return None
        return self.during - self.before


def observe(
    store: StreamStore, stream: str, start_ms: int, end_ms: int | None, now_ms: int
) -> Observed:
    """``stream``'s levels around an event starting at ``start_ms`` (see the module doc)."""
    stop = min(end_ms if end_ms is not None else start_ms + SPAN_MS, now_ms)
    before = _mean(store, stream, start_ms - BEFORE_MS, start_ms - 1)
    during = _mean(store, stream, start_ms, stop) if stop >= start_ms else None
    return Observed(stream, before, during)


def _mean(store: StreamStore, stream: str, start_ms: int, end_ms: int) -> float | None:
    _, values = store.window(stream, start_ms, end_ms)
    known = [v for v in values if not math.isnan(v)]
    return sum(known) / len(known) if known else None


def expected_words(impact: Impact | None) -> str:
    """``"↑ increase, high"``: the expected direction and magnitude as given."""
    if impact is None or (impact.direction is None and impact.magnitude is None):
        return "no expected impact given"
    direction = impact.direction or "direction not given"
    arrow = ARROWS.get(direction, "")
    magnitude = impact.magnitude or "magnitude not given"
    return f"{arrow} {direction}, {magnitude}".strip()


def observed_words(observed: Observed, direction: str | None) -> str:
    """``"+12.4 (50.1 → 62.5, 0.8 sigma): as expected"`` (with the Greek letter), or why
    there is nothing to compare."""
    if observed.during is None:
        return "no data during the event yet"
    if observed.before is None:
        return f"during {observed.during:.1f}; no data in the hour before to compare"
    change = observed.during - observed.before
    figures = (
        f"{change:+.1f} ({observed.before:.1f} \u2192 {observed.during:.1f}, "
        f"{abs(change) / SIGMA:.1f} \u03c3)"
    )
    return f"{figures}: {_verdict(change, direction)}"


def _verdict(change: float, direction: str | None) -> str:
    moved = "no clear change" if abs(change) < FLAT else "up" if change > 0 else "down"
    if direction == "increase":
        return "as expected" if moved == "up" else f"{moved}, although an increase was expected"
    if direction == "decrease":
        return "as expected" if moved == "down" else f"{moved}, although a decrease was expected"
    return moved
