"""A hostile page of another origin on the same machine attacks the dashboard in Chromium.

The page is served from another port, as ``http://127.0.0.1:H`` and ``http://localhost:H``,
and aims at the dashboard as ``127.0.0.1:D`` and ``localhost:D``. It tries what the issue
found: a no-cors ``text/plain`` POST that starts a scenario, a WebSocket to ``/ws``, a
socket.io connection to NiceGUI's endpoint (WebSocket and polling) and a read of
``/api/dashboard/status``. With a token, the operator has logged in in the same browser
first, so the session cookie goes along wherever SameSite lets it (another port is the
same site). Every attempt must be refused by the server (403), and the simulator must show
no scenario and no subscriber but the dashboard's own link.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.asgi_thread import serve_in_thread
from tests.support.browser import chart_ready
from tests.support.processes import wait_until

from .servers import RATE, Process, free_port, start, start_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

TOKEN = "hostile-origin-token-0f1e2d3c4b"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

ATTACK = """async (target) => {
  const socket = (url) => new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => resolve('pending'), 10000);
    const done = (what) => { clearTimeout(timer); resolve(what); try { ws.close(); } catch (e) {} };
    ws.onopen = () => ws.send('{"type": "subscribe", "topics": ["*"]}');
    ws.onmessage = () => done('read');
    ws.onerror = () => done('refused');
    ws.onclose = (e) => done('closed ' + e.code);
  });
  const read = async (url) => {
    try { const r = await fetch(url, {credentials: 'include'}); return 'read ' + r.status; }
    catch (e) { return 'refused'; }
  };
  const out = {};
  try {
    await fetch(target + '/api/simulation/scenario', {method: 'POST', mode: 'no-cors',
      credentials: 'include', headers: {'Content-Type': 'text/plain'},
      body: '{"scenarioId": "payment-outage"}'});
    out.post = 'sent';
  } catch (e) { out.post = 'refused'; }
  out.ws = await socket(target.replace('http', 'ws') + '/ws');
  out.socketio = await socket(
    target.replace('http', 'ws') + '/_nicegui_ws/socket.io/?EIO=4&transport=websocket');
  out.polling = await read(target + '/_nicegui_ws/socket.io/?EIO=4&transport=polling');
  out.status = await read(target + '/api/dashboard/status');
  return out;
}"""
"""Each attempt reports what the page saw: 'read ...' would mean it got through."""

EXPECTED = {
    "post": "refused",  # no-cors: an opaque answer, and CORP same-origin blocks even that
    "ws": "refused",
    "socketio": "refused",
    "polling": "refused",
    "status": "refused",
}


@pytest.fixture(scope="module")
def hostile_port() -> Iterator[int]:
    """A plain page on another port of this machine."""
    page = HTMLResponse("<!doctype html><title>hostile</title><p>nothing to see</p>")
    with serve_in_thread(Starlette(routes=[Route("/", lambda _: page)])) as port:
        yield port


@pytest.fixture(scope="module")
def open_dashboard() -> Iterator[Process]:
    """The default set-up: no token, loopback."""
    dash = start_dashboard("--sim-rate", RATE)
    yield dash
    dash.stop()


@pytest.fixture(scope="module")
def guarded_dashboard() -> Iterator[Process]:
    """The dashboard guarded by ``TOKEN`` (given by env, as recommended)."""
    port = free_port()
    os.environ["DASHBOARD_AUTH_TOKEN"] = TOKEN
    try:
        dash = start(
            ["app", "--port", str(port), "--no-show", "--sim-rate", RATE],
            f"http://127.0.0.1:{port}",
            "/login",
            f"dashboard-{port}",
        )
    finally:
        del os.environ["DASHBOARD_AUTH_TOKEN"]
    yield dash
    dash.stop()


def _state(dash: Process) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(
        f"{dash.url}/api/simulation/state", headers=BEARER, timeout=10
    ).json()
    return body


def _only_own_link(dash: Process) -> dict[str, Any] | None:
    state = _state(dash)
    return state if state["connections"] == 1 else None


def _attack_from_everywhere(context: BrowserContext, dash: Process, hostile_port: int) -> None:
    """Run the attack from both hostile origins at both names of the dashboard; the raw
    status of every HTTP answer comes from Chromium's network events (the page itself
    cannot see a blocked answer)."""
    port = int(dash.url.rsplit(":", 1)[1])
    page = context.new_page()
    urls: dict[str, str] = {}
    statuses: dict[str, int] = {}
    cdp = context.new_cdp_session(page)
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.update({e["requestId"]: e["request"]["url"]})
    )
    cdp.on(
        "Network.responseReceivedExtraInfo",
        lambda e: statuses.update({e["requestId"]: e["statusCode"]}),
    )
    cdp.send("Network.enable")
    for origin in (f"http://127.0.0.1:{hostile_port}", f"http://localhost:{hostile_port}"):
        page.goto(origin + "/")
        for target in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
            seen = page.evaluate(ATTACK, target)
            assert seen == EXPECTED, f"from {origin} at {target}: {seen}"
    ours = [rid for rid, url in urls.items() if f":{port}/" in url]
    wait_until(
        lambda: all(rid in statuses for rid in ours),
        10,
        f"a status for each of the dashboard's answers: {urls} {statuses}",
    )
    page.close()
    answers = [(urls[rid], statuses[rid]) for rid in ours]
    assert len(answers) == 3 * 2 * 2, answers  # 3 HTTP attempts, 2 origins, 2 names
    assert {code for _, code in answers} == {403}, answers


def _assert_untouched(dash: Process) -> None:
    """No scenario, no extra subscriber; the refusals logged once (one kind, one minute)."""
    state = wait_until(lambda: _only_own_link(dash), 10, "only the dashboard's own link")
    assert state["activeModifiers"] == [] and state["baselineState"] == "normal"
    log = dash.log.read_text("utf-8", "replace")
    refused = [line for line in log.splitlines() if "refused " in line and "origin" in line]
    assert len(refused) == 1 and "POST '/api/simulation/scenario'" in refused[0]


def test_hostile_page_without_token(
    browser: Browser, open_dashboard: Process, hostile_port: int
) -> None:
    """Default set-up: the other origin starts nothing, reads nothing, opens no socket."""
    wait_until(lambda: _only_own_link(open_dashboard), 30, "the dashboard's link is up")
    context = browser.new_context()
    try:
        _attack_from_everywhere(context, open_dashboard, hostile_port)
    finally:
        context.close()
    _assert_untouched(open_dashboard)


def test_hostile_page_with_the_operators_cookie(
    browser: Browser, guarded_dashboard: Process, hostile_port: int
) -> None:
    """With a token and the operator logged in in the same browser, the cookie does not help."""
    dash = guarded_dashboard
    wait_until(lambda: _only_own_link(dash), 30, "the dashboard's link is up")
    context = browser.new_context()
    try:
        operator = context.new_page()
        operator.goto(f"{dash.url}/login")
        with operator.expect_navigation():
            operator.fill("#token", TOKEN)
            operator.click("button[type=submit]")
        assert operator.url == f"{dash.url}/"
        assert any(c["name"] == "dashboard_session" for c in context.cookies())
        _attack_from_everywhere(context, dash, hostile_port)
        assert operator.evaluate("() => document.title") != ""
        status = operator.evaluate("async () => (await fetch('/api/dashboard/status')).status")
        assert status == 200, "the operator's own page still works"
    finally:
        context.close()
    _assert_untouched(dash)


WATCH_CSP = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));
"""
CHART_POINTS = chart_ready(1)


