"""Access control: with ``--auth-token`` one token guards every route but login and logout.

Deny by default: :class:`AuthMiddleware` wraps the whole ASGI app, so the pages, the
``/api/dashboard/*`` API, NiceGUI's own routes (``/_nicegui/*`` and its socket.io endpoint
``/_nicegui_ws``) and the embedded simulator (``/ws``, ``/api/simulation/*``) all need one of

* ``Authorization: Bearer <token>`` (API clients; the dashboard's own link to the embedded
  simulator sends it), or
* the session cookie that ``POST /login`` sets after a correct token: HttpOnly,
  SameSite=Strict, Secure when served over https (or behind a proxy uvicorn trusts that
  says so), signed with a key derived from the token (changing the token logs every
  browser out) and valid ``--auth-session-hours``.

Sessions are revocable: the server keeps the ids of live sessions (:class:`SessionRegistry`,
in memory, bounded), ``POST /logout`` ends one, and a restart ends all. Failed logins and
wrong bearer tokens are slowed per client address (:mod:`app.security.throttle`) and
logged once per burst.

The login form is plain HTML that POSTs, so the token never travels in a URL and the
unauthenticated side needs no NiceGUI client, no socket.io and no static assets. A browser
asking for a page without a session is redirected to ``/login?next=<path>``; everything
else gets 401 (a WebSocket handshake: 403). Which pages may post the form at all is the
Origin check's business (:mod:`app.security.middleware`).

Tokens are compared with :func:`hmac.compare_digest` on digests of equal length.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.security.throttle import LoginThrottle

log = logging.getLogger(__name__)

SESSION_COOKIE: Final = "dashboard_session"
LOGIN_PATH: Final = "/login"
LOGOUT_PATH: Final = "/logout"
MIN_TOKEN_CHARS: Final = 16
MAX_SESSIONS: Final = 1000
_KEY_LABEL: Final = b"ops-dashboard session key v1"

Clock = Callable[[], float]


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class SessionRegistry:
    """Ids of live sessions with their expiry; at most ``max_sessions``, oldest dropped first.

    Every session lasts as long, so insertion order is expiry order and pruning looks at
    the oldest entries only.
    """

    def __init__(self, max_sessions: int = MAX_SESSIONS, clock: Clock = time.time) -> None:
        self._live: OrderedDict[str, float] = OrderedDict()
        self._max = max_sessions
        self._clock = clock

    def __len__(self) -> int:
        return len(self._live)

    def add(self, session_id: str, expiry: float) -> None:
        """Register a new session."""
        now = self._clock()
        while self._live and (
            len(self._live) >= self._max or next(iter(self._live.values())) <= now
        ):
            self._live.popitem(last=False)
        self._live[session_id] = expiry

    def alive(self, session_id: str) -> bool:
        """True for a registered session that has not expired."""
        expiry = self._live.get(session_id)
        return expiry is not None and expiry > self._clock()

    def revoke(self, session_id: str) -> bool:
        """End one session; True if it was live."""
        return self._live.pop(session_id, None) is not None


class TokenGate:
    """Decides whether a request carries the token or a live session; issues and ends them."""

    def __init__(
        self,
        token: str,
        session_max_age_s: float,
        clock: Clock = time.time,
        registry: SessionRegistry | None = None,
    ) -> None:
        if not token:
            raise ValueError("an empty token guards nothing")
        self._token_digest = _digest(token)
        self._key = hmac.new(token.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()
        self.max_age_s = session_max_age_s
        self._clock = clock
        self.sessions = registry if registry is not None else SessionRegistry(clock=clock)

    def token_matches(self, candidate: str) -> bool:
        """Constant-time comparison of ``candidate`` with the token."""
        return hmac.compare_digest(_digest(candidate), self._token_digest)

    def bearer_matches(self, authorization: str | None) -> bool:
        """True for an ``Authorization: Bearer <token>`` header value with the right token."""
        if not authorization:
            return False
        scheme, _, credentials = authorization.strip().partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(credentials.strip())

    def issue_session(self) -> str:
        """A new, registered session cookie value: ``expiry.id.signature``."""
        expiry = int(self._clock() + self.max_age_s)
        session_id = secrets.token_hex(16)
        self.sessions.add(session_id, expiry)
        body = f"{expiry}.{session_id}"
        return f"{body}.{self._sign(body)}"

    def _session_id(self, value: str | None) -> str | None:
        """The id of a cookie value this gate signed, unexpired; None otherwise."""
        if not value or value.count(".") != 2:
            return None
        body, _, signature = value.rpartition(".")
        if not hmac.compare_digest(self._sign(body).encode(), signature.encode()):
            return None
        expiry, _, session_id = body.partition(".")
        if not expiry.isdigit() or int(expiry) <= self._clock():
            return None
        return session_id

    def session_valid(self, value: str | None) -> bool:
        """True for a cookie value this gate issued, unexpired and not ended."""
        session_id = self._session_id(value)
        return session_id is not None and self.sessions.alive(session_id)

    def end_session(self, value: str | None) -> bool:
        """Log out: the session of this cookie value is no longer valid; True if it was."""
        session_id = self._session_id(value)
        return session_id is not None and self.sessions.revoke(session_id)

    def allows(self, headers: Headers) -> bool:
        """Whether a request with ``headers`` may pass: bearer token or session cookie."""
        if self.bearer_matches(headers.get("authorization")):
            return True
        return self.session_valid(session_cookie(headers))

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).hexdigest()


def session_cookie(headers: Headers) -> str | None:
    """The session cookie's value in a request's headers."""
    return cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)


def peer(scope: Scope) -> str:
    """The client address uvicorn reports (behind a trusted proxy: the forwarded one)."""
    client = scope.get("client")
    return str(client[0]) if client else "?"


def note_failure(throttle: LoginThrottle, address: str, what: str) -> None:
    """Count a failed attempt; log the first of each burst only."""
    failure = throttle.failure(address)
    if failure.new_burst:
        log.warning(
            "%s from %s (the rest of this burst is counted, not logged; after %d failures "
            "each further one makes the address wait longer before it may try again)",
            what,
            address,
            throttle.free,
        )


def _wants_page(scope: Scope, headers: Headers) -> bool:
    """A browser navigating to a page (redirect it to the form) rather than an API call."""
    path: str = scope["path"]
    if scope.get("method") not in ("GET", "HEAD") or path.startswith(("/api/", "/_nicegui")):
        return False
    return "text/html" in headers.get("accept", "")


class AuthMiddleware:
    """Pure ASGI middleware: lets through login, logout and authenticated requests only."""

    def __init__(
        self, app: ASGIApp, gate: TokenGate, throttle: LoginThrottle | None = None
    ) -> None:
        self.app = app
        self.gate = gate
        self.throttle = throttle if throttle is not None else LoginThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in (
            LOGIN_PATH,
            LOGOUT_PATH,
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        authorization = headers.get("authorization")
        if authorization is not None:
            wait = self.throttle.retry_after(peer(scope))
            if wait:
                await self._deny(scope, receive, send, headers, retry_after=wait)
                return
            if not self.gate.bearer_matches(authorization):
                note_failure(self.throttle, peer(scope), "wrong bearer token")
        if self.gate.allows(headers):
            await self.app(scope, receive, send)
            return
        await self._deny(scope, receive, send, headers)

    async def _deny(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, retry_after: int = 0
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
            return
        response: Response
        if retry_after:
            response = JSONResponse(
                {"error": {"code": "TOO_MANY_ATTEMPTS", "message": "too many wrong tokens"}},
                status_code=429,
                headers={"Retry-After": str(retry_after)},
            )
        elif _wants_page(scope, headers):
            target = scope["path"]
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            response = RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='')}", 303)
        else:
            response = JSONResponse(
                {"error": {"code": "UNAUTHORIZED", "message": "authentication required"}},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        await response(scope, receive, send)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def access_warnings(settings: Settings) -> list[str]:
    """What to warn about at start: exposure without a token, weak or plaintext tokens."""
    warnings: list[str] = []
    if not settings.auth_enabled and not is_loopback(settings.host):
        warnings.append(
            f"listening on {settings.host}, beyond loopback, with NO authentication: anyone "
            "who can reach this port sees the dashboard and drives its simulator; set "
            "--auth-token (or DASHBOARD_AUTH_TOKEN)"
        )
    if settings.auth_enabled and len(settings.auth_token.get_secret_value()) < MIN_TOKEN_CHARS:
        warnings.append(
            f"--auth-token is shorter than {MIN_TOKEN_CHARS} characters; use a long random one"
        )
    if (
        settings.upstream_token
        and not settings.embedded
        and settings.http_base.startswith("http://")
    ):
        warnings.append("--simulator-token is sent over plain http://; use https://")
    return warnings
