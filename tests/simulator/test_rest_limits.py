"""REST limits: bounded and depth-checked JSON bodies, clipped echoes, history bounds and the
history concurrency limit (through the ASGI app, and the endpoint called directly)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Message

from app.protocol import iso_utc
from app.simulator import create_app
from app.simulator.rest import (
    HISTORY_RETRY_AFTER_S,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    HistoryEndpoint,
    nesting_depth,
)
from app.simulator.service import Simulator
from tests.simulator.sim_helpers import WEDNESDAY_NOON, fast_config

NOW = WEDNESDAY_NOON + 1234.5
SCENARIO = "/api/simulation/scenario"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A client of a simulator app whose clock stands still at a Wednesday noon."""
    app = create_app(fast_config(clock=lambda: NOW))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        yield client


@pytest.fixture
async def history() -> AsyncIterator[tuple[httpx.AsyncClient, HistoryEndpoint]]:
    """The history endpoint alone on an app, with a handle on its slots."""
    endpoint = HistoryEndpoint(Simulator(fast_config(clock=lambda: NOW)))
    app = Starlette(routes=[Route("/api/simulation/history", endpoint)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        yield client, endpoint


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[[[[[[[[["}', 1),
        ('{"a": "\\"[[[["}', 1),
        ("1", 0),
        ("[" * 50 + "]" * 50, 50),
    ],
)
def test_nesting_depth(text: str, depth: int) -> None:
    """Brackets count outside strings only, escaped quotes included."""
    assert nesting_depth(text) == depth


async def test_deep_malformed_and_large_bodies(http: httpx.AsyncClient) -> None:
    """Nesting over the limit, bad JSON or bad UTF-8: 400; over 64 KiB: 413; all JSON."""
    deep = "[" * 30_000 + "]" * 30_000
    shallow = '{"scenarioId": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}"
    cases: list[tuple[bytes, int, str]] = [
        (deep.encode(), 400, "INVALID_SCENARIO"),
        (b'{"scenarioId": "payment-outage"', 400, "INVALID_SCENARIO"),
        (b'{"scenarioId": "\xff"}', 400, "INVALID_SCENARIO"),
        (shallow.encode(), 400, "INVALID_SCENARIO"),
        (b"[" * (MAX_JSON_BYTES + 1), 413, "PAYLOAD_TOO_LARGE"),
    ]
    for body, status, code in cases:
        response = await http.post(SCENARIO, content=body)
        assert response.status_code == status, body[:40]
        assert response.json()["error"]["code"] == code
        assert len(response.text) < 200
    assert "deeper than 32" in (await http.post(SCENARIO, content=deep)).text


async def test_unknown_names_are_echoed_clipped(http: httpx.AsyncClient) -> None:
    """An unknown scenario id or stream name comes back as a short escaped excerpt only."""
    hostile = '<script>alert(1)</script>\n"' + "x" * 10_000
    missing = await http.post(SCENARIO, json={"scenarioId": hostile})
    assert missing.status_code == 404
    message = missing.json()["error"]["message"]
    assert len(message) < 100 and "\n" not in message and message.endswith("...")
    names = ",".join(f"no.such.stream{n}{'y' * 200}" for n in range(50))
    params = {"start": iso_utc(int((NOW - 3600) * 1000)), "end": iso_utc(int(NOW * 1000))}
    unknown = await http.get("/api/simulation/history", params=params | {"streams": names})
    assert unknown.status_code == 404
    error = unknown.json()["error"]
    assert len(error["details"]["streams"]) == 20
    assert all(len(n) <= 60 for n in error["details"]["streams"]) and len(error["message"]) < 100


async def test_history_points_bound(http: httpx.AsyncClient) -> None:
    """7 days of all 50 streams fit; 14 days of them (201,600 points) do not; one stream
    for 31 days does."""

    def window(days: float) -> dict[str, str]:
        start = iso_utc(int((NOW - days * 86_400) * 1000))
        return {"start": start, "end": iso_utc(int(NOW * 1000))}

    assert (await http.get("/api/simulation/history", params=window(7))).status_code == 200
    too_many = await http.get("/api/simulation/history", params=window(14))
    assert too_many.status_code == 400 and "200000" in too_many.json()["error"]["message"]
    one = window(31) | {"streams": "customer.tutor.search"}
    assert (await http.get("/api/simulation/history", params=one)).status_code == 200


async def test_history_beyond_the_concurrency_limit_gets_429(
    history: tuple[httpx.AsyncClient, HistoryEndpoint],
) -> None:
    """With every slot busy a request gets 429 with Retry-After; slots come back after."""
    http, endpoint = history
    params = {"start": iso_utc(int((NOW - 3600) * 1000)), "end": iso_utc(int(NOW * 1000))}
    assert endpoint.slots.limit == 2
    endpoint.slots.busy = 2
    busy = await http.get("/api/simulation/history", params=params)
    assert busy.status_code == 429
    assert busy.headers["retry-after"] == str(HISTORY_RETRY_AFTER_S)
    assert busy.json()["error"]["code"] == "TOO_MANY_REQUESTS"
    endpoint.slots.busy = 1
    assert (await http.get("/api/simulation/history", params=params)).status_code == 200
    assert endpoint.slots.busy == 1 and endpoint.slots.refused == 1


async def test_history_slot_returned_when_the_client_leaves(
    history: tuple[httpx.AsyncClient, HistoryEndpoint],
) -> None:
    """A client gone while the answer is sent does not keep its slot."""
    _, endpoint = history
    query = f"start={iso_utc(int((NOW - 3600) * 1000))}&end={iso_utc(int(NOW * 1000))}"
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/api/simulation/history",
        "query_string": query.encode(),
        "headers": [],
    }

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            raise OSError("client gone")

    with pytest.raises(OSError):
        await endpoint(scope, receive, send)
    assert endpoint.slots.busy == 0
