"""ScenarioControl: refusals before any request, failures kept in words, events handed on,
the state read after each action, one action at a time, the refresh task's lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.datastructures import Headers

from app.context.scenario_client import ScenarioClient
from app.context.scenario_control import ScenarioControl
from app.security.actions import ActionPolicy
from app.security.auth import SESSION_COOKIE, TokenGate
from app.simulator import create_app
from app.stores.scenario import ScenarioStore
from tests.simulator.sim_helpers import fast_config
from tests.support import scripted_scenarios
from tests.support.scripted_scenarios import Script


def _control(app: Any, policy: ActionPolicy | None = None) -> ScenarioControl:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    return ScenarioControl(ScenarioClient(http, "http://sim"), ScenarioStore(), policy)


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[ScenarioControl, Script]]:
    """Scenario control over the scripted simulator."""
    script = Script()
    control = _control(scripted_scenarios.create_app(script))
    yield control, script
    await control.close()
    await control.client._client.aclose()


async def test_start_hands_events_over_and_reads_the_state(
    scripted: tuple[ScenarioControl, Script],
) -> None:
    """A start: on_events gets the answer's events; one state read follows."""
    control, script = scripted
    handed: list[list[Any]] = []
    control.on_events = handed.append
    await control.load_scenarios()
    outcome = await control.start("exam-season-surge")
    assert outcome.ok and outcome.text == "Exam season surge started"
    assert [[e["id"] for e in events] for events in handed] == [["scripted-1"]]
    assert [r[1] for r in script.requests[-2:]] == [
        "/api/simulation/scenario",
        "/api/simulation/state",
    ]
    active = control.store.active
    assert active is not None and active.streams == ("customer.tutor.search",)


async def test_failures_are_kept_for_every_tab(scripted: tuple[ScenarioControl, Script]) -> None:
    """A refused start is the store's last error; the next success clears it."""
    control, script = scripted
    script.refuse_start = (500, {"error": "engine down"})
    outcome = await control.start("exam-season-surge")
    error = control.store.last_error
    assert not outcome.ok and error is not None and error.text == outcome.text
    assert error.action == "start" and "engine down" in error.text
    assert control.store.pending is None
    script.refuse_start = None
    assert (await control.start("exam-season-surge")).ok
    assert control.store.last_error is None


async def test_stop_when_nothing_runs_and_reset(scripted: tuple[ScenarioControl, Script]) -> None:
    """Stop with nothing running says so; reset clears every run."""
    control, _ = scripted
    outcome = await control.stop()
    assert outcome.ok and outcome.text == "No scenario was running"
    await control.start("exam-season-surge")
    assert (await control.stop()).text == "Scenario stopped: settling back to baseline"
    assert control.store.settling is not None and control.store.settling_until_ms is not None
    assert (await control.reset()).ok and control.store.runs == ()


async def test_a_broken_events_consumer_does_not_undo_a_start(
    scripted: tuple[ScenarioControl, Script], caplog: pytest.LogCaptureFixture
) -> None:
    """on_events raising is logged; the start stands."""
    control, _ = scripted

    def broken(events: list[Any]) -> None:
        raise RuntimeError("consumer bug")

    control.on_events = broken
    assert (await control.start("exam-season-surge")).ok
    assert "on_events failed" in caplog.text
    caplog.clear()  # the expected ERROR record must not fail the run


async def test_one_action_at_a_time() -> None:
    """While a start waits for the simulator, a second action is refused at once."""
    gate, entered = asyncio.Event(), asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/scenario"):
            entered.set()
            await gate.wait()
        return httpx.Response(200, json={"success": True, "activeModifiers": []})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    control = ScenarioControl(ScenarioClient(http, "http://sim"), ScenarioStore())
    first = asyncio.create_task(control.start("exam-season-surge"))
    await asyncio.wait_for(entered.wait(), 5)
    second = await control.stop()
    assert not second.ok and "starting exam-season-surge" in second.text
    gate.set()
    assert (await first).ok


async def test_read_only_refuses_before_any_request() -> None:
    """Read-only: no request leaves the dashboard, the store is untouched."""
    script = Script()
    control = _control(scripted_scenarios.create_app(script), ActionPolicy(read_only=True))
    for outcome in (await control.start("x"), await control.stop(), await control.reset()):
        assert not outcome.ok and "read-only" in outcome.text
    assert script.requests == [] and control.store.version == 0


async def test_an_ended_session_cannot_act() -> None:
    """With a token, a tab whose session was logged out is refused; a live one acts."""
    script = Script()
    gate = TokenGate("a-token-of-some-length-123", 3600)
    control = _control(scripted_scenarios.create_app(script), ActionPolicy(gate=gate))
    cookie = gate.issue_session()
    tab = Headers({"cookie": f"{SESSION_COOKIE}={cookie}"})
    assert (await control.stop(tab)).ok
    assert not (await control.stop(None)).ok
    gate.end_session(cookie)
    ended = await control.reset(tab)
    assert not ended.ok and "session has ended" in ended.text
    assert [r[1] for r in script.requests if r[0] == "POST"] == ["/api/simulation/stop"]


async def test_background_refresh_loads_list_and_state_and_is_awaited() -> None:
    """request_refresh runs once at a time and close() cancels and awaits it."""
    app = create_app(fast_config(prefill=False))
    control = _control(app)
    control.request_refresh()
    control.request_refresh()  # covered by the one under way
    task = control._refresh
    assert task is not None
    await task
    assert len(control.store.scenarios) == 9 and control.store.state_at_ms is not None
    await control.close()
    assert control._refresh is None


async def test_state_failures_are_kept_apart() -> None:
    """A server without a state endpoint: state_error, and the runs stay as they were."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    control = ScenarioControl(ScenarioClient(http, "http://sim"), ScenarioStore())
    await control.refresh_state()
    problem = control.store.state_error
    assert problem is not None and "has no state endpoint" in problem.text
    assert control.store.last_error is None
