"""The health board: followed streams, states, staleness, "data as of", deltas, details."""

from __future__ import annotations

import pytest

from app.facts import StreamFacts
from app.protocol import StreamEvent, ms_datetime
from app.stores.connection import ConnectionState, ConnectionStore, ReasonCode
from app.stores.health import HealthBoard, level
from app.stores.streams import StreamStore

from .factory import sample

T0 = 1_795_000_000.0
STREAM = "customer.tutor.search"
UNKNOWN = "lab.unknown.stream"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def event(stream: str, at: float, value: float, n: int) -> StreamEvent:
    return StreamEvent(
        stream=stream, timestamp=ms_datetime(int(at * 1000)), normalizedValue=value, id=str(n)
    )


def make(topics: list[str]) -> tuple[HealthBoard, StreamStore, ConnectionStore, Clock]:
    clock = Clock()
    store = StreamStore(clock=clock)
    conn = ConnectionStore("ws://x/ws", topics)
    conn.transition(ConnectionState.CONNECTED, ReasonCode.CONNECTED, "up", clock.now)
    board = HealthBoard(store, conn, StreamFacts.packaged(), lambda: topics, clock)
    return board, store, conn, clock


@pytest.mark.parametrize(
    ("value", "state"),
    [(50, "normal"), (40, "normal"), (60, "normal"), (39.9, "warning"), (70, "warning"),
     (30, "warning"), (29.9, "critical"), (70.1, "critical"), (0, "critical")],
)  # fmt: skip
def test_levels_of_the_normalized_value(value: float, state: str) -> None:
    """normal 40-60, warning 30-40 and 60-70, critical beyond."""
    assert level(value) == state


def test_followed_streams_are_what_the_topics_deliver_in_full() -> None:
    """'*' follows the catalog and any valid stream seen; a domain only its streams."""
    board, store, _, clock = make(["*"])
    store.add_events([event(UNKNOWN, clock.now - 1, 50, 1), event("bad name", clock.now, 50, 2)])
    followed = board.followed()
    assert len(followed) == 51 and UNKNOWN in followed and "bad name" not in followed
    domain, _, _, _ = make(["support.*", "x.only"])
    assert len(domain.followed()) == 9 and domain.followed()[-1] == "x.only"


def test_cells_show_the_state_of_the_last_value_and_no_data() -> None:
    """A stream's cell follows its newest point; a stream with no point has no data."""
    board, store, _, clock = make(["customer.*"])
    store.add_events([event(STREAM, clock.now - 5, 75.04, 1)])
    board.tick()
    cell = board.cell(STREAM)
    assert cell is not None and (cell.state, cell.value) == ("critical", 75.0)
    quiet = board.cell("customer.signup.started")
    assert quiet is not None and quiet.state == "nodata" and quiet.since == T0


def test_a_stream_silent_past_its_learned_threshold_turns_stale() -> None:
    """One event a second for two minutes, then silence: stale after 30 s (the floor)."""
    board, store, _, clock = make([UNKNOWN])
    for n in range(120):
        store.add_events([event(UNKNOWN, clock.now, 50, n)])
        board.tick()
        clock.now += 1.0
    last_fresh = clock.now - 1.0
    clock.now += 29.0
    board.tick()
    assert board.cell(UNKNOWN).state == "normal"  # type: ignore[union-attr]
    clock.now += 2.0
    board.tick()
    cell = board.cell(UNKNOWN)
    assert cell is not None and cell.state == "stale" and cell.since == last_fresh
    assert board.stale_after_s(UNKNOWN) == 30.0


def test_a_stream_the_catalog_lacks_learns_its_pace_from_history() -> None:
    """Five-minute history, then silence from the start: stale after 10 x 5 min, not never."""
    board, store, _, clock = make([UNKNOWN])
    board.tick()
    assert board.stale_after_s(UNKNOWN) is None  # nothing known yet: no verdict
    now_ms = int(clock.now * 1000)
    store.add_history({UNKNOWN: [sample(now_ms - k * 300_000) for k in range(1, 100)]})
    board.tick()
    assert board.stale_after_s(UNKNOWN) == 3000.0
    clock.now += 2999.0
    board.tick()
    assert board.cell(UNKNOWN).state == "normal"  # type: ignore[union-attr]
    clock.now += 2.0
    board.tick()
    assert board.cell(UNKNOWN).state == "stale"  # type: ignore[union-attr]


def test_data_as_of_while_the_link_is_down_and_until_fresh_data() -> None:
    """Down: data as of the last frame; back: still until an event arrives."""
    board, _, conn, _ = make(["*"])
    conn.frame_received(T0 - 3)
    conn.transition(ConnectionState.RECONNECTING, ReasonCode.LINK_LOST, "gone", T0)
    board.tick()
    assert board.data_as_of == T0 - 3
    conn.transition(ConnectionState.CONNECTED, ReasonCode.CONNECTED, "up", T0 + 5)
    board.tick()
    assert board.data_as_of == T0 - 3
    conn.count_events(1)
    board.tick()
    assert board.data_as_of is None


def test_only_changed_cells_are_in_a_delta() -> None:
    """After the first tick, a change to one stream yields one cell."""
    board, store, _, clock = make(["customer.*"])
    version = board.tick()
    assert len(board.changes_since(0)) == 10
    assert board.changes_since(version) == []
    store.add_events([event(STREAM, clock.now, 45, 1)])
    newer = board.tick()
    assert newer == version + 1
    assert [c.stream for c in board.changes_since(version)] == [STREAM]
    assert board.tick() == newer  # nothing new: same version


def test_detail_has_deviation_raw_and_a_six_hour_sparkline() -> None:
    """The hover card: (value - 50) / 15, the raw value, 73 five-minute means."""
    board, store, _, clock = make([STREAM])
    store.add_events(
        [
            StreamEvent(
                stream=STREAM,
                timestamp=ms_datetime(int((clock.now - 600) * 1000)),
                normalizedValue=65.0,
                data={"value": 12.5},
                id="a",
            )
        ]
    )
    board.tick()
    detail = board.detail(STREAM)
    assert detail is not None
    assert (detail.value, detail.raw, detail.deviation) == (65.0, 12.5, 1.0)
    assert len(detail.spark) == 73
    assert [v for _, v in detail.spark if v is not None] == [65.0]
