"""Retry policy of history requests: delays as a plain generator, injectable."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator


def backoff_delays(
    initial: float = 1.0,
    maximum: float = 30.0,
    *,
    factor: float = 2.0,
    jitter: float = 0.2,
    rand: Callable[[], float] = random.random,
) -> Iterator[float]:
    """1, 2, 4, ... seconds capped at ``maximum``, each spread by +-``jitter`` (a fraction).

    Jitter keeps a fleet of dashboards from retrying in lockstep after an outage.
    """
    delay = initial
    while True:
        spread = 1.0 + jitter * (2.0 * rand() - 1.0)
        yield max(0.0, min(delay, maximum) * spread)
        delay = min(delay * factor, maximum)
