"""Seeds the stream store with history and backfills the gaps the connection manager records.

One background task does all the fetching, in this order of priority:

1. load requests: the seed at start (the last ``history_days`` of the configured
   streams, one request for all of them), then whatever :meth:`HistoryLoader.load` and
   :meth:`HistoryLoader.retry` ask for (the stream selector, the Retry button);
2. open gaps, oldest first: the store calls the loader back on every ``record_gap``
   (no polling), the loader fetches that window and merges it as ``Source.BACKFILL``. A gap
   is ``filled`` if the answer has at least one point inside the window; otherwise, or if
   the request keeps failing, it becomes ``unfillable`` and stays a break in the line.

Start the loader before the connection manager so the seed is requested first. Live events
that arrive while it loads are merged by the store, which is order-independent and
deduplicating, so nothing is lost or doubled whichever lands first. Failures are retried
with backoff (injectable ``sleep`` and delays) while live data keeps flowing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.backoff import BackoffPolicy
from app.history.errors import HistoryError
from app.history.fetching import Fetcher, HistorySource, refusal, tally
from app.history.state import LoaderState, StreamLoad
from app.lifecycle import cancel_and_wait
from app.stores.external import ExternalEventStore
from app.stores.types import Gap, GapState, HistorySink, Source

log = logging.getLogger(__name__)

PREVIEW = timedelta(hours=1)
"""How much of each stream the seed's preview step asks for."""


@dataclass(slots=True)
class _Request:
    streams: tuple[str, ...]
    force: bool
    future: asyncio.Future[bool]
    preview: bool = False
    """Only the last :data:`PREVIEW` of each stream, once, changing no load state."""


