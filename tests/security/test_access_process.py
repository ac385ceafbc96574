"""Access end to end on real processes: loopback by default, the start warning, the token.

Every server here listens on 127.0.0.1; the "beyond loopback" warning is checked with an
address this machine does not have (TEST-NET-1), so that process never listens at all.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.processes import ROOT, Process, free_port, start, start_dashboard, wait_until

TOKEN = "t0ken-for-the-access-tests-9f8e7d"
NOT_HERE = "192.0.2.1"
"""TEST-NET-1 (RFC 5737): not an address of this machine, so binding it fails."""


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on ``port``, from /proc/net/tcp and tcp6."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":
                found.add(_ip(address))
    return found


def _ip(hex_address: str) -> str:
    if len(hex_address) == 8:
        return ".".join(str(b) for b in reversed(bytes.fromhex(hex_address)))
    words = [bytes.fromhex(hex_address[i : i + 8])[::-1].hex() for i in range(0, 32, 8)]
    return ":".join("".join(words)[i : i + 4] for i in range(0, 32, 4))


def test_binds_loopback_by_default() -> None:
    """Without --host the dashboard listens on 127.0.0.1 only, and warns about nothing."""
    dash = start_dashboard()
    try:
        port = int(dash.url.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"127.0.0.1"}
        log = dash.log.read_text("utf-8", "replace")
        assert "NO authentication" not in log
    finally:
        dash.stop()


def _start_on(host: str, env: dict[str, str]) -> str:
    """Output of ``python -m app --host HOST`` on an address it cannot bind (exits at once)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DASHBOARD_"))}
    run = subprocess.run(
        [sys.executable, "-m", "app", "--host", host, "--port", str(free_port()), "--no-show"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=45,
    )
    assert run.returncode != 0, "binding an address of another machine must fail"
    return run.stdout + run.stderr


def test_warns_beyond_loopback_without_a_token() -> None:
    """Asked to listen beyond loopback with no token, the start logs a WARNING first."""
    output = _start_on(NOT_HERE, {})
    warning = [line for line in output.splitlines() if "NO authentication" in line]
    assert warning and " WARNING " in warning[0] and "--auth-token" in warning[0]
    quiet = _start_on(NOT_HERE, {"DASHBOARD_AUTH_TOKEN": TOKEN})
    assert "NO authentication" not in quiet and TOKEN not in quiet


@pytest.fixture(scope="module")
def guarded() -> Iterator[Process]:
    """A dashboard (embedded simulator) with the token given in DASHBOARD_AUTH_TOKEN."""
    port = free_port()
    previous = os.environ.get("DASHBOARD_AUTH_TOKEN")
    os.environ["DASHBOARD_AUTH_TOKEN"] = TOKEN
    try:
        dash = start(
            ["app", "--port", str(port), "--no-show"],
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


BEARER = {"Authorization": f"Bearer {TOKEN}"}


def test_everything_but_login_needs_the_token(guarded: Process) -> None:
    """Pages redirect to the form; the APIs, NiceGUI's routes and the simulator answer 401."""
    with httpx.Client(base_url=guarded.url, timeout=10) as http:
        page = http.get("/?stream=customer.tutor.search", headers={"Accept": "text/html"})
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2F%3Fstream%3Dcustomer.tutor.search"
        for path in (
            "/api/dashboard/status",
            "/api/dashboard/export?stream=customer.tutor.search",
            "/api/simulation/state",
            "/api/simulation/history?start=2026-11-25T00:00:00Z&end=2026-11-26T00:00:00Z",
            "/_nicegui_ws/socket.io/?EIO=4&transport=polling",
            "/dashboard-static/dashboard.js",
            "/",
        ):
            response = http.get(path)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"
        assert http.post("/api/simulation/reset").status_code == 401
        wrong = http.get("/api/dashboard/status", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert http.get("/login").status_code == 200


def test_bearer_token_opens_the_api(guarded: Process) -> None:
    """With the bearer header the API answers; the dashboard's own link got in with it."""
    with httpx.Client(base_url=guarded.url, timeout=10, headers=BEARER) as http:

        def connected() -> dict[str, object] | None:
            body: dict[str, object] = http.get("/api/dashboard/status").json()
            conn = body["connection"]
            return body if isinstance(conn, dict) and conn["state"] == "connected" else None

        body = wait_until(connected, 30, "the embedded link connected with the token")
        assert TOKEN not in json.dumps(body)
        assert http.get("/api/simulation/state").status_code == 200
        export = http.get("/api/dashboard/export", params={"stream": "customer.tutor.search"})
        assert export.status_code == 200


def test_embedded_websocket_needs_the_token(guarded: Process) -> None:
    """``/ws`` of the embedded simulator refuses a handshake without the bearer header."""
    url = guarded.url.replace("http://", "ws://") + "/ws"

    async def attempt(headers: dict[str, str] | None) -> int:
        try:
            async with connect(url, additional_headers=headers, open_timeout=10) as ws:
                await ws.send('{"type": "subscribe", "topics": ["customer.tutor.search"]}')
                await ws.recv()
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    assert asyncio.run(attempt(None)) == 403
    assert asyncio.run(attempt(BEARER)) == 101


def test_login_form_sets_a_session(guarded: Process) -> None:
    """A POSTed token sets an HttpOnly session cookie and redirects to a local path only."""
    with httpx.Client(base_url=guarded.url, timeout=10) as http:
        bad = http.post("/login", data={"token": "wrong", "next": "/"})
        assert bad.status_code == 401 and "Wrong token." in bad.text
        assert "dashboard_session" not in http.cookies
        good = http.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
        assert good.status_code == 303 and good.headers["location"] == "/"
        cookie = good.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
        assert "Secure" not in cookie  # plain http here
        assert http.get("/api/dashboard/status").status_code == 200
        assert http.get("/", headers={"Accept": "text/html"}).status_code == 200
        polling = http.get("/_nicegui_ws/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert polling.status_code == 200
        big = http.post("/login", content=b"token=" + b"x" * 10_000)
        assert big.status_code == 413


def test_token_never_logged(guarded: Process) -> None:
    """After logins, API calls and the link's handshakes the log holds no token."""
    with httpx.Client(base_url=guarded.url, timeout=10) as http:
        http.post("/login", data={"token": TOKEN, "next": "/"})
        http.post("/login", data={"token": TOKEN + "-wrong", "next": "/"})
        http.get("/api/dashboard/status", headers=BEARER)
    log = guarded.log.read_text("utf-8", "replace")
    assert "login from 127.0.0.1" in log and "failed login from 127.0.0.1" in log
    assert TOKEN not in log
