"""Reads ``GET /api/simulation/state`` at a steady pace: one task for the whole process.

Each answer's ``activeEvents`` go to the external events store (``source="state"``), and
every decoded state object goes to whoever asked with :meth:`StatePoller.on_state` (the
scenario panel, say), so nothing else polls the same endpoint.

Pace: every ``interval`` seconds while the server answers. A network fault, a timeout, a
5xx, an answer over ``max_bytes`` or one that is not a JSON object backs off like every
other retry of the process (:class:`app.backoff.BackoffPolicy`: 1, 2, 4 ... up to 30 s, never
faster than ``interval``) until an answer comes. A server without the endpoint (404, 405,
501) or one that refuses it (another 4xx) is asked again every ``slow_interval`` seconds
only: the timeline says so, and nothing else depends on it. :attr:`StatePoller.status`
says which, in words.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

import httpx

from app.backoff import BackoffPolicy
from app.explain import explain, technical, where
from app.history.errors import is_retryable_status
from app.lifecycle import Lifecycle, cancel_and_wait
from app.ratelog import RateLimitedLog
from app.stores.external import ExternalEventStore
from app.upstream import TooLarge, read_bounded, refusal_text

log = logging.getLogger(__name__)

STATE_PATH: Final = "/api/simulation/state"
STATE_MAX_BYTES: Final = 1024 * 1024
"""A state answer is a few KB; anything over this is refused unread."""
SLOW_INTERVAL: Final = 60.0
"""Seconds between reads while the server has no state endpoint (or refuses it)."""
ABSENT_STATUSES: Final = frozenset({404, 405, 501})

Availability = Literal["unknown", "available", "absent", "failing"]
StateCallback = Callable[[Mapping[str, Any]], None]


@dataclass(slots=True)
class PollerStatus:
    """What the poller knows of the state endpoint, for the timeline and the status API."""

    availability: Availability = "unknown"
    """``unknown`` before the first answer; ``absent``: the server has no such endpoint."""
    last_error: str | None = None
    """The last failure in words; None after an answer."""
    error_detail: str = ""
    last_ok_at: float | None = None
    polls: int = 0
    failures: int = 0
    """Failures in a row (the backoff's attempt number); 0 after an answer."""
    next_poll_at: float | None = None
    active_events: int = 0
    """``activeEvents`` in the last answer."""


class _Failure(Exception):
    def __init__(self, reason: str, detail: str = "", *, absent: bool = False, slow: bool = False):
        super().__init__(reason)
        self.reason, self.detail, self.absent, self.slow = reason, detail, absent, slow


class StatePoller(Lifecycle):
    """See the module docstring. ``start()``/``stop()`` own its one task."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        store: ExternalEventStore,
        *,
        interval: float = 5.0,
        slow_interval: float = SLOW_INTERVAL,
        timeout: float = 10.0,
        max_bytes: int = STATE_MAX_BYTES,
        backoff: BackoffPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if interval <= 0 or slow_interval <= 0 or timeout <= 0 or max_bytes <= 0:
            raise ValueError("interval, slow_interval, timeout and max_bytes must be positive")
        self._client = client
        self.url = base_url.rstrip("/") + STATE_PATH
        self._store = store
        self.interval = interval
        self.slow_interval = max(slow_interval, interval)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._backoff = backoff or BackoffPolicy()
        self._clock = clock
        self.status = PollerStatus()
        self.latest: Mapping[str, Any] | None = None
        """The last state object the server sent (read-only), None before the first."""
        self._callbacks: list[StateCallback] = []
        self._say = RateLimitedLog(log)
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start polling (the first read at once); call from the event loop."""
        if self._task is not None:
            raise RuntimeError("StatePoller.start() called twice")
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="state-poller")

    async def stop(self) -> None:
        """Cancel the task and wait for it."""
        task, self._task = self._task, None
        if task is None:
            return
        await cancel_and_wait(task)
        self.status.next_poll_at = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def on_state(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback(state)`` with every state object read; returns the unsubscribe.

        The mapping is read-only and shared by every subscriber; :attr:`latest` holds the
        last one for a subscriber that wants it at once."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def poll_soon(self) -> None:
        """Read the state now instead of at the next tick (after starting a scenario, say)."""
        if self._wake is not None:
            self._wake.set()

    # --- polling ---------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        while True:
            delay = await self.poll_once()
            self.status.next_poll_at = self._clock() + delay
            wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wake.wait()

    async def poll_once(self) -> float:
        """Read the state once, file what it says; returns the seconds until the next read."""
        status = self.status
        status.polls += 1
        try:
            state = await self._read()
        except _Failure as failure:
            return self._failed(failure)
        except Exception as exc:  # a bug must not end polling; it is logged and retried
            log.exception("reading the simulator state failed")
            return self._failed(_Failure(f"internal error: {exc}", technical(exc)))
        status.availability, status.last_error, status.error_detail = "available", None, ""
        status.failures, status.last_ok_at = 0, self._clock()
        self._file(state)
        return self.interval

    async def _read(self) -> dict[str, Any]:
        """The decoded state object; every failure becomes one :class:`_Failure`."""
        try:
            async with asyncio.timeout(self.timeout):
                code, phrase, body = await read_bounded(
                    self._client, "GET", self.url, max_bytes=self.max_bytes, timeout=self.timeout
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise _Failure(
                f"no answer from {where(self.url)} within {self.timeout:g} s", technical(exc)
            ) from exc
        except TooLarge as exc:
            size = f"{exc.size:,} bytes" if exc.declared else f"over {exc.size:,} bytes"
            raise _Failure(f"state answer too large ({size}, limit {self.max_bytes:,})") from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise _Failure(f"bad state URL {self.url}: {exc}", slow=True) from exc
        except httpx.HTTPError as exc:
            why = explain(exc, self.url, self.timeout)
            raise _Failure(why.text, why.detail) from exc
        if not 200 <= code < 300:
            raise self._refused(code, phrase, body)
        try:
            state = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise _Failure("unusable state answer: not JSON", technical(exc)) from exc
        if not isinstance(state, dict):
            raise _Failure(f"unusable state answer: a JSON {type(state).__name__}, not an object")
        return state

    def _refused(self, code: int, phrase: str, body: bytes) -> _Failure:
        reason, _ = refusal_text(code, phrase, body)
        if code in ABSENT_STATUSES:
            place = where(self.url)
            text = f"the simulator at {place} has no state endpoint (GET {STATE_PATH}: {code})"
            return _Failure(text, reason, absent=True, slow=True)
        return _Failure(reason, slow=not is_retryable_status(code))

    def _failed(self, failure: _Failure) -> float:
        status = self.status
        status.availability = "absent" if failure.absent else "failing"
        status.last_error, status.error_detail = failure.reason, failure.detail
        if failure.slow:
            status.failures = 0
            delay = self.slow_interval
        else:
            status.failures += 1
            delay = max(self.interval, self._backoff.delay(status.failures))
        self._say.log(
            status.availability,
            f"simulator state: {failure.reason}; next read in {delay:.1f} s",
            logging.INFO,
        )
        return delay

    def _file(self, state: dict[str, Any]) -> None:
        """The answer's active events to the store; the state to every subscriber."""
        events = state.get("activeEvents")
        if isinstance(events, list):
            self.status.active_events = len(events)
            self._store.add(events, "state")
        else:
            self.status.active_events = 0
            if events is not None:
                self._store.count_rejected("bad_active_events")
        view = MappingProxyType(state)
        self.latest = view
        for callback in list(self._callbacks):
            try:
                callback(view)
            except Exception:
                log.exception("state subscriber %r failed", callback)
