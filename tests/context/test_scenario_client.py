"""ScenarioClient: answers of every kind in words, against MockTransport and the embedded
simulator's ASGI app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.context.scenario_client import ScenarioClient, ScenarioError
from app.simulator import create_app
from tests.simulator.sim_helpers import fast_config
from tests.support.asgi_thread import serve_in_thread
from tests.support.mock_http import Handler, answer
from tests.support.processes import free_port

BASE = "http://sim.test:8765/"


def client_for(handler: Handler, **kwargs: Any) -> ScenarioClient:
    """A ScenarioClient whose requests go to ``handler``."""
    transport = httpx.MockTransport(handler)
    return ScenarioClient(httpx.AsyncClient(transport=transport), BASE, **kwargs)


async def start_failure(handler: Handler, **kwargs: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        await client_for(handler, **kwargs).start("exam-season-surge")
    return info.value


async def test_requests_have_the_contract_paths_and_bodies() -> None:
    """List and state are GETs; start posts the id as JSON; stop and reset post ``{}``."""
    seen: list[tuple[str, str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))
        return httpx.Response(200, json={"success": True})

    client = client_for(handle)
    await client.scenarios()
    await client.state()
    await client.start("exam-season-surge")
    await client.stop()
    await client.reset()
    assert seen == [
        ("GET", "/api/simulation/scenarios", None),
        ("GET", "/api/simulation/state", None),
        ("POST", "/api/simulation/scenario", {"scenarioId": "exam-season-surge"}),
        ("POST", "/api/simulation/stop", {}),
        ("POST", "/api/simulation/reset", {}),
    ]


async def test_already_active_409() -> None:
    """409 SCENARIO_ALREADY_ACTIVE: a sentence that says what to do; the body as detail."""
    body = {"error": {"code": "SCENARIO_ALREADY_ACTIVE", "message": "payment-outage is active"}}
    err = await start_failure(answer(409, body))
    assert err.text == (
        "Could not start the scenario: another scenario is already running; stop it first"
    )
    assert (err.kind, err.status, err.code) == ("already_active", 409, "SCENARIO_ALREADY_ACTIVE")
    assert "payment-outage is active" in err.detail and "POST" in err.detail


async def test_not_found_404_and_a_missing_endpoint() -> None:
    """404 with SCENARIO_NOT_FOUND is about the scenario; a bare 404 is a missing endpoint."""
    body = {"error": {"code": "SCENARIO_NOT_FOUND", "message": "no scenario 'x'"}}
    err = await start_failure(answer(404, body))
    assert err.kind == "not_found"
    assert err.text == (
        "Could not start the scenario: the simulator does not know this scenario (no scenario 'x')"
    )
    bare = await start_failure(answer(404, {"detail": "Not Found"}))
    assert bare.kind == "unsupported" and "has no scenario endpoint (HTTP 404)" in bare.text
    assert "sim.test:8765" in bare.text


async def test_server_errors_in_both_shapes() -> None:
    """5xx in the contract's shape and in the original's ``{"error": "text"}``."""
    contract = {"error": {"code": "INTERNAL_ERROR", "message": "boom"}}
    err = await start_failure(answer(500, contract))
    assert (
        err.text == "Could not start the scenario: the simulator failed (HTTP 500: boom); try again"
    )
    assert (err.kind, err.code) == ("server", "INTERNAL_ERROR")
    original = await start_failure(answer(503, {"error": "Scenario engine unavailable"}))
    assert "(HTTP 503: Scenario engine unavailable)" in original.text and original.code is None
    html = await start_failure(answer(502, b"<html><b>Bad gateway</b></html>"))
    assert html.text.endswith("(HTTP 502); try again") and "<b>Bad gateway</b>" in html.detail


async def test_refusals_with_200_and_auth() -> None:
    """``success: false`` with 200 is a refusal; 401/403 point at the token."""
    err = await start_failure(answer(200, {"success": False, "message": "not now"}))
    assert err.kind == "refused" and "(not now)" in err.text
    denied = await start_failure(answer(403, {"error": {"code": "FORBIDDEN", "message": "no"}}))
    assert denied.text.endswith("(HTTP 403: no); check --simulator-token")


async def test_unusable_answers() -> None:
    """Not JSON, or JSON that is not an object, is refused with the body as detail."""
    for body in (b"<html>ok</html>", b"[1, 2]", b"[" * 100_000):
        err = await start_failure(answer(200, body))
        assert err.kind == "invalid" and "not a JSON object" in err.text


async def test_timeout_in_words() -> None:
    """A server that does not answer within the timeout."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={})

    err = await start_failure(slow, timeout=0.05)
    assert err.kind == "timeout"
    assert err.text == (
        "Could not start the scenario: no answer from the simulator at sim.test:8765 within 0.05 s"
    )


async def test_answers_over_the_cap_are_cut_off() -> None:
    """An answer larger than ``max_bytes`` is refused, declared or streamed."""
    err = await start_failure(answer(200, b"x" * 5000), max_bytes=1000)
    assert err.kind == "too_large"


async def test_network_fault_in_words() -> None:
    """Nobody listening: the same words as the connection badge uses."""
    async with httpx.AsyncClient() as http:
        client = ScenarioClient(http, f"http://127.0.0.1:{free_port()}", timeout=5)
        with pytest.raises(ScenarioError) as info:
            await client.stop()
    err = info.value
    assert err.kind == "network"
    assert err.text.startswith(
        "Could not stop the scenario: cannot reach the simulator at 127.0.0.1:"
    )
    assert err.text.endswith("connection refused") and "ConnectError" in err.detail


@pytest.fixture
async def embedded() -> AsyncIterator[ScenarioClient]:
    """A client of a real embedded simulator app (in-process)."""
    app = create_app(fast_config(prefill=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield ScenarioClient(http, "http://simulator")


async def test_against_the_embedded_simulator(embedded: ScenarioClient) -> None:
    """List, start, 409, 404, stop with settlingUntil, reset, and the state in between."""
    listed = await embedded.scenarios()
    assert len(listed["scenarios"]) == 9
    started = await embedded.start("exam-season-surge")
    assert started["success"] and started["events"][0]["injectedByAI"] is True
    with pytest.raises(ScenarioError) as busy:
        await embedded.start("payment-outage")
    assert busy.value.kind == "already_active"
    with pytest.raises(ScenarioError) as unknown:
        await embedded.start("no-such-scenario")
    assert unknown.value.kind == "not_found" and "no-such-scenario" in unknown.value.text
    state = await embedded.state()
    assert state["activeModifiers"][0]["phase"] == "active"
    stopped = await embedded.stop()
    assert stopped["success"] and stopped["settlingUntil"]
    assert (await embedded.state())["activeModifiers"][0]["phase"] == "settling"
    assert (await embedded.reset())["success"]
    assert (await embedded.state())["activeModifiers"] == []


async def test_against_a_simulator_over_tcp() -> None:
    """The same client over a real socket (the way an external simulator is reached)."""
    app = create_app(fast_config(prefill=False))
    with serve_in_thread(app) as port:
        async with httpx.AsyncClient() as http:
            client = ScenarioClient(http, f"http://127.0.0.1:{port}")
            assert (await client.start("support-overload"))["success"]
            assert (await client.stop())["settlingUntil"]
