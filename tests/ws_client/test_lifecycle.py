"""Lifecycle with injected time: backoff schedule, attempts, resets, manual commands."""

from __future__ import annotations

import asyncio

import pytest

from app.backoff import BackoffPolicy
from app.stores.connection import ConnectionState
from tests.support.manager import (
    TIMEOUT,
    FakeClock,
    FlakyConnector,
    RecordingSink,
    RecordingSleep,
    delivered,
    make_settings,
    running,
)
from tests.support.scripted_server import ScriptedServer

State = ConnectionState
EXACT = BackoffPolicy(jitter=0.0)
"""The default schedule without jitter: 1, 2, 4, 8, 16, 30, 30..."""


async def test_backoff_schedule_doubles_to_the_cap(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """Refused connects wait 1, 2, 4, 8, 16, 30, 30, 30 s (rng fixed at the middle)."""
    sleep = RecordingSleep(block_after=8)
    middle = BackoffPolicy(rng=lambda: 0.5)
    connector = FlakyConnector(failing=True)
    async with (
        running(server.url, sink, backoff=middle, sleep=sleep, connector=connector) as manager,
        asyncio.timeout(TIMEOUT),
    ):
        await sleep.wait_for_count(8)
        assert sleep.delays == [1, 2, 4, 8, 16, 30, 30, 30]
        assert manager.state is State.RECONNECTING
        assert manager.store.reconnect_attempts == 8
        assert manager.store.next_retry_at is not None
        assert manager.store.reason.endswith(": connection refused")
        assert "scripted refusal" in manager.store.reason_detail


async def test_jittered_schedule_stays_within_twenty_percent(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """With the default +/- 20 % jitter every delay is near its base and never above 30 s."""
    sleep = RecordingSleep(block_after=10)
    async with (
        running(
            server.url,
            sink,
            backoff=BackoffPolicy(),
            sleep=sleep,
            connector=FlakyConnector(failing=True),
        ),
        asyncio.timeout(TIMEOUT),
    ):
        await sleep.wait_for_count(10)
    bases = [1, 2, 4, 8, 16, 30, 30, 30, 30, 30]
    for delay, base in zip(sleep.delays, bases, strict=True):
        assert base * 0.8 <= delay <= min(base * 1.2, 30)


async def test_attempts_run_out_into_error_and_reconnect_now_recovers(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """With max 3 attempts the state ends in error; a manual reconnect still works."""
    sleep = RecordingSleep()
    connector = FlakyConnector(failing=True)
    settings = make_settings(max_reconnect_attempts=3)
    async with (
        running(
            server.url, sink, settings, backoff=EXACT, sleep=sleep, connector=connector
        ) as manager,
        asyncio.timeout(TIMEOUT),
    ):
        await manager.wait_for_state(State.ERROR)
        assert sleep.delays == [1, 2, 4]
        assert connector.calls == 4  # the first connect and three retries
        assert manager.store.reason_code == "attempts_exhausted"
        assert "gave up after 3" in manager.store.reason
        assert manager.store.status()["connection"]["maxReconnectAttempts"] == 3
        connector.failing = False
        manager.reconnect_now()
        await manager.wait_for_state(State.CONNECTED)
        assert manager.store.reconnect_attempts == 0


async def test_reconnect_now_cuts_a_backoff_wait(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """While sleeping in backoff, reconnect_now() connects at once."""
    sleep = RecordingSleep(block_after=1)  # the first wait never ends by itself
    connector = FlakyConnector(fail=1)
    async with (
        running(server.url, sink, backoff=EXACT, sleep=sleep, connector=connector) as manager,
        asyncio.timeout(TIMEOUT),
    ):
        await sleep.wait_for_count(1)
        assert manager.state is State.RECONNECTING
        manager.reconnect_now()
        await manager.wait_for_state(State.CONNECTED)
        assert manager.store.next_retry_at is None


async def test_delay_resets_only_after_a_stable_connection(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A drop after a short connection keeps growing the delay; after stable_after it resets."""
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    connector = FlakyConnector(fail=2)
    settings = make_settings(stable_after=5.0)
    async with (
        running(
            server.url, sink, settings, backoff=EXACT, sleep=sleep, connector=connector, clock=clock
        ) as manager,
        asyncio.timeout(TIMEOUT),
    ):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        assert sleep.delays == [1, 2]
        server.drop_all()  # up for 0 s on the fake clock: not stable
        await sleep.wait_for_count(3)
        assert sleep.delays[2] == 4
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await manager.wait_for_state(State.CONNECTED)
        clock.now += 5.0  # now it has been up long enough
        server.drop_all()
        await sleep.wait_for_count(4)
        assert sleep.delays[3] == 1


async def test_accept_then_close_does_not_loop_tightly(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A server that accepts and closes at once meets the growing schedule, not a loop."""
    server.accept_and_close = True
    sleep = RecordingSleep(block_after=6)
    async with (
        running(server.url, sink, backoff=EXACT, sleep=sleep) as manager,
        asyncio.timeout(TIMEOUT),
    ):
        await sleep.wait_for_count(6)
        assert sleep.delays == [1, 2, 4, 8, 16, 30]
        assert server.connections == 6
        assert manager.store.reason_code == "link_lost"
        assert "code 1000" in manager.store.reason


async def test_disconnect_closes_gracefully_and_connect_resumes(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """disconnect() unsubscribes, closes with 1000 and stays down until connect()."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        client = server.clients[0]
        await manager.disconnect()
        assert manager.state is State.DISCONNECTED
        assert manager.store.confirmed_topics == []
        assert manager.store.topics == ["customer.tutor.search"]
        await server.wait_for(lambda: not server.clients)
        assert server.received[-1] == {"type": "unsubscribe", "topics": ["customer.tutor.search"]}
        assert client.conn.close_code == 1000
        await manager.connect()
        await manager.wait_for_state(State.CONNECTED)
        await server.wait_for(lambda: server.subscribed_clients() == 1)


async def test_reconnect_now_while_connected_reconnects_with_catchup(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """A manual reconnect closes the live link and opens a new one that asks for catch-up."""
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await delivered(server, sink, 2)
        manager.reconnect_now()
        await server.wait_for(lambda: server.connections == 2 and server.subscribed_clients() == 1)
        assert "lastTimestamp" in server.received[-1]
        assert manager.store.reconnects == 1
        assert manager.store.reconnect_attempts == 0


async def test_disconnect_during_backoff_stays_disconnected(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """disconnect() while waiting to retry ends the wait in the disconnected state."""
    sleep = RecordingSleep(block_after=1)
    connector = FlakyConnector(failing=True)
    async with (
        running(server.url, sink, backoff=EXACT, sleep=sleep, connector=connector) as manager,
        asyncio.timeout(TIMEOUT),
    ):
        await sleep.wait_for_count(1)
        await manager.disconnect()
        assert manager.state is State.DISCONNECTED
        assert manager.store.reason_code == "user"
        assert connector.calls == 1


async def test_stop_cancels_and_awaits_every_task(
    server: ScriptedServer, sink: RecordingSink
) -> None:
    """After stop() no task of the manager is left and the state is disconnected."""
    before = asyncio.all_tasks()
    async with running(server.url, sink) as manager, asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
    assert manager.state is State.DISCONNECTED
    assert asyncio.all_tasks() <= before
    with pytest.raises(RuntimeError, match="twice"):
        await manager.start()
        await manager.start()
    await manager.stop()
