"""The warning and critical marks are drawn in ECharts' large mode (one path, cheap to
redraw), and neither switching them off and on nor zooming to a window without marks
breaks the chart (large mode throws on a series with no point to draw, so an empty series
is drawn in the normal mode and the zoom keeps outside points as gaps). In Chromium,
against the real dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.browser import CHART_ID, LINE, chart_ready

from .servers import Process

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHART = f"getElement({CHART_ID}).chart"
MARKS = (
    f"(kind) => {{ const c = {CHART}; const all = c.getOption().series;"
    " const i = all.findIndex((x) => x && x.id.startsWith(kind + ':'));"
    " if (i < 0) return null; const model = c.getModel().getSeriesByIndex(i);"
    " return [all[i].data.length, !!model.pipelineContext.large]; }"
)
"""[marks held, drawn in large mode] as ECharts decided it at its last render."""
RENDERS = f"() => {{ const c = {CHART}; if (!window.__renders) {{ window.__renders = 0;"
RENDERS += " c.on('rendered', () => { window.__renders += 1; }); } return window.__renders; }"
"""Renders the chart finished (a throw while painting stops them)."""
QUIET_WINDOW = (
    f"() => {{ const o = {CHART}.getOption();"
    " const marks = o.series.filter((s) => s && /^(warning|critical):/.test(s.id))"
    "  .flatMap((s) => s.data.map((p) => p[0])).sort((a, b) => a - b);"
    " let best = [0, 0]; for (let i = 1; i < marks.length; i++)"
    "  if (marks[i] - marks[i - 1] > best[1] - best[0]) best = [marks[i - 1], marks[i]];"
    " const mid = (best[0] + best[1]) / 2; return [mid - 600000, mid + 600000]; }"
)
"""Twenty minutes in the middle of the longest stretch without a mark."""


def _rendered_again(page: Page) -> None:
    done = page.evaluate(RENDERS)
    page.wait_for_function(f"() => ({RENDERS})() >= {done + 2}", timeout=20_000)


def test_marks_are_one_path_and_survive_switching_and_zooming(
    dashboard: Process, wide_page: Page
) -> None:
    page = wide_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{dashboard.url}/?range=7d")
    page.wait_for_function(chart_ready(1000), timeout=45_000, polling=100)
    page.wait_for_function(f"() => ({MARKS})('warning')[0] > 0", timeout=30_000)
    page.evaluate(RENDERS)
    shown = {kind: page.evaluate(MARKS, kind) for kind in ("warning", "critical")}
    assert shown["warning"][1], "the warning marks are drawn as one path"
    assert shown["critical"][1] == (shown["critical"][0] > 0), shown

    for kind in (k for k, (count, _) in shown.items() if count):
        entry = page.locator(f".dash-legend-item[data-key={kind}]")
        entry.click()
        page.wait_for_function(f"() => ({MARKS})('{kind}')[0] === 0", timeout=10_000)
        assert page.evaluate(MARKS, kind) == [0, False], "no marks: not in large mode"
        entry.click()
        had = shown[kind][0]
        page.wait_for_function(f"() => ({MARKS})('{kind}')[0] >= {had}", timeout=10_000)
        _rendered_again(page)
        assert page.evaluate(MARKS, kind)[1], "marks again: large mode again"

    lo, hi = page.evaluate(QUIET_WINDOW)
    line_in = f"() => {LINE}.filter((p) => p[0] >= {lo} && p[0] <= {hi}).length"
    assert page.evaluate(line_in) > 0, "the window has line points"
    page.evaluate(f"LiveChart.zoom({CHART_ID}, {lo}, {hi})")
    page.wait_for_function(
        f"() => {CHART}.getOption().dataZoom[0].startValue === {lo}", timeout=10_000
    )
    _rendered_again(page)
    assert not errors, errors
