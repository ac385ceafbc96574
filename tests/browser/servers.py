"""Real server processes for the end-to-end tests: the dashboard and an external simulator.

Every process is started on a free port, waited for by polling HTTP with a deadline, and
terminated and awaited by its owner. Logs go to ``test-artifacts/`` next to screenshots.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 30.0
RATE = "20"
"""Simulator rate multiplier: customer.tutor.search then sends about two events a second."""


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    """A started server: its process, base URL and log file."""

    popen: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 10 s; always awaited."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def start(args: list[str], url: str, ready_path: str, name: str) -> Process:
    """Start ``python -m ARGS`` and poll ``url + ready_path`` until it answers 200."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"{name}.log"
    # Without PYTEST_CURRENT_TEST: NiceGUI's ui.run would take the server for a test fixture.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"PYTHONUNBUFFERED": "1", "NICEGUI_STORAGE_PATH": str(ARTIFACTS / ".nicegui")}
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env
        )
    proc = Process(popen, url, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited with {popen.returncode}; see {log}")
        try:
            if httpx.get(url + ready_path, timeout=2.0).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.stop()
            raise TimeoutError(f"{name} not ready after {START_TIMEOUT} s; see {log}")
        time.sleep(0.1)  # poll interval of the readiness loop, not a synchronisation


def start_simulator(port: int) -> Process:
    """``python -m app.simulator`` on ``port``."""
    args = ["app.simulator", "--port", str(port), "--rate", RATE, "--log-level", "warning"]
    return start(args, f"http://127.0.0.1:{port}", "/api/simulation/state", f"simulator-{port}")


def start_dashboard(*extra: str) -> Process:
    """``python -m app --port <free> --no-show`` with ``extra`` flags."""
    port = free_port()
    args = ["app", "--port", str(port), "--no-show", *extra]
    return start(args, f"http://127.0.0.1:{port}", "/", f"dashboard-{port}")


@dataclass
class Stack:
    """A dashboard using an external simulator the test can stop and start again."""

    dashboard: Process
    simulator: Process
    port: int

    def restart_simulator(self) -> None:
        """Start the simulator again on the same port (after :meth:`Process.stop`)."""
        self.simulator = start_simulator(self.port)
