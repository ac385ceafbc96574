"""The /ws endpoint over a real socket: subscriptions, batching, catch-up, bad input."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from app.protocol import BatchMessage, CatchupMessage, EventMessage, iso_utc, parse_frame
from tests.simulator.sim_helpers import (
    SIM_CLOCK,
    TIMEOUT,
    Running,
    client,
    events_of,
    fast_config,
    recv_json,
    recv_until,
    run_server,
)

pytestmark = pytest.mark.asyncio


async def _subscribe(ws: Any, topics: list[str], **extra: Any) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "subscribe", "topics": topics, **extra}))
    reply, _ = await recv_until(ws, lambda m: m["type"] == "subscribed")
    return reply


async def _collect(ws: Any, count: int) -> list[dict[str, Any]]:
    """At least ``count`` events from event/batch frames."""
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        while len(events) < count:
            message = json.loads(await ws.recv())
            if message["type"] in ("event", "batch"):
                events.extend(events_of(message))
    return events


async def test_patterns_select_streams() -> None:
    """'*', 'domain.*', an exact name and 'anomalies' each receive only what they match."""
    async with run_server(fast_config(rate=400)) as srv:
        async with client(srv) as star, client(srv) as dom, client(srv) as exact:
            assert (await _subscribe(star, ["*"]))["topics"] == ["*"]
            await _subscribe(dom, ["support.*"])
            await _subscribe(exact, ["api.request.log"])
            everything = await _collect(star, 300)
            assert len({e["stream"].split(".")[0] for e in everything}) >= 3
            assert all(e["stream"].startswith("support.") for e in await _collect(dom, 20))
            assert {e["stream"] for e in await _collect(exact, 50)} == {"api.request.log"}
        srv.sim.activate("payment-outage")
        async with client(srv) as anomalies:
            await _subscribe(anomalies, ["anomalies"])
            flagged = await _collect(anomalies, 10)
            assert all(e["anomalyFlag"] in ("warning", "critical") for e in flagged)


async def test_subscribe_replaces_and_unsubscribe_removes() -> None:
    """A second subscribe replaces the first; unsubscribe removes topics."""
    async with run_server(fast_config(rate=400)) as srv, client(srv) as ws:
        await _subscribe(ws, ["api.request.log"])
        await _collect(ws, 5)
        await _subscribe(ws, ["customer.page.view", "tutor.*"])
        after = await _collect(ws, 100)
        assert "api.request.log" not in {e["stream"] for e in after}
        assert {e["stream"] for e in after} & {"customer.page.view"}
        await ws.send(json.dumps({"type": "unsubscribe", "topics": ["customer.page.view"]}))
        reply, _ = await recv_until(ws, lambda m: m["type"] == "unsubscribed")
        assert reply["topics"] == ["customer.page.view"]
        later = await _collect(ws, 30)
        assert all(e["stream"].startswith("tutor.") for e in later)


async def test_flushes_batch_many_events_and_send_single_ones_as_event() -> None:
    """A busy flush is one 'batch' frame; a flush with one event is an 'event' frame."""
    async with run_server(fast_config(rate=400)) as srv, client(srv) as busy:
        await _subscribe(busy, ["*"])
        batch, _ = await recv_until(busy, lambda m: m["type"] == "batch")
        assert isinstance(parse_frame(json.dumps(batch)), BatchMessage)
    async with run_server(fast_config(rate=5)) as srv, client(srv) as quiet:
        await _subscribe(quiet, ["customer.page.view"])
        single, _ = await recv_until(quiet, lambda m: m["type"] == "event")
        message = parse_frame(json.dumps(single))
        assert isinstance(message, EventMessage)
        assert message.data["stream"] == "customer.page.view" and message.data["id"]


async def test_two_clients_see_the_same_events_with_increasing_seq() -> None:
    """One shared generator: two subscribers of a topic get identical events, seq ascending."""
    async with run_server(fast_config(rate=400)) as srv, client(srv) as a, client(srv) as b:
        await _subscribe(a, ["customer.*"])
        await _subscribe(b, ["customer.*"])
        seen_a = await _collect(a, 200)
        seen_b = await _collect(b, 200)
        first = max(seen_a[0]["seq"], seen_b[0]["seq"])
        last = min(seen_a[-1]["seq"], seen_b[-1]["seq"])
        window_a = [e for e in seen_a if first <= e["seq"] <= last]
        window_b = [e for e in seen_b if first <= e["seq"] <= last]
        assert window_a == window_b and len(window_a) > 50
        seqs = [e["seq"] for e in seen_a]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_catchup_replays_events_after_last_timestamp() -> None:
    """lastTimestamp inside the window: one catchup of the missed events, oldest first."""
    async with run_server(fast_config(rate=200)) as srv:
        async with client(srv) as live:
            await _subscribe(live, ["session.*"])
            seen = await _collect(live, 60)
        async with client(srv) as late:
            since = seen[10]["timestamp"]
            await late.send(
                json.dumps({"type": "subscribe", "topics": ["session.*"], "lastTimestamp": since})
            )
            assert (await recv_json(late))["type"] == "subscribed"
            raw = await recv_json(late)
            catchup = parse_frame(json.dumps(raw))
            assert isinstance(catchup, CatchupMessage) and catchup.catch_up_end_time
            ids = [e["id"] for e in raw["events"]]
            expected = [e["id"] for e in seen if e["timestamp"] > since]
            assert ids[: len(expected)] == expected
            assert all(e["timestamp"] > since for e in raw["events"])
            assert [e["seq"] for e in raw["events"]] == sorted(e["seq"] for e in raw["events"])
            assert all(e["stream"].startswith("session.") for e in raw["events"])
            nxt, _ = await recv_until(late, lambda m: m["type"] in ("event", "batch"))
            assert events_of(nxt)[0]["timestamp"] >= raw["catchUpEndTime"]


async def test_catchup_beyond_the_window_is_empty() -> None:
    """lastTimestamp older than the window gets an EMPTY catchup, as the original does."""
    async with (
        run_server(fast_config(rate=200, catchup_window_s=2.0)) as srv,
        client(srv) as ws,
    ):
        since = iso_utc(int((SIM_CLOCK() - 30) * 1000))
        await _subscribe(ws, ["*"], lastTimestamp=since)
        catchup, _ = await recv_until(ws, lambda m: m["type"] == "catchup")
        assert catchup["events"] == [] and catchup["catchUpEndTime"]


async def test_a_restarted_simulator_replays_what_the_previous_one_sent() -> None:
    """Same seed after a restart: catch-up returns the very events (ids, seqs) sent before."""
    config = fast_config(rate=100)
    async with run_server(config) as first, client(first) as ws:
        await _subscribe(ws, ["customer.*"])
        before = await _collect(ws, 80)
    async with run_server(config) as second, client(second) as ws:
        since = before[20]["timestamp"]
        await _subscribe(ws, ["customer.*"], lastTimestamp=since)
        catchup, _ = await recv_until(ws, lambda m: m["type"] == "catchup")
        replayed = {e["id"]: e for e in catchup["events"]}
        missed = [e for e in before if e["timestamp"] > since]
        assert missed and all(replayed[e["id"]] == e for e in missed)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "INVALID_JSON"),
        ("[1, 2]", "INVALID_MESSAGE"),
        ('{"type": "dance"}', "UNKNOWN_TYPE"),
        ('{"type": "subscribe", "topics": "customer.*"}', "INVALID_TOPICS"),
        ('{"type": "subscribe", "topics": [1, 2]}', "INVALID_TOPICS"),
        ('{"type": "subscribe"}', "INVALID_TOPICS"),
        ('{"type": "subscribe", "topics": ["bad topic"]}', "INVALID_TOPICS"),
        ('{"type": "unsubscribe", "topics": null}', "INVALID_TOPICS"),
        (
            '{"type": "subscribe", "topics": ["*"], "lastTimestamp": "yesterday"}',
            "INVALID_TIMESTAMP",
        ),
    ],
)
async def test_bad_input_gets_an_error_frame_and_the_link_stays_open(frame: str, code: str) -> None:
    """Each bad message gets an error frame with a code; the connection keeps working."""
    async with run_server(fast_config(rate=50)) as srv, client(srv) as ws:
        await ws.send(frame)
        error = await recv_json(ws)
        assert error["type"] == "error" and error["code"] == code and error["message"]
        assert (await _subscribe(ws, ["customer.*"]))["topics"] == ["customer.*"]


async def test_binary_frames_get_an_error_frame() -> None:
    """A binary frame is refused with an error frame; the link stays open."""
    async with run_server(fast_config(rate=50)) as srv, client(srv) as ws:
        await ws.send(b'{"type": "subscribe", "topics": ["*"]}')
        assert (await recv_json(ws))["code"] == "INVALID_JSON"
        await _subscribe(ws, ["*"])


async def _assert_too_big_closes(srv: Running) -> None:
    async with client(srv, max_size=None) as ws:
        ok = json.dumps({"type": "subscribe", "topics": ["x" * (1024 * 1024 - 100)]})
        await ws.send(ok)
        assert (await recv_json(ws))["code"] == "INVALID_TOPICS"
        await ws.send("x" * (1024 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(TIMEOUT):
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_frame_over_one_mebibyte_closes_with_1009() -> None:
    """Standalone (uvicorn ws_max_size = 1 MiB): a bigger frame closes the link with 1009."""
    async with run_server(fast_config(rate=5)) as srv:
        await _assert_too_big_closes(srv)


async def test_the_endpoint_enforces_the_limit_behind_a_larger_server_limit() -> None:
    """Mounted on a server with a larger ws_max_size, the endpoint itself closes with 1009."""
    async with run_server(fast_config(rate=5), ws_max_size=16 * 1024 * 1024) as srv:
        await _assert_too_big_closes(srv)
