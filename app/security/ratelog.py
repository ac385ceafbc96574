"""Logging that says each kind of refusal once per period, with the count it held back.

A page hammering the dashboard must not flood the log: one line per kind per minute says
what is happening; the next one says how many more there were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

Clock = Callable[[], float]


class OncePerPeriod:
    """Logs the first message of each kind per ``period`` seconds and counts the rest."""

    def __init__(
        self, logger: logging.Logger, period: float = 60.0, clock: Clock = time.monotonic
    ) -> None:
        self._logger = logger
        self._period = period
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, kind: str, message: str) -> bool:
        """Log ``message`` unless ``kind`` was logged within the period; True if logged."""
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self._period:
            self._held[kind] = self._held.get(kind, 0) + 1
            return False
        self._last[kind] = now
        held = self._held.pop(kind, 0)
        more = f" (+{held} more since the last line of this kind)" if held else ""
        self._logger.warning("%s%s", message, more)
        return True
