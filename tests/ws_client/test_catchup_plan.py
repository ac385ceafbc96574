"""Which holes a catch-up reply leaves: the pure decision, stream by stream."""

from __future__ import annotations

from datetime import UTC, datetime

from app.protocol import StreamEvent
from app.protocol.topics import may_deliver
from app.ws_client.catchup import (
    OVERLAP_MS,
    CatchupReply,
    GapSpan,
    Recovered,
    StreamActivity,
    make_plan,
    plan_gaps,
    recovered,
)

T0 = 1_795_000_000_000
A, B = "customer.tutor.search", "supply.tutor.signup"


def activity(streams: dict[str, tuple[int, int, int]]) -> StreamActivity:
    """Activity where each stream saw ``count`` events every ``step`` ms ending at ``last``."""
    act = StreamActivity()
    for name, (last, step, count) in streams.items():
        for i in range(count):
            act.observe(name, last - (count - 1 - i) * step)
    return act


def event(stream: str, at_ms: int) -> StreamEvent:
    return StreamEvent(stream=stream, timestamp=datetime.fromtimestamp(at_ms / 1000, UTC))


def test_topic_matching() -> None:
    """``*``, a domain, an exact name and ``anomalies`` (which may carry any stream)."""
    assert may_deliver(["*"], A)
    assert may_deliver(["customer.*"], A)
    assert not may_deliver(["customer.*"], B)
    assert not may_deliver(["customer"], A)
    assert may_deliver([B, A], A)
    assert may_deliver(["anomalies"], B)


def test_plan_keeps_subscribed_streams_and_sends_newest_minus_overlap() -> None:
    """The plan snapshots last events of streams still subscribed; lastTimestamp overlaps."""
    act = activity({A: (T0, 100, 10), B: (T0 - 50, 1000, 3)})
    plan = make_plan(act, ["customer.*"], T0, quiet_s=2.0, window_s=300)
    assert dict(plan.last_ms) == {A: T0}
    assert plan.interval_ms[A] == 100
    assert plan.last_timestamp_ms == T0 - OVERLAP_MS


def test_catchup_that_continues_the_stream_leaves_no_gap() -> None:
    """Events replayed from before the last one (the overlap) onwards: covered."""
    plan = make_plan(activity({A: (T0, 100, 10)}), [A], T0, quiet_s=3.0, window_s=300)
    reply = CatchupReply(end_ms=T0 + 3000)
    reply.add_catchup([event(A, T0 - 500), event(A, T0 + 100)])
    assert plan_gaps(plan, reply) == []


def test_outage_longer_than_the_window_gaps_every_stream() -> None:
    """Too old by the local clock or by the server's end time: a gap up to the next data."""
    act = activity({A: (T0, 100, 10), B: (T0 - 400, 1000, 2)})
    plan = make_plan(act, ["*"], T0, quiet_s=400.0, window_s=300)
    reply = CatchupReply(end_ms=T0 + 400_000)
    reply.add_catchup([event(B, T0 + 399_000)])
    gaps = {(g.stream, g.start_ms, g.end_ms) for g in plan_gaps(plan, reply)}
    assert gaps == {(A, T0, T0 + 400_000), (B, T0 - 400, T0 + 399_000)}
    by_server = make_plan(act, ["*"], T0, quiet_s=1.0, window_s=300)
    assert len(plan_gaps(by_server, reply)) == 2


def test_empty_reply_gaps_only_streams_expected_to_have_spoken() -> None:
    """A busy stream silent in the reply is a hole; a slow or unknown-rate stream is not."""
    act = activity({A: (T0, 100, 10), B: (T0, 60_000, 10), "x.y": (T0, 0, 1)})
    plan = make_plan(act, ["*"], T0, quiet_s=5.0, window_s=300)
    spans = plan_gaps(plan, CatchupReply(end_ms=T0 + 5000))
    assert [(s.stream, s.start_ms, s.end_ms) for s in spans] == [(A, T0, T0 + 5000)]
    assert "expected" in spans[0].why


def test_unknown_end_leaves_the_gap_open_until_live_data() -> None:
    """No reply and no end time: the gap's end is left for the first live event."""
    plan = make_plan(activity({A: (T0, 100, 10)}), [A], T0, quiet_s=5.0, window_s=300)
    (span,) = plan_gaps(plan, CatchupReply())
    assert (span.start_ms, span.end_ms) == (T0, None)
    assert plan_gaps(plan, CatchupReply(), live_first={A: T0 + 4000})[0].end_ms == T0 + 4000


def test_reply_cut_at_the_servers_cap_gaps_the_front() -> None:
    """1,000 replayed events starting well after the last one: the front was cut off."""
    plan = make_plan(activity({A: (T0, 10, 10)}), [A], T0, quiet_s=60.0, window_s=300)
    reply = CatchupReply(end_ms=T0 + 60_000)
    reply.add_catchup([event(A, T0 + 50_000 + i) for i in range(1000)])
    (span,) = plan_gaps(plan, reply)
    assert (span.start_ms, span.end_ms) == (T0, T0 + 50_000)


def test_streams_the_reply_made_whole_are_recovered_with_their_new_events() -> None:
    """Each stream without a hole gets the outage (drop to reply end) and its new events."""
    act = activity({A: (T0, 100, 10), B: (T0 - 200, 5000, 6)})
    plan = make_plan(act, ["*"], T0, quiet_s=3.0, window_s=300)
    reply = CatchupReply(end_ms=T0 + 3000)
    reply.add_catchup([event(A, T0 - 500), event(A, T0 + 100), event(A, T0 + 900)])
    gaps = plan_gaps(plan, reply)
    assert gaps == []
    got = {r.stream: r for r in recovered(plan, reply, gaps)}
    assert got[A] == Recovered(A, T0, T0 + 3000, 2)  # the overlap event was held already
    assert got[B] == Recovered(B, T0, T0 + 3000, 0)  # nothing happened, and the reply says so


def test_nothing_is_claimed_recovered_without_a_reply_or_for_a_stream_with_a_hole() -> None:
    """An overdue reply proves nothing; a stream with a gap is the gap's, not recovered."""
    plan = make_plan(activity({A: (T0, 100, 10), B: (T0, 100, 10)}), ["*"], T0, 3.0, 300)
    assert recovered(plan, CatchupReply(), []) == []
    reply = CatchupReply(end_ms=T0 + 3000)
    reply.add_catchup([event(B, T0 - 500), event(B, T0 + 100)])
    assert plan_gaps(plan, reply) == []  # the reply reaches back past the drop
    holed = [GapSpan(A, T0, T0 + 3000, "say the server's cap cut it")]
    assert [r.stream for r in recovered(plan, reply, holed)] == [B]
    no_end = CatchupReply()
    no_end.add_catchup([])
    assert recovered(plan, no_end, []) == []  # no way to tell when the outage ended