class HistoryLoader:
    """Seeds, reloads on demand, and backfills gaps; ``model`` is what pages observe."""

    def __init__(
        self,
        client: HistorySource,
        store: HistorySink,
        streams: Sequence[str],
        *,
        history_days: float = 7.0,
        max_attempts: int = 5,
        gap_attempts: int = 3,
        backoff: BackoffPolicy | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        preview: bool = False,
        external: ExternalEventStore | None = None,
    ) -> None:
        if history_days <= 0 or max_attempts < 1 or gap_attempts < 1:
            raise ValueError("history_days must be positive and attempts at least 1")
        self._fetcher = Fetcher(client, backoff or BackoffPolicy(), sleep)
        self._store = store
        self.streams = tuple(dict.fromkeys(streams))
        """The streams seeded at start."""
        self._history = timedelta(days=history_days)
        self._max_attempts = max_attempts
        self._gap_attempts = gap_attempts
        self._clock = clock
        self.model = LoaderState()
        """Observable state: per stream loads, gap counts, baselines."""
        self.external = external if external is not None else ExternalEventStore(clock=clock)
        """Where the external events of every history answer go (their one owner)."""
        for name in self.streams:
            self.model.stream(name)
        self._preview_first = preview
        self._requests: list[_Request] = []
        self._previewed: dict[str, datetime] = {}
        """Streams whose last PREVIEW is stored: their whole window ends where it starts."""
        self._serving: list[_Request] = []
        self._seed: asyncio.Future[bool] | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(
        self,
        first: Sequence[str] = (),
        before_rest: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Start the background task and request the seed; call from the event loop.

        The seed comes in steps, so a page is useful before a big seed is parsed: the whole
        window of the ``first`` streams (the ones the page opens on), then (with
        ``preview``) the last :data:`PREVIEW` of every other stream (the grid's current
        values), then, once ``before_rest()`` returns, the whole window of those others
        (the app waits there for the first tab, which that parse would slow down).
        """
        if self._task is not None:
            raise RuntimeError("HistoryLoader.start() called twice")
        self._wake = asyncio.Event()
        wake = self._wake
        self._unsubscribe = self._store.on_gap(lambda _gap: wake.set())
        self._task = asyncio.create_task(self._run(), name="history-loader")
        if self.streams:
            self._seed = asyncio.ensure_future(self._seed_in_steps(first, before_rest))

    async def _seed_in_steps(
        self, first: Sequence[str], before_rest: Callable[[], Awaitable[None]] | None
    ) -> bool:
        head = tuple(s for s in dict.fromkeys(first) if s in self.streams)
        rest = tuple(s for s in self.streams if s not in head)
        loaded = await self._enqueue(head, force=True) if head else True
        if rest:
            if self._preview_first:
                await self._enqueue(rest, force=True, preview=True)
            if before_rest is not None:
                await before_rest()
            loaded = await self._enqueue(rest, force=True) and loaded
        return loaded

    async def stop(self) -> None:
        """Cancel the background task and wait for it; pending loads are cancelled."""
        task, self._task = self._task, None
        seed, self._seed = self._seed, None
        if seed is not None and not seed.done():
            seed.cancel()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if task is None:
            return
        await cancel_and_wait(task)
        for req in [*self._serving, *self._requests]:
            req.future.cancel()
        self._requests, self._serving = [], []
        interrupted = [s for s in self.model.streams.values() if s.status == "loading"]
        for load in interrupted:
            load.status = "idle"
            load.next_retry_at = None
        if interrupted:
            self.model.changed()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._task is not None

    # --- commands for pages ----------------------------------------------------------------

    @property
    def version(self) -> int:
        """Grows with every change of the observable state (:attr:`model`)."""
        return self.model.version

    def state(self, stream: str) -> StreamLoad:
        """The load state of ``stream`` (``idle`` if never asked for)."""
        return self.model.stream(stream)

    async def load(self, stream: str) -> bool:
        """Make sure ``stream``'s history is loaded (no new request if it already is)."""
        if self.model.stream(stream).status == "loaded":
            return True
        return await asyncio.shield(self._enqueue((stream,), force=False))

    async def retry(self, stream: str) -> bool:
        """Fetch ``stream``'s history again (the Retry button); True once it is loaded."""
        return await asyncio.shield(self._enqueue((stream,), force=True))

    async def wait_seeded(self) -> bool:
        """Wait for the start-up seed; True if every configured stream loaded."""
        if self._seed is None:
            raise RuntimeError("HistoryLoader.wait_seeded() needs start() and streams")
        return await asyncio.shield(self._seed)

    def retry_gaps(self) -> int:
        """Put unfillable gaps back in the queue; returns how many."""
        again = [g for g in self._store.gaps() if g.state == "unfillable"]
        for gap in again:
            self._store.set_gap_state(gap.id, "open")
        if again and self._wake is not None:
            self._wake.set()
        return len(again)

    def _enqueue(
        self, streams: tuple[str, ...], *, force: bool, preview: bool = False
    ) -> asyncio.Future[bool]:
        if self._task is None or self._wake is None:
            raise RuntimeError("HistoryLoader is not running: call start() first")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._requests.append(_Request(streams, force, future, preview))
        self._wake.set()
        return future

    # --- the background task ---------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        while True:
            wake.clear()
            if self._requests:
                self._serving, self._requests = self._requests, []
                await self._serve(self._serving)
                self._serving = []
                continue
            gap = next((g for g in self._store.gaps() if g.state == "open"), None)
            if gap is not None:
                await self._backfill(gap)
                continue
            await wake.wait()

    async def _serve(self, batch: list[_Request]) -> None:
        """One fetch for every stream the batch asks for that still needs loading."""
        previews = [req for req in batch if req.preview]
        if previews:
            await self._preview(tuple(n for req in previews for n in req.streams))
            for req in previews:
                req.future.set_result(True)
            batch = [req for req in batch if not req.preview]
        names = [
            name
            for name in dict.fromkeys(n for req in batch for n in req.streams)
            if any(req.force for req in batch if name in req.streams)
            or self.model.stream(name).status != "loaded"
        ]
        try:
            if names:
                await self._load_window(names)
        except Exception as exc:  # a bug must not end the task; show it instead
            log.exception("history load of %s failed", names)
            for name in names:
                self._fail(self.model.stream(name), f"internal error: {exc}", None)
            self.model.changed()
        for req in batch:
            if not req.future.done():
                loaded = all(self.model.stream(n).status == "loaded" for n in req.streams)
                req.future.set_result(loaded)

    async def _load_window(self, names: list[str]) -> None:
        loads = [self.model.stream(n) for n in names]

        def window() -> tuple[datetime, datetime]:
            now = self._now()
            # After a preview, the rest of the window only: no point is fetched twice.
            end = min((self._previewed.get(n, now) for n in names), default=now)
            return now - self._history, end

        def attempt(n: int) -> None:
            for load in loads:
                load.status, load.attempts, load.next_retry_at = "loading", n, None
            self.model.changed()

        refused: list[HistoryError] = []

        def failed(exc: HistoryError, delay: float | None) -> None:
            if delay is None and refusal(exc):
                refused.append(exc)
            for load in loads:
                self._fail(load, exc.reason, delay, exc.detail)
            self.model.changed()

        result = await self._fetcher.fetch(window, names, self._max_attempts, attempt, failed)
        if result is None:
            if refused and len(names) > 1:
                # One stream the server does not know must not cost the others their
                # history: ask for each on its own; each then shows its own outcome.
                log.warning(
                    "history of %d streams refused (%s); loading them one by one",
                    len(names),
                    refused[-1].reason,
                )
                for name in names:
                    await self._load_window([name])
            return
        tally(self.model, result, names)
        for name in names:
            samples = result.streams.get(name)
            if samples:
                self._store.add_history({name: samples})
                await asyncio.sleep(0)  # a big seed must not hold the loop for all streams
        stamp = self._now()
        for load in loads:
            self._previewed.pop(load.stream, None)
            load.status, load.error, load.loaded_at = "loaded", None, stamp
            load.error_detail = ""
            load.points = len(result.streams.get(load.stream, ()))
        self.external.add(result.events, "history")
        self.model.baselines.update(result.baselines)
        self.model.changed()

    async def _preview(self, names: tuple[str, ...]) -> None:
        """The last :data:`PREVIEW` of ``names``, once and without retries: values for the
        grid while the whole window is still to come (which then merges over it)."""
        end = self._now()
        try:
            result = await self._fetcher.client.fetch_history(end - PREVIEW, end, list(names))
        except HistoryError as exc:
            log.info("history preview skipped: %s", exc.reason)
            return
        self._previewed.update(dict.fromkeys(names, end - PREVIEW))
        tally(self.model, result, names)
        self.external.add(result.events, "history")
        wanted = {n: s for n, s in result.streams.items() if n in names and s}
        if wanted:
            self._store.add_history(wanted)

    def _fail(self, load: StreamLoad, reason: str, delay: float | None, detail: str = "") -> None:
        load.status, load.error, load.error_detail = "error", reason, detail
        load.next_retry_at = None if delay is None else self._now() + timedelta(seconds=delay)

    async def _backfill(self, gap: Gap) -> None:
        """Fetch a gap's window; filled if any point lands inside, else unfillable."""
        store = self._store
        store.set_gap_state(gap.id, "filling")
        start = datetime.fromtimestamp(gap.start_ms / 1000, UTC)
        end = datetime.fromtimestamp(gap.end_ms / 1000, UTC)

        def failed(exc: HistoryError, delay: float | None) -> None:
            log.warning("backfill of %s gap %s failed: %s", gap.stream, gap.id, exc.reason)

        filled = 0
        try:
            result = await self._fetcher.fetch(
                lambda: (start, end), [gap.stream], self._gap_attempts, None, failed
            )
            if result is not None:
                tally(self.model, result, [gap.stream])
                self.external.add(result.events, "history")
                inside = [
                    s
                    for s in result.streams.get(gap.stream, ())
                    if gap.start_ms <= s.ts_ms <= gap.end_ms
                ]
                if inside:
                    store.add_history({gap.stream: inside}, Source.BACKFILL)
                    filled = len(inside)
        except asyncio.CancelledError:
            self._set_gap(gap, "open")  # picked up again after a restart
            raise
        except Exception:
            log.exception("backfill of %s gap %s failed", gap.stream, gap.id)
        self._set_gap(gap, "filled" if filled else "unfillable", filled)
        if filled:
            self.model.gaps_filled += 1
        else:
            self.model.gaps_unfillable += 1
        self.model.changed()

    def _set_gap(self, gap: Gap, state: GapState, count: int | None = None) -> None:
        with contextlib.suppress(KeyError):  # forgotten meanwhile (past retention)
            self._store.set_gap_state(gap.id, state, count)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)
