"""StatePoller: answers, a server without the endpoint, failures with backoff, size limits."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest

from app.backoff import BackoffPolicy
from app.context.poller import StatePoller
from app.protocol import iso_utc
from app.simulator.app import create_app
from app.simulator.config import SimulatorConfig
from app.stores.external import ExternalEventStore

BASE = "http://sim.test:8765"
WAIT = 5.0
EXACT = BackoffPolicy(initial=1.0, maximum=30.0, jitter=0.0)

Handler = Callable[[httpx.Request], httpx.Response]


def active(ident: str, title: str = "Exam season") -> dict[str, Any]:
    """An external event dated a minute ago, as a state answer lists it."""
    return {
        "id": ident,
        "timestamp": iso_utc(time.time() * 1000 - 60_000),
        "type": "academic",
        "title": title,
        "severity": "warning",
        "expectedImpact": {"streams": ["customer.tutor.search"], "direction": "increase"},
    }


def state(*events: dict[str, Any]) -> dict[str, Any]:
    return {"baselineState": "custom", "activeModifiers": [], "activeEvents": list(events)}


class Script:
    """A MockTransport handler answering from a list (the last answer repeats)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.seen = asyncio.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.seen.set()
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def wait_requests(self, count: int) -> None:
        async with asyncio.timeout(WAIT):
            while len(self.requests) < count:
                self.seen.clear()
                await self.seen.wait()


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., tuple[StatePoller, ExternalEventStore]]]:
    """Build pollers over MockTransport handlers; each is stopped and its client closed."""
    made: list[tuple[StatePoller, httpx.AsyncClient]] = []

    def build(handler: Handler, **kw: Any) -> tuple[StatePoller, ExternalEventStore]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        store = ExternalEventStore()
        kw.setdefault("backoff", EXACT)
        poller = StatePoller(http, BASE, store, **kw)
        made.append((poller, http))
        return poller, store

    yield build
    for poller, http in made:
        await poller.stop()
        await http.aclose()


async def test_an_answer_files_its_events_and_tells_subscribers(make: Any) -> None:
    """activeEvents go to the store as 'state'; each subscriber gets the state object."""
    script = Script(httpx.Response(200, json=state(active("scenario-1"))))
    poller, store = make(script, interval=5.0)
    seen: list[Mapping[str, Any]] = []
    unsubscribe = poller.on_state(seen.append)
    assert await poller.poll_once() == 5.0
    assert [e.id for e in store.events()] == ["scenario-1"]
    assert store.events()[0].sources == ("state",)
    assert seen and seen[0]["baselineState"] == "custom"
    with pytest.raises(TypeError):
        seen[0]["baselineState"] = "x"  # type: ignore[index]
    assert poller.latest is seen[0]
    status = poller.status
    assert (status.availability, status.last_error, status.active_events) == ("available", None, 1)
    assert script.requests[0].url == BASE + "/api/simulation/state"
    unsubscribe()
    await poller.poll_once()
    assert len(seen) == 1, "an unsubscribed callback hears nothing more"
    assert len(store) == 1, "the same event twice is stored once"


async def test_a_server_without_the_endpoint_is_read_slowly(make: Any) -> None:
    """A 404 says so in words, is read again at the slow pace, and polling goes on."""
    body = {"error": {"code": "NOT_FOUND", "message": "no such route"}}
    script = Script(httpx.Response(404, json=body))
    poller, store = make(script, interval=0.01, slow_interval=0.02)
    assert await poller.poll_once() == 0.02
    status = poller.status
    assert status.availability == "absent" and status.failures == 0
    assert status.last_error == (
        "the simulator at sim.test:8765 has no state endpoint (GET /api/simulation/state: 404)"
    )
    assert "NOT_FOUND" in status.error_detail
    await poller.start()
    await script.wait_requests(4)
    assert poller.running and len(store) == 0


async def test_no_events_is_no_error(make: Any) -> None:
    """A state without activeEvents (or with an empty list) is a good answer."""
    script = Script(httpx.Response(200, json={"baselineState": "normal"}))
    poller, store = make(script)
    await poller.poll_once()
    assert poller.status.availability == "available" and len(store) == 0
    assert store.rejected_by_kind == {}


