"""``/api/simulation/*``: history, state, scenarios, scenario, stop, reset.

Parameters and bodies are read by hand (not by FastAPI's validation) so every refusal has
the contract's shape: ``{"error": {"code", "message", "details"?}}``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.simulator.external import describe, from_run
from app.simulator.generator import iso_ms
from app.simulator.history import HistoryError, build_history, parse_query
from app.simulator.scenarios import SCENARIOS, ScenarioError
from app.simulator.service import Simulator

PREFIX = "/api/simulation"


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    """A contract error body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=status)


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else iso_ms(int(seconds * 1000))


def state(sim: Simulator) -> dict[str, Any]:
    """The contract's state object, plus a few figures of this simulator."""
    now = sim.now()
    runs = sim.book.runs
    live = [r for r in runs if r.start_s <= now < r.settled_s]
    return {
        "baselineState": "custom" if live else "normal",
        "activeModifiers": [
            {
                "scenarioId": r.scenario.id,
                "streams": {sim.catalog.streams[i].name: m for i, m in r.factors},
                "phase": "active" if now < r.end_s else "settling",
                "level": round(r.level(now), 3),
                "startedAt": _iso(r.start_s),
                "endsAt": _iso(r.end_s),
                "settledAt": _iso(r.settled_s),
            }
            for r in live
        ],
        "activeEvents": [from_run(r) for r in live],
        "historicalMode": "modified" if runs else "baseline",
        "currentSimulationTime": _iso(now),
        "lastModified": _iso(sim.book.last_modified),
        "running": sim.running,
        "seed": sim.config.seed,
        "rate": sim.config.rate,
        "connections": len(sim.engine.subscribers),
        "eventsEmitted": sim.engine.emitted,
        "lastSeq": sim.engine.last_seq,
    }


def rest_router(sim: Simulator) -> APIRouter:
    """The REST endpoints of one simulator."""
    router = APIRouter(prefix=PREFIX)

    @router.get("/history")
    async def history(request: Request) -> Response:
        try:
            query = parse_query(request.query_params, sim.catalog, sim.config)
        except HistoryError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.details)
        body = await asyncio.to_thread(build_history, sim.model, sim.book.runs, query, sim.now())
        return Response(body, media_type="application/json")

    @router.get("/state")
    async def get_state() -> JSONResponse:
        return JSONResponse(state(sim))

    @router.get("/scenarios")
    async def scenarios() -> JSONResponse:
        scale = sim.config.scenario_time_scale
        return JSONResponse({"scenarios": [describe(s, scale) for s in SCENARIOS]})

    @router.post("/scenario")
    async def scenario(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return error_response(400, "INVALID_SCENARIO", "the body is not valid JSON")
        scenario_id = body.get("scenarioId") if isinstance(body, dict) else None
        if not isinstance(scenario_id, str) or not scenario_id:
            return error_response(400, "INVALID_SCENARIO", 'expected {"scenarioId": "..."}')
        try:
            run = sim.activate(scenario_id)
        except ScenarioError as exc:
            return error_response(exc.status, exc.code, exc.message)
        return JSONResponse(
            {
                "success": True,
                "scenario": describe(run.scenario, sim.config.scenario_time_scale),
                "events": [from_run(run)],
                "estimatedDuration": round(run.settled_s - run.start_s, 3),
                "startedAt": _iso(run.start_s),
                "endsAt": _iso(run.end_s),
            }
        )

    @router.post("/stop")
    async def stop() -> JSONResponse:
        run = sim.stop_scenario()
        if run is None:
            return JSONResponse(
                {"success": False, "settlingUntil": None, "message": "no scenario is active"}
            )
        return JSONResponse(
            {"success": True, "settlingUntil": _iso(run.settled_s), "scenarioId": run.scenario.id}
        )

    @router.post("/reset")
    async def reset() -> JSONResponse:
        sim.reset()
        return JSONResponse({"success": True, "message": "simulation reset to baseline"})

    return router
