"""REST: history shape and errors, state, scenarios, stop and reset (through the ASGI app)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.protocol import HistoryResult, iso_utc, parse_error_body, parse_history
from app.simulator import create_app
from app.simulator.service import Simulator
from tests.simulator.sim_helpers import WEDNESDAY_NOON, fast_config

NOW = WEDNESDAY_NOON + 1234.5


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, Simulator]]:
    """An httpx client on a simulator app whose clock stands still at a Wednesday noon."""
    app = create_app(fast_config(clock=lambda: NOW))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        yield http, app.state.simulator


def _iso(seconds: float) -> str:
    return iso_utc(int(seconds * 1000))


async def test_history_has_the_contract_shape(api: tuple[httpx.AsyncClient, Simulator]) -> None:
    """A week of all streams: 5-minute buckets, events and baselineStats that parse."""
    http, _ = api
    start = NOW - 7 * 86_400
    response = await http.get(
        "/api/simulation/history", params={"start": _iso(start), "end": _iso(NOW)}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"timeRange", "streams", "events", "baselineStats"}
    result = parse_history(response.content)
    assert isinstance(result, HistoryResult) and result.shape == "contract"
    assert len(result.streams) == 50 and len(result.baselines) == 50
    points = result.streams["customer.tutor.search"]
    assert len(points) == 7 * 288
    assert all(b.ts_ms - a.ts_ms == 300_000 for a, b in itertools.pairwise(points))
    assert points[-1].ts_ms <= NOW * 1000
    assert result.events and all(e["expectedImpact"] for e in result.events)
    stats = result.baselines["customer.tutor.search"]
    values = sorted(p.value for p in points if p.value is not None)
    assert stats.min == values[0] and stats.max == values[-1]
    assert stats.percentiles and stats.percentiles.p50 == pytest.approx(stats.median)
    assert stats.patterns and stats.patterns.weekend_avg > stats.patterns.weekday_avg  # type: ignore[operator]
    normals = [p.normalized for p in points if p.normalized is not None]
    assert 45 < sum(normals) / len(normals) < 55


async def test_history_interval_and_stream_selection(
    api: tuple[httpx.AsyncClient, Simulator],
) -> None:
    """``streams=a,b`` limits the streams; ``interval`` sets the bucket width."""
    http, _ = api
    params = {
        "start": _iso(NOW - 86_400),
        "end": _iso(NOW),
        "streams": "api.request.log,customer.page.view",
        "interval": "3600",
    }
    body = (await http.get("/api/simulation/history", params=params)).json()
    assert set(body["streams"]) == {"api.request.log", "customer.page.view"}
    assert len(body["streams"]["api.request.log"]) == 24


async def test_history_agrees_with_live_events(api: tuple[httpx.AsyncClient, Simulator]) -> None:
    """A live event's normalizedValue and value equal those of the bucket it falls in."""
    http, sim = api
    stream = sim.catalog.get("customer.tutor.search")
    assert stream is not None
    length = sim.generator.slot_ms[stream.index]
    events: list[dict[str, Any]] = []
    index = int(NOW * 1000) // length
    while len(events) < 5:
        index -= 1
        events += [json.loads(e.json) for e in sim.generator.slot(stream, index, ()).events]
    params = {"start": _iso(NOW - 3600), "end": _iso(NOW), "streams": stream.name}
    body = (await http.get("/api/simulation/history", params=params)).json()
    buckets = {p["timestamp"]: p for p in body["streams"][stream.name]}
    for event in events:
        ts = int(event["seq"] // 1_000_000)
        bucket = buckets[_iso((ts // 300_000) * 300)]
        assert event["normalizedValue"] == pytest.approx(bucket["normalized"], abs=0.01)
        assert event["data"]["value"] == pytest.approx(bucket["value"], rel=1e-3)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "INVALID_TIME_RANGE"),
        ({"start": "2026-11-20T00:00:00Z"}, 400, "INVALID_TIME_RANGE"),
        ({"start": "last week", "end": "2026-11-20T00:00:00Z"}, 400, "INVALID_TIME_RANGE"),
        (
            {"start": "2026-11-20T00:00:00Z", "end": "2026-11-19T00:00:00Z"},
            400,
            "INVALID_TIME_RANGE",
        ),
        (
            {"start": "2026-10-01T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
            400,
            "INVALID_TIME_RANGE",
        ),
        (
            {"start": "2026-11-19T00:00:00Z", "end": "2026-11-20T00:00:00Z", "interval": "soon"},
            400,
            "INVALID_TIME_RANGE",
        ),
        (
            {"start": "2026-11-19T00:00:00Z", "end": "2026-11-20T00:00:00Z", "interval": "1"},
            400,
            "INVALID_TIME_RANGE",
        ),
        (
            {
                "start": "2026-11-19T00:00:00Z",
                "end": "2026-11-20T00:00:00Z",
                "streams": "customer.tutor.search,no.such.stream",
            },
            404,
            "STREAM_NOT_FOUND",
        ),
    ],
)
async def test_bad_history_parameters_get_contract_errors(
    api: tuple[httpx.AsyncClient, Simulator], params: dict[str, str], status: int, code: str
) -> None:
    """Missing, unparsable, reversed, too long or too fine windows: 400; unknown stream: 404."""
    http, _ = api
    response = await http.get("/api/simulation/history", params=params)
    assert response.status_code == status
    parsed = parse_error_body(response.content)
    assert parsed is not None and parsed[0] == code and parsed[1]


async def test_scenarios_list_activate_conflict_stop_and_reset(
    api: tuple[httpx.AsyncClient, Simulator],
) -> None:
    """Scenarios are listed, start (404 unknown, 409 while active), stop, settle and reset."""
    http, sim = api
    listed = (await http.get("/api/simulation/scenarios")).json()["scenarios"]
    ids = {s["id"] for s in listed}
    assert {"exam-season-surge", "payment-outage", "supply-crisis", "support-overload"} <= ids
    assert all({"id", "name", "description", "duration"} <= set(s) for s in listed)
    state = (await http.get("/api/simulation/state")).json()
    assert state["baselineState"] == "normal" and state["historicalMode"] == "baseline"

    missing = await http.post("/api/simulation/scenario", json={"scenarioId": "alien-invasion"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "SCENARIO_NOT_FOUND"
    bad = await http.post("/api/simulation/scenario", content=b"{nope")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_SCENARIO"

    started = await http.post("/api/simulation/scenario", json={"scenarioId": "payment-outage"})
    assert started.status_code == 200
    body = started.json()
    assert body["success"] and body["scenario"]["id"] == "payment-outage"
    assert body["events"] and body["estimatedDuration"] > 0
    again = await http.post("/api/simulation/scenario", json={"scenarioId": "supply-crisis"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "SCENARIO_ALREADY_ACTIVE"
    state = (await http.get("/api/simulation/state")).json()
    assert state["baselineState"] == "custom" and state["activeModifiers"]
    assert state["activeEvents"][0]["title"] == "Payment outage"

    stopped = (await http.post("/api/simulation/stop")).json()
    assert stopped["success"] and stopped["settlingUntil"]
    assert (await http.post("/api/simulation/stop")).json()["success"] is False
    reset = (await http.post("/api/simulation/reset")).json()
    assert reset["success"] and sim.book.runs == ()
    assert (await http.get("/api/simulation/state")).json()["historicalMode"] == "baseline"


async def test_a_scenario_visibly_changes_named_streams_then_settles(
    api: tuple[httpx.AsyncClient, Simulator],
) -> None:
    """support-overload triples support.call.inbound in history, then it settles back."""
    http, sim = api
    stream = sim.catalog.get("support.call.inbound")
    assert stream is not None
    baseline = sim.model.rate(stream, NOW)
    run = sim.activate("support-overload")
    assert sim.model.rate(stream, run.end_s - 1) == pytest.approx(3 * baseline, rel=0.01)
    assert sim.model.rate(stream, run.settled_s + 1) == pytest.approx(
        sim.model.rate(stream, run.settled_s + 1, ()), rel=1e-9
    )
    events = (
        await http.get(
            "/api/simulation/history",
            params={"start": _iso(NOW - 3600), "end": _iso(NOW + 3600), "interval": "60"},
        )
    ).json()["events"]
    assert any(e["title"] == "Support overload" and e["injectedByAI"] for e in events)
