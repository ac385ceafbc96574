"""The services wire the context together: scenario starts and state reads reach both stores."""

from __future__ import annotations

import time

import httpx

from app.config import Settings
from app.protocol import iso_utc
from app.services import Services


def scenario_event(ident: str) -> dict[str, object]:
    return {
        "id": ident,
        "timestamp": iso_utc(time.time() * 1000 - 1000),
        "type": "academic",
        "title": "Exam season surge",
        "severity": "warning",
    }


async def test_scenario_events_and_state_reads_reach_their_stores() -> None:
    """A start's events land in the external events store as 'scenario'; one state read
    files its active events as 'state' and tells the scenario store what runs."""
    state = {
        "baselineState": "custom",
        "activeModifiers": [{"scenarioId": "exam-season-surge", "phase": "active"}],
        "activeEvents": [scenario_event("scenario-1-exam-season-surge")],
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=state))
    services = Services.create(Settings(show=False), http=httpx.AsyncClient(transport=transport))
    try:
        services.scenarios.on_events([scenario_event("scenario-1-exam-season-surge")])
        stored = services.external.get("scenario-1-exam-season-surge")
        assert stored is not None and stored.sources == ("scenario",)
        before = services.scenarios.store.version
        await services.state_poller.poll_once()
        stored = services.external.get("scenario-1-exam-season-surge")
        assert stored is not None and stored.sources == ("scenario", "state")
        assert services.scenarios.store.version > before
        active = services.scenarios.store.active
        assert active is not None and active.id == "exam-season-surge"
    finally:
        await services.http.aclose()
