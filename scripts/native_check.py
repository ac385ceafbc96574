"""Check native window mode: start ``python -m app --native`` on a virtual screen, screenshot it.

Run as: ``xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/native_check.py``
(needs the ``native`` extra, Debian's ``xvfb libxcb-cursor0 libxkbcommon-x11-0 imagemagick``).
Exits 0 once the dashboard is connected, its history is loaded, the window's page has its
socket connected (the status API counts it as a viewer) and the screen shows a painted
window; the screenshot goes to ``test-artifacts/native.png``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test-artifacts" / "native.png"
DEADLINE_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ready(base: str) -> bool:
    """True when the upstream link is up, history is in and the window's page is connected."""
    try:
        body = httpx.get(f"{base}/api/dashboard/status", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return False
    loaded = any(s["historyPoints"] > 0 for s in body.get("streams", {}).values())
    viewing = body["process"]["viewers"] >= 1
    return bool(body["connection"]["state"] == "connected" and loaded and viewing)


def screen_has_content() -> bool:
    """Screenshot the whole virtual screen; an empty, white or still loading window has few
    colours, the grid's antialiased labels alone give over 2,000 (the chart is below them)."""
    OUT.parent.mkdir(exist_ok=True)
    subprocess.run(["import", "-window", "root", str(OUT)], check=True, timeout=30)
    colours = subprocess.run(
        ["convert", str(OUT), "-format", "%k", "info:"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return int(colours) > 1000


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print("no DISPLAY: run me under xvfb-run", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    env.setdefault("PYWEBVIEW_GUI", "qt")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--native", "--port", str(port)],
        env=env,
        start_new_session=True,  # its own group: Qt's helper processes go down with it
    )
    started = time.monotonic()
    try:
        while time.monotonic() - started < DEADLINE_S:
            if proc.poll() is not None:
                print(f"the app exited with {proc.returncode}", file=sys.stderr)
                return 1
            if ready(base) and screen_has_content():
                print(f"native window up after {time.monotonic() - started:.1f} s: {OUT}")
                return 0
            time.sleep(1.0)  # poll interval of a readiness loop
        print(f"not ready within {DEADLINE_S} s", file=sys.stderr)
        return 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


if __name__ == "__main__":
    raise SystemExit(main())
