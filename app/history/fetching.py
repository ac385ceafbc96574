"""How the history loader asks: one request with retries, and the accounting of answers.

:class:`Fetcher` owns the retry rule for every history request (the seed, reloads and gap
backfills alike): up to ``attempts`` tries, waiting per the shared
:class:`app.backoff.BackoffPolicy` between them, stopping early on an error that another try
would not change. :func:`tally` counts what an answer held that cannot be used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from app.backoff import BackoffPolicy
from app.history.errors import HistoryError
from app.history.state import LoaderState
from app.protocol import HistoryResult

log = logging.getLogger(__name__)

Window = Callable[[], tuple[datetime, datetime]]
"""The window to ask for, worked out again before each try (a retry asks up to *now*)."""


class HistorySource(Protocol):
    """What the loader needs from :class:`app.history.client.HistoryClient`."""

    async def fetch_history(
        self, start: datetime, end: datetime, streams: Sequence[str] | None = None
    ) -> HistoryResult: ...


class Fetcher:
    """One history request with retries and backoff."""

    def __init__(
        self,
        client: HistorySource,
        backoff: BackoffPolicy,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self._backoff = backoff
        self._sleep = sleep

    async def fetch(
        self,
        window: Window,
        names: list[str],
        attempts: int,
        on_attempt: Callable[[int], None] | None,
        on_error: Callable[[HistoryError, float | None], None],
    ) -> HistoryResult | None:
        """Up to ``attempts`` tries with backoff; None once they are spent (or pointless).

        ``on_error`` hears every failure with the delay before the next try (None: no more
        tries)."""
        delays = self._backoff.delays()
        for n in range(1, attempts + 1):
            if on_attempt is not None:
                on_attempt(n)
            start, end = window()
            try:
                return await self.client.fetch_history(start, end, names)
            except HistoryError as exc:
                last = n == attempts or not exc.retryable
                delay = None if last else next(delays)
                on_error(exc, delay)
                if delay is None:
                    return None
                await self._sleep(delay)
        return None


def refusal(exc: HistoryError) -> bool:
    """A final answer about the request itself (unknown stream, invalid query, an answer
    over the size limit): a request for fewer streams may well succeed, unlike after a
    network fault or a 5xx."""
    return exc.kind == "too_large" or (exc.kind == "http" and exc.status in (400, 404, 422))


def tally(model: LoaderState, result: HistoryResult, asked: Sequence[str]) -> None:
    """Count what the answer held that cannot be used: refused by the parser, or filed
    under streams nobody asked for (never drawn on another stream's chart)."""
    counts = model.rejected_by_kind
    for kind, count in result.rejected.items():
        counts[kind] = counts.get(kind, 0) + count
    wanted = set(asked)
    extra = sum(len(s) for name, s in result.streams.items() if name not in wanted)
    if extra:
        counts["unrequested_stream"] = counts.get("unrequested_stream", 0) + extra
    if result.rejected or extra:
        log.warning(
            "history answer: %d point(s) refused (%s)",
            sum(result.rejected.values()) + extra,
            ", ".join(sorted({*result.rejected, *(["unrequested_stream"] if extra else [])})),
        )
