"""One open link: read frames, watch for silence, feed the stream store and the counters.

A :class:`Session` lives from the handshake to the end of one connection; what must
outlive it (stream activity, catch-up planning, open holes) is the manager's
:class:`~app.ws_client.recovery.Recovery`. It never raises for bad input: every frame
goes through :func:`app.protocol.parse_frame`, and whatever cannot be used is counted by
kind in the connection store and logged once per kind per minute. It returns (rather than
raises) when the link ends, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from websockets.exceptions import ConnectionClosed

from app.protocol import (
    BatchMessage,
    CatchupMessage,
    ErrorMessage,
    EventMessage,
    ProtocolError,
    StreamEvent,
    SubscribedMessage,
    UnsubscribedMessage,
    datetime_ms,
    event_time_ms,
    parse_frame,
)
from app.ratelog import RateLimitedLog
from app.stores.connection import ConnectionStore, ReasonCode
from app.stores.types import FUTURE_TOLERANCE_MS, EventSink, Source
from app.ws_client.heartbeat import SilenceWatch, Verdict
from app.ws_client.link import Link
from app.ws_client.recovery import Recovery

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class LinkEnded:
    """Why a link ended (or could not open): a reason code, a sentence, how long it was up."""

    code: ReasonCode
    reason: str
    up_s: float = 0.0
    detail: str = ""
    """The technical detail (the exception, the close frame) for whoever debugs it."""


class Session:
    """Reads one link until it ends; see the module docstring."""

    def __init__(
        self,
        link: Link,
        *,
        sink: EventSink,
        store: ConnectionStore,
        recovery: Recovery,
        watch: SilenceWatch,
        ratelog: RateLimitedLog,
        max_frame_bytes: int,
        catchup_wait: float = 10.0,
        wall_clock: Clock = time.time,
    ) -> None:
        self._link = link
        self._sink = sink
        self._store = store
        self._recovery = recovery
        self._watch = watch
        self._ratelog = ratelog
        self._max_bytes = max_frame_bytes
        self._catchup_wait = catchup_wait
        self._wall = wall_clock

    async def run(self) -> LinkEnded:
        """Read frames until the link closes or falls silent; returns why it ended."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._catchup_wait if self._recovery.pending else None
        while True:
            verdict, wait = self._watch.check(loop.time(), self._link.last_activity)
            if verdict is Verdict.DEAD:
                self._link.abort()
                limit = self._watch.limit
                return LinkEnded(
                    ReasonCode.SILENCE, f"no frame and no ping for {limit:g} s: link presumed dead"
                )
            if verdict is Verdict.PROBE:
                try:
                    async with asyncio.timeout(wait):
                        await self._link.probe()
                except TimeoutError:
                    pass  # the next check declares the link dead
                except ConnectionClosed as exc:
                    return LinkEnded(ReasonCode.LINK_LOST, describe_close(exc))
                continue
            if deadline is not None and self._recovery.pending:
                left = deadline - loop.time()
                if left <= 0:
                    log.info(
                        "no catch-up reply within %g s; treating it as empty", self._catchup_wait
                    )
                    self._recovery.resolve()
                    continue
                wait = min(wait, left)
            try:
                async with asyncio.timeout(wait):
                    frame = await self._link.recv()
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                return LinkEnded(ReasonCode.LINK_LOST, describe_close(exc))
            self.handle(frame)

    def handle(self, frame: str | bytes) -> None:
        """Parse one frame and route it; bad input is counted, never raised."""
        store = self._store
        store.frame_received(self._wall())
        msg = parse_frame(frame, max_bytes=self._max_bytes, binary=isinstance(frame, bytes))
        if isinstance(msg, ProtocolError):
            self._malformed(msg.kind, msg.detail)
        elif isinstance(msg, EventMessage):
            self._take([msg.data], Source.LIVE)
        elif isinstance(msg, BatchMessage):
            self._rejected(msg.rejected, "batch")
            self._take(msg.events, Source.LIVE)
        elif isinstance(msg, CatchupMessage):
            self._rejected(msg.rejected, "catchup")
            self._take(msg.events, Source.CATCHUP)
            end = msg.catch_up_end_time
            self._recovery.on_catchup(msg.events, None if end is None else datetime_ms(end))
        elif isinstance(msg, SubscribedMessage):
            store.confirm_topics(msg.topics)
        elif isinstance(msg, UnsubscribedMessage):
            store.unconfirm_topics(msg.topics)
        elif isinstance(msg, ErrorMessage):
            text = f"{msg.code}: {msg.message}" if msg.code else msg.message
            store.record_server_error(text)
            self._ratelog.log("server_error", f"server error frame: {text}")
        else:
            self._malformed("unknown_type", f"message of unknown type {msg.type[:60]!r} skipped")

    # --- helpers -------------------------------------------------------------------------

    def _take(self, events: Sequence[StreamEvent], source: Source) -> None:
        if not events:
            return
        result = self._sink.add_events(events, source)
        self._store.count_events(len(events), catchup=source is Source.CATCHUP)
        if result.future:
            # Dropped by the store; keep them out of the stream activity too, or one bad
            # clock upstream would date "the newest event" (and catch-up) in the future.
            self._malformed(
                "future_timestamp", f"{result.future} event(s) dated ahead", result.future
            )
            horizon = int(self._wall() * 1000) + FUTURE_TOLERANCE_MS
            events = [e for e in events if event_time_ms(e) <= horizon]
        self._recovery.observe(events, live=source is Source.LIVE)

    def _rejected(self, kinds: dict[str, int], where: str) -> None:
        for kind, count in kinds.items():
            self._malformed(kind, f"{count} invalid event(s) skipped in a {where} frame", count)

    def _malformed(self, kind: str, detail: str, count: int = 1) -> None:
        self._store.count_malformed(kind, count)
        self._ratelog.log(kind, f"skipped upstream input ({kind}): {detail}")


def describe_close(exc: ConnectionClosed) -> str:
    """A short sentence for the status: who closed, with which code, or an abrupt drop."""
    if exc.rcvd is None and exc.sent is None:
        return "connection dropped without a close frame"
    if exc.rcvd is not None:
        reason = f" ({exc.rcvd.reason})" if exc.rcvd.reason else ""
        return f"server closed the connection with code {exc.rcvd.code}{reason}"
    assert exc.sent is not None
    return f"connection closed with code {exc.sent.code}"
