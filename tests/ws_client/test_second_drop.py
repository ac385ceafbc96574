"""A link that drops again before its catch-up reply: nothing missing, nothing unrecorded.

The scripted server produces events 5 s apart (so the 1 s catch-up overlap cannot hide a
lost event), sends no catch-up on the second link, then drops it while events keep coming.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from tests.support.manager import TIMEOUT, RecordingSink, delivered, running
from tests.support.scripted_server import ScriptedServer

STREAM = "customer.tutor.search"


@pytest.fixture
async def slow_server() -> AsyncIterator[ScriptedServer]:
    """A scripted server whose events are 5 s apart on its clock."""
    srv = ScriptedServer(step_ms=5_000)
    srv.now_ms -= 600_000  # a long run of events still ends in the past
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


def _ms(event: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(event["timestamp"]).timestamp() * 1000)


async def _drop_before_the_reply(server: ScriptedServer, sink: RecordingSink) -> list[Any]:
    """Link 1 delivers 5 events; outage 1 (4 events); link 2 delivers 2 live events but no
    catch-up; outage 2 (3 events); then link 3 with catch-up. Returns link 2's events."""
    await delivered(server, sink, 5)
    await server.stop()
    for _ in range(4):
        server.make_event()
    server.send_catchup = False  # link 2 never gets its reply
    await server.start()
    on_link2 = await delivered(server, sink, 2)
    await server.stop()
    for _ in range(3):
        server.make_event()
    server.send_catchup = True
    await server.start()
    await server.wait_for(lambda: server.subscribed_clients() == 1)
    return on_link2


async def test_second_drop_during_catchup_loses_no_event(
    slow_server: ScriptedServer, sink: RecordingSink
) -> None:
    """The third link asks for catch-up from before the FIRST outage: all of it comes back."""
    server = slow_server
    async with running(server.url, sink, catchup_wait=30.0), asyncio.timeout(TIMEOUT):
        await _drop_before_the_reply(server, sink)
        await sink.wait_for(lambda: len(sink.timestamps()) == len(server.events))
        subscribes = [m for m in server.received if m["type"] == "subscribe"]
        assert subscribes[2]["lastTimestamp"] == subscribes[1]["lastTimestamp"]
        assert sorted(sink.timestamps()) == sorted(_ms(e) for e in server.events)
        assert sink.gaps == []


async def test_second_drop_past_the_window_records_both_holes(
    slow_server: ScriptedServer, sink: RecordingSink
) -> None:
    """The first outage outlives the server's window: each outage becomes its own gap, and
    every event the client lacks lies inside one of them."""
    server = slow_server
    async with running(server.url, sink, catchup_wait=30.0), asyncio.timeout(TIMEOUT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        original = server.make_event
        jumped = False

        def jump_once(stream: str = STREAM) -> dict[str, Any]:
            nonlocal jumped
            if not jumped and len(server.events) == 5:  # the first outage: 10 minutes long
                jumped = True
                server.now_ms += 600_000
            return original(stream)

        server.make_event = jump_once  # type: ignore[method-assign]
        on_link2 = await _drop_before_the_reply(server, sink)
        await sink.wait_for(lambda: len(sink.gaps) == 2)
        first, second = sorted(sink.gaps, key=lambda g: g.start_ms)
        link1_last = _ms(server.events[4])
        assert (first.stream, first.start_ms, first.end_ms) == (
            STREAM,
            link1_last,
            _ms(on_link2[0]),
        )
        assert (second.start_ms, second.end_ms) == (_ms(on_link2[-1]), server.now_ms)
        stored = set(sink.timestamps())
        for event in server.events:
            at = _ms(event)
            inside = any(g.start_ms <= at <= g.end_ms for g in sink.gaps)
            assert at in stored or inside, f"event at {at} missing with no gap around it"
