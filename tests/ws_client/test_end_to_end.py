"""The manager against the scripted server: restarts, catch-up, silence, garbage, topics."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.stores.connection import ConnectionState
from app.stores.types import Source
from tests.support.manager import (
    TIMEOUT,
    FakeClock,
    RecordingSink,
    delivered,
    make_settings,
    running,
)
from tests.support.scripted_server import ScriptedServer

State = ConnectionState
STREAM = "customer.tutor.search"


async def test_connects_subscribes_and_stores_live_events(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A fresh manager subscribes to its topics and every pushed event lands in the store."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        assert server.received[0] == {"type": "subscribe", "topics": [STREAM]}
        await server.emit(3)
        await server.emit(4, batch=True)
        await sink.wait_for(lambda: len(sink.timestamps()) == 7)
        store = manager.store
        assert store.confirmed_topics == [STREAM]  # "subscribed" came before the events
        assert store.state is State.CONNECTED
        assert store.events_received == 7
        assert store.messages_received == 3 + 1 + 1  # subscribed, 3 events, 1 batch
        assert store.connected_since is not None


async def test_server_restart_mid_stream_delivers_every_event_exactly_once(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """Events produced while the server was down arrive by catch-up; overlap is deduplicated."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        for round_ in range(3):
            await server.wait_for(lambda: server.subscribed_clients() == 1)
            await server.emit(5)
            await server.emit(5, batch=True)
            await server.stop(abort=round_ != 1)  # two abrupt drops, one clean close
            for _ in range(4):
                server.make_event()  # produced while nobody listens
            await server.start()
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await server.emit(3)
        await sink.wait_for(lambda: len(sink.timestamps()) == len(server.events))
        assert len(sink.timestamps()) == len(set(sink.timestamps())) == len(server.events)
        store = manager.store
        assert store.reconnects == 3
        assert store.catchup_events >= 12
        assert sink.store.duplicates_dropped == store.events_received - len(server.events)
        assert sink.gaps == []
        resubscribes = [m for m in server.received if "lastTimestamp" in m]
        assert len(resubscribes) == 3


