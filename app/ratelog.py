"""Logging that says each kind of problem once per period, with a count of what it held back.

A server spewing garbage at 100 frames/s, or a page hammering the dashboard with refused
requests, must not flood the log: one line per kind per period says what is happening, the
next one how many more there were; the counters keep the exact numbers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

Clock = Callable[[], float]


class RateLimitedLog:
    """Logs the first message of each kind per ``period`` seconds, counts the others."""

    def __init__(
        self, logger: logging.Logger, period: float = 60.0, clock: Clock = time.monotonic
    ) -> None:
        self._logger = logger
        self._period = period
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def log(self, kind: str, message: str, level: int = logging.WARNING) -> bool:
        """Log ``message`` unless ``kind`` was logged within the period; True if logged."""
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self._period:
            self._held[kind] = self._held.get(kind, 0) + 1
            return False
        self._last[kind] = now
        held = self._held.pop(kind, 0)
        suffix = f" (and {held} more of kind {kind!r} not logged)" if held else ""
        self._logger.log(level, "%s%s", message, suffix)
        return True
