"""Hardening of the default set-up (no token, loopback) on a real dashboard process: foreign
hosts, oversized and deeply nested bodies, clipped echoes, and the history limits.

Raw sockets send what a client library would not (a body announced but never sent, a
chunked body that goes on and on, a request whose answer is never read)."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.support.processes import Process, start_dashboard, status, wait_until

pytestmark = pytest.mark.timeout(120)

MiB = 1024 * 1024
SCENARIO = "/api/simulation/scenario"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def dash() -> Iterator[Process]:
    """The dashboard with its embedded simulator at a low rate, following one stream (so the
    memory measured is the simulator's answers, not 50 streams arriving)."""
    proc = start_dashboard("--sim-rate", "5", "--topics", "customer.tutor.search")
    yield proc
    proc.stop()


def _port(dash: Process) -> int:
    return int(dash.url.rsplit(":", 1)[1])


def _rss(dash: Process) -> int:
    rss: int = status(dash)["process"]["rssBytes"]
    return rss


def _status_line(sock: socket.socket) -> int:
    """The status code of the answer arriving on ``sock``."""
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed before a status line: {head!r}")
        head += chunk
    return int(head.split(b" ", 2)[1])


def test_foreign_host_is_refused(dash: Process) -> None:
    """``Host: attacker.example`` (DNS rebinding) gets 403; the own names are served."""
    port = _port(dash)
    with httpx.Client(base_url=dash.url, timeout=10) as http:
        for path in ("/", "/api/dashboard/status", "/api/simulation/state"):
            refused = http.get(path, headers={"Host": "attacker.example"})
            assert refused.status_code == 403, path
            assert refused.json()["error"]["code"] == "FORBIDDEN_HOST"
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost", f"[::1]:{port}"):
            assert http.get("/api/dashboard/status", headers={"Host": host}).status_code == 200
        page = http.get("/")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"


def test_announced_100_mb_body_is_refused_unread(dash: Process) -> None:
    """Content-Length of 100 MB: 413 at once, before a single body byte is sent."""
    before = _rss(dash)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", _port(dash)), timeout=10) as sock:
        sock.sendall(
            f"POST {SCENARIO} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * MiB}\r\n\r\n".encode()
        )
        assert _status_line(sock) == 413
    assert time.monotonic() - started < 5
    assert _rss(dash) - before < 20 * MiB


def test_streamed_100_mb_body_is_cut_short(dash: Process) -> None:
    """A chunked body is answered 413 once it passes the cap; RSS does not follow the upload."""
    before = _rss(dash)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", _port(dash)), timeout=10) as sock:
        sock.sendall(
            f"POST {SCENARIO} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sent = _send_until_answered(sock, 100 * MiB)
        assert _status_line(sock) == 413
    assert time.monotonic() - started < 10
    assert sent < 50 * MiB, "the server read far past its cap"
    assert _rss(dash) - before < 20 * MiB


def _send_until_answered(sock: socket.socket, limit: int) -> int:
    """Send 64 KiB chunks of a chunked body until the server answers (or ``limit``)."""
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"[" * 64 * 1024)
    sent = offset = 0
    while sent < limit:
        readable, writable, _ = select.select([sock], [sock], [], 10)
        if readable or not writable:
            break  # the answer is there (or nothing moves: the read below will tell)
        try:
            n = sock.send(chunk[offset:])
        except OSError:
            break  # the server closed after answering
        sent += n
        offset = (offset + n) % len(chunk)
    return sent


def test_nested_and_malformed_json_get_contract_errors(dash: Process) -> None:
    """Deep nesting and bad JSON: 400 JSON; the echo of an unknown id is short and escaped."""
    with httpx.Client(base_url=dash.url, timeout=10, headers=JSON) as http:
        deep = http.post(SCENARIO, content=b"[" * 30_000 + b"]" * 30_000)
        assert deep.status_code == 400 and deep.json()["error"]["code"] == "INVALID_SCENARIO"
        deeper = http.post(SCENARIO, content=b"[" * 100_000 + b"]" * 100_000)
        assert deeper.status_code == 413
        assert deeper.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        broken = http.post(SCENARIO, content=b'{"scenarioId": ')
        assert broken.status_code == 400 and broken.json()["error"]["code"] == "INVALID_SCENARIO"
        long_id = "<b>" + "x" * 20_000
        echoed = http.post(SCENARIO, json={"scenarioId": long_id})
        assert echoed.status_code == 404 and len(echoed.content) < 200
        plain = http.post(
            SCENARIO,
            content=b'{"scenarioId": "payment-outage"}',
            headers={"Content-Type": "text/plain"},
        )
        assert plain.status_code == 415
        assert not http.get("/api/simulation/state").json()["activeModifiers"]
        assert http.get("/api/dashboard/status").status_code == 200


def _window(days: float) -> dict[str, str]:
    """History parameters for the last ``days`` days."""
    end = time.time()
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "start": time.strftime(iso, time.gmtime(end - days * 86_400)),
        "end": time.strftime(iso, time.gmtime(end)),
    }


def _history_request(port: int, days: float) -> bytes:
    query = "&".join(f"{k}={v}" for k, v in _window(days).items())
    return (
        f"GET /api/simulation/history?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    ).encode()


def test_history_concurrency_and_memory(dash: Process) -> None:
    """Two answers that are never read hold both slots: a third request gets 429 with
    Retry-After; once they go, history is served again and memory comes back down."""
    port = _port(dash)
    params = _window(1 / 24)
    url = f"{dash.url}/api/simulation/history"
    wait_until(  # the dashboard's own seed of every stream is in memory before the baseline
        lambda: all(v["history"] == "loaded" for v in status(dash)["streams"].values()),
        30,
        "the history seed of every stream",
    )
    before = _rss(dash)
    with ExitStack() as stack:
        for _ in range(2):
            sock = stack.enter_context(socket.socket())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a reader that stalls
            sock.connect(("127.0.0.1", port))
            sock.sendall(_history_request(port, 13.8))

        def refused() -> httpx.Response | None:
            response = httpx.get(url, params=params, timeout=10)
            return response if response.status_code == 429 else None

        busy = wait_until(refused, 30, "history answers 429 while two answers are held")
        assert busy.headers["retry-after"] == "2"
        assert busy.json()["error"]["code"] == "TOO_MANY_REQUESTS"
    wait_until(
        lambda: httpx.get(url, params=params, timeout=10).status_code == 200,
        30,
        "history served again once the slow readers left",
    )
    for _ in range(3):  # 187,200 points, ~13 MB each
        assert httpx.get(url, params=_window(13), timeout=30).status_code == 200
    wait_until(
        lambda: _rss(dash) - before < 24 * MiB,
        30,
        f"RSS back within 24 MiB of {before / MiB:.0f} MiB after big answers",
    )
