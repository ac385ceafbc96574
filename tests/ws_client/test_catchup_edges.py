"""Catch-up planning at its edges: the window as the server applies it (``lastTimestamp``
is the newest event minus the overlap), streams known only from history, and quiet
streams in a reply that proves the server held the whole outage."""

from __future__ import annotations

from datetime import UTC, datetime

from app.protocol import StreamEvent
from app.ws_client.catchup import OVERLAP_MS, CatchupReply, StreamActivity, make_plan, plan_gaps

T0 = 1_795_000_000_000
SLOW = "customer.signup.completed"
WINDOW_S = 2.0


def _activity(interval_ms: int, count: int = 10) -> StreamActivity:
    act = StreamActivity()
    for i in range(count):
        act.observe(SLOW, T0 - (count - 1 - i) * interval_ms)
    return act


def test_empty_reply_just_inside_the_window_but_past_it_for_the_server_is_a_gap() -> None:
    """Quiet for 1.5 s of a 2 s window: the server refused (since = newest - 1 s); a hole."""
    plan = make_plan(_activity(1_000), [SLOW], T0, quiet_s=1.5, window_s=WINDOW_S)
    # What the simulator answers when since < horizon - window: nothing, and its horizon.
    horizon = T0 + 1_600
    assert plan.last_timestamp_ms < horizon - WINDOW_S * 1000
    spans = plan_gaps(plan, CatchupReply(end_ms=horizon))
    assert [(s.stream, s.start_ms, s.end_ms) for s in spans] == [(SLOW, T0, horizon)]


def test_empty_reply_without_end_time_uses_the_quiet_time_plus_the_overlap() -> None:
    """No catchUpEndTime (the original): quiet + overlap past the window is already too old."""
    quiet = WINDOW_S - OVERLAP_MS / 1000 + 0.2
    plan = make_plan(_activity(1_000), [SLOW], T0, quiet_s=quiet, window_s=WINDOW_S)
    (span,) = plan_gaps(plan, CatchupReply())
    assert span.start_ms == T0 and span.end_ms is None


def test_reply_well_inside_the_window_leaves_no_gap() -> None:
    """A short outage the server could replay, with nothing in it: no hole is invented."""
    plan = make_plan(_activity(1_000), [SLOW], T0, quiet_s=0.3, window_s=WINDOW_S)
    assert plan_gaps(plan, CatchupReply(end_ms=T0 + 400)) == []


def test_a_subscribed_stream_never_seen_live_still_gets_a_gap() -> None:
    """Known only from history, quiet before the outage: its hole starts at the newest event."""
    quiet_stream, other = "customer.tutor.search", "tutor.login.event"
    plan = make_plan(
        _activity(1_000),
        ["customer.*"],
        T0,
        quiet_s=5.0,
        window_s=WINDOW_S,
        known=[SLOW, quiet_stream, other],
    )
    spans = plan_gaps(plan, CatchupReply(end_ms=T0 + 6_000))
    assert {(s.stream, s.start_ms, s.end_ms) for s in spans} == {
        (SLOW, T0, T0 + 6_000),
        (quiet_stream, T0, T0 + 6_000),
    }


def test_a_known_stream_gets_no_gap_when_catchup_could_cover_it() -> None:
    """Inside the window an empty reply for a never-seen stream means nothing happened."""
    plan = make_plan(
        _activity(1_000),
        ["customer.*"],
        T0,
        quiet_s=0.2,
        window_s=WINDOW_S,
        known=["customer.tutor.search"],
    )
    assert plan_gaps(plan, CatchupReply(end_ms=T0 + 300)) == []


def _event(stream: str, at_ms: int) -> StreamEvent:
    return StreamEvent(stream=stream, timestamp=datetime.fromtimestamp(at_ms / 1000, UTC))


def test_quiet_stream_in_a_reply_that_replays_the_overlap_is_not_a_gap() -> None:
    """The server replayed our newest event: it held the outage; silence means silence."""
    busy = "customer.page.view"
    act = _activity(1_000)
    for i in range(10):
        act.observe(busy, T0 - 900 + i * 100)
    plan = make_plan(act, ["customer.*"], T0, quiet_s=1.0, window_s=300)
    reply = CatchupReply(end_ms=T0 + 6_000)
    reply.add_catchup([_event(busy, T0), _event(busy, T0 + 3_000)])
    assert plan_gaps(plan, reply) == []


def test_quiet_stream_in_a_reply_without_the_overlap_is_a_gap() -> None:
    """Nothing replayed from before the drop (a server restarted empty): a hole is likely."""
    busy = "customer.page.view"
    act = _activity(1_000)
    act.observe(busy, T0)
    plan = make_plan(act, ["customer.*"], T0, quiet_s=1.0, window_s=300)
    reply = CatchupReply(end_ms=T0 + 6_000)
    reply.add_catchup([_event(busy, T0 + 3_000)])
    assert [s.stream for s in plan_gaps(plan, reply)] == [SLOW]
