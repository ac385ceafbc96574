"""What to ask for after a reconnect and which holes to record: pure, no socket, no clock.

After a reconnect the manager subscribes with ``lastTimestamp`` = the newest event it has
(server time) minus a small overlap; the store drops the overlap as duplicates. The
server replays only a recent window and answers an EMPTY catchup when asked for older
data, so an empty reply is ambiguous. :func:`plan_gaps` resolves it per stream:

- the link was down longer than the catch-up window, counted from ``lastTimestamp`` as
  the server counts it: the hole is [last event before the drop, first event after the
  reconnect], whatever the reply holds;
- the reply has nothing for a stream that, at its observed rate, should have produced
  several events in the outage, and the reply does not replay the overlap (so nothing
  shows the server still held the moment of the drop, e.g. it restarted empty): same hole;
- the reply holds as many events for a stream as the server keeps (1,000 in the
  original): the oldest were cut off, the hole is [last event, first replayed event].

A hole whose end is not known yet (no catch-up event, no ``catchUpEndTime``) stays open
until the stream's first live event closes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.protocol import StreamEvent, event_time_ms
from app.protocol.topics import may_deliver

OVERLAP_MS = 1_000
"""Replay this much before the newest event: events sharing its instant are not lost."""
EXPECTED_EVENTS = 3.0
"""A stream is expected to have spoken if the outage spans this many of its intervals."""
MIN_OBSERVED = 5
"""Events needed before a stream's rate is trusted."""
SERVER_REPLAY_CAP = 1_000
"""Events per stream the original server keeps for catch-up."""


@dataclass(slots=True)
class StreamStats:
    """What the client has seen of one stream on the wire (server times, ms)."""

    first_ms: int
    last_ms: int
    count: int = 1

    def interval_ms(self) -> float | None:
        """Mean time between events, once enough of them were seen."""
        if self.count < MIN_OBSERVED or self.last_ms <= self.first_ms:
            return None
        return (self.last_ms - self.first_ms) / (self.count - 1)


@dataclass(slots=True)
class StreamActivity:
    """Newest event and rate per stream, kept across reconnects by the manager."""

    streams: dict[str, StreamStats] = field(default_factory=dict)
    newest_ms: int | None = None
    received_at: float | None = None
    """The manager's clock when the last event arrived (for "how long was it quiet")."""

    def observe(self, stream: str, at_ms: int) -> None:
        stats = self.streams.get(stream)
        if stats is None:
            self.streams[stream] = StreamStats(at_ms, at_ms)
        else:
            stats.count += 1
            stats.first_ms = min(stats.first_ms, at_ms)
            stats.last_ms = max(stats.last_ms, at_ms)
        if self.newest_ms is None or at_ms > self.newest_ms:
            self.newest_ms = at_ms


@dataclass(frozen=True, slots=True)
class CatchupPlan:
    """The situation when the client re-subscribed after an outage."""

    last_ms: Mapping[str, int]
    """Per stream still subscribed: its newest event before the drop."""
    interval_ms: Mapping[str, float | None]
    newest_ms: int
    """The newest event of all, the instant catch-up must continue from."""
    quiet_s: float
    """Local seconds since that newest event arrived: the outage as the client saw it."""
    window_s: float
    made_at: float = 0.0
    """The client's clock (monotonic) when the plan was made."""

    @property
    def last_timestamp_ms(self) -> int:
        """The ``lastTimestamp`` to send: the newest event minus the overlap."""
        return self.newest_ms - OVERLAP_MS


def make_plan(
    activity: StreamActivity,
    topics: Sequence[str],
    newest_ms: int,
    quiet_s: float,
    window_s: float,
    known: Iterable[str] = (),
) -> CatchupPlan:
    """Snapshot the streams that matter: subscribed, and seen before or ``known``.

    A subscribed stream never seen on the wire (``known`` from history, say) had nothing
    up to ``newest_ms``, since the server delivers every subscribed stream in time order;
    so its possible hole starts there. Without it, a quiet stream's events lost in a long
    outage would be missing with no gap to show for it.
    """
    wanted = {s: st for s, st in activity.streams.items() if may_deliver(topics, s)}
    last_ms = {s: st.last_ms for s, st in wanted.items()}
    interval_ms = {s: st.interval_ms() for s, st in wanted.items()}
    for name in known:
        if name not in last_ms and may_deliver(topics, name):
            last_ms[name] = newest_ms
            interval_ms[name] = None
    return CatchupPlan(
        last_ms=last_ms,
        interval_ms=interval_ms,
        newest_ms=newest_ms,
        quiet_s=quiet_s,
        window_s=window_s,
    )


