"""A scripted simulator that announces external events: in the history answer's ``events``
and in ``GET /api/simulation/state``'s ``activeEvents``, both changeable while it runs.

REST history answers the contract's shape with 5-minute buckets around 50 for every stream
asked for; the WebSocket answers ``subscribe`` and then sends one event per subscribed
stream each half second. A test edits ``app.state.history_events`` and
``app.state.active_events`` (lists of ExternalEvent objects), or sets
``app.state.state_status`` (e.g. 404: a server without the state endpoint).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any, Final

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

from app.protocol import iso_utc

BUCKET_MS: Final = 300_000
HOUR_MS: Final = 3_600_000
STREAMS: Final = ("customer.tutor.search", "session.booking.requested", "customer.signup.started")


def external(ident: str, hours_ago: float, **fields: Any) -> dict[str, Any]:
    """An ExternalEvent ``hours_ago`` before now, affecting the first stream by default."""
    return {
        "id": ident,
        "timestamp": iso_utc(time.time() * 1000 - hours_ago * HOUR_MS),
        "type": "marketing",
        "title": f"Event {ident}",
        "description": f"What happened in {ident}.",
        "severity": "info",
        "expectedImpact": {
            "streams": [STREAMS[0]],
            "direction": "increase",
            "magnitude": "medium",
            "duration": 1800,
        },
        "icon": "campaign",
        **fields,
    }


def _points(start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    first = -(-start_ms // BUCKET_MS) * BUCKET_MS
    return [
        {"timestamp": iso_utc(ts), "value": 10.0, "normalized": 45.0 + (ts // BUCKET_MS) % 10}
        for ts in range(first, end_ms + 1, BUCKET_MS)
    ]


def _ms(text: str | None, default: int) -> int:
    if not text:
        return default
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def create_app() -> FastAPI:
    """The announcing simulator; see the module docstring for what a test may change."""
    app = FastAPI()
    app.state.history_events = []
    app.state.active_events = []
    app.state.state_status = 200
    app.state.state_reads = 0

    @app.get("/api/simulation/state")
    async def state() -> Response:
        app.state.state_reads += 1
        if app.state.state_status != 200:
            body = {"error": {"code": "NOT_FOUND", "message": "no state here"}}
            return JSONResponse(body, status_code=app.state.state_status)
        return JSONResponse(
            {"baselineState": "custom", "activeEvents": list(app.state.active_events)}
        )

    @app.get("/api/simulation/history")
    async def history(request: Request) -> JSONResponse:
        now = int(time.time() * 1000)
        end = _ms(request.query_params.get("end"), now)
        start = _ms(request.query_params.get("start"), end - 24 * HOUR_MS)
        names = [n for n in request.query_params.get("streams", "").split(",") if n]
        points = _points(start, end)
        return JSONResponse(
            {
                "timeRange": {"start": iso_utc(start), "end": iso_utc(end)},
                "streams": {name: points for name in names or STREAMS},
                "events": list(app.state.history_events),
            }
        )

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            hello = json.loads(await websocket.receive_text())
            topics = hello.get("topics", [])
            await websocket.send_text(json.dumps({"type": "subscribed", "topics": topics}))
            n = 0
            while True:
                n += 1
                now = int(time.time() * 1000)
                events = [
                    {"stream": s, "timestamp": iso_utc(now), "normalizedValue": 50.0 + n % 5}
                    for s in STREAMS
                ]
                await websocket.send_text(json.dumps({"type": "batch", "events": events}))
                await asyncio.sleep(0.5)  # the server's own pace, not a test synchronisation
        except (WebSocketDisconnect, RuntimeError):  # the dashboard went away
            pass

    return app
