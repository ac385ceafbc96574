"""A scripted simulator that speaks the contract and fills every text field with markup.

WebSocket ``/ws``: answers ``subscribe``, sends a batch of events (hostile stream names, which
the dashboard refuses and counts, and hostile payload fields on a real stream), an
``error`` frame whose code and message are HTML, then closes with an HTML close reason; a
dashboard started with ``--max-reconnect-attempts 1`` ends in ``error`` showing both texts.
REST ``/api/simulation/history``: external events with markup in every text field, a stream
whose name is markup, and an HTTP 500 with an HTML body for a request for
:data:`BROKEN_STREAM` alone (a 404 when it is asked for with others, so the rest loads).
"""

from __future__ import annotations

import json
import time
from typing import Any, Final

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.protocol import iso_utc

SCRIPT_STREAM: Final = "<script>alert('pwn-stream')</script>.x"
"""A live stream whose name is a script element."""
IMG_STREAM: Final = "<img src=x onerror=\"alert('pwn-img-stream')\">.y"
"""A live stream whose name is an image with an error handler."""
HISTORY_STREAM: Final = "<svg onload=alert('pwn-history-stream')>.z"
"""A stream that only history answers name (the loader keeps only the streams it asked for)."""
ERROR_CODE: Final = "<b>E_HTML</b>"
ERROR_MESSAGE: Final = "<img src=x onerror=alert('pwn-error-frame')>"
CLOSE_REASON: Final = "<img src=x onerror=alert('pwn-close')>"
HISTORY_500: Final = "<img src=x onerror=alert('pwn-history-500')>"
"""The body of the history error; the dashboard shows it in the banner."""
EVENT_TITLE: Final = "<img src=x onerror=alert('pwn-external-title')>"
HOSTILE_TEXTS: Final = (
    SCRIPT_STREAM,
    IMG_STREAM,
    HISTORY_STREAM,
    ERROR_CODE,
    ERROR_MESSAGE,
    CLOSE_REASON,
    HISTORY_500,
    EVENT_TITLE,
)
TRAP = """
window.__alerts = [];
window.__injected = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = (...args) => { window.__alerts.push(name + ':' + args.join(',')); };
}
const suspicious = (el) =>
  el.nodeType === 1 && (
    [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on')) ||
    el.tagName === 'IFRAME' ||
    (el.tagName === 'SCRIPT' && el.textContent.trim().startsWith('alert(')) ||
    (el.tagName === 'IMG' && el.getAttribute('src') === 'x'));
new MutationObserver((records) => {
  for (const r of records) {
    for (const n of r.type === 'attributes' ? [r.target] : r.addedNodes) {
      const deep = n.nodeType === 1 && r.type !== 'attributes';
      const all = deep ? [n, ...n.querySelectorAll('*')] : [n];
      for (const el of all) if (suspicious(el)) window.__injected.push(el.outerHTML.slice(0, 200));
    }
  }
}).observe(document, { childList: true, subtree: true, attributes: true });
"""
"""Records dialogs called in any form and every element that could run injected code."""

SCAN = """() => [...document.querySelectorAll('*')].filter((el) =>
  [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on')) ||
  el.tagName === 'IFRAME' ||
  (el.tagName === 'SCRIPT' && el.textContent.trim().startsWith('alert(')) ||
  (el.tagName === 'IMG' && el.getAttribute('src') === 'x')).map((el) => el.outerHTML.slice(0, 200))
"""


NORMAL_STREAM: Final = "customer.tutor.search"
BROKEN_STREAM: Final = "lab.broken.history"
"""A valid stream name whose history answer is an HTML 500 (follow it with --topics)."""


def _event(stream: str, ts_ms: int, value: float) -> dict[str, Any]:
    return {
        "stream": stream,
        "timestamp": iso_utc(ts_ms),
        "normalizedValue": value,
        "anomalyFlag": "critical" if value > 80 else "normal",
        "data": {
            "subject": "<script>alert('pwn-payload')</script>",
            "title": "<img src=x onerror=alert('pwn-payload-title')>",
            "<b>key</b>": "<iframe src=javascript:alert('pwn-payload-iframe')>",
        },
    }


def _history(now_ms: int) -> dict[str, Any]:
    hour = 3_600_000
    points = [
        {"timestamp": iso_utc(now_ms - i * hour), "value": 10.0 + i, "normalized": 40.0 + i % 20}
        for i in range(48, 0, -1)
    ]
    external = {
        "id": "<b>id</b>",
        "timestamp": iso_utc(now_ms - 5 * hour),
        "type": "marketing",
        "title": EVENT_TITLE,
        "description": "<script>alert('pwn-external-description')</script>",
        "severity": "critical",
        "expectedImpact": {
            "streams": [SCRIPT_STREAM],
            "direction": "<i>up</i>",
            "magnitude": "high",
            "duration": "<u>2h</u>",
        },
        "icon": "<img src=x onerror=alert('pwn-icon')>",
        "externalLink": "javascript:alert('pwn-link')",
        "injectedByAI": True,
    }
    return {
        "timeRange": {"start": iso_utc(now_ms - 49 * hour), "end": iso_utc(now_ms)},
        "streams": {NORMAL_STREAM: points, HISTORY_STREAM: points},
        "events": [external],
    }


def create_app() -> FastAPI:
    """The hostile simulator; ``app.state.requests`` lists ``(kind, detail)`` it served."""
    app = FastAPI()
    app.state.requests = []

    @app.get("/api/simulation/state")
    async def state() -> JSONResponse:
        return JSONResponse({"baselineState": "normal", "running": True})

    @app.get("/api/simulation/history")
    async def history(request: Request) -> Response:
        streams = request.query_params.get("streams", "")
        app.state.requests.append(("history", streams))
        names = streams.split(",")
        if BROKEN_STREAM in names and len(names) > 1:  # the dashboard then asks one by one
            error = {"code": "STREAM_NOT_FOUND", "message": "<b>one of them</b>"}
            return JSONResponse({"error": error}, status_code=404)
        if BROKEN_STREAM in names:
            return HTMLResponse(HISTORY_500, status_code=500)
        return JSONResponse(_history(int(time.time() * 1000)))

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        app.state.requests.append(("ws", ""))
        try:
            hello = json.loads(await websocket.receive_text())
            await websocket.send_text(
                json.dumps({"type": "subscribed", "topics": hello.get("topics", [])})
            )
            now_ms = int(time.time() * 1000)
            events = [
                _event(stream, now_ms - (30 - i) * 1000, 30.0 + 2 * i)
                for i in range(30)
                for stream in (SCRIPT_STREAM, IMG_STREAM, NORMAL_STREAM)
            ]
            await websocket.send_text(json.dumps({"type": "batch", "events": events}))
            await websocket.send_text(
                json.dumps({"type": "error", "code": ERROR_CODE, "message": ERROR_MESSAGE})
            )
            await websocket.close(code=1008, reason=CLOSE_REASON)
        except WebSocketDisconnect:
            pass

    return app
