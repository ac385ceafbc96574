"""Sessions, logout and the login throttle: pure pieces with a settable clock, then the
routes on a real FastAPI app through httpx's ASGI transport."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from nicegui import ui
from nicegui.testing.user_simulation import user_simulation

from app.security.auth import SESSION_COOKIE, AuthMiddleware, SessionRegistry, TokenGate
from app.security.login import register_login
from app.security.throttle import LoginThrottle, client_key
from app.security.ui import logout_button

TOKEN = "session-tests-token-4d3c2b1a"


class Clock:
    """A settable clock."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_throttle_doubles_after_the_free_failures() -> None:
    """Five failures are free; then 1, 2, 4 ... s up to the cap; a success forgets them."""
    clock = Clock()
    throttle = LoginThrottle(free=5, base=1, cap=8, forget_after=60, clock=clock)
    first = throttle.failure("192.0.2.7")
    assert first.new_burst and first.locked_for == 0
    for _ in range(4):
        assert throttle.failure("192.0.2.7").locked_for == 0
    assert throttle.retry_after("192.0.2.7") == 0
    locks = [throttle.failure("192.0.2.7").locked_for for _ in range(5)]
    assert locks == [1, 2, 4, 8, 8]
    assert throttle.retry_after("192.0.2.7") == 8
    assert throttle.retry_after("192.0.2.8") == 0
    clock.now += 7.5
    assert throttle.retry_after("192.0.2.7") == 1
    assert throttle.success("192.0.2.7") == 10
    assert throttle.retry_after("192.0.2.7") == 0


def test_throttle_bursts_end_and_the_table_is_bounded() -> None:
    """After ``forget_after`` quiet seconds a failure starts a new burst; old entries go."""
    clock = Clock()
    throttle = LoginThrottle(free=1, base=1, cap=4, forget_after=10, max_clients=3, clock=clock)
    throttle.failure("192.0.2.1")
    clock.now += 11
    again = throttle.failure("192.0.2.1")
    assert again.new_burst and again.failures == 1
    for n in range(2, 7):
        throttle.failure(f"192.0.2.{n}")
    assert len(throttle) == 3


def test_ipv6_clients_count_per_64() -> None:
    """Addresses of one /64 share a count; IPv4-mapped IPv6 is the IPv4 address."""
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("not-an-address") == "not-an-address"


def test_session_registry_revokes_expires_and_is_bounded() -> None:
    """Logging out ends one session; expired ones are pruned; past the cap the oldest goes."""
    clock = Clock()
    gate = TokenGate(TOKEN, 3600, clock=clock, registry=SessionRegistry(3, clock))
    cookies = [gate.issue_session() for _ in range(3)]
    assert all(gate.session_valid(c) for c in cookies)
    assert gate.end_session(cookies[1]) and not gate.session_valid(cookies[1])
    assert not gate.end_session(cookies[1])
    assert gate.session_valid(cookies[0]) and gate.session_valid(cookies[2])
    more = [gate.issue_session() for _ in range(2)]
    assert not gate.session_valid(cookies[0]) and all(gate.session_valid(c) for c in more)
    assert len(gate.sessions) == 3
    restarted = TokenGate(TOKEN, 3600, clock=clock)
    assert not restarted.session_valid(more[0]), "a restart ends every session"
    clock.now += 3601
    gate.issue_session()
    assert len(gate.sessions) == 1


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[httpx.AsyncClient, LoginThrottle]]:
    """A FastAPI app behind the token gate with login and logout, on https."""
    app = FastAPI()
    app.add_api_route("/api/data", lambda: {"ok": True})
    gate = TokenGate(TOKEN, 3600)
    throttle = LoginThrottle(free=2, base=30, cap=60, forget_after=600)
    app.add_middleware(AuthMiddleware, gate=gate, throttle=throttle)
    register_login(app, gate, "Ops", throttle)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://dash.example") as http:
        yield http, throttle


async def test_login_cookie_then_logout_revokes(
    guarded: tuple[httpx.AsyncClient, LoginThrottle],
) -> None:
    """The cookie is HttpOnly, SameSite=Strict, Secure over https; logout ends it for good."""
    http, _ = guarded
    other = (await http.post("/login", data={"token": TOKEN})).cookies[SESSION_COOKIE]
    http.cookies.clear()
    login = await http.post("/login", data={"token": TOKEN, "next": "/api/data"})
    assert login.status_code == 303
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    stolen = http.cookies[SESSION_COOKIE]
    assert (await http.get("/api/data")).status_code == 200
    logout = await http.post("/logout")
    assert logout.status_code == 303 and logout.headers["location"] == "/login"
    assert 'dashboard_session=""' in logout.headers["set-cookie"]
    assert SESSION_COOKIE not in http.cookies
    replay = await http.get("/api/data", headers={"Cookie": f"{SESSION_COOKIE}={stolen}"})
    assert replay.status_code == 401, "a logged-out session must not come back"
    alive = await http.get("/api/data", headers={"Cookie": f"{SESSION_COOKIE}={other}"})
    assert alive.status_code == 200, "logging out one browser leaves the others in"
    assert (await http.post("/logout")).status_code == 303  # no session: still fine


async def test_wrong_tokens_are_slowed_and_logged_once(
    guarded: tuple[httpx.AsyncClient, LoginThrottle], caplog: pytest.LogCaptureFixture
) -> None:
    """Past the free failures the address waits (429, Retry-After), the right token too;
    the burst makes one log line. Wrong bearer tokens count the same."""
    http, throttle = guarded
    with caplog.at_level(logging.INFO, "app.security"):
        for _ in range(3):
            wrong = await http.post("/login", data={"token": "nope"})
            assert wrong.status_code == 401
        held = await http.post("/login", data={"token": TOKEN})
        assert held.status_code == 429 and "Try again in 30 s" in held.text
        assert held.headers["retry-after"] == "30"
        bearer = await http.get("/api/data", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 429 and bearer.headers["retry-after"] == "30"
    failed = [r for r in caplog.records if "failed login" in r.getMessage()]
    assert len(failed) == 1 and "127.0.0.1" in failed[0].getMessage()
    throttle.success("127.0.0.1")
    bad_bearer = {"Authorization": "Bearer wrong"}
    for _ in range(3):
        assert (await http.get("/api/data", headers=bad_bearer)).status_code == 401
    assert (await http.post("/login", data={"token": TOKEN})).status_code == 429


async def test_logout_button_posts_the_logout_form() -> None:
    """With a token the header control is a POST form to /logout; without one, nothing."""

    def root() -> None:
        logout_button(True)
        ui.label("page")

    async with user_simulation(root=root) as user:
        await user.open("/")
        (form,) = user.find(marker="logout-form").elements
        assert form.tag == "form"
        assert form.props["method"] == "post" and form.props["action"] == "/logout"
        (button,) = user.find(marker="logout").elements
        assert button.props["type"] == "submit"

    def plain() -> None:
        assert logout_button(False) is None
        ui.label("page")

    async with user_simulation(root=plain) as user:
        await user.open("/")
        await user.should_see("page")
        await user.should_not_see(marker="logout")
