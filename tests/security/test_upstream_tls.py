"""The link to an external simulator: bearer token on both channels, TLS verified by default.

A CA and a server certificate for 127.0.0.1 are made with the ``openssl`` CLI per module;
the real simulator app is served over TLS behind the dashboard's own bearer gate, plus a
recorder of the ``Authorization`` headers it saw. The dashboard side is the real
``Services`` object (manager, history loader, clients), started in the test's loop.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.security.auth import AuthMiddleware, TokenGate
from app.services import Services
from app.simulator import SimulatorConfig
from app.simulator.app import create_app
from tests.support.asgi_thread import serve_in_thread

SIM_TOKEN = "simulator-token-5c1e2d3f4a"
STREAM = "customer.tutor.search"
WAIT = 20.0


class Recorder:
    """ASGI wrapper that records ``(type, path, authorization)`` of every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str | None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            auth = Headers(scope=scope).get("authorization")
            self.seen.append((scope["type"], scope["path"], auth))
        await self.app(scope, receive, send)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ca.pem`` and ``server.pem``/``server.key`` (SAN IP:127.0.0.1) signed by that CA."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl CLI")
    d = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=dashboard test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )  # fmt: skip
    _openssl(
        "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1",
        cwd=d,
    )  # fmt: skip
    (d / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid,issuer\nsubjectKeyIdentifier=hash\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
        cwd=d,
    )  # fmt: skip
    return d


@pytest.fixture(scope="module")
def tls_simulator(certs: Path) -> Iterator[tuple[str, Recorder]]:
    """The simulator over https/wss, guarded by ``SIM_TOKEN``; yields its URL and recorder."""
    gated = AuthMiddleware(create_app(SimulatorConfig(rate=20)), TokenGate(SIM_TOKEN, 60))
    recorder = Recorder(gated)
    options = {"ssl_certfile": str(certs / "server.pem"), "ssl_keyfile": str(certs / "server.key")}
    with serve_in_thread(recorder, **options) as port:
        yield f"https://127.0.0.1:{port}", recorder


def _settings(url: str, **extra: object) -> Settings:
    return Settings(
        simulator_url=url,
        show=False,
        history_days=1,
        backoff_initial=0.2,
        backoff_max=0.5,
        **extra,  # type: ignore[arg-type]
    )


async def _until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT} s: {what}")
        await asyncio.sleep(0.05)  # poll interval of a condition wait


async def test_unknown_ca_is_rejected_with_a_clear_error(
    tls_simulator: tuple[str, Recorder],
) -> None:
    """Verification is on by default: an unknown CA fails both channels, saying so."""
    url, recorder = tls_simulator
    before = len(recorder.seen)
    services = Services.create(_settings(url, simulator_token=SIM_TOKEN))
    await services.start()
    try:
        conn = services.connection
        await _until(lambda: "not trusted" in conn.reason, "the link's TLS failure")
        assert conn.reason.startswith("the TLS certificate of 127.0.0.1 is not trusted (")
        assert "--simulator-ca-file" in conn.reason and conn.state != "connected"
        await _until(lambda: services.history.state(STREAM).error, "the history failure")
        error = services.history.state(STREAM).error or ""
        assert "TLS certificate of 127.0.0.1 is not trusted" in error
        assert "--simulator-ca-file" in error
    finally:
        await services.stop()
    assert len(recorder.seen) == before, "nothing may pass an unverified TLS handshake"


async def test_ca_file_connects_and_sends_the_token(
    tls_simulator: tuple[str, Recorder], certs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With the CA file the link and history work, each request carrying the bearer token."""
    caplog.set_level(logging.DEBUG, logger="websockets.client")
    url, recorder = tls_simulator
    before = len(recorder.seen)
    settings = _settings(url, simulator_token=SIM_TOKEN, simulator_ca_file=str(certs / "ca.pem"))
    services = Services.create(settings)
    await services.start()
    try:
        conn = services.connection
        await _until(lambda: conn.state == "connected" and conn.events_received, "live events")
        await _until(lambda: services.history.state(STREAM).status == "loaded", "history")
        assert services.streams.stats(STREAM).history_points > 0
    finally:
        await services.stop()
    seen = recorder.seen[before:]
    assert {kind for kind, _, _ in seen} == {"http", "websocket"}
    assert ("websocket", "/ws", f"Bearer {SIM_TOKEN}") in seen
    history = [auth for kind, path, auth in seen if path == "/api/simulation/history"]
    assert history and set(history) == {f"Bearer {SIM_TOKEN}"}
    assert "[redacted]" in caplog.text and SIM_TOKEN not in caplog.text


async def test_wrong_token_is_refused_visibly(
    tls_simulator: tuple[str, Recorder], certs: Path
) -> None:
    """A simulator that refuses the token leaves a readable reason on both channels."""
    url, _ = tls_simulator
    settings = _settings(url, simulator_token="wrong", simulator_ca_file=str(certs / "ca.pem"))
    services = Services.create(settings)
    await services.start()
    try:
        conn = services.connection
        await _until(lambda: "HTTP 403" in conn.reason, "the refused handshake")
        await _until(lambda: services.history.state(STREAM).error, "the refused history")
        assert "401" in (services.history.state(STREAM).error or "")
    finally:
        await services.stop()