async def test_an_outage_catchup_made_whole_is_in_the_ledger_with_its_events(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """The interruption is recorded as recovered by catch-up, with the events it replayed."""
    async with running(server.url, sink), asyncio.timeout(TIMEOUT):
        await delivered(server, sink, 5)
        before = sink.timestamps()[-1]
        await server.stop(abort=True)
        for _ in range(4):
            server.make_event()  # produced while nobody listens
        await server.start()
        await sink.wait_for(lambda: bool(sink.store.ledger.all()))
        (entry,) = sink.store.ledger.all()
        assert (entry.stream, entry.state, entry.count) == (STREAM, "recovered", 4)
        assert entry.start_ms == before and entry.end_ms >= sink.timestamps()[-1]
        assert sink.gaps == [] and len(sink.timestamps()) == 9


async def test_resubscribe_uses_server_time_not_the_local_clock(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """lastTimestamp is the newest received event's server time minus the 1 s overlap."""
    server.now_ms -= 3_600_000  # the server's clock is an hour behind ours
    async with running(server.url, sink), asyncio.timeout(TIMEOUT):
        events = await delivered(server, sink, 5)
        server.drop_all()
        await server.wait_for(lambda: any("lastTimestamp" in m for m in server.received))
    resubscribe = next(m for m in server.received if "lastTimestamp" in m)
    newest = datetime.fromisoformat(events[-1]["timestamp"])
    assert datetime.fromisoformat(resubscribe["lastTimestamp"]) == newest - timedelta(seconds=1)
    assert resubscribe["topics"] == [STREAM]


async def test_silent_link_is_detected_within_the_silence_limit(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """No frame, no ping and no pong for 0.5 s: the link is dropped and a new one opened."""
    settings = make_settings(silence_limit=0.5)
    async with running(server.url, sink, settings) as manager, asyncio.timeout(TIMEOUT):
        await delivered(server, sink, 2)
        loop = asyncio.get_running_loop()
        silent_at = loop.time()
        server.go_silent()
        await manager.wait_for_state(State.RECONNECTING)
        detected = loop.time() - silent_at
        assert manager.store.reason_code == "silence"
        assert detected <= 0.5 + 0.3  # the limit, plus scheduling slack
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await manager.wait_for_state(State.CONNECTED)
        await server.emit(2)
        await sink.wait_for(lambda: len(sink.timestamps()) == 4)


async def test_idle_link_answering_probe_pings_stays_up(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A quiet but healthy server answers the client's probe ping, so nothing is dropped."""
    settings = make_settings(silence_limit=0.6)
    async with running(server.url, sink, settings) as manager:
        async with asyncio.timeout(TIMEOUT):
            await manager.wait_for_state(State.CONNECTED)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.3):  # over two silence limits
                await manager.wait_for_state(State.RECONNECTING, State.CONNECTING)
        assert manager.store.reconnects == 0


async def test_server_pings_count_as_activity(sink: RecordingSink) -> None:
    """With the client's probe off, the server's protocol pings alone keep the link alive."""
    server = ScriptedServer()
    server.ping_interval = 0.1
    await server.start()
    try:
        settings = make_settings(silence_limit=0.6)
        async with running(server.url, sink, settings, probe=False) as manager:
            async with asyncio.timeout(TIMEOUT):
                await manager.wait_for_state(State.CONNECTED)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(1.3):
                    await manager.wait_for_state(State.RECONNECTING, State.CONNECTING)
    finally:
        await server.stop()


GOOD = {"stream": STREAM, "normalizedValue": 50.0}


async def test_garbage_is_counted_by_kind_and_good_events_are_kept(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """Every kind of bad input is skipped and counted; the events around it are stored."""
    settings = make_settings(max_frame_bytes=1024)
    bad_event_bodies = [
        {"type": "event", "data": {"stream": STREAM}},  # no timestamp
        {"type": "event", "data": {"timestamp": "2026-11-26T10:00:00Z"}},  # no stream
        {"type": "event", "data": {**GOOD, "timestamp": "yesterday-ish"}},
        {"type": "event", "data": {**GOOD, "timestamp": "2026-11-26T10:00:00Z", "data": 7}},
        {"type": "event", "data": {**GOOD, "timestamp": 12, "normalizedValue": "high"}},
        {"type": "event", "data": {**GOOD, "timestamp": "2026-11-26T10:00:00Z", "stream": "_x"}},
    ]
    garbage: list[str | bytes] = [
        "{not json",
        b"\x00\x01binary",
        '{"type": "event", "data": {"stream": "x.y", "timestamp": "2026-11-26T10:00:00Z",'
        ' "normalizedValue": NaN}}',
        '{"type": "event", "data": {"stream": "x.y", "timestamp": "2026-11-26T10:00:00Z",'
        ' "normalizedValue": Infinity}}',
        '{"type": "telemetry", "x": 1}',
        "[1, 2, 3]",
        '{"type": "batch", "events": "not a list"}',
        json.dumps({"type": "event", "data": {**GOOD, "pad": "x" * 1500}}),  # over 1 KiB
        *[json.dumps(b) for b in bad_event_bodies],
    ]
    async with running(server.url, sink, settings) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        for frame in garbage:
            await server.emit(1)
            await server.send_raw(frame)
        batch = [server.make_event(), {"stream": STREAM, "timestamp": "bad"}, server.make_event()]
        await server.send_json({"type": "batch", "events": batch})
        await server.emit(1)
        await sink.wait_for(lambda: len(sink.timestamps()) == len(server.events))
        counts = manager.store.malformed_by_kind
        assert counts == {
            "invalid_json": 1,
            "binary": 1,
            "bad_event": 2 + 3,  # NaN, Infinity; no timestamp, no stream, data not an object
            "bad_timestamp": 3,  # "yesterday-ish", a number, "bad" (in the batch)
            "bad_stream_name": 1,
            "unknown_type": 1,
            "invalid_shape": 2,
            "too_large": 1,
        }
        status = manager.store.status()["counters"]
        assert status["malformedMessages"] == sum(counts.values())
        assert manager.state is State.CONNECTED
        assert manager.store.reconnects == 0


async def test_frame_beyond_the_hard_limit_costs_only_a_reconnect(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A frame over 4x the skip limit closes the link (1009); the manager reconnects."""
    settings = make_settings(max_frame_bytes=1024)
    async with running(server.url, sink, settings) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await server.send_raw("x" * 5000)
        await manager.wait_for_state(State.RECONNECTING)
        assert "1009" in manager.store.reason
        await delivered(server, sink, 2)


async def test_duplicates_are_dropped_and_counted(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """The same event sent twice (alone and in a batch) is stored once."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        (event,) = await server.emit(1)
        await server.send_json({"type": "event", "data": event})
        await server.send_json({"type": "batch", "events": [event, event]})
        await sink.wait_for(lambda: manager.store.events_received == 4)
        assert len(sink.timestamps()) == 1
        assert sink.store.duplicates_dropped == 3


async def test_outage_longer_than_the_catchup_window_records_a_gap(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """Down for 10 server-minutes: the empty catch-up leads to a gap [last, reconnect]."""
    async with running(server.url, sink), asyncio.timeout(TIMEOUT):
        events = await delivered(server, sink, 3)
        await server.stop()
        server.now_ms += 600_000
        await server.start()
        await sink.wait_for(lambda: len(sink.gaps) == 1)
        gap = sink.gaps[0]
        assert gap.stream == STREAM
        assert gap.start_ms == _ms(events[-1])
        assert gap.end_ms == server.now_ms
        assert len(sink.gaps) == 1


async def test_empty_catchup_when_events_were_expected_records_a_gap(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A server that replays nothing although the stream kept going leaves a recorded gap."""
    async with running(server.url, sink), asyncio.timeout(TIMEOUT):
        events = await delivered(server, sink, 6)
        await server.stop()
        server.catchup_window_ms = 0  # it forgot everything
        for _ in range(5):
            server.make_event()
        await server.start()
        await sink.wait_for(lambda: len(sink.gaps) == 1)
        assert (sink.gaps[0].start_ms, sink.gaps[0].end_ms) == (_ms(events[-1]), server.now_ms)
        assert len(sink.gaps) == 1


async def test_short_quiet_outage_records_no_gap(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """An empty catch-up after a blip in which the stream would not have spoken: no gap."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await delivered(server, sink, 6)
        server.catchup_window_ms = 0  # replays nothing, but nothing happened either
        server.drop_all()
        await server.wait_for(lambda: server.connections == 2 and server.subscribed_clients() == 1)
        await server.emit(1)  # arrives after the (empty) catch-up was handled
        await sink.wait_for(lambda: len(sink.timestamps()) == 7)
        assert manager.store.catchup_events == 0
        assert manager.store.reconnects == 1
        assert sink.gaps == []


async def test_server_without_catchup_gets_a_gap_closed_by_live_data(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """No catch-up reply at all after a long outage: the gap ends at the first live event."""
    clock = FakeClock()
    settings = make_settings(catchup_window=1.0)
    async with (
        running(server.url, sink, settings, clock=clock, catchup_wait=0.1),
        asyncio.timeout(TIMEOUT),
    ):
        events = await delivered(server, sink, 3)
        await server.stop()
        clock.now += 2.0  # longer than the 1 s window, as the client's clock sees it
        server.send_catchup = False
        await server.start()
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        (live,) = await server.emit(1)  # before or after the catch-up wait ends: same gap
        await sink.wait_for(lambda: len(sink.gaps) == 1)
        gap = sink.gaps[0]
        assert (gap.start_ms, gap.end_ms) == (_ms(events[-1]), _ms(live))
        assert len(sink.gaps) == 1


async def test_error_frames_are_recorded_and_the_link_stays(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """Error frames with and without a code are shown; unsubscribed is accepted."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await server.send_json({"type": "error", "code": "BAD_TOPIC", "message": "no such"})
        await server.send_json({"type": "error", "message": "original style"})
        await server.send_json({"type": "unsubscribed", "topics": [STREAM]})
        await server.emit(1)
        await sink.wait_for(lambda: len(sink.timestamps()) == 1)
        store = manager.store
        assert store.server_errors == 2
        assert store.last_error == "original style"
        assert store.confirmed_topics == []
        assert store.malformed_messages == 0
        assert store.state is State.CONNECTED


async def test_set_topics_resubscribes_with_the_full_set(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """Switching streams sends one subscribe with the whole new set."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await manager.set_topics(["supply.*", STREAM])
        await server.wait_for(lambda: len(server.received) == 2)
        assert server.received[-1] == {"type": "subscribe", "topics": ["supply.*", STREAM]}
        await manager.subscribe(["anomalies"])
        await manager.unsubscribe([STREAM])
        await server.wait_for(lambda: len(server.received) == 4)
        assert server.received[2]["topics"] == ["supply.*", STREAM, "anomalies"]
        assert server.received[3] == {"type": "unsubscribe", "topics": [STREAM]}
        assert manager.store.topics == ["supply.*", "anomalies"]
        await server.emit(1)  # arrives after the server's "subscribed" answers
        await sink.wait_for(lambda: len(sink.timestamps()) == 1)
        assert manager.store.confirmed_topics == ["supply.*", "anomalies"]
        with pytest.raises(ValueError, match="topic"):
            await manager.set_topics(["no spaces allowed"])


async def test_refused_connections_are_retried_until_accepted(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """HTTP 503 on the handshake, then a stopped listener; the manager keeps trying."""
    server.refusing = True
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await manager.wait_for_state(State.RECONNECTING)
        assert "503" in manager.store.reason
        await server.stop()
        server.refusing = False
        await manager.wait_for_state(State.RECONNECTING)
        await server.start()
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        assert manager.store.reconnect_attempts > 0


async def test_unexpected_exception_restarts_the_loop(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A crash inside the task is counted; the supervisor reconnects, catch-up refills."""
    real_add = sink.add_events
    calls = 0

    def flaky_add(events: Any, source: Source = Source.LIVE) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("store bug")
        return real_add(events, source)

    sink.add_events = flaky_add  # type: ignore[method-assign]
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await server.emit(3)
        await manager.wait_for_state(State.RECONNECTING)
        assert manager.store.task_restarts == 1
        assert manager.store.reason_code == "internal_error"
        await server.wait_for(lambda: server.connections == 2 and server.subscribed_clients() == 1)
        await server.emit(1)
        await sink.wait_for(lambda: len(sink.timestamps()) == 4)


def _ms(event: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(event["timestamp"]).timestamp() * 1000)


async def test_far_future_event_is_counted_and_does_not_date_the_catchup(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """An event from a broken clock upstream is skipped and counted; good events stay."""
    async with running(server.url, sink, make_settings()) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await server.emit(1)
        future = {**server.events[-1], "timestamp": "2100-01-01T00:00:00Z", "id": "far"}
        await server.send_json({"type": "event", "data": future})
        await server.emit(1)
        await sink.wait_for(lambda: len(sink.timestamps()) == 2 == len(server.events))
        assert manager.store.malformed_by_kind == {"future_timestamp": 1}
        newest = sink.newest_event_ms()
        assert newest is not None and newest < _ms({"timestamp": "2100-01-01T00:00:00Z"})
