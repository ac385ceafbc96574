"""Client-side dead-link detection as a pure decision: wait, probe, or declare dead.

Any inbound bytes count as activity: data frames, and also the server's protocol pings
(the contract's server pings every 30 s) and pongs. After ``limit / 2`` of silence the
client sends one ping of its own, so an idle but healthy link (a quiet topic) answers
with a pong and stays; after ``limit`` of silence the link is dead, whatever the kernel
thinks of the TCP connection. Times are plain floats (the event loop's clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    WAIT = "wait"
    PROBE = "probe"
    DEAD = "dead"


@dataclass(slots=True)
class SilenceWatch:
    """Decides, from the time of the last inbound byte, what the reader does next."""

    limit: float
    probe: bool = True
    _probed_for: float | None = None

    def check(self, now: float, last_activity: float) -> tuple[Verdict, float]:
        """The verdict and how long the reader may wait for a frame before asking again."""
        quiet = now - last_activity
        if quiet >= self.limit:
            return Verdict.DEAD, 0.0
        half = self.limit / 2
        if self.probe and quiet >= half:
            if self._probed_for != last_activity:
                self._probed_for = last_activity
                return Verdict.PROBE, self.limit - quiet
            return Verdict.WAIT, self.limit - quiet
        if self.probe:
            return Verdict.WAIT, half - quiet
        return Verdict.WAIT, self.limit - quiet
