"""The login form, ``POST /login`` and ``POST /logout``.

The form is plain HTML that POSTs, so the token never travels in a URL. A login attempt from
an address the throttle holds back is not checked (429 with ``Retry-After``); a wrong token
counts against the address; a right one sets the session cookie (HttpOnly, SameSite=Strict,
Secure over https) and forgets the address's failures. Logout ends the session on the server
and clears the cookie; it needs no session, so a stale page can always log out.
"""

from __future__ import annotations

import html
import logging
from typing import Final
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.security.auth import (
    LOGIN_PATH,
    LOGOUT_PATH,
    SESSION_COOKIE,
    TokenGate,
    note_failure,
    peer,
    session_cookie,
)
from app.security.throttle import LoginThrottle

log = logging.getLogger("app.security.auth")

MAX_FORM_BYTES: Final = 4096


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (other hosts, schemes) is ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\x7f" for c in target):
        return "/"
    if target.startswith((LOGIN_PATH, LOGOUT_PATH)):
        return "/"
    return target


_FORM_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make the form post Origin: null
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
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


def _secure(request: Request) -> bool:
    """Over https, or behind a proxy uvicorn trusts that says so (X-Forwarded-Proto)."""
    return request.url.scheme == "https"


def register_login(
    app: FastAPI, gate: TokenGate, title: str, throttle: LoginThrottle | None = None
) -> LoginThrottle:
    """``GET /login`` shows the form; ``POST /login`` checks the token and sets the session;
    ``POST /logout`` ends it. Returns the throttle of failed attempts."""
    throttle = throttle if throttle is not None else LoginThrottle()

    @app.get(LOGIN_PATH, include_in_schema=False)
    async def login_form(next: str | None = None) -> HTMLResponse:
        return login_page(title, safe_next(next))

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        address = peer(request.scope)
        wait = throttle.retry_after(address)
        if wait:
            page = login_page(
                title, "/", f"Too many wrong tokens. Try again in {wait} s.", status=429
            )
            page.headers["Retry-After"] = str(wait)
            return page
        form = await _read_form(request)
        if form is None:
            return login_page(title, "/", "Form too large.", status=413)
        next_path = safe_next(form.get("next"))
        if not gate.token_matches(form.get("token", "")):
            note_failure(throttle, address, "failed login")
            return login_page(title, next_path, "Wrong token.", status=401)
        failures = throttle.success(address)
        after = f" after {failures} failed attempts" if failures else ""
        log.info("login from %s%s", address, after)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            gate.issue_session(),
            max_age=int(gate.max_age_s),
            path="/",
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post(LOGOUT_PATH, include_in_schema=False)
    async def logout(request: Request) -> Response:
        if gate.end_session(session_cookie(request.headers)):
            log.info("logout from %s", peer(request.scope))
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request)
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    return throttle
