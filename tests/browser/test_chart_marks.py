"""The warning and critical marks are drawn in ECharts' large mode (one path, cheap to
redraw), and switching them off and on never breaks the chart (large mode throws on an
empty series, so an empty one is drawn in the normal mode). In Chromium, against the real
dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.browser import CHART_ID, LINE, chart_ready

from .servers import Process

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

MARKS = (
    f"(kind) => {{ const s = getElement({CHART_ID}).chart.getOption().series"
    ".find((x) => x && x.id.startsWith(kind + ':'));"
    " return s ? [s.data.length, !!s.large && s.data.length > (s.largeThreshold ?? 2000)] : null; }"
)
"""[marks held, drawn in large mode] (ECharts: large and more marks than largeThreshold)."""


def test_marks_are_one_path_and_survive_switching_off_and_on(
    dashboard: Process, wide_page: Page
) -> None:
    page = wide_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{dashboard.url}/?range=7d")
    page.wait_for_function(chart_ready(1000), timeout=45_000, polling=100)
    page.wait_for_function(f"() => ({MARKS})('warning')[0] > 0", timeout=30_000)
    shown = {kind: page.evaluate(MARKS, kind) for kind in ("warning", "critical")}
    assert all(large for count, large in shown.values() if count), shown

    for kind in ("warning", "critical"):
        entry = page.locator(f".dash-legend-item[data-key={kind}]")
        entry.click()
        page.wait_for_function(f"() => ({MARKS})('{kind}')[0] === 0", timeout=10_000)
        assert page.evaluate(MARKS, kind) == [0, False], "an empty series is not in large mode"
        entry.click()
        had = shown[kind][0]
        page.wait_for_function(f"() => ({MARKS})('{kind}')[0] >= {had}", timeout=10_000)
        count, large = page.evaluate(MARKS, kind)
        assert large == (count > 0)

    # The chart goes on drawing new points after the switches (a throw in its paint loop
    # would leave it frozen).
    newest = f"() => {LINE}.at(-1)[0]"
    before = page.evaluate(newest)
    page.wait_for_function(f"() => ({newest})() > {before}", timeout=20_000)
    assert not errors, errors
