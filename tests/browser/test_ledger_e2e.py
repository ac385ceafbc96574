"""The interruption ledger in a real browser: a killed simulator leaves a labelled band on
the chart that says the same as the status API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.support.browser import BANDS, chart_ready
from tests.support.processes import status, wait_until

from .servers import ARTIFACTS, Stack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

STREAM = "customer.tutor.search"
SETTLED = ("recovered", "backfilled", "missing")
LEDGER_LABELS = ("recovered by catch-up", "backfilled from history", "missing")
"""How every interruption band's label begins (``app.stores.gaps.describe``)."""


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


def _settled(stack: Stack) -> list[dict[str, Any]]:
    entries = status(stack.dashboard)["interruptions"]["entries"]
    return [e for e in entries if e["stream"] == STREAM and e["outcome"] in SETTLED]


def test_a_restarted_simulator_leaves_a_band_that_matches_the_status(
    context: BrowserContext, external_stack: Stack
) -> None:
    """Kill, wait for the reconnect attempts, restart: the outage gets a settled outcome,
    and the chart shows a band with exactly the status API's label."""
    page = context.new_page()
    page.goto(f"{external_stack.dashboard.url}/?streams={STREAM}&range=1h")
    page.wait_for_function(chart_ready(100), timeout=45_000, polling=100)
    # External events may draw bands of their own (an exam deadline in the last hour)
    assert not [b for b in page.evaluate(BANDS) if b.startswith(LEDGER_LABELS)]
    external_stack.simulator.stop()
    wait_until(
        lambda: status(external_stack.dashboard)["connection"]["reconnectAttempts"] >= 2,
        timeout=30,
        what="two reconnect attempts",
    )
    external_stack.restart_simulator()
    wait_until(lambda: bool(_settled(external_stack)), timeout=60, what="a settled outcome")
    (entry,) = _settled(external_stack)
    page.wait_for_function(
        f"(label) => ({BANDS})().includes(label)", arg=entry["label"], timeout=20_000
    )
    page.wait_for_function("() => !document.querySelector('.dash-frozen')", timeout=20_000)
    page.locator("[_echarts_instance_]").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "ledger-band.png"))
