"""Logging in with ``--auth-token`` in a real browser: form, session, and a working page."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from tests.support.browser import chart_ready

from .servers import Process, free_port, start

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

TOKEN = "browser-login-token-0123456789"
CHART_POINTS = chart_ready(1)
BADGE = "[data-testid=connection-badge]"


@pytest.fixture(scope="module")
def guarded_dashboard() -> Iterator[Process]:
    """The dashboard with its embedded simulator, guarded by ``TOKEN`` (given by env)."""
    port = free_port()
    os.environ["DASHBOARD_AUTH_TOKEN"] = TOKEN
    try:
        dash = start(
            ["app", "--port", str(port), "--no-show", "--sim-rate", "20"],
            f"http://127.0.0.1:{port}",
            "/login",
            f"dashboard-{port}",
        )
    finally:
        del os.environ["DASHBOARD_AUTH_TOKEN"]
    yield dash
    dash.stop()


def test_login_then_live_page(browser: Browser, guarded_dashboard: Process) -> None:
    """The form logs in by POST; the page, its socket and its chart then work as usual."""
    dash = guarded_dashboard
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{dash.url}/?streams=tutor.login.event&range=24h")
        assert page.url == f"{dash.url}/login?next=%2F%3Fstreams%3Dtutor.login.event%26range%3D24h"
        page.fill("#token", "not-the-token")
        page.click("button[type=submit]")
        page.get_by_text("Wrong token.").wait_for(timeout=10_000)

        with page.expect_navigation():
            page.fill("#token", TOKEN)
            page.click("button[type=submit]")
        assert page.url == f"{dash.url}/?streams=tutor.login.event&range=24h"
        page.wait_for_function(CHART_POINTS, timeout=45_000, polling=100)
        page.wait_for_function(
            f"() => document.querySelector('{BADGE}')?.textContent.trim() === 'Connected'",
            timeout=30_000,
        )
        (session,) = [c for c in context.cookies() if c["name"] == "dashboard_session"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert TOKEN not in session["value"]

        page.reload()
        page.wait_for_function(CHART_POINTS, timeout=45_000, polling=100)
        assert page.url == f"{dash.url}/?streams=tutor.login.event&range=24h"
    finally:
        context.close()
    assert TOKEN not in dash.log.read_text("utf-8", "replace")


def test_scenario_actions_need_a_live_session(browser: Browser, guarded_dashboard: Process) -> None:
    """Logged in: the panel starts a scenario (the dashboard's own call carries the token).
    Logged out in another tab: this still open tab's Stop is refused and nothing stops."""
    dash = guarded_dashboard
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    try:
        page = context.new_page()
        page.goto(f"{dash.url}/login")
        with page.expect_navigation():
            page.fill("#token", TOKEN)
            page.click("button[type=submit]")
        page.get_by_role("button", name="Start Exam season surge").click()
        page.get_by_text("Exam season surge started").wait_for(timeout=15_000)
        other = context.new_page()
        other.goto(dash.url)
        with other.expect_navigation():
            other.get_by_role("button", name="Log out").click()
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("your session has ended").first.wait_for(timeout=10_000)
        body = httpx.get(f"{dash.url}/api/dashboard/status", headers=bearer, timeout=10).json()
        assert body["scenario"]["active"]["id"] == "exam-season-surge"
    finally:
        context.close()
        httpx.post(f"{dash.url}/api/simulation/reset", json={}, headers=bearer, timeout=10)
