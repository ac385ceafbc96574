"""The scenario store: state bodies of every server shape, actions' answers, time, versions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.protocol import iso_utc
from app.protocol.scenarios import parse_duration, read_modifiers, read_scenarios, time_ms
from app.simulator import create_app
from app.stores.scenario import ScenarioStore, phase_at
from tests.simulator.sim_helpers import WEDNESDAY_NOON, fast_config

NOW = WEDNESDAY_NOON
NOW_MS = int(NOW * 1000)
MIN = 60_000


def _store(clock: list[float] | None = None) -> ScenarioStore:
    at = clock if clock is not None else [NOW]
    return ScenarioStore(clock=lambda: at[0])


def _modifier(**fields: Any) -> dict[str, Any]:
    return {"scenarioId": "exam-season-surge", **fields}


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(1800, 1800.0), (90.5, 90.5), ("3 hours", 10800.0), ("30 minutes", 1800.0), ("2h", 7200.0),
     ("1800", 1800.0), ("5 ms", 0.005), ("soon", None), (-5, None), (True, None), (None, None)],
)  # fmt: skip
def test_durations_as_number_or_text(value: Any, seconds: float | None) -> None:
    """Seconds as a number, or the original's text; anything else is unknown."""
    assert parse_duration(value) == seconds


def test_times_are_iso_strings_only() -> None:
    """ISO strings with or without a zone (UTC); numbers would be a guess."""
    assert time_ms("2026-11-25T12:00:00Z") == NOW_MS
    assert time_ms("2026-11-25T12:00:00") == NOW_MS
    assert time_ms(NOW_MS) is None and time_ms("noon") is None and time_ms(None) is None


def test_scenario_list_is_read_tolerantly() -> None:
    """Items without an id are skipped, names default to the id, text is bounded."""
    body = {
        "scenarios": [
            {"id": "a", "name": "A", "description": "d", "duration": 60, "streams": ["x.y"]},
            {"id": "b"},
            {"name": "no id"},
            "junk",
            {"id": "a", "name": "duplicate"},
            {"id": "c", "name": "n" * 500, "duration": "2 hours"},
        ]
    }
    found = read_scenarios(body)
    assert found is not None
    assert [(s.id, s.name) for s in found][:2] == [("a", "A"), ("b", "b")]
    assert found[0].streams == ("x.y",) and found[0].duration_s == 60
    assert len(found[2].name) == 120 and found[2].duration_s == 7200
    assert read_scenarios({"nothing": []}) is None and read_scenarios([]) == []


def test_contract_state_with_a_bare_modifier() -> None:
    """A modifier naming only its scenario: active, name from the list, times unknown."""
    store = _store()
    store.apply_list({"scenarios": [{"id": "exam-season-surge", "name": "Exam season surge"}]})
    assert store.apply_state({"baselineState": "custom", "activeModifiers": [_modifier()]})
    active = store.active
    assert active is not None and active.name == "Exam season surge"
    assert active.started_ms is None and active.phase == "active"


async def test_embedded_simulator_state_is_understood() -> None:
    """The embedded simulator's real state body: phase and times, streams from its factors."""
    app = create_app(fast_config(clock=lambda: NOW, scenario_time_scale=0.01))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as http:
        await http.post("/api/simulation/scenario", json={"scenarioId": "exam-season-surge"})
        body = (await http.get("/api/simulation/state")).json()
    store = _store()
    store.apply_state(body)
    active = store.active
    assert active is not None and active.id == "exam-season-surge"
    assert active.started_ms == NOW_MS and active.ends_ms == NOW_MS + 18_000
    assert active.settled_ms == NOW_MS + 18_000 + 3_000
    assert "customer.tutor.search" in active.streams


def test_original_status_names_and_settling() -> None:
    """``status: settling`` (the original's word) and ``settlingUntil`` as the settle time."""
    store = _store()
    until = iso_utc(NOW_MS + 5 * MIN)
    store.apply_state({"activeModifiers": [_modifier(status="settling", settlingUntil=until)]})
    assert store.active is None
    assert store.settling is not None and store.settling_until_ms == NOW_MS + 5 * MIN


