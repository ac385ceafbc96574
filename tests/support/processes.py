"""Real server processes for end-to-end and reliability runs: the dashboard and a simulator.

Every process is started on a free port of 127.0.0.1, waited for by polling HTTP with a
deadline, and stopped and awaited by its owner. Logs go to ``test-artifacts/``. Shared by
``tests/browser``, ``tests/reliability`` and ``scripts/`` (which put ``tests/`` on the path).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.simulator.catalog import load_catalog

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
STOP_TIMEOUT = 10.0

T = TypeVar("T")


def steady_rate(at_peak: float, epoch_s: float | None = None) -> str:
    """The simulator ``--rate`` that gives, at this hour, the volume ``at_peak`` gives in a
    peak hour. The simulator's streams run 7.5x slower from 23:00 to 08:00 UTC than from
    08:00 to 23:00 (its catalog's time of day); a test that waits for live points must not
    depend on when it runs (CI runs at any hour)."""
    hours = load_catalog().hour_multipliers
    hour = time.gmtime(time.time() if epoch_s is None else epoch_s).tm_hour
    return f"{at_peak * max(hours) / hours[hour]:g}"


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

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        """Send ``sig`` and wait (bounded) for the exit; SIGKILL if SIGTERM is ignored."""
        if not self.alive:
            return
        self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 10 s; always awaited."""
        self.signal(signal.SIGTERM)


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


def start_simulator(port: int, *extra: str, rate: float | str = 20) -> Process:
    """``python -m app.simulator`` on ``port`` at ``rate``, with ``extra`` flags."""
    args = ["app.simulator", "--port", str(port), "--rate", str(rate), "--log-level", "warning"]
    return start(
        [*args, *extra],
        f"http://127.0.0.1:{port}",
        "/api/simulation/state",
        f"simulator-{port}",
    )


def start_dashboard(*extra: str, port: int | None = None) -> Process:
    """``python -m app --port <free> --no-show`` with ``extra`` flags."""
    port = port or free_port()
    args = ["app", "--port", str(port), "--no-show", *extra]
    return start(args, f"http://127.0.0.1:{port}", "/", f"dashboard-{port}")


def get_json(url: str, timeout: float = 5.0) -> Any:
    """GET ``url`` and decode its JSON body (raises on a non-2xx answer)."""
    response = httpx.get(url, timeout=timeout)
    response.raise_for_status()
    return response.json()


def status(dashboard: Process) -> dict[str, Any]:
    """The dashboard's ``GET /api/dashboard/status`` body."""
    body: dict[str, Any] = get_json(dashboard.url + "/api/dashboard/status")
    return body


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Poll ``probe()`` until it returns something truthy; TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout:g} s: {what}")
        time.sleep(interval)  # poll interval of a condition wait, not a synchronisation


def error_lines(log: Path, since: int = 0) -> list[str]:
    """Lines of a process log from byte ``since`` on that report an error or a traceback."""
    if not log.exists():
        return []
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return [
        line
        for line in text.splitlines()
        if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")
    ]


def log_size(log: Path) -> int:
    """Current size of a log file (0 if absent): an offset for :func:`error_lines`."""
    return log.stat().st_size if log.exists() else 0


def write_figures(out: Path, figures: dict[str, Any], hide: Sequence[str] = ("series",)) -> int:
    """Write a script's figures as JSON, print them without ``hide``; 0 if they say ``ok``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    print(json.dumps({k: v for k, v in figures.items() if k not in hide}, indent=2))
    print(f"figures written to {out}")
    return 0 if figures["ok"] else 1
