"""The one pure-ASGI middleware in front of everything the dashboard serves.

In order, for every HTTP request and WebSocket handshake: ``Host`` and ``Origin``
(:mod:`app.security.origins`), then for HTTP the read-only rule (:mod:`app.security.actions`),
the content type of API writes and the body cap (:mod:`app.security.limits`); every HTTP
answer, refusals included, gets the security headers (:mod:`app.security.headers`). It
sits outside NiceGUI's own middlewares and Starlette's error handler, so its refusals come
first and nothing it refuses reaches a route, NiceGUI's socket.io server (which allows
every origin itself) included.

Refusals are JSON in the contract's shape ``{"error": {"code", "message"}}``; a refused
WebSocket handshake is denied before it is accepted (HTTP 403). Each kind of refusal is
logged at most once a minute.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ratelog import RateLimitedLog
from app.security.actions import read_only_refusal
from app.security.headers import with_security_headers
from app.security.limits import (
    CappedReceive,
    body_cap,
    content_type_refusal,
    length_refusal,
    too_large,
)
from app.security.origins import OriginPolicy, Refusal, excerpt

log = logging.getLogger(__name__)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The contract's error shape."""
    return {"error": {"code": code, "message": message}}


class SecuredSend:
    """Wraps ``send``: adds the security headers; after :meth:`close` it drops messages
    (the app's late answer to a request already refused)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self.closed = False

    async def __call__(self, message: Message) -> None:
        if self.closed:
            return
        if message["type"] == "http.response.start":
            self.started = True
            message = {**message, "headers": with_security_headers(message.get("headers", []))}
        await self._send(message)

    def close(self) -> None:
        """Send nothing more."""
        self.closed = True


async def deny_websocket(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
    """Refuse a handshake before accepting it: a 403 JSON answer where the server can send
    one (ASGI's denial-response extension), else a close, which the server turns into 403."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008, "reason": ""})
        return
    response = JSONResponse(error_body(refusal.code, refusal.message), refusal.status)
    headers = with_security_headers(response.raw_headers)
    await send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": response.body})


class SecurityMiddleware:
    """Host and Origin checks, read-only, JSON-only API writes, body caps and headers."""

    def __init__(
        self,
        app: ASGIApp,
        policy: OriginPolicy,
        max_body_bytes: int,
        refusals: RateLimitedLog | None = None,
        read_only: bool = False,
    ) -> None:
        self.app = app
        self.policy = policy
        self.max_body_bytes = max_body_bytes
        self.read_only = read_only
        self.refusals = refusals if refusals is not None else RateLimitedLog(log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = scope.get("method", "GET")
        refusal = self.policy.judge(
            kind,
            method,
            scope.get("scheme", "http"),
            headers.get("host"),
            headers.get("origin"),
            headers.get("sec-fetch-site"),
        )
        if kind == "websocket":
            if refusal is None:
                await self.app(scope, receive, send)
            else:
                self._log(refusal, scope)
                await deny_websocket(scope, receive, send, refusal)
            return
        cap = body_cap(scope["path"], self.max_body_bytes)
        refusal = (
            refusal
            or (read_only_refusal(method, scope["path"]) if self.read_only else None)
            or content_type_refusal(method, scope["path"], headers)
            or length_refusal(headers, cap)
        )
        secured = SecuredSend(send)
        if refusal is not None:
            self._log(refusal, scope)
            await self._refuse(refusal, scope, receive, secured)
            return

        async def exceeded() -> None:
            refusal = too_large(cap)
            self._log(refusal, scope)
            if not secured.started:
                await self._refuse(refusal, scope, receive, secured)
            secured.close()

        capped = CappedReceive(receive, cap, exceeded)
        try:
            await self.app(scope, capped, secured)
        except Exception:
            # The app was told the client left (ClientDisconnect) after the 413: expected.
            if not capped.exceeded:
                raise

    async def _refuse(
        self, refusal: Refusal, scope: Scope, receive: Receive, send: SecuredSend
    ) -> None:
        response = JSONResponse(error_body(refusal.code, refusal.message), refusal.status)
        await response(scope, receive, send)
        send.close()

    def _log(self, refusal: Refusal, scope: Scope) -> None:
        client = scope.get("client")
        peer = client[0] if client else "?"
        path = excerpt(scope.get("path", ""))
        self.refusals.log(
            refusal.kind,
            f"refused {scope['type']} {scope.get('method', 'GET')} {path} from {peer}: "
            f"{refusal.status} {refusal.message}",
        )