def test_sparse_bodies_keep_what_is_known() -> None:
    """No modifier list, or modifiers without a scenario id: the runs stay as they were."""
    store = _store()
    store.apply_started({"success": True, "scenario": {"id": "x", "duration": 600}}, "x")
    version = store.version
    for body in ({"baselineState": "normal"}, {"activeModifiers": [{"streams": {"a.b": 2}}]}):
        assert not store.apply_state(body)
        assert store.active is not None and store.version == version
    assert read_modifiers({"activeModifiers": "junk"}) is None
    store.apply_state({"activeModifiers": []})
    assert store.active is None and store.version == version + 1


def test_missing_times_are_kept_from_the_start_answer() -> None:
    """A later state without times keeps the start answer's times for the same scenario."""
    store = _store()
    store.apply_started({"scenario": {"id": "x", "name": "X", "duration": "10 minutes"}}, "x")
    store.apply_state({"activeModifiers": [{"scenarioId": "x"}]})
    active = store.active
    assert active is not None and (active.started_ms, active.ends_ms) == (NOW_MS, NOW_MS + 10 * MIN)


def test_phase_follows_the_times() -> None:
    """No phase said: active until the end, settling until settled, then gone."""
    ends, settled = NOW_MS + MIN, NOW_MS + 2 * MIN
    assert phase_at(NOW_MS, ends, settled) == "active"
    assert phase_at(ends, ends, settled) == "settling"
    assert phase_at(settled, ends, settled) == "over"
    assert phase_at(settled, ends, None) == "settling"
    assert phase_at(settled, None, None) == "active"
    store = _store()
    times = {"startedAt": iso_utc(NOW_MS - 3 * MIN), "endsAt": iso_utc(NOW_MS - MIN)}
    store.apply_state({"activeModifiers": [_modifier(settledAt=iso_utc(NOW_MS - 1), **times)]})
    assert store.runs == ()


def test_start_stop_and_reset_answers() -> None:
    """Start -> active with its events; stop -> settling until settlingUntil; reset -> none."""
    clock = [NOW]
    store = _store(clock)
    event = {"id": "e1", "title": "Exam season surge"}
    events = store.apply_started(
        {
            "success": True,
            "scenario": {"id": "exam-season-surge", "name": "Exam season surge", "duration": 1800},
            "events": [event],
            "estimatedDuration": 2100,
        },
        "exam-season-surge",
    )
    assert events == [event]
    active = store.active
    assert active is not None and active.ends_ms == NOW_MS + 1_800_000
    assert active.settled_ms == NOW_MS + 2_100_000
    clock[0] += 60
    until = iso_utc(NOW_MS + 6 * MIN)
    assert store.apply_stopped({"success": True, "settlingUntil": until})
    settling = store.settling
    assert store.active is None and settling is not None
    assert (settling.ends_ms, settling.settled_ms) == (NOW_MS + MIN, NOW_MS + 6 * MIN)
    store.apply_reset()
    assert store.runs == ()


def test_stop_when_nothing_runs() -> None:
    """``success: false`` says nothing ran: nothing settles."""
    store = _store()
    assert not store.apply_stopped({"success": False, "settlingUntil": None})
    assert store.settling is None


def test_advance_moves_runs_along_and_counts_versions() -> None:
    """The clock ends a run, then lets it settle; each step is one version."""
    clock = [NOW]
    store = _store(clock)
    store.apply_started({"scenario": {"id": "x", "duration": 60}, "estimatedDuration": 120}, "x")
    version = store.version
    assert not store.advance()
    clock[0] += 61
    assert store.advance() and store.settling is not None and store.version == version + 1
    clock[0] += 60
    assert store.advance() and store.runs == () and store.version == version + 2


def test_errors_and_pending_are_versioned() -> None:
    """A failure, a pending action and a dismissal each move the version once."""
    store = _store()
    version = store.version
    store.begin("starting X")
    store.fail("start", "Could not start the scenario: no", "409 ...")
    store.finish()
    assert store.version == version + 3 and store.last_error is not None
    store.clear_error()
    store.clear_error()
    assert store.version == version + 4 and store.last_error is None
    store.fail("list", "no list")
    store.fail("state", "no state")
    assert store.list_error is not None and store.state_error is not None
    assert store.last_error is None
