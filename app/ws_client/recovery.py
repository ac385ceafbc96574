"""Catch-up and gap planning across links: the part of the client that outlives each link.

:class:`Recovery` is kept by the connection manager for the life of the process. It holds
what the client has seen of every stream on the wire (:class:`StreamActivity`), the
catch-up plan of the newest link until its reply resolves it, and the holes whose end is
not known yet (closed by the stream's next live event). A link that drops before its
catch-up reply loses none of it: the next link asks for catch-up from the older plan's
instant, and its reply is judged against the whole outage, both drops included.

The decisions themselves are pure functions of :mod:`app.ws_client.catchup`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from app.protocol import StreamEvent, datetime_ms, event_time_ms
from app.ws_client.catchup import (
    OVERLAP_MS,
    CatchupPlan,
    CatchupReply,
    StreamActivity,
    make_plan,
    plan_gaps,
    recovered,
)

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class GapSink(Protocol):
    """Where the interruption ledger goes: the stream store's ``record_gap`` (holes) and
    ``record_recovered`` (outages catch-up made whole)."""

    def record_gap(self, stream: str, start_ms: int, end_ms: int) -> object: ...

    def record_recovered(self, stream: str, start_ms: int, end_ms: int, events: int) -> object: ...


@dataclass(slots=True)
class _Pending:
    """A plan waiting for a catch-up reply, and the first live event of each stream since."""

    plan: CatchupPlan
    live_first: dict[str, int] = field(default_factory=dict)


class Recovery:
    """See the module docstring. Not thread-safe; the manager's task is its only user."""

    def __init__(self, sink: GapSink, *, window_s: float, clock: Clock = time.monotonic) -> None:
        self._sink = sink
        self._window_s = window_s
        self._clock = clock
        self.activity = StreamActivity()
        self._linked = False
        self._pending: list[_Pending] = []
        """Plans still to judge, oldest first: more than one after a drop during catch-up."""
        self._reply = CatchupReply()
        self._open: dict[str, int] = {}
        """Holes by stream whose end is not known yet: start ms."""

    @property
    def linked(self) -> bool:
        """True once a link has opened: the next one is a reconnect."""
        return self._linked

    @property
    def pending(self) -> bool:
        """True while a catch-up plan waits for its reply."""
        return bool(self._pending)

    def start_link(
        self, topics: Sequence[str], newest_ms: int | None, known: Iterable[str] = ()
    ) -> int | None:
        """A link opened: plan its catch-up; returns the ``lastTimestamp`` (ms) to send.

        ``newest_ms`` is the newest event the client holds (server time); ``known`` are
        streams known besides the wire (history), so a subscribed one never seen live still
        gets its hole after a long outage. The first link of the process plans nothing.
        When an earlier plan still waits (its link dropped before the reply), the request
        goes back to that plan's instant, so one reply can settle both outages.
        """
        linked, self._linked = self._linked, True
        if newest_ms is None or not linked:
            return None if newest_ms is None else newest_ms - OVERLAP_MS
        now = self._clock()
        received = self.activity.received_at
        quiet = 0.0 if received is None else now - received
        plan = make_plan(self.activity, topics, newest_ms, quiet, self._window_s, known)
        plan = self._supersede(replace(plan, made_at=now))
        self._pending.append(_Pending(plan))
        self._reply = CatchupReply()
        return self._pending[0].plan.last_timestamp_ms

    def _supersede(self, plan: CatchupPlan) -> CatchupPlan:
        """Hand ``plan`` the streams of older plans that had no live event since.

        Such a stream has one hole, from the older plan's start to whatever ends it now;
        a stream that did speak keeps its older hole (ending at that live event) apart.
        """
        last_ms = dict(plan.last_ms)
        for pending in self._pending:
            older = pending.plan
            quiet = [s for s in older.last_ms if s not in pending.live_first]
            for stream in quiet:
                if stream in last_ms:
                    last_ms[stream] = min(last_ms[stream], older.last_ms[stream])
            pending.plan = replace(
                older,
                last_ms={s: t for s, t in older.last_ms.items() if s in pending.live_first},
            )
        self._pending = [p for p in self._pending if p.plan.last_ms]
        return replace(plan, last_ms=last_ms)

    def observe(self, events: Sequence[StreamEvent], live: bool) -> None:
        """Events taken into the store: their streams' activity, and what they settle."""
        self.activity.received_at = self._clock()
        if not live or (not self._pending and not self._open):
            _observe_spans(self.activity, events)  # the steady state: nothing to settle
            return
        for event in events:
            at = event_time_ms(event)
            stream = event["stream"]
            self.activity.observe(stream, at)
            for pending in self._pending:
                pending.live_first.setdefault(stream, at)
            start = self._open.pop(stream, None) if self._open else None
            if start is not None and at > start:
                self._record(stream, start, at, "closed by the first live event")

    def on_catchup(self, events: Sequence[StreamEvent], end_ms: int | None) -> None:
        """The catch-up reply: resolves the plans (a reply to no plan is only data)."""
        if not self._pending:
            return
        self._reply.add_catchup(events)
        if end_ms is not None:
            self._reply.end_ms = end_ms
        self.resolve()

    def resolve(self) -> None:
        """Judge every waiting plan against the reply so far (also when it is overdue)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        # The oldest plan's lastTimestamp is the one sent; the server judged its age when the
        # newest link subscribed: that plan's quiet time plus the time between the links.
        sent, newest = pending[0].plan, pending[-1].plan
        quiet = sent.quiet_s + max(0.0, newest.made_at - sent.made_at)
        too_old = self._reply.too_old(replace(sent, quiet_s=quiet))
        for p in pending:
            spans = plan_gaps(p.plan, self._reply, p.live_first, too_old)
            for span in spans:
                if span.end_ms is None:
                    earlier = self._open.get(span.stream, span.start_ms)
                    self._open[span.stream] = min(span.start_ms, earlier)
                else:
                    self._record(span.stream, span.start_ms, span.end_ms, span.why)
            for r in recovered(p.plan, self._reply, spans):
                self._sink.record_recovered(r.stream, r.start_ms, r.end_ms, r.events)
        self._reply = CatchupReply()

    def _record(self, stream: str, start_ms: int, end_ms: int, why: str) -> None:
        self._sink.record_gap(stream, start_ms, end_ms)
        log.info("gap in %s of %.1f s recorded: %s", stream, (end_ms - start_ms) / 1000, why)


def _observe_spans(activity: StreamActivity, events: Sequence[StreamEvent]) -> None:
    """Tell the activity each stream's oldest and newest event and how many came.

    Same outcome as observing every event, at a fraction of the cost on the hot path:
    datetimes are compared as they are and only two per stream become milliseconds.
    """
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
