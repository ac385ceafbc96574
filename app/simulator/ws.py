"""The ``/ws`` endpoint: subscribe / unsubscribe in, subscribed / event / batch / catchup out.

Per connection three tasks run: the receiver (client messages), the sender (drains the
subscriber's queue) and a watcher of the subscriber's close request (too slow, frame too
big, simulator stopping). When any ends, the others are cancelled and awaited.

Protocol pings are not sent here: ASGI cannot; uvicorn's wsproto keepalive sends them
(see ``SimulatorConfig.uvicorn_options``). Bad input gets an ``error`` frame with a code
and the connection stays open; a frame over ``max_client_frame_bytes`` closes it (1009).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket

from app.protocol.topics import TopicError, check_topics
from app.simulator.engine import Subscriber
from app.simulator.service import Simulator
from app.simulator.topics import select

log = logging.getLogger(__name__)
CLOSE_TIMEOUT_S = 5.0
TOO_BIG = 1009


def error_frame(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": message})


def parse_instant(value: object) -> int:
    """Epoch ms of an ISO 8601 string (naive means UTC); raises ValueError."""
    if not isinstance(value, str):
        raise ValueError("'lastTimestamp' must be an ISO 8601 string")
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return int(instant.timestamp() * 1000)


def handle_message(sim: Simulator, sub: Subscriber, text: str) -> None:
    """Apply one client text frame to the subscription and queue the replies. Never raises."""
    try:
        message: Any = json.loads(text)
    except (ValueError, RecursionError):
        sub.push([error_frame("INVALID_JSON", "the message is not valid JSON")], bounded=False)
        return
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        sub.push(
            [error_frame("INVALID_MESSAGE", "expected an object with a string 'type'")],
            bounded=False,
        )
        return
    kind = message["type"]
    if kind not in ("subscribe", "unsubscribe"):
        sub.push(
            [error_frame("UNKNOWN_TYPE", f"unknown message type {kind[:60]!r}")], bounded=False
        )
        return
    try:
        topics = check_topics(message.get("topics"))
    except TopicError as exc:
        sub.push([error_frame("INVALID_TOPICS", str(exc))], bounded=False)
        return
    if kind == "unsubscribe":
        sub.topics = [t for t in sub.topics if t not in topics]
        sub.selection = select(sub.topics, sim.catalog)
        sub.push([json.dumps({"type": "unsubscribed", "topics": topics})], bounded=False)
        return
    last = message.get("lastTimestamp")
    since_ms = None
    if last is not None:
        try:
            since_ms = parse_instant(last)
        except (ValueError, OverflowError) as exc:
            sub.push([error_frame("INVALID_TIMESTAMP", str(exc))], bounded=False)
            return
    sub.topics = topics
    sub.selection = select(topics, sim.catalog)
    replies = [json.dumps({"type": "subscribed", "topics": topics})]
    if since_ms is not None:
        events, end = sim.engine.catchup(sub.selection, since_ms)
        replies.append(
            '{"type":"catchup","events":[' + ",".join(events) + f'],"catchUpEndTime":"{end}"}}'
        )
    sub.push(replies, bounded=False)


async def _receive(ws: WebSocket, sim: Simulator, sub: Subscriber) -> None:
    limit = sim.config.max_client_frame_bytes
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        data = message.get("bytes")
        size = len(data) if data is not None else len(text.encode()) if text is not None else 0
        if size > limit:
            sub.close(TOO_BIG, f"message over {limit} bytes")
            return
        if text is None:
            sub.push([error_frame("INVALID_JSON", "binary frames are not accepted")], bounded=False)
            continue
        handle_message(sim, sub, text)


async def _send(ws: WebSocket, sub: Subscriber) -> None:
    while True:
        frame = sub.pop()
        if frame is None:
            await sub.ready.wait()
            continue
        await ws.send_text(frame)


async def serve(ws: WebSocket, sim: Simulator) -> None:
    """Run one client connection until it closes, the client is dropped or the sim stops."""
    await ws.accept()
    if not sim.running:
        await ws.close(1013, "simulator not running")
        return
    sub = Subscriber(sim.config.max_client_queue_bytes, select([], sim.catalog))
    sim.engine.subscribers.add(sub)
    tasks = [
        asyncio.create_task(_receive(ws, sim, sub)),
        asyncio.create_task(_send(ws, sub)),
        asyncio.create_task(sub.done.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sim.engine.subscribers.discard(sub)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception) and not _is_disconnect(result):
            log.warning("WebSocket connection ended: %r", result)
    if sub.closing is not None:
        code, reason = sub.closing
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(code, reason), CLOSE_TIMEOUT_S)


def _is_disconnect(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in {"WebSocketDisconnect", "ClientDisconnected"} or isinstance(exc, OSError)


def websocket_router(sim: Simulator, path: str = "/ws") -> APIRouter:
    """A router with the simulator's WebSocket endpoint."""
    router = APIRouter()

    async def endpoint(websocket: WebSocket) -> None:
        await serve(websocket, sim)

    router.add_api_websocket_route(path, endpoint, name="simulator-ws")
    return router
