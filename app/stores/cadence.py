"""Per-stream cadence, learned from live events: how long a silence means "stale".

A stream is **stale** when it has been silent for longer than

    clamp(STALE_FACTOR x expected interval, STALE_FLOOR_S, STALE_CEILING_S)

where the expected interval is learned from the stream's own live events, so it holds for
any ``--sim-rate`` and for any server:

- the learned quantity is a *rate scale*: live events seen, divided by the events the
  catalog's daily pattern expects over the same time (for a stream the catalog does not
  know, the pattern is flat: the scale is then plainly events per second);
- only time between two live events counts (a silence in progress teaches nothing, or a
  stopped stream would slowly be declared normal), and time while the link is down does
  not count at all;
- both sums fade by ``exp(-1/DECAY_EVENTS)`` per event, so the estimate rests on about the
  last 50 intervals whatever the stream's pace: a busy stream follows a scenario or a new
  simulator rate within seconds, a slow one keeps a steady estimate;
- before :data:`MIN_EVENTS` live events, a catalog stream starts from the catalog's own
  rate (worth :data:`PRIOR_EVENTS` events); a stream the catalog does not know starts from
  its history, once loaded (the median spacing of its points over the last day, also worth
  :data:`PRIOR_EVENTS` events: an upper bound of the true interval when the server sends
  bucketed history), and gets no verdict before either.

With Poisson arrivals a silence of 10 mean intervals happens by chance once in 22,000
intervals; the ceiling keeps the slowest streams (a few events a day) from needing days of
silence, at about 0.25 % odds per interval for an event expected every 4 hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

RateModel = Callable[[float], float]
"""Expected events per second of one stream at an epoch time, per the catalog (rate 1)."""

STALE_FACTOR = 10.0
"""A silence this many expected intervals long is stale..."""
STALE_FLOOR_S = 30.0
"""...but never shorter than this..."""
STALE_CEILING_S = 86_400.0
"""...and never longer than this."""
DECAY_EVENTS = 50.0
"""Memory of the learned rate, in events: each event fades older evidence by ``exp(-1/50)``."""
PRIOR_EVENTS = 5.0
"""Weight of the catalog's rate before live events are seen, in events."""
MIN_EVENTS = 5
"""Live events a stream the catalog does not know needs before it gets a verdict."""


def stale_after(interval_s: float) -> float:
    """The silence after which a stream with this expected interval is stale, seconds."""
    return min(STALE_CEILING_S, max(STALE_FLOOR_S, STALE_FACTOR * interval_s))


@dataclass(slots=True)
class Cadence:
    """One stream's learned rate; fed live event counts with the local clock."""

    model: RateModel | None
    """The catalog's expected events per second over time (None: a stream it does not know)."""
    events: float = 0.0
    exposure: float = 0.0
    """Expected events (catalog) or seconds (unknown) between live events, decayed."""
    seen: int = 0
    last_arrival: float | None = None
    """Local time of the last live event, None while nothing is being learned (link down)."""
    from_history: bool = False
    """The starting rate came from the stream's history (a stream the catalog does not know)."""

    def __post_init__(self) -> None:
        if self.model is not None:
            self.events = self.exposure = PRIOR_EVENTS

    def observe(self, count: int, now: float) -> None:
        """``count`` live events arrived since the last call (at most one call per tick)."""
        if count <= 0:
            return
        if self.last_arrival is not None:
            elapsed = max(0.0, now - self.last_arrival)
            fade = math.exp(-count / DECAY_EVENTS)
            self.events = self.events * fade + count
            self.exposure = self.exposure * fade + self._expected(now) * elapsed
        self.seen += count
        self.last_arrival = now

    def learn_history(self, interval_s: float) -> None:
        """A stream the catalog does not know: start from its history's point spacing."""
        if self.model is None and self.seen == 0 and interval_s > 0:
            self.events, self.exposure = PRIOR_EVENTS, PRIOR_EVENTS * interval_s
            self.from_history = True

    def pause(self) -> None:
        """The link went down: the time until the next live event must not count."""
        self.last_arrival = None

    def interval_s(self, now: float) -> float | None:
        """The expected seconds between events at ``now`` (None: not known yet)."""
        if self.model is None and self.seen < MIN_EVENTS and not self.from_history:
            return None
        if self.events <= 0 or self.exposure <= 0:
            return None
        scale = self.events / self.exposure  # events per expected event (or per second)
        rate = scale * self._expected(now)
        return 1.0 / rate if rate > 0 else None

    def _expected(self, now: float) -> float:
        return self.model(now) if self.model is not None else 1.0
