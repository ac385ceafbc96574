"""Sessions on a real dashboard with a token: the login throttle per address, logout and
revocation, the cookie's flags, and Origin checks on login and logout.

uvicorn trusts ``X-Forwarded-For`` and ``X-Forwarded-Proto`` from 127.0.0.1 (its default
``forwarded_allow_ips``), so each test speaks for an address of its own, as a proxy would."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import Process, free_port, start, wait_until

pytestmark = pytest.mark.timeout(90)

TOKEN = "sessions-process-token-7a6b5c4d"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def guarded() -> Iterator[Process]:
    """A dashboard (embedded simulator) guarded by ``TOKEN`` from DASHBOARD_AUTH_TOKEN."""
    port = free_port()
    previous = os.environ.get("DASHBOARD_AUTH_TOKEN")
    os.environ["DASHBOARD_AUTH_TOKEN"] = TOKEN
    try:
        dash = start(
            ["app", "--port", str(port), "--no-show", "--sim-rate", "5"],
            f"http://127.0.0.1:{port}",
            "/login",
            f"dashboard-{port}",
        )
    finally:
        if previous is None:
            del os.environ["DASHBOARD_AUTH_TOKEN"]
        else:
            os.environ["DASHBOARD_AUTH_TOKEN"] = previous
    yield dash
    dash.stop()


def _as(address: str, **headers: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, **headers}


def test_wrong_tokens_are_slowed_per_address(guarded: Process) -> None:
    """Of 60 quick wrong tokens only a handful are checked (the rest 429 + Retry-After);
    other addresses are unaffected; the burst is logged once; after the wait a right
    token gets in."""
    attacker = _as("203.0.113.7")
    with httpx.Client(base_url=guarded.url, timeout=10) as http:
        codes = [
            http.post("/login", data={"token": f"guess-{n}"}, headers=attacker).status_code
            for n in range(60)
        ]
        assert codes[:6] == [401] * 6
        assert codes.count(401) <= 8 and codes.count(429) >= 52
        held = http.post("/login", data={"token": TOKEN}, headers=attacker)
        assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1
        bearer = http.get("/api/dashboard/status", headers=attacker | BEARER)
        assert bearer.status_code == 429
        other = http.post("/login", data={"token": "x"}, headers=_as("203.0.113.8"))
        assert other.status_code == 401
        assert http.get("/api/dashboard/status", headers=BEARER).status_code == 200

        def let_in() -> httpx.Response | None:
            answer = http.post("/login", data={"token": TOKEN}, headers=attacker)
            return answer if answer.status_code == 303 else None

        wait_until(let_in, 30, "the right token accepted once the address has waited", 0.5)
    lines = guarded.log.read_text("utf-8", "replace").splitlines()
    failed = [line for line in lines if "failed login from 203.0.113.7" in line]
    assert len(failed) == 1
    assert any("login from 203.0.113.7 after " in line for line in lines)
    assert TOKEN not in "\n".join(lines)


def test_logout_ends_the_session_on_the_server(guarded: Process) -> None:
    """After logout the very same cookie is refused; another browser's session lives on."""
    with (
        httpx.Client(base_url=guarded.url, timeout=10) as first,
        httpx.Client(base_url=guarded.url, timeout=10) as second,
    ):
        for browser in (first, second):
            assert browser.post("/login", data={"token": TOKEN}).status_code == 303
        cookie = first.cookies["dashboard_session"]
        assert first.get("/api/dashboard/status").status_code == 200
        out = first.post("/logout", headers={"Origin": guarded.url})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        replay = httpx.get(
            f"{guarded.url}/api/dashboard/status",
            headers={"Cookie": f"dashboard_session={cookie}"},
            timeout=10,
        )
        assert replay.status_code == 401
        assert second.get("/api/dashboard/status").status_code == 200


def test_login_and_logout_need_the_own_origin(guarded: Process) -> None:
    """A page of another port cannot post the login form or log the operator out."""
    port = int(guarded.url.rsplit(":", 1)[1])
    foreign = {"Origin": f"http://127.0.0.1:{port + 1}"}
    with httpx.Client(base_url=guarded.url, timeout=10) as http:
        assert http.post("/login", data={"token": TOKEN}, headers=foreign).status_code == 403
        assert http.post("/login", data={"token": TOKEN}).status_code == 303
        assert http.post("/logout", headers=foreign).status_code == 403
        assert http.get("/api/dashboard/status").status_code == 200
        own = {"Origin": guarded.url}
        assert http.post("/logout", headers=own).status_code == 303
        assert http.get("/api/dashboard/status").status_code == 401


def test_cookie_is_secure_behind_an_https_proxy(guarded: Process) -> None:
    """Strict always; Secure when a trusted proxy says the browser used https."""
    with httpx.Client(base_url=guarded.url, timeout=10) as http:
        proxied = http.post(
            "/login",
            data={"token": TOKEN},
            headers=_as("198.51.100.4", **{"X-Forwarded-Proto": "https"}),
        )
        assert proxied.status_code == 303
        cookie = proxied.headers["set-cookie"]
        assert "Secure" in cookie and "SameSite=strict" in cookie and "HttpOnly" in cookie
        direct = http.post("/login", data={"token": TOKEN}).headers["set-cookie"]
        assert "Secure" not in direct and "SameSite=strict" in direct
