"""Access control: with ``--auth-token`` one token guards every route but the login form.

Deny by default: :class:`AuthMiddleware` wraps the whole ASGI app, so the pages, the
``/api/dashboard/*`` API, NiceGUI's own routes (``/_nicegui/*`` and its socket.io endpoint
``/_nicegui_ws``) and the embedded simulator (``/ws``, ``/api/simulation/*``) all need one of

* ``Authorization: Bearer <token>`` (API clients; the dashboard's own link to the embedded
  simulator sends it), or
* the session cookie that ``POST /login`` sets after a correct token: HttpOnly,
  SameSite=Lax, signed with a key derived from the token (changing the token logs every
  browser out) and valid ``--auth-session-hours``.

The login form is plain HTML that POSTs, so the token never travels in a URL and the
unauthenticated side needs no NiceGUI client, no socket.io and no static assets. A browser
asking for a page without a session is redirected to ``/login?next=<path>``; everything
else gets 401 (a WebSocket handshake: 403).

Tokens are compared with :func:`hmac.compare_digest` on digests of equal length.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
import logging
import secrets
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE: Final = "dashboard_session"
LOGIN_PATH: Final = "/login"
MAX_FORM_BYTES: Final = 4096
MIN_TOKEN_CHARS: Final = 16
_KEY_LABEL: Final = b"ops-dashboard session key v1"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class TokenGate:
    """Decides whether a request carries the token or a valid session; issues sessions."""

    def __init__(
        self, token: str, session_max_age_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        if not token:
            raise ValueError("an empty token guards nothing")
        self._token_digest = _digest(token)
        self._key = hmac.new(token.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()
        self.max_age_s = session_max_age_s
        self._clock = clock

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
        """A new session cookie value: ``expiry.nonce.signature``."""
        body = f"{int(self._clock() + self.max_age_s)}.{secrets.token_hex(16)}"
        return f"{body}.{self._sign(body)}"

    def session_valid(self, value: str | None) -> bool:
        """True for a cookie value this gate issued that has not expired."""
        if not value or value.count(".") != 2:
            return False
        body, _, signature = value.rpartition(".")
        if not hmac.compare_digest(self._sign(body).encode(), signature.encode()):
            return False
        expiry = body.partition(".")[0]
        return expiry.isdigit() and int(expiry) > self._clock()

    def allows(self, headers: Headers) -> bool:
        """Whether a request with ``headers`` may pass: bearer token or session cookie."""
        if self.bearer_matches(headers.get("authorization")):
            return True
        cookies = cookie_parser(headers.get("cookie", ""))
        return self.session_valid(cookies.get(SESSION_COOKIE))

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).hexdigest()


def _wants_page(scope: Scope, headers: Headers) -> bool:
    """A browser navigating to a page (redirect it to the form) rather than an API call."""
    path: str = scope["path"]
    if scope.get("method") not in ("GET", "HEAD") or path.startswith(("/api/", "/_nicegui")):
        return False
    return "text/html" in headers.get("accept", "")


class AuthMiddleware:
    """Pure ASGI middleware: lets through ``/login`` and authenticated requests only."""

    def __init__(self, app: ASGIApp, gate: TokenGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] == LOGIN_PATH:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self.gate.allows(headers):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
            return
        response: Response
        if _wants_page(scope, headers):
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


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (other hosts, schemes) is ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\x7f" for c in target) or target.startswith(LOGIN_PATH):
        return "/"
    return target


_FORM_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def login_page(title: str, next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    """The login form: one password field, POSTed to ``/login``; every value escaped."""
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Sign in · {html.escape(title)}</title>
<style>
body{{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
background:#020617;color:#e2e8f0;font:16px system-ui,sans-serif}}
form{{background:#0f172a;border:1px solid #334155;border-radius:8px;padding:2rem;width:20rem}}
h1{{font-size:1.25rem;margin:0 0 1rem}} label{{display:block;margin-bottom:.5rem}}
input{{box-sizing:border-box;width:100%;padding:.5rem;border-radius:4px;border:1px solid #475569;
background:#020617;color:inherit}}
button{{margin-top:1rem;width:100%;padding:.5rem;border:0;border-radius:4px;background:#0284c7;
color:white;font-weight:600;cursor:pointer}} .error{{color:#fca5a5}}
</style></head>
<body><form method="post" action="{LOGIN_PATH}">
<h1>{html.escape(title)}</h1>{message}
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{html.escape(next_path)}">
<button type="submit">Sign in</button>
</form></body></html>"""
    return HTMLResponse(body, status_code=status, headers=_FORM_HEADERS)


async def _read_form(request: Request) -> dict[str, str] | None:
    """The urlencoded form, at most :data:`MAX_FORM_BYTES`; None if larger."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
    fields = parse_qs(b"".join(chunks).decode("utf-8", "replace"), max_num_fields=8)
    return {name: values[0] for name, values in fields.items()}


def register_login(app: FastAPI, gate: TokenGate, title: str) -> None:
    """``GET /login`` shows the form; ``POST /login`` checks the token and sets the session."""

    @app.get(LOGIN_PATH, include_in_schema=False)
    async def login_form(next: str | None = None) -> HTMLResponse:
        return login_page(title, safe_next(next))

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await _read_form(request)
        if form is None:
            return login_page(title, "/", "Form too large.", status=413)
        next_path = safe_next(form.get("next"))
        peer = request.client.host if request.client else "?"
        if not gate.token_matches(form.get("token", "")):
            log.warning("failed login from %s", peer)
            return login_page(title, next_path, "Wrong token.", status=401)
        log.info("login from %s", peer)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            gate.issue_session(),
            max_age=int(gate.max_age_s),
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        response.headers["Cache-Control"] = "no-store"
        return response


def install(app: FastAPI, settings: Settings) -> TokenGate:
    """Guard ``app`` with ``settings.auth_token``: the middleware and the login routes."""
    gate = TokenGate(settings.auth_token.get_secret_value(), settings.auth_session_hours * 3600)
    app.add_middleware(AuthMiddleware, gate=gate)
    register_login(app, gate, settings.title)
    return gate


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
