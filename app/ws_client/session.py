"""One open link: read frames, watch for silence, feed the stream store and the counters.

A :class:`Session` lives from the handshake to the end of one connection. It never
raises for bad input: every frame goes through :func:`app.protocol.parse_frame`, and
whatever cannot be used is counted by kind in the connection store and logged once per
kind per minute. It returns (rather than raises) when the link ends, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

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
from app.stores.connection import ConnectionStore
from app.stores.types import FUTURE_TOLERANCE_MS, EventSink, Source
from app.ws_client.catchup import CatchupPlan, CatchupReply, StreamActivity, plan_gaps
from app.ws_client.heartbeat import SilenceWatch, Verdict
from app.ws_client.link import Link
from app.ws_client.ratelog import RateLimitedLog

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Session:
    """Reads one link until it ends; see the module docstring."""

    def __init__(
        self,
        link: Link,
        *,
        sink: EventSink,
        store: ConnectionStore,
        activity: StreamActivity,
        watch: SilenceWatch,
        ratelog: RateLimitedLog,
        max_frame_bytes: int,
        plan: CatchupPlan | None = None,
        catchup_wait: float = 10.0,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self._link = link
        self._sink = sink
        self._store = store
        self._activity = activity
        self._watch = watch
        self._ratelog = ratelog
        self._max_bytes = max_frame_bytes
        self._plan = plan
        self._reply = CatchupReply()
        self._catchup_wait = catchup_wait
        self._catchup_deadline: float | None = None
        self._open_gaps: dict[str, int] = {}
        self._clock = clock
        self._wall = wall_clock

    async def run(self) -> tuple[str, str]:
        """Read frames until the link closes or falls silent; returns (code, reason)."""
        loop = asyncio.get_running_loop()
        if self._plan is not None:
            self._catchup_deadline = loop.time() + self._catchup_wait
        while True:
            verdict, wait = self._watch.check(loop.time(), self._link.last_activity)
            if verdict is Verdict.DEAD:
                self._link.abort()
                limit = self._watch.limit
                return "silence", f"no frame and no ping for {limit:g} s: link presumed dead"
            if verdict is Verdict.PROBE:
                try:
                    async with asyncio.timeout(wait):
                        await self._link.probe()
                except TimeoutError:
                    pass  # the next check declares the link dead
                except ConnectionClosed as exc:
                    return "link_lost", describe_close(exc)
                continue
            if self._catchup_deadline is not None:
                left = self._catchup_deadline - loop.time()
                if left <= 0:
                    log.info(
                        "no catch-up reply within %g s; treating it as empty", self._catchup_wait
                    )
                    self._resolve_catchup()
                    continue
                wait = min(wait, left)
            try:
                async with asyncio.timeout(wait):
                    frame = await self._link.recv()
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                return "link_lost", describe_close(exc)
            self.handle(frame)

    def handle(self, frame: str | bytes) -> None:
        """Parse one frame and route it; bad input is counted, never raised."""
        store = self._store
        store.messages_received += 1
        store.last_message_at = self._wall()
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
            store.catchup_events += len(msg.events)
            self._on_catchup(msg)
        elif isinstance(msg, SubscribedMessage):
            # A late answer may list topics unsubscribed since (no reply confirms that).
            store.confirmed_topics = [t for t in msg.topics if t in store.topics]
        elif isinstance(msg, UnsubscribedMessage):
            gone = set(msg.topics)
            store.confirmed_topics = [t for t in store.confirmed_topics if t not in gone]
        elif isinstance(msg, ErrorMessage):
            text = f"{msg.code}: {msg.message}" if msg.code else msg.message
            store.record_server_error(text, self._wall())
            self._ratelog.log("server_error", f"server error frame: {text}")
        else:
            self._malformed("unknown_type", f"message of unknown type {msg.type[:60]!r} skipped")

    # --- helpers -------------------------------------------------------------------------

    def _take(self, events: Sequence[StreamEvent], source: Source) -> None:
        if not events:
            return
        result = self._sink.add_events(events, source)
        self._store.events_received += len(events)
        self._store.duplicates_dropped += result.duplicates
        if result.future:
            # Dropped by the store; keep them out of the stream activity too, or one bad
            # clock upstream would date "the newest event" (and catch-up) in the future.
            self._malformed(
                "future_timestamp", f"{result.future} event(s) dated ahead", result.future
            )
            horizon = int(self._wall() * 1000) + FUTURE_TOLERANCE_MS
            events = [e for e in events if event_time_ms(e) <= horizon]
        self._activity.received_at = self._clock()
        if source is not Source.LIVE or (self._plan is None and not self._open_gaps):
            self._observe_spans(events)  # the steady state: no catch-up plan, no open hole
            return
        live_pending = self._plan is not None
        for event in events:
            at = event_time_ms(event)
            stream = event["stream"]
            self._activity.observe(stream, at)
            if live_pending:
                self._reply.add_live(stream, at)
            if self._open_gaps and source is Source.LIVE:
                start = self._open_gaps.pop(stream, None)
                if start is not None and at > start:
                    self._record_gap(stream, start, at, "closed by the first live event")

    def _observe_spans(self, events: Sequence[StreamEvent]) -> None:
        """Tell the activity each stream's oldest and newest event and how many came.

        Same outcome as observing every event, at a fraction of the cost on the hot path:
        datetimes are compared as they are and only two per stream become milliseconds.
        """
        activity = self._activity
        if len(events) == 1:  # a single ``event`` frame: the low-rate case
            activity.observe(events[0]["stream"], event_time_ms(events[0]))
            return
        spans: dict[str, list[Any]] = {}
        try:
            for event in events:
                ts = event["timestamp"]
                span = spans.get(event["stream"])
                if span is None:
                    spans[event["stream"]] = [ts, ts, 1]
                else:
                    if ts < span[0]:
                        span[0] = ts
                    elif ts > span[1]:
                        span[1] = ts
                    span[2] += 1
        except TypeError:  # naive and aware timestamps in one frame do not compare
            for event in events:
                activity.observe(event["stream"], event_time_ms(event))
            return
        for stream, (first, last, count) in spans.items():
            activity.observe(stream, datetime_ms(first))
            if count > 1:
                activity.observe(stream, datetime_ms(last))
                activity.streams[stream].count += count - 2

    def _on_catchup(self, msg: CatchupMessage) -> None:
        if self._plan is None:
            return
        self._reply.add_catchup(msg.events)
        if msg.catch_up_end_time is not None:
            self._reply.end_ms = datetime_ms(msg.catch_up_end_time)
        self._resolve_catchup()

    def _resolve_catchup(self) -> None:
        plan, self._plan, self._catchup_deadline = self._plan, None, None
        if plan is None:
            return
        for span in plan_gaps(plan, self._reply):
            if span.end_ms is None:
                self._open_gaps[span.stream] = span.start_ms
            else:
                self._record_gap(span.stream, span.start_ms, span.end_ms, span.why)

    def _record_gap(self, stream: str, start_ms: int, end_ms: int, why: str) -> None:
        self._sink.record_gap(stream, start_ms, end_ms)
        self._store.gaps += 1
        log.info("gap in %s of %.1f s recorded: %s", stream, (end_ms - start_ms) / 1000, why)

    def _rejected(self, count: int, where: str) -> None:
        if count:
            self._malformed(
                "bad_event", f"{count} invalid event(s) skipped in a {where} frame", count
            )

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
