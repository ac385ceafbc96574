"""Slow consumers: ten tabs, one of them frozen, do not slow the dashboard's ingestion.

Ingestion is the dashboard's ``eventsReceived``, compared with the embedded simulator's
emitted count in the same ``GET /api/dashboard/status`` snapshot, over a fixed window:
once with one healthy tab, once with nine healthy tabs plus one whose JavaScript is
paused through CDP (``Debugger.pause``), so that it stops reading its socket. The ratio
received/emitted is the measure, because the shared machine's speed varies; the absolute
rates and the backlog are reported with it in ``test-artifacts/slow_consumers.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from tests.support.browser import CHART_LENGTH
from tests.support.processes import status, wait_until

from .servers import ARTIFACTS, Process, start_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

SIM_RATE = "400"
"""About 1,000 events/s over all 50 streams (the figure varies with the simulated hour)."""
WINDOW_S = 8.0
TABS = 10
MAX_SLOWDOWN = 0.10
CHART = CHART_LENGTH


SAMPLE_EVERY_S = 0.5


@dataclass
class Window:
    """Rates over one window, from snapshots that hold both counters at the same instant.

    ``GET /api/dashboard/status`` reports ``eventsReceived`` and, in embedded mode,
    ``embeddedSimulatorEmitted`` from one pass of the event loop, so their difference is
    the true backlog however late a loaded machine answers; the rates are least-squares
    slopes through a snapshot every half second.
    """

    seconds: float
    samples: int
    received_per_s: float
    emitted_per_s: float
    backlog_first: int
    backlog_last: int
    backlog_max: int
    """Events emitted but not yet received, at the first, last and worst snapshot."""
    status_max_s: float
    """Slowest answer of the status endpoint during the window."""

    @property
    def ratio(self) -> float:
        return self.received_per_s / max(1e-9, self.emitted_per_s)


def _slope(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of ``count`` over ``t``."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_c = sum(c for _, c in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (c - mean_c) for t, c in points) / var


def measure(dash: Process, pump: Page) -> Window:
    """Snapshot the counters every half second for ``WINDOW_S`` s (Playwright pumps meanwhile)."""
    snaps: list[tuple[float, int, int]] = []
    took: list[float] = []
    start = time.monotonic()
    while True:
        before = time.monotonic()
        counters = status(dash)["counters"]
        after = time.monotonic()
        took.append(after - before)
        snaps.append(
            (
                (before + after) / 2,
                int(counters["eventsReceived"]),
                int(counters["embeddedSimulatorEmitted"]),
            )
        )
        if after - start >= WINDOW_S and len(snaps) >= 4:
            break
        pump.wait_for_timeout(SAMPLE_EVERY_S * 1000)  # the sampling cadence of a measurement
    backlog = [e - r for _, r, e in snaps]
    return Window(
        seconds=round(snaps[-1][0] - snaps[0][0], 2),
        samples=len(snaps),
        received_per_s=round(_slope([(t, r) for t, r, _ in snaps]), 1),
        emitted_per_s=round(_slope([(t, e) for t, _, e in snaps]), 1),
        backlog_first=backlog[0],
        backlog_last=backlog[-1],
        backlog_max=max(backlog),
        status_max_s=round(max(took), 3),
    )


@pytest.fixture
def fast_dashboard() -> Iterator[Process]:
    """The dashboard at a high simulator rate, subscribed to every stream."""
    proc = start_dashboard("--sim-rate", SIM_RATE, "--topics", "*", "--history-days", "1")
    yield proc
    proc.stop()


def chart_length(page: Page) -> int:
    """Points the tab's chart holds; waits for the chart again if the tab reloaded meanwhile."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return int(page.evaluate(CHART))
        except PlaywrightError:  # "execution context was destroyed": NiceGUI reloaded the tab
            if time.monotonic() > deadline:
                raise
            page.wait_for_function(CHART, timeout=30_000, polling=100)


def viewers(dash: Process) -> int:
    """Tabs with a live socket, as the status API counts them."""
    return int(status(dash)["process"]["viewers"])


def _open(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.goto(url, wait_until="commit")
    return context, page


def test_frozen_tab_does_not_slow_ingestion(browser: Browser, fast_dashboard: Process) -> None:
    """Received/emitted with 10 tabs (1 frozen) stays within 10 % of that with 1 tab."""
    dash = fast_dashboard
    contexts: list[BrowserContext] = []
    try:
        context, first = _open(browser, dash.url)
        contexts.append(context)
        first.wait_for_function(CHART, timeout=45_000, polling=100)
        one = measure(dash, first)

        pages = [first]
        for _ in range(TABS - 1):
            context, page = _open(browser, dash.url)
            contexts.append(context)
            pages.append(page)
        for page in pages:
            page.wait_for_function(CHART, timeout=120_000, polling=100)
        wait_until(lambda: viewers(dash) == TABS, 30, f"the status counts {TABS} viewers")

        frozen = pages[-1]
        cdp = frozen.context.new_cdp_session(frozen)
        paused: list[object] = []
        resumed: list[object] = []
        cdp.on("Debugger.paused", lambda params: paused.append(params))
        cdp.on("Debugger.resumed", lambda params: resumed.append(params))
        cdp.send("Debugger.enable")
        cdp.send("Debugger.pause")  # takes effect at the tab's next JavaScript: a socket message
        # Each evaluate on another tab lets Playwright deliver the CDP event meanwhile.
        wait_until(lambda: paused or first.evaluate("0"), 15, "the tab paused in the debugger")
        healthy = pages[:-1]
        before = [chart_length(p) for p in healthy]
        ten = measure(dash, first)
        after = [chart_length(p) for p in healthy]
        assert not resumed, "the frozen tab ran again during the window"
    finally:
        for context in contexts:
            context.close()
    wait_until(lambda: viewers(dash) == 0, 30, "closed tabs are no longer counted as viewers")

    report = {
        "simRate": float(SIM_RATE),
        "windowSeconds": WINDOW_S,
        "oneTab": asdict(one) | {"ratio": round(one.ratio, 4)},
        "tenTabsOneFrozen": asdict(ten) | {"ratio": round(ten.ratio, 4)},
        "healthyTabsGrew": [b < a for b, a in zip(before, after, strict=True)],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "slow_consumers.json").write_text(json.dumps(report, indent=2))
    assert one.emitted_per_s > 200, f"too few events to measure: {report}"
    assert all(report["healthyTabsGrew"]), f"a healthy tab stopped updating: {report}"
    assert ten.ratio >= one.ratio * (1 - MAX_SLOWDOWN), f"ingestion slowed: {report}"
    assert status(dash)["connection"]["state"] == "connected"