def test_pages_work_under_their_policy_and_refuse_framing(
    browser: Browser, guarded_dashboard: Process, hostile_port: int
) -> None:
    """The login form and the dashboard (chart drawn, live, range switched) raise no CSP
    violation and no console error; a page of another origin cannot frame the dashboard."""
    dash = guarded_dashboard
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    console: list[str] = []
    try:
        context.add_init_script(WATCH_CSP)
        page = context.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text[:200]}"))
        page.goto(f"{dash.url}/login")
        assert page.evaluate("() => window.__violations") == []
        with page.expect_navigation():
            page.fill("#token", TOKEN)
            page.click("button[type=submit]")
        page.wait_for_function(CHART_POINTS, timeout=45_000, polling=100)
        page.get_by_text("24h", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=connection-badge]')"
            "?.textContent.trim() === 'Connected'",
            timeout=30_000,
        )
        assert page.evaluate("() => window.__violations") == []
        framing = context.new_page()
        framing.goto(f"http://127.0.0.1:{hostile_port}/")
        framing.evaluate(
            "(url) => new Promise((done) => { const f = document.createElement('iframe');"
            " f.onload = () => done(); f.src = url; document.body.append(f); })",
            f"{dash.url}/",
        )
        (child,) = framing.main_frame.child_frames
        assert not child.url.startswith(dash.url), "the dashboard loaded inside a frame"
    finally:
        context.close()
    noisy = [line for line in console if line.startswith("error") or "Policy" in line]
    assert noisy == []
