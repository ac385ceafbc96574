"""The security middleware around real ASGI apps: httpx's ASGI transport, and uvicorn for
WebSocket handshakes."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.config import load_settings
from app.ratelog import RateLimitedLog
from app.security.headers import PAGE_CSP
from app.security.middleware import SecurityMiddleware
from app.security.origins import OriginPolicy, own_names
from app.security.wiring import install
from tests.support.asgi_thread import serve_in_thread

CAP = 1024
BASE = "http://127.0.0.1:8080"


class Pulls:
    """Counts the chunks a streamed request body had to give."""

    def __init__(self, chunks: int, size: int) -> None:
        self.chunks, self.size, self.pulled = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"x" * self.size


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"bytes": len(await request.body())})


async def _ws(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


def inner_app() -> Starlette:
    """Routes standing for the dashboard's: API writes, a page, an API read, a WebSocket."""
    return Starlette(
        routes=[
            Route("/api/echo", _echo, methods=["POST"]),
            Route("/login", _echo, methods=["POST"]),
            Route("/", lambda _: HTMLResponse("<p>page</p>")),
            Route("/api/data", lambda _: JSONResponse({"ok": True})),
            Route(
                "/form",
                lambda _: HTMLResponse("form", headers={"Content-Security-Policy": "x"}),
            ),
            WebSocketRoute("/ws", _ws),
        ]
    )


def guarded(app: ASGIApp | None = None) -> SecurityMiddleware:
    """The middleware for a loopback bind, with a cap of ``CAP`` bytes."""
    return SecurityMiddleware(app or inner_app(), OriginPolicy(own_names("127.0.0.1")), CAP)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A client of the guarded app, sent to 127.0.0.1:8080."""
    transport = httpx.ASGITransport(app=guarded())
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def _error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return str(body["error"]["code"])


async def test_hosts_are_checked_on_every_request(http: httpx.AsyncClient) -> None:
    """``Host: attacker.example`` is refused with the contract's 403; own names pass."""
    refused = await http.get("/api/data", headers={"Host": "attacker.example"})
    assert refused.status_code == 403 and _error(refused) == "FORBIDDEN_HOST"
    for host in ("127.0.0.1:8080", "localhost:8080", "localhost", "[::1]:8080"):
        assert (await http.get("/api/data", headers={"Host": host})).status_code == 200


async def test_origins_of_writes_and_reads(http: httpx.AsyncClient) -> None:
    """Foreign origins are refused whatever the method; no Origin is an API client."""
    own = {"Origin": BASE, "Content-Type": "application/json"}
    assert (await http.post("/api/echo", content=b"{}", headers=own)).status_code == 200
    assert (await http.post("/api/echo", json={})).status_code == 200
    for origin in ("http://127.0.0.1:9999", "http://localhost:8080", "null"):
        post = await http.post("/api/echo", json={}, headers={"Origin": origin})
        assert post.status_code == 403 and _error(post) == "FORBIDDEN_ORIGIN"
        read = await http.get("/api/data", headers={"Origin": origin})
        assert read.status_code == 403
    login = await http.post("/login", data={"token": "x"}, headers={"Origin": "http://e.x"})
    assert login.status_code == 403
    assert (await http.post("/login", data={"token": "x"}, headers={"Origin": BASE})).is_success


async def test_api_writes_take_json_only(http: httpx.AsyncClient) -> None:
    """text/plain, forms and multipart bodies to /api/ get 415; a bare POST passes."""
    for headers in (
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {},
    ):
        response = await http.post("/api/echo", content=b'{"scenarioId": "x"}', headers=headers)
        assert response.status_code == 415, headers
        assert _error(response) == "UNSUPPORTED_MEDIA_TYPE"
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert (await http.post("/api/echo", content=b"{}", headers=charset)).status_code == 200
    assert (await http.post("/api/echo")).status_code == 200
    assert (await http.post("/login", data={"token": "t"})).status_code == 200


async def test_bodies_over_the_cap(http: httpx.AsyncClient) -> None:
    """Over the cap: 413 from Content-Length unread, or as soon as streamed chunks pass it."""
    declared = await http.post("/api/echo", content=b"x" * (CAP + 1), headers=_json())
    assert declared.status_code == 413 and _error(declared) == "PAYLOAD_TOO_LARGE"
    assert (await http.post("/api/echo", content=b"x" * CAP, headers=_json())).status_code == 200
    stream = Pulls(chunks=10_000, size=256)
    streamed = await http.post("/api/echo", content=stream, headers=_json())
    assert streamed.status_code == 413 and _error(streamed) == "PAYLOAD_TOO_LARGE"
    assert stream.pulled == CAP // 256 + 1
    small = Pulls(chunks=3, size=256)
    ok = await http.post("/api/echo", content=small, headers=_json())
    assert ok.json() == {"bytes": 768}


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


