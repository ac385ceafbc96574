"""The connection manager: one background task owns the upstream WebSocket of the process.

States (see :class:`ConnectionState`)::

    disconnected --start/connect--> connecting --handshake--> connected
    connecting/connected --failure--> reconnecting --delay--> connecting
    reconnecting --attempts exhausted--> error --reconnect_now--> connecting
    any --disconnect--> disconnected

Every change goes through :meth:`ConnectionManager._set_state`, which writes the state
and a reason to the connection store and logs it. Commands (``connect``, ``disconnect``,
``reconnect_now``) only set an intent and wake the task; the task does the work, so the
link has one owner. Waits that a command may cut short (the backoff delay, the
handshake, an open session) race against that wake-up.

Reconnects count as failures unless the connection stayed up ``stable_after`` seconds,
so a server that accepts and closes at once meets a growing delay, not a tight loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from websockets.exceptions import ConnectionClosed

from app.backoff import BackoffPolicy, should_retry
from app.config import Settings
from app.explain import explain, technical
from app.lifecycle import Lifecycle
from app.protocol import ms_datetime, unsubscribe_frame
from app.ratelog import RateLimitedLog
from app.stores.connection import ConnectionState, ConnectionStore, ReasonCode
from app.stores.types import EventSink
from app.ws_client.heartbeat import SilenceWatch
from app.ws_client.link import Connector, Link, close_link, websocket_connector
from app.ws_client.recovery import Recovery
from app.ws_client.session import LinkEnded, Session, describe_close
from app.ws_client.subscriptions import Subscriptions
from app.ws_client.tasks import reap, until_set

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
State = ConnectionState


class ConnectionManager(Lifecycle):
    """Connects, subscribes, reconnects with backoff and catch-up; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        sink: EventSink,
        store: ConnectionStore | None = None,
        *,
        url: str | None = None,
        connector: Connector | None = None,
        backoff: BackoffPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        probe: bool = True,
        catchup_wait: float = 10.0,
        known_streams: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._url = url or settings.ws_url
        self._store = store or ConnectionStore(
            self._url, settings.topics, settings.max_reconnect_attempts
        )
        self._subs = Subscriptions(settings.topics, self._store)
        self._connect = connector or websocket_connector(
            open_timeout=settings.connect_timeout, max_frame_bytes=settings.max_frame_bytes
        )
        self._backoff = backoff or BackoffPolicy.from_settings(settings)
        self._sleep = sleep
        self._clock = clock
        self._wall = wall_clock
        self._probe = probe
        self._catchup_wait = catchup_wait
        self._known_streams = known_streams
        """Stream names known besides the wire (e.g. the store's, history included): a
        subscribed one never seen live still gets a gap after a long outage."""
        self._ratelog = RateLimitedLog(log, 60.0, clock)
        self._recovery = Recovery(sink, window_s=settings.catchup_window, clock=clock)

        self._task: asyncio.Task[None] | None = None
        self._link: Link | None = None
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._wanted = False
        self._kick = False

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def store(self) -> ConnectionStore:
        return self._store

    @property
    def state(self) -> ConnectionState:
        return self._store.state

    async def start(self) -> None:
        """Start the background task and connect; call once, from the running loop."""
        if self._task is not None:
            raise RuntimeError("ConnectionManager.start() called twice")
        self._wanted = True
        self._task = asyncio.create_task(self._supervise(), name="upstream-ws")

    async def stop(self, grace: float = 2.0) -> None:
        """Close the link gracefully (within ``grace`` s), then cancel and await the task."""
        task, self._task = self._task, None
        if task is None:
            return
        self._wanted = False
        self._wake.set()
        try:
            async with asyncio.timeout(grace):
                while self.state is not State.DISCONNECTED and not task.done():
                    await self._changed.wait()
        except TimeoutError:
            log.warning("connection task did not settle within %g s; cancelling it", grace)
        await reap(task)
        if self.state is not State.DISCONNECTED:
            self._set_state(State.DISCONNECTED, ReasonCode.STOPPED, "connection manager stopped")

    # --- commands (UI) -------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect again after ``disconnect()`` or ``error``; a no-op otherwise."""
        if self._wanted and self.state not in (State.DISCONNECTED, State.ERROR):
            return
        self._wanted = True
        self._kick = True
        self._wake.set()

    async def disconnect(self) -> None:
        """Unsubscribe and close gracefully; stays disconnected until ``connect()``."""
        self._wanted = False
        self._wake.set()
        if self._task is None:
            if self.state is not State.DISCONNECTED:
                self._set_state(State.DISCONNECTED, ReasonCode.USER, "disconnected on request")
            return
        await self.wait_for_state(State.DISCONNECTED)

    def reconnect_now(self) -> None:
        """Reconnect at once from any state: cuts a backoff wait, resets the attempt count."""
        self._wanted = True
        self._kick = True
        self._wake.set()

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        """Wait until the state is one of ``states`` (wrap in ``asyncio.timeout``)."""
        while self.state not in states:
            await self._changed.wait()
        return self.state

    # --- topics --------------------------------------------------------------------------

    @property
    def topics(self) -> list[str]:
        return self._subs.topics

    async def subscribe(
        self, topics: Iterable[str], last_timestamp: datetime | None = None
    ) -> None:
        """Add topics; sends the FULL set, since the server replaces the subscription.

        Offline, the change is kept and applied by the subscribe after the next connect.
        """
        await self._send(self._subs.add(topics, last_timestamp))

    async def unsubscribe(self, topics: Iterable[str]) -> None:
        """Remove topics and send ``unsubscribe`` for them."""
        frame = self._subs.remove(topics)
        if frame is not None:
            await self._send(frame)

    async def set_topics(self, topics: Sequence[str]) -> None:
        """Replace the topic set (the stream selector): one ``subscribe`` with the new set."""
        frame = self._subs.replace(topics)
        if frame is not None:
            await self._send(frame)

    # --- the task ------------------------------------------------------------------------

    def _set_state(
        self, state: ConnectionState, code: ReasonCode, reason: str, detail: str = ""
    ) -> None:
        """The one state setter: store, log, wake whoever waits for a change."""
        previous = self._store.state
        self._store.transition(state, code, reason, self._wall(), detail)
        level = logging.WARNING if state is State.ERROR else logging.INFO
        suffix = f" ({detail})" if detail else ""
        log.log(level, "upstream %s -> %s [%s]: %s%s", previous, state, code, reason, suffix)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    @property
    def _failures(self) -> int:
        """Failed attempts in a row (kept in the store, its one home)."""
        return self._store.reconnect_attempts

    async def _supervise(self) -> None:
        """Run the loop; an unexpected exception is counted and the loop restarted."""
        while True:
            try:
                await self._run()
            except Exception as exc:
                self._store.task_restarted()
                log.exception("connection task failed; restarting it")
                await self._close_link()
                failure = LinkEnded(
                    ReasonCode.INTERNAL_ERROR,
                    "the dashboard hit an internal error and restarts its link",
                    detail=technical(exc),
                )
                await self._after_failure(failure, limit=0)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if not self._wanted:
                if self.state is not State.DISCONNECTED:
                    self._set_state(State.DISCONNECTED, ReasonCode.USER, "disconnected on request")
                await self._wake.wait()
                continue
            if self._kick:
                self._kick = False
                self._store.set_attempts(0)
            elif self.state is State.ERROR:
                await self._wake.wait()
                continue
            failure = await self._connect_and_serve()
            if failure is not None:
                await self._after_failure(failure, self._settings.max_reconnect_attempts)

    async def _connect_and_serve(self) -> LinkEnded | None:
        """One attempt; returns why it failed, or None when a command ended it."""
        attempt = f" (attempt {self._failures})" if self._failures else ""
        self._set_state(
            State.CONNECTING, ReasonCode.CONNECTING, f"connecting to {self._url}{attempt}"
        )
        try:
            link = await until_set(self._wake, self._connect(self._url))
        except Exception as exc:  # OSError, InvalidStatus, InvalidHandshake, TimeoutError...
            why = explain(exc, self._url, self._settings.connect_timeout)
            return LinkEnded(ReasonCode.CONNECT_FAILED, why.text, detail=why.detail)
        if link is None:
            return None
        return await self._serve(link)

    async def _serve(self, link: Link) -> LinkEnded | None:
        connected_at = self._clock()
        self._link = link
        reconnect = self._recovery.linked
        since = self._recovery.start_link(self._subs.topics, self._newest_ms(), self._known())
        self._store.link_opened(self._wall(), reconnect=reconnect)
        self._set_state(State.CONNECTED, ReasonCode.CONNECTED, f"connected to {self._url}")
        session = Session(
            link,
            sink=self._sink,
            store=self._store,
            recovery=self._recovery,
            watch=SilenceWatch(self._settings.silence_limit, probe=self._probe),
            ratelog=self._ratelog,
            max_frame_bytes=self._settings.max_frame_bytes,
            catchup_wait=self._catchup_wait,
            wall_clock=self._wall,
        )
        reader: asyncio.Task[LinkEnded] | None = None
        waker = asyncio.create_task(self._wake.wait())
        try:
            if self._subs.topics:  # an empty set stays unsubscribed
                await link.send(
                    self._subs.current_frame(None if since is None else ms_datetime(since))
                )
            reader = asyncio.create_task(session.run())
            await self._until_done_or_woken(reader, waker, connected_at)
            if reader.done():
                return replace(reader.result(), up_s=self._clock() - connected_at)
            await self._close_link(graceful=True, unsubscribe=not self._wanted)
            return None
        except ConnectionClosed as exc:
            return LinkEnded(ReasonCode.LINK_LOST, describe_close(exc))
        finally:
            await reap(waker, *([reader] if reader is not None else []))
            await self._close_link()
            self._store.link_closed()

    async def _until_done_or_woken(
        self, reader: asyncio.Task[LinkEnded], waker: asyncio.Task[bool], since: float
    ) -> None:
        """Wait for the session to end or a command; on the way, mark the link stable."""
        stable_after = self._settings.stable_after
        timeout: float | None = stable_after
        while not (reader.done() or waker.done()):
            racers: list[asyncio.Future[Any]] = [reader, waker]
            await asyncio.wait(racers, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if timeout is not None and self._clock() - since >= stable_after:
                timeout = None  # stable: the next failure starts the schedule afresh
                self._store.set_attempts(0)

    async def _after_failure(self, failure: LinkEnded, limit: int) -> None:
        """Count the failure, then wait out the backoff delay (or give up past ``limit``)."""
        stable = failure.up_s >= self._settings.stable_after
        attempts = 1 if stable else self._failures + 1
        if not should_retry(attempts, limit):
            self._store.set_attempts(limit)
            self._set_state(
                State.ERROR,
                ReasonCode.ATTEMPTS_EXHAUSTED,
                f"gave up after {limit} reconnect attempts; last failure: {failure.reason}",
                failure.detail,
            )
            return
        self._store.set_attempts(attempts)
        delay = self._backoff.delay(attempts)
        self._store.set_retry_at(self._wall() + delay)
        self._set_state(State.RECONNECTING, failure.code, failure.reason, failure.detail)
        log.info("next connection attempt in %.1f s (attempt %d)", delay, attempts)
        await until_set(self._wake, self._sleep(delay))
        self._store.set_retry_at(None)

    # --- helpers -------------------------------------------------------------------------

    def _newest_ms(self) -> int | None:
        """The newest event time known (server time): the store's, else what came by wire."""
        newest = self._sink.newest_event_ms()
        return self._recovery.activity.newest_ms if newest is None else newest

    def _known(self) -> Iterable[str]:
        return self._known_streams() if self._known_streams is not None else ()

    async def _send(self, frame: str) -> bool:
        """Send on the open link, if any; a failure is left to the reader to notice."""
        link = self._link
        if link is None or self.state is not State.CONNECTED:
            return False
        try:
            await link.send(frame)
        except ConnectionClosed:
            return False
        return True

    async def _close_link(self, graceful: bool = False, unsubscribe: bool = False) -> None:
        """Close the current link: a closing handshake when ``graceful``, else an abort."""
        link, self._link = self._link, None
        if link is None:
            return
        if not graceful:
            link.abort()
            return
        topics = self._subs.topics
        await close_link(link, unsubscribe_frame(topics) if unsubscribe and topics else None)