async def test_failures_back_off_then_an_answer_resets(make: Any) -> None:
    """5xx and network faults wait 1, 2, 4 ... 30 s (never less than the interval)."""
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    script = Script(
        httpx.Response(503, text="busy"),
        refused,
        *[httpx.Response(500, json={"error": {"code": "INTERNAL_ERROR", "message": "x"}})] * 5,
        httpx.Response(200, json=state()),
    )
    poller, _ = make(script, interval=1.5)
    delays = [await poller.poll_once() for _ in range(7)]
    assert delays == [1.5, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    status = poller.status
    assert status.availability == "failing" and status.failures == 7
    assert status.last_error == "server answered 500 INTERNAL_ERROR: x"
    assert await poller.poll_once() == 1.5
    assert (status.availability, status.failures, status.last_error) == ("available", 0, None)
    first = Script(refused)
    other, _ = make(first)
    await other.poll_once()
    refused_words = "cannot reach the simulator at sim.test:8765: connection refused"
    assert other.status.last_error == refused_words


@pytest.mark.parametrize("declared", [True, False])
async def test_an_oversized_answer_is_refused_unread(make: Any, declared: bool) -> None:
    """Over max_bytes (declared or streamed) is a failure; nothing reaches the store."""
    big = json.dumps(state(*(active(f"e{i}", "x" * 200) for i in range(100)))).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    def handler(request: httpx.Request) -> httpx.Response:
        if declared:
            return httpx.Response(200, content=big)
        return httpx.Response(200, content=chunks())

    poller, store = make(handler, max_bytes=2000, interval=0.5)
    assert await poller.poll_once() == 1.0
    assert poller.status.last_error is not None
    assert poller.status.last_error.startswith("state answer too large")
    assert len(store) == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html>oops</html>", "unusable state answer: not JSON"),
        (b"[1, 2]", "unusable state answer: a JSON list, not an object"),
    ],
)
async def test_an_answer_that_is_no_state_is_a_failure(make: Any, body: bytes, words: str) -> None:
    """Bodies that are not a JSON object fail in words, with backoff."""
    poller, _ = make(Script(httpx.Response(200, content=body)))
    await poller.poll_once()
    assert poller.status.last_error == words and poller.status.failures == 1


async def test_bad_active_events_are_counted(make: Any) -> None:
    """activeEvents that is not a list, and bad items in it, are counted and skipped."""
    poller, store = make(
        Script(
            httpx.Response(200, json={"activeEvents": "<b>all of them</b>"}),
            httpx.Response(200, json=state(active("ok"), {"title": "no id"})),
        )
    )
    await poller.poll_once()
    await poller.poll_once()
    assert [e.id for e in store.events()] == ["ok"]
    assert store.rejected_by_kind == {"bad_active_events": 1, "missing_id": 1}


async def test_a_failing_subscriber_does_not_stop_the_others(make: Any) -> None:
    """A subscriber that raises is logged; the next one still hears the state."""
    poller, _ = make(Script(httpx.Response(200, json=state())))
    heard: list[Mapping[str, Any]] = []

    def broken(_state: Mapping[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    poller.on_state(broken)
    poller.on_state(heard.append)
    await poller.poll_once()
    assert len(heard) == 1


async def test_stop_cancels_and_awaits_the_task(make: Any) -> None:
    """stop() ends the one task; poll_soon() reads at once instead of after the interval."""
    script = Script(httpx.Response(200, json=state()))
    poller, _ = make(script, interval=60.0)
    await poller.start()
    with pytest.raises(RuntimeError, match="twice"):
        await poller.start()
    await script.wait_requests(1)
    poller.poll_soon()
    await script.wait_requests(2)
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "state-poller"]
    assert len(tasks) == 1
    await poller.stop()
    assert tasks[0].done() and not poller.running


async def test_the_embedded_simulator_announces_a_scenario() -> None:
    """Against the real simulator: a started scenario's event comes in as 'state'."""
    app = create_app(SimulatorConfig(prefill=False))
    store = ExternalEventStore()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        poller = StatePoller(http, "http://simulator", store)
        await poller.poll_once()
        assert poller.status.availability == "available" and len(store) == 0
        run = app.state.simulator.activate("exam-season-surge")
        await poller.poll_once()
    (event,) = store.events()
    assert event.id == f"scenario-{run.number}-exam-season-surge"
    assert event.item.kind == "academic" and "customer.tutor.search" in event.item.streams
    assert event.item.end_ms is not None, "the scenario's duration makes a band"