async def test_security_headers_on_every_answer(http: httpx.AsyncClient) -> None:
    """Pages get the page policy, other answers a deny-all one; a route's own policy stays."""
    page = await http.get("/")
    assert page.headers["content-security-policy"] == PAGE_CSP
    for response in (page, await http.get("/api/data"), await http.get("/nothing-here")):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert (
        (await http.get("/api/data"))
        .headers["content-security-policy"]
        .startswith("default-src 'none'")
    )
    assert (await http.get("/form")).headers["content-security-policy"] == "x"
    refused = await http.get("/", headers={"Host": "attacker.example"})
    assert "frame-ancestors 'none'" in refused.headers["content-security-policy"]


@pytest.fixture(scope="module")
def ws_port() -> Iterator[int]:
    """The guarded app on uvicorn (wsproto), for real WebSocket handshakes."""
    with serve_in_thread(guarded()) as port:
        yield port


async def _handshake(url: str, origin: str | None) -> int | str:
    try:
        async with connect(url, origin=origin) as ws:  # type: ignore[arg-type]
            return str(await asyncio.wait_for(ws.recv(), 5))
    except InvalidStatus as exc:
        body = json.loads(exc.response.body or b"{}")
        assert body["error"]["code"] in ("FORBIDDEN_ORIGIN", "FORBIDDEN_HOST")
        return exc.response.status_code


async def test_websocket_handshakes(ws_port: int) -> None:
    """Own or no Origin: accepted; another port, another name, a foreign Host: 403 first."""
    url = f"ws://127.0.0.1:{ws_port}/ws"
    assert await _handshake(url, None) == "hello"
    assert await _handshake(url, f"http://127.0.0.1:{ws_port}") == "hello"
    assert await _handshake(url, f"http://127.0.0.1:{ws_port + 1}") == 403
    assert await _handshake(url, f"http://localhost:{ws_port}") == 403
    assert _raw_handshake_status(ws_port, "attacker.example") == 403
    assert _raw_handshake_status(ws_port, f"localhost:{ws_port}") == 101


def _raw_handshake_status(port: int, host: str) -> int:
    """The status of a handshake sent with ``Host: host`` (websockets sets its own Host)."""
    request = (
        f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode())
        return int(sock.recv(4096).split(b" ", 2)[1])


async def test_installed_outside_later_middlewares() -> None:
    """``install`` wraps the whole stack: a middleware added later (as NiceGUI's ui.run does)
    never sees a refused request, and the token gate sits behind the Origin check."""
    app = FastAPI()
    app.add_api_route("/api/data", lambda: {"ok": True})
    settings = load_settings(["--auth-token", "a-token-of-some-length-123"])
    installed = install(app, settings, machine=set)
    assert installed.gate is not None
    seen: list[str] = []

    def recorder(inner: ASGIApp) -> ASGIApp:
        async def record(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope["path"])
            await inner(scope, receive, send)

        return record

    app.add_middleware(recorder)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        bad_host = await http.get("/api/data", headers={"Host": "attacker.example"})
        foreign = await http.post("/login", headers={"Origin": "http://evil.example"})
        assert (bad_host.status_code, foreign.status_code) == (403, 403)
        assert seen == []
        assert (await http.get("/api/data")).status_code == 401
        bearer = {"Authorization": "Bearer a-token-of-some-length-123"}
        assert (await http.get("/api/data", headers=bearer)).status_code == 200
        assert seen == ["/api/data", "/api/data"]


def test_refusals_logged_once_per_kind_per_minute(caplog: pytest.LogCaptureFixture) -> None:
    """A flood of refusals makes one line per kind per period, then one with the count."""
    now = [0.0]
    limited = RateLimitedLog(logging.getLogger("test.refusals"), 60.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "test.refusals"):
        assert limited.log("host", "refused host")
        assert not any(limited.log("host", "refused host") for _ in range(99))
        assert limited.log("origin", "refused origin")
        now[0] = 61.0
        assert limited.log("host", "refused host")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "refused host",
        "refused origin",
        "refused host (and 99 more of kind 'host' not logged)",
    ]


async def test_app_error_after_a_refusal_is_not_raised() -> None:
    """The app's ClientDisconnect after a streamed 413 is expected and stays quiet."""

    async def reads_then_fails(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive).body()
        await Response("unreachable")(scope, receive, send)

    transport = httpx.ASGITransport(app=guarded(reads_then_fails), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        response = await http.post("/x", content=Pulls(100, 512))
        assert response.status_code == 413
