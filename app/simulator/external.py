"""World events and scenario runs as the contract's ``ExternalEvent`` objects."""

from __future__ import annotations

from typing import Any

from app.simulator.catalog import Catalog
from app.simulator.generator import iso_ms
from app.simulator.scenarios import Run, Scenario
from app.simulator.world import WorldEvent


def _direction(signs: list[float]) -> str:
    if all(s > 0 for s in signs):
        return "increase"
    if all(s < 0 for s in signs):
        return "decrease"
    return "mixed"


def from_world(event: WorldEvent, catalog: Catalog) -> dict[str, Any]:
    """A world event (campaign, incident, deadline...) as an ExternalEvent."""
    t = event.template
    return {
        "id": event.id,
        "timestamp": iso_ms(event.start_s * 1000),
        "type": t.kind,
        "title": t.title,
        "description": t.description,
        "severity": event.severity,
        "expectedImpact": {
            "streams": [catalog.streams[i].name for i, _ in event.impacts],
            "direction": _direction([bump for _, bump in event.impacts]),
            "magnitude": event.magnitude,
            "duration": float(event.end_s - event.start_s),
        },
        "icon": t.icon,
        "injectedByAI": False,
    }


def from_run(run: Run) -> dict[str, Any]:
    """A scenario activation as an ExternalEvent (``duration`` in seconds)."""
    s = run.scenario
    ratios = [m for _, m in s.multipliers]
    strongest = max((max(m, 1 / m) for m in ratios), default=1.0)
    magnitude = "high" if strongest >= 3 else "medium" if strongest >= 1.8 else "low"
    return {
        "id": f"scenario-{run.number}-{s.id}",
        "timestamp": iso_ms(int(run.start_s * 1000)),
        "type": s.kind,
        "title": s.name,
        "description": s.description,
        "severity": "critical" if magnitude == "high" else "warning",
        "expectedImpact": {
            "streams": [name for name, _ in s.multipliers],
            "direction": _direction([m - 1 for m in ratios]) if ratios else "mixed",
            "magnitude": magnitude,
            "duration": round(run.end_s - run.start_s, 3),
        },
        "icon": s.icon,
        "injectedByAI": True,
    }


def describe(scenario: Scenario, time_scale: float) -> dict[str, Any]:
    """A scenario as listed by ``GET /api/simulation/scenarios`` (``duration`` in seconds)."""
    return {
        "id": scenario.id,
        "name": scenario.name,
        "description": scenario.description,
        "duration": scenario.duration_s * time_scale,
        "streams": [name for name, _ in scenario.multipliers],
    }
