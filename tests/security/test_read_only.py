"""``--read-only`` and live sessions: who may start, stop and reset scenarios.

The embedded simulator mounted behind the real security layer (``install``), through
httpx's ASGI transport: its state-changing routes answer 403 in the contract's error shape
while its reads keep working; the action policy refuses read-only and ended sessions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.datastructures import Headers

from app.config import load_settings
from app.security.actions import ActionPolicy, read_only_refusal
from app.security.auth import SESSION_COOKIE, TokenGate
from app.security.wiring import install
from app.simulator import Simulator, mount
from tests.simulator.sim_helpers import fast_config

BASE = "http://127.0.0.1:8080"
TOKEN = "a-token-of-some-length-123"


async def _served(*flags: str) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    mount(app, Simulator(fast_config()))
    install(app, load_settings(list(flags)), machine=set)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http


@pytest.fixture
async def read_only() -> AsyncIterator[httpx.AsyncClient]:
    """A client of the embedded simulator behind ``--read-only``."""
    async for http in _served("--read-only"):
        yield http


@pytest.fixture
async def writable() -> AsyncIterator[httpx.AsyncClient]:
    """The same without ``--read-only``."""
    async for http in _served():
        yield http


async def test_simulator_writes_answer_403_in_the_contract_shape(
    read_only: httpx.AsyncClient,
) -> None:
    """Start, stop and reset are refused with READ_ONLY; nothing starts."""
    start = {"scenarioId": "exam-season-surge"}
    for path, body in (("scenario", start), ("stop", {}), ("reset", None)):
        answer = await read_only.post(f"/api/simulation/{path}", json=body)
        assert answer.status_code == 403, path
        error = answer.json()["error"]
        assert error["code"] == "READ_ONLY" and "read-only" in error["message"]
    assert (await read_only.post("/api/simulation/stop/")).status_code == 403
    state = (await read_only.get("/api/simulation/state")).json()
    assert state["activeModifiers"] == []


async def test_reads_still_work_when_read_only(read_only: httpx.AsyncClient) -> None:
    """The list, the state and the history stay readable."""
    assert (await read_only.get("/api/simulation/scenarios")).status_code == 200
    assert (await read_only.get("/api/simulation/state")).status_code == 200


async def test_writes_pass_without_read_only(writable: httpx.AsyncClient) -> None:
    """Without the setting the same start works."""
    answer = await writable.post(
        "/api/simulation/scenario", json={"scenarioId": "exam-season-surge"}
    )
    assert answer.status_code == 200 and answer.json()["success"] is True


def test_read_only_rule_matches_the_control_routes_only() -> None:
    """POST to scenario, stop and reset; reads and other routes are not its business."""
    assert read_only_refusal("POST", "/api/simulation/reset") is not None
    assert read_only_refusal("GET", "/api/simulation/state") is None
    assert read_only_refusal("POST", "/api/dashboard/anything") is None


def test_policy_refuses_read_only_and_ended_sessions() -> None:
    """Read-only refuses everyone; with a token only a live session or the bearer may act."""
    assert ActionPolicy().refusal(None) is None
    refusal = ActionPolicy(read_only=True).refusal(None)
    assert refusal is not None and refusal.code == "READ_ONLY"
    gate = TokenGate(TOKEN, 3600)
    policy = ActionPolicy(gate=gate)
    cookie = gate.issue_session()
    live = Headers({"cookie": f"{SESSION_COOKIE}={cookie}"})
    assert policy.refusal(live) is None
    assert policy.refusal(Headers({"authorization": f"Bearer {TOKEN}"})) is None
    assert policy.refusal(None) is not None
    assert policy.refusal(Headers({"cookie": f"{SESSION_COOKIE}=forged.value.x"})) is not None
    gate.end_session(cookie)  # logged out in another tab
    ended = policy.refusal(live)
    assert ended is not None and ended.status == 401


async def test_with_a_token_only_the_logged_in_may_start() -> None:
    """``--auth-token``: a start without a session or bearer gets 401 and changes nothing."""
    async for http in _served("--auth-token", TOKEN):
        start = {"scenarioId": "exam-season-surge"}
        assert (await http.post("/api/simulation/scenario", json=start)).status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        state = (await http.get("/api/simulation/state", headers=bearer)).json()
        assert state["activeModifiers"] == []
        answer = await http.post("/api/simulation/scenario", json=start, headers=bearer)
        assert answer.status_code == 200
