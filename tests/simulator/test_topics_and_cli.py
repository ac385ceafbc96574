"""Subscriptions over the catalog (property-based), the command line, and mounting."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from app.protocol.topics import check_topics, matches
from app.simulator import Simulator, mount
from app.simulator.topics import select
from tests.simulator.sim_helpers import TIMEOUT, fast_config, recv_until, serve_app
from tests.support.strategies import CATALOG, topics

ROOT = Path(__file__).resolve().parents[2]


@given(chosen=st.lists(topics, max_size=6))
def test_selection_is_the_union_of_its_topics(chosen: list[str]) -> None:
    """A subscription's stream mask is the union of what each topic matches."""
    selection = select(check_topics(chosen), CATALOG)
    for stream in CATALOG.streams:
        assert selection.mask[stream.index] == any(matches(t, stream.name) for t in chosen)
    assert selection.anomalies == ("anomalies" in chosen)


def test_a_bad_flag_exits_2_with_one_line() -> None:
    """``python -m app.simulator --rate -1`` exits 2 with a one-line message."""
    done = subprocess.run(
        [sys.executable, "-m", "app.simulator", "--rate", "-1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "rate" in done.stderr


async def test_the_command_serves_and_stops_cleanly_on_sigterm() -> None:
    """The standalone command serves REST and shuts down cleanly on SIGTERM.

    uvicorn re-raises the signal after its clean shutdown, so the status is -SIGTERM.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.simulator",
        "--port",
        str(port),
        "--rate",
        "10",
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(TIMEOUT * 2):
            while True:
                try:
                    state = await http.get(f"http://127.0.0.1:{port}/api/simulation/state")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        assert state.json()["running"] is True
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(TIMEOUT):
            output, _ = await proc.communicate()
        assert proc.returncode in (0, -signal.SIGTERM)
        assert b"Application shutdown complete" in output
        assert b"Traceback" not in output
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_mount_adds_the_routes_and_lifecycle_to_an_existing_app() -> None:
    """``mount(app, sim, manage_lifecycle=True)`` serves /ws and /api/simulation/* there."""
    app = FastAPI()

    @app.get("/own")
    async def own() -> dict[str, bool]:
        return {"ok": True}

    sim = Simulator(fast_config(rate=200))
    mount(app, sim, manage_lifecycle=True)
    async with serve_app(app, ws="wsproto") as port:
        assert sim.running
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/own")).json() == {"ok": True}
            assert (await http.get("/api/simulation/scenarios")).status_code == 200
        async with connect(f"ws://127.0.0.1:{port}/ws") as ws:
            await ws.send(json.dumps({"type": "subscribe", "topics": ["*"]}))
            await recv_until(ws, lambda m: m["type"] in ("event", "batch"))
    assert not sim.running
