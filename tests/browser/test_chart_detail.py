"""A long line reaches ECharts reduced to about two points a pixel, spikes and breaks kept,
and zooming in draws every point of the window again (in Chromium).

The tab is fed 30,000 points straight through ``LiveChart.append`` (what a busy stream
gathers in hours), after its 7 days of history, so the test does not wait for them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.browser import CHART_ID, CHART_LENGTH, LINE, chart_ready

from .servers import Process

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

STREAM = "customer.tutor.search"
ROWS, STEP_MS, SPIKE, BREAK = 30_000, 100, 17_000, 20_000
"""50 minutes of points, the spike 21 minutes before the newest: a window around it does
not count as following the newest point (that is the last 0.1 % of the range)."""
FEED = (
    "([key, rows, step, spike, gap]) => {"
    f" const id = {CHART_ID}; const start = {LINE}.at(-1)[0] + 1000; const wire = [];"
    " for (let i = 0; i < rows; i++) {"
    "  const value = i === gap ? null : i === spike ? 99 : 50 + 10 * Math.sin(i / 50);"
    "  wire.push([start + i * step, value, 1, i === spike ? 2 : -1, null]); }"
    " LiveChart.append(id, key, wire, null); return start; }"
)
"""Appends ROWS points after the newest one: a sine, a spike of 99 and a break (null)."""
PLOT = f"() => getElement({CHART_ID}).chart.getWidth() - 76"


def test_a_long_line_is_reduced_for_drawing_and_zoom_shows_every_point(
    dashboard: Process, wide_page: Page
) -> None:
    page = wide_page
    page.goto(f"{dashboard.url}/?streams={STREAM}&range=7d")
    page.wait_for_function(chart_ready(1000), timeout=45_000, polling=100)
    first = page.evaluate(f"() => {LINE}[0][0]")
    start = page.evaluate(FEED, [STREAM, ROWS, STEP_MS, SPIKE, BREAK])
    newest = start + (ROWS - 1) * STEP_MS
    page.wait_for_function(f"() => {LINE}.at(-1)[0] === {newest}", timeout=15_000, polling=100)

    held = page.evaluate(CHART_LENGTH)
    drawn = page.evaluate(f"() => {LINE}")
    plot = page.evaluate(PLOT)
    assert held >= ROWS + 1000, "the tab keeps every point"
    assert len(drawn) <= 2 * plot + 2 * (plot // 4 + 1) + 2, "about two points a pixel"
    assert drawn[0][0] == first, "the first point is kept"
    at = {p[0]: p[1] for p in drawn}
    assert at.get(start + SPIKE * STEP_MS) == 99, "the spike survives the reduction"
    assert start + BREAK * STEP_MS in at and at[start + BREAK * STEP_MS] is None, "the break"
    assert [p[0] for p in drawn] == sorted(p[0] for p in drawn), "in time order"

    lo, hi = start + (SPIKE - 250) * STEP_MS, start + (SPIKE + 250) * STEP_MS
    page.evaluate(f"LiveChart.zoom({CHART_ID}, {lo}, {hi})")
    in_window = f"() => {LINE}.filter((p) => p[0] >= {lo} && p[0] <= {hi}).length"
    page.wait_for_function(f"() => ({in_window})() === 501", timeout=10_000, polling=100)
    # What ECharts is given is what it draws: its own sampling would thin the window again.
    sampling = f"() => getElement({CHART_ID}).chart.getOption().series[0].sampling"
    assert page.evaluate(sampling) in (None, "none")

    # The same by the user's own zoom (ECharts' dataZoom event), from the whole week again.
    page.evaluate(f"LiveChart.resetZoom({CHART_ID})")
    page.wait_for_function(f"() => ({in_window})() < 501", timeout=10_000, polling=100)
    page.evaluate(
        f"getElement({CHART_ID}).chart.dispatchAction("
        f"{{type: 'dataZoom', dataZoomIndex: 0, startValue: {lo}, endValue: {hi}}})"
    )
    page.wait_for_function(f"() => ({in_window})() === 501", timeout=10_000, polling=100)
