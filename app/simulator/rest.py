"""``/api/simulation/*``: history, state, scenarios, scenario, stop, reset.

Parameters and bodies are read by hand (not by FastAPI's validation) so every refusal has
the contract's shape: ``{"error": {"code", "message", "details"?}}``. A JSON body is read up
to 64 KiB (413 beyond) and refused (400) when malformed or nested over 32 levels; messages
quote client input as a short escaped excerpt only.

History answers are big (up to ~14 MB, ~45 MB while built): at most
``history_max_concurrent`` are built or sent at once, others get 429 with ``Retry-After``,
and the memory of a big one is handed back to the OS once it is sent.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.memory import release_free_memory
from app.simulator.external import describe, from_run
from app.simulator.generator import iso_ms
from app.simulator.history import HistoryError, build_history, parse_query
from app.simulator.scenarios import SCENARIOS, ScenarioError
from app.simulator.service import Simulator

PREFIX: Final = "/api/simulation"
MAX_JSON_BYTES: Final = 64 * 1024
MAX_JSON_DEPTH: Final = 32
HISTORY_RETRY_AFTER_S: Final = 2
BIG_ANSWER_BYTES: Final = 1 << 20
"""After an answer this large, free memory is returned to the OS (a few ms, in a thread)."""
_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET: Final = re.compile(r"[\[\]{}]")


class BodyError(Exception):
    """A refused request body: status, contract code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    """A contract error body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=status)


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON ``text`` (brackets inside strings ignored)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


async def read_json(request: Request, code: str) -> Any:
    """The request's JSON body; raises BodyError (413 too big, 400 malformed or too deep)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise BodyError(413, "PAYLOAD_TOO_LARGE", f"the body is over {MAX_JSON_BYTES} bytes")
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, code, "the body is not UTF-8") from None
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise BodyError(400, code, f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BodyError(400, code, "the body is not valid JSON") from None


class HistorySlots:
    """At most ``limit`` history answers at once (event-loop only, so a plain counter)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy = 0
        self.refused = 0

    def take(self) -> bool:
        """Take a slot; False when all are busy."""
        if self.busy >= self.limit:
            self.refused += 1
            return False
        self.busy += 1
        return True

    def give(self) -> None:
        """Return a slot."""
        self.busy -= 1


class HistoryEndpoint:
    """``GET /history`` as a plain ASGI app, so the slot is held from the first byte built
    to the last byte sent, and always returned (``finally``), even if the client leaves."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.slots = HistorySlots(sim.config.history_max_concurrent)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        request = Request(scope, receive)
        try:
            query = parse_query(request.query_params, sim.catalog, sim.config)
        except HistoryError as exc:
            refusal = error_response(exc.status, exc.code, exc.message, exc.details)
            await refusal(scope, receive, send)
            return
        if not self.slots.take():
            busy = error_response(
                429,
                "TOO_MANY_REQUESTS",
                f"{self.slots.limit} history answers are under way; retry shortly",
            )
            busy.headers["Retry-After"] = str(HISTORY_RETRY_AFTER_S)
            await busy(scope, receive, send)
            return
        response: Response | None = None
        try:
            body = await asyncio.to_thread(
                build_history, sim.model, sim.book.runs, query, sim.now()
            )
            response = Response(body, media_type="application/json")
            del body
            await response(scope, receive, send)
        finally:
            self.slots.give()
            big = response is not None and len(response.body) >= BIG_ANSWER_BYTES
            response = None  # the body goes before the allocator is asked to give back
            if big:
                await asyncio.to_thread(release_free_memory)


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
    # A plain Starlette route: the endpoint is an ASGI app, not a request handler.
    router.routes.append(Route(PREFIX + "/history", HistoryEndpoint(sim), methods=["GET"]))

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
            body = await read_json(request, "INVALID_SCENARIO")
        except BodyError as exc:
            return error_response(exc.status, exc.code, exc.message)
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