@dataclass(slots=True)
class CatchupReply:
    """The catch-up answer as seen per stream: the replayed times, and the server's end."""

    times: dict[str, list[int]] = field(default_factory=dict)
    """Per stream, the timestamps replayed (ms), in the order received (oldest first)."""
    end_ms: int | None = None
    answered: bool = False
    """A catchup message arrived (an overdue reply is judged with none)."""

    def add_catchup(self, events: Iterable[StreamEvent]) -> None:
        self.answered = True
        for event in events:
            self.times.setdefault(event["stream"], []).append(event_time_ms(event))

    def first_after(self, stream: str, ms: int) -> int | None:
        """The first replayed event of ``stream`` after ``ms`` (None: none)."""
        times = self.times.get(stream)
        if not times:
            return None
        later = [t for t in times if t > ms]
        return min(later) if later else None

    def reaches_back(self, ms: int) -> bool:
        """Whether any replayed event is at or before ``ms``: the server held that moment."""
        return any(min(times) <= ms for times in self.times.values() if times)

    def too_old(self, plan: CatchupPlan) -> bool:
        """Whether the server judged ``plan``'s ``lastTimestamp`` older than its window.

        The server judges the age of ``lastTimestamp`` (newest - OVERLAP_MS), not of the
        newest event: an outage within OVERLAP_MS of the window already gets an empty reply.
        """
        window_ms = plan.window_s * 1000
        return plan.quiet_s * 1000 + OVERLAP_MS > window_ms or (
            self.end_ms is not None and self.end_ms - plan.last_timestamp_ms > window_ms
        )


@dataclass(frozen=True, slots=True)
class GapSpan:
    """A hole to record; ``end_ms`` None means "until the stream's next live event"."""

    stream: str
    start_ms: int
    end_ms: int | None
    why: str


def plan_gaps(
    plan: CatchupPlan,
    reply: CatchupReply,
    live_first: Mapping[str, int] | None = None,
    too_old: bool | None = None,
) -> list[GapSpan]:
    """The holes the catch-up reply leaves, per stream (see the module docstring).

    ``live_first``: each stream's first live event after the plan was made (it ends a hole
    the reply says nothing about). ``too_old``: the server's verdict on the
    ``lastTimestamp`` actually sent, when another plan's was (default: this plan's).
    """
    live_first = live_first or {}
    if too_old is None:
        too_old = reply.too_old(plan)
    # The reply replays the overlap (an event at or before our newest): the server's buffer
    # reaches back past the drop, so a stream it replays nothing for had nothing. Without
    # this, a quiet spell of a Poisson stream (no event in 3 mean intervals: 5 %) showed
    # as a false gap after a plain restart.
    covered = reply.reaches_back(plan.newest_ms)
    spans: list[GapSpan] = []
    for stream, last in plan.last_ms.items():
        first = reply.first_after(stream, last)
        later = [t for t in (reply.end_ms, live_first.get(stream)) if t is not None]
        end = first if first is not None else (min(later) if later else None)
        replayed = reply.times.get(stream) or []
        if too_old:
            why = "outage longer than the catch-up window"
        elif first is None and not covered and _expected(plan, stream, last, end):
            why = "catch-up returned nothing although events were expected"
        elif len(replayed) >= SERVER_REPLAY_CAP and min(replayed) > last:
            why = "catch-up was cut at the server's per-stream cap"
        else:
            continue
        if end is None or end > last:
            spans.append(GapSpan(stream, last, end, why))
    return spans


@dataclass(frozen=True, slots=True)
class Recovered:
    """A stream the catch-up reply made whole after an outage, and the events it replayed."""

    stream: str
    start_ms: int
    end_ms: int
    events: int


def recovered(plan: CatchupPlan, reply: CatchupReply, gaps: Sequence[GapSpan]) -> list[Recovered]:
    """The streams of ``plan`` the reply settled without a hole (``gaps``: those with one).

    Each gets the outage as the server saw it, from the newest event before the drop to
    the reply's end (``catchUpEndTime``, else its newest replayed event), and the count of
    its replayed events the client did not hold. Without a reply, or with no way to tell
    when the outage ended, nothing is claimed.
    """
    if not reply.answered:
        return []
    newest_replayed = max((max(t) for t in reply.times.values() if t), default=None)
    end = reply.end_ms if reply.end_ms is not None else newest_replayed
    if end is None or end <= plan.newest_ms:
        return []
    holed = {g.stream for g in gaps}
    return [
        Recovered(stream, plan.newest_ms, end, sum(t > last for t in reply.times.get(stream, ())))
        for stream, last in plan.last_ms.items()
        if stream not in holed
    ]


def _expected(plan: CatchupPlan, stream: str, last: int, end: int | None) -> bool:
    interval = plan.interval_ms.get(stream)
    if interval is None or interval <= 0:
        return False
    # Without a known end, the outage is estimated from when the client last heard anything.
    span = end - last if end is not None else plan.quiet_s * 1000 + (plan.newest_ms - last)
    return span >= EXPECTED_EVENTS * interval
