"""Retry timing for the whole process, as small pure pieces: a delay schedule, "retry again?".

One policy serves every retry: the upstream WebSocket's reconnects, history requests, gap
backfills and failed state reads, so an operator reads one schedule and one setting moves
them all.

The schedule doubles from ``initial`` (1, 2, 4, 8, 16 s) up to ``maximum`` (30 s). Jitter
is proportional: each delay is the base delay times a uniform factor in
``[1 - jitter, 1 + jitter]`` (+/- 20 % by default), then capped at ``maximum``. Unlike
"full jitter" (uniform in ``[0, base]``) this keeps the schedule recognisable to a user
reading the status while still spreading a fleet of dashboards apart. At the cap the
delay lies in ``[maximum * (1 - jitter), maximum]``, so it never exceeds ``maximum``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.config import Settings

Random = Callable[[], float]
"""A source of uniform floats in ``[0, 1)``, such as ``random.random``."""


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Delays before reconnect attempt ``n`` (1-based); ``rng`` is injectable for tests."""

    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 0.2
    factor: float = 2.0
    rng: Random = field(default=random.random, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, rng: Random | None = None) -> BackoffPolicy:
        return cls(
            initial=settings.backoff_initial,
            maximum=settings.backoff_max,
            jitter=settings.backoff_jitter,
            rng=rng or random.random,
        )

    def base(self, attempt: int) -> float:
        """The delay before attempt ``attempt`` without jitter: ``initial * factor**(n-1)``."""
        if attempt < 1:
            raise ValueError(f"attempts count from 1, got {attempt}")
        exponent = min(attempt - 1, 64)  # beyond this the cap applies anyway
        return float(min(self.initial * self.factor**exponent, self.maximum))

    def delay(self, attempt: int) -> float:
        """The jittered delay before attempt ``attempt``, never above ``maximum``."""
        base = self.base(attempt)
        spread = self.jitter * (2.0 * self.rng() - 1.0)
        return max(0.0, min(base * (1.0 + spread), self.maximum))

    def delays(self) -> Iterator[float]:
        """The delays before attempts 2, 3, 4, ... of one operation, as a generator."""
        attempt = 1
        while True:
            yield self.delay(attempt)
            attempt += 1


def should_retry(attempt: int, max_attempts: int) -> bool:
    """Whether reconnect attempt ``attempt`` (1-based) may happen; 0 allows any number."""
    return max_attempts == 0 or attempt <= max_attempts
