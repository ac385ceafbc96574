"""4b. Cold start: ``python -m app`` spawned to its grid and 7-day chart in the browser.

Chromium is already running (its start is not the dashboard's); the clock starts just
before the process is spawned and stops when the page's chart holds the 7 days of history
(2,016 five-minute points of the default stream) and the status grid shows all 50 streams
with a state from their data (the seed of every stream loaded). The page is requested as
soon as the port accepts connections. The app's bytecode is compiled first, as pip does at
install and Python on a first run (where ``PYTHONDONTWRITEBYTECODE`` is set, as on the machine
these figures come from, every start would otherwise compile again what changed since).
"""

from __future__ import annotations

import compileall
import socket
import time
from pathlib import Path
from typing import Any

from benchmarks.common import CHART_READY_JS, Figure, Report, chromium, free_port, median, spawn

GRID_READY_JS = """() => document.querySelectorAll(
  '.dash-cell:not([data-state="nodata"])').length >= 50"""
"""Every stream's cell shows a state from its data."""
SEVEN_DAYS_POINTS = 2000
"""7 x 288 five-minute buckets is 2,016; a few may be missing at the window's edges."""


def _once(browser: Any) -> dict[str, float]:
    port = free_port()
    proc = spawn(["app", "--port", str(port), "--no-show"], port, f"dashboard-cold-{port}")
    page = browser.new_page()
    try:
        deadline = time.monotonic() + 60
        while True:  # bounded by the deadline; 10 ms between connection attempts
            if proc.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not open its port; see {proc.log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
                break
            except OSError:
                time.sleep(0.01)
        listening = time.time()
        page.goto(proc.url + "/", timeout=30_000)
        served = time.time()
        page.wait_for_function(CHART_READY_JS, arg=SEVEN_DAYS_POINTS, timeout=60_000, polling="raf")
        page.wait_for_function(GRID_READY_JS, timeout=60_000, polling="raf")
        shown = time.time()
    finally:
        page.close()
        proc.stop()
    return {
        "port_open_s": listening - proc.started,
        "page_loaded_s": served - proc.started,
        "chart_shown_s": shown - proc.started,
    }


APP_DIR = Path(__file__).resolve().parents[1] / "app"


def run(report: Report) -> None:
    reps = 3 if report.quick else 5  # one run says little: starts vary by a few tenths
    compileall.compile_dir(APP_DIR, quiet=1)
    with chromium() as browser:
        runs = [_once(browser) for _ in range(reps)]
    report.details["cold_start"] = runs
    shown = median([r["chart_shown_s"] for r in runs])
    loaded = median([r["page_loaded_s"] for r in runs])
    report.add(
        Figure(
            "coldstart",
            "cold start to the grid and the 7-day chart on screen",
            shown,
            "s",
            "process start to page loaded",
            loaded,
            None,
            "<= 3 s",
            shown is not None and shown <= 3.0,
            f"median of {reps}; runs "
            + ", ".join(f"{r['chart_shown_s']:.2f}" for r in runs)
            + " s",
        )
    )
