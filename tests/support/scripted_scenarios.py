"""A scripted simulator for scenario control: REST that runs or refuses scenarios on command.

``create_app(script)`` serves ``/api/simulation/scenarios``, ``/state``, ``/scenario``,
``/stop``, ``/reset``, an empty ``/history`` and a ``/ws`` that only confirms subscriptions,
so a whole dashboard can run against it. By default it behaves like a contract server:
a start makes the scenario active (modifiers carry ``scenarioId``, ``phase``, times), stop
settles it, reset clears it. ``script.refuse_start = (status, body)`` makes every start
fail with that answer; ``script.sparse_state`` sends a state body without modifiers, as a
server that tells less would. Used in-process through ``httpx.ASGITransport`` and in a
thread through :func:`tests.support.asgi_thread.serve_in_thread`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from app.protocol import iso_utc

SETTLE_S: Final = 120.0

SCENARIOS: Final = [
    {
        "id": "exam-season-surge",
        "name": "Exam season surge",
        "description": "Students search and book far more than usual before exams.",
        "duration": 1800,
        "streams": ["customer.tutor.search"],
    },
    {
        "id": "payment-outage",
        "name": "Payment outage",
        "description": "The payment gateway fails most transactions.",
        "duration": "15 minutes",
    },
]


@dataclass
class Script:
    """What the scripted simulator answers; tests change it between requests."""

    scenarios: list[dict[str, Any]] = field(default_factory=lambda: [dict(s) for s in SCENARIOS])
    refuse_start: tuple[int, Any] | None = None
    """Answer every start with this status and JSON body (None: start normally)."""
    sparse_state: bool = False
    """Answer state with only ``baselineState`` (no modifiers, no events)."""
    modifiers: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    """Every request served: method, path, decoded JSON body (or None)."""
    runs: int = 0

    def started(self, scenario_id: str, now: float) -> dict[str, Any]:
        """Make ``scenario_id`` active; the start answer (contract fields only)."""
        scenario = next(s for s in self.scenarios if s["id"] == scenario_id)
        duration = scenario["duration"] if isinstance(scenario["duration"], int) else 900
        self.runs += 1
        self.modifiers = [m for m in self.modifiers if m["phase"] != "active"]
        self.modifiers.append(
            {
                "scenarioId": scenario_id,
                "phase": "active",
                "startedAt": iso_utc(now * 1000),
                "endsAt": iso_utc((now + duration) * 1000),
                "settledAt": iso_utc((now + duration + SETTLE_S) * 1000),
            }
        )
        event = {
            "id": f"scripted-{self.runs}",
            "timestamp": iso_utc(now * 1000),
            "type": "academic",
            "title": scenario["name"],
            "description": scenario["description"],
            "severity": "warning",
            "expectedImpact": {
                "streams": ["customer.tutor.search"],
                "direction": "increase",
                "magnitude": "high",
                "duration": duration,
            },
            "icon": "school",
        }
        return {
            "success": True,
            "scenario": {k: scenario[k] for k in ("id", "name", "description", "duration")},
            "events": [event],
            "estimatedDuration": duration + SETTLE_S,
        }

    def stopped(self, now: float) -> dict[str, Any]:
        active = [m for m in self.modifiers if m["phase"] == "active"]
        if not active:
            return {"success": False, "settlingUntil": None}
        until = iso_utc((now + SETTLE_S) * 1000)
        for m in active:
            m.update(phase="settling", endsAt=iso_utc(now * 1000), settledAt=until)
        return {"success": True, "settlingUntil": until}

    def state(self) -> dict[str, Any]:
        if self.sparse_state:
            return {"baselineState": "normal"}
        return {
            "baselineState": "custom" if self.modifiers else "normal",
            "activeModifiers": self.modifiers,
            "activeEvents": [],
            "historicalMode": "baseline",
            "currentSimulationTime": iso_utc(time.time() * 1000),
        }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(script: Script) -> FastAPI:
    """The scripted simulator of ``script``."""
    app = FastAPI()
    base = "/api/simulation"

    async def note(request: Request) -> Any:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        script.requests.append((request.method, request.url.path, body))
        return body

    @app.get(base + "/scenarios")
    async def scenarios(request: Request) -> JSONResponse:
        await note(request)
        return JSONResponse({"scenarios": script.scenarios})

    @app.get(base + "/state")
    async def state(request: Request) -> JSONResponse:
        await note(request)
        return JSONResponse(script.state())

    @app.post(base + "/scenario")
    async def start(request: Request) -> JSONResponse:
        body = await note(request)
        if script.refuse_start is not None:
            status, answer = script.refuse_start
            return JSONResponse(answer, status_code=status)
        scenario_id = body.get("scenarioId") if isinstance(body, dict) else None
        if scenario_id not in {s["id"] for s in script.scenarios}:
            return _error(404, "SCENARIO_NOT_FOUND", f"no scenario {scenario_id!r}")
        if any(m["phase"] == "active" for m in script.modifiers):
            return _error(409, "SCENARIO_ALREADY_ACTIVE", "a scenario is active; stop it first")
        return JSONResponse(script.started(scenario_id, time.time()))

    @app.post(base + "/stop")
    async def stop(request: Request) -> JSONResponse:
        await note(request)
        return JSONResponse(script.stopped(time.time()))

    @app.post(base + "/reset")
    async def reset(request: Request) -> JSONResponse:
        await note(request)
        script.modifiers = []
        return JSONResponse({"success": True, "message": "reset"})

    @app.get(base + "/history")
    async def history(request: Request) -> JSONResponse:
        await note(request)
        now = iso_utc(time.time() * 1000)
        return JSONResponse({"timeRange": {"start": now, "end": now}, "streams": {}, "events": []})

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                if message.get("type") == "subscribe":
                    topics = message.get("topics", [])
                    await websocket.send_text(json.dumps({"type": "subscribed", "topics": topics}))
        except WebSocketDisconnect:
            pass

    return app
