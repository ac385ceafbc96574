"""A busy stream's week reaches the tab thinned, and zooming in fetches the finer points of
the new window from the server (in Chromium, against the real dashboard)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.browser import CHART_ID, CHART_LENGTH, chart_ready
from tests.support.processes import status, wait_until

from .servers import Process

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

STREAM = "api.request.log"
"""The simulator's busiest stream (about 340 events/s at the tests' rate, see servers.RATE)."""
IN_WINDOW = (
    "([lo, hi]) => LiveChart.held(" + CHART_ID + ").filter((t) => t >= lo && t <= hi).length"
)


def test_a_busy_week_is_sent_thinned_and_a_zoom_fetches_its_window(
    dashboard: Process, wide_page: Page
) -> None:
    page = wide_page

    def points() -> int:
        s = status(dashboard)["streams"].get(STREAM) or {}
        return int(s.get("historyPoints", 0)) + int(s.get("livePoints", 0))

    wait_until(lambda: points() > 8000, timeout=60, what=f"over 8,000 points of {STREAM}")
    page.goto(f"{dashboard.url}/?streams={STREAM}&range=7d")
    page.wait_for_function(chart_ready(1000), timeout=45_000, polling=100)
    held = page.evaluate(CHART_LENGTH)
    assert held < points() - 3000, "the week reached the tab thinned"

    newest = page.evaluate(f"() => LiveChart.held({CHART_ID}).at(-1)")
    window = [newest - 120_000, newest]
    before = page.evaluate(IN_WINDOW, window)
    assert before < 300, "a 7-day thinning leaves few points in the last two minutes"
    page.evaluate(f"LiveChart.zoom({CHART_ID}, {window[0]}, {window[1]})")
    page.wait_for_function(
        f"(w) => ({IN_WINDOW})(w) > 1000", arg=window, timeout=15_000, polling=100
    )
    width = page.evaluate(f"() => getElement({CHART_ID}).chart.getWidth()")
    after = page.evaluate(IN_WINDOW, window)
    assert after <= 2 * width + 2 + 340 * 20, "about two points a pixel (and the appends since)"
    stamps = page.evaluate(f"() => LiveChart.held({CHART_ID})")
    assert stamps == sorted(stamps), "the splice kept the line in time order"
