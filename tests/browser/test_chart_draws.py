"""When the chart's full draws happen: calls that arrive together are drawn once, at the
next frame, and a layout without points waits a little for its data. In Chromium, against
the real dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.browser import CHART_ID, LINE, chart_ready
from tests.support.processes import wait_until

from .servers import Process

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

COUNT_FULL_DRAWS = f"""() => {{
  const c = getElement({CHART_ID}).chart; const own = c.setOption;
  window.__full = [];
  c.setOption = function (option, ...rest) {{
    if (option && option.textStyle) window.__full.push(performance.now());  // appends send no look
    return own.call(this, option, ...rest);
  }};
}}"""
"""Record the time of every full draw (one that sends the look) from now on."""
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
BURST = f"""() => {{
  const id = {CHART_ID}; const [first, last] = [{LINE}[0][0], {LINE}.at(-1)[0]];
  LiveChart.zoom(id, first, last);
  LiveChart.annotate(id, "burst-test", []);
  LiveChart.resetZoom(id);
  window.dispatchEvent(new CustomEvent("dash-prefs"));
  return window.__full.length;
}}"""
"""Four calls in one task that each ask for a full draw; the full draws made within it."""


def _open(page: Page, url: str) -> None:
    page.goto(f"{url}/?range=7d")
    page.wait_for_function(chart_ready(1000), timeout=45_000, polling=100)
    page.evaluate(COUNT_FULL_DRAWS)


def test_full_draws_asked_for_together_are_one_draw(dashboard: Process, wide_page: Page) -> None:
    """Calls that arrive together (a tab's first data, its annotations, the preferences) are
    drawn at the next frame, once: each full draw of a week's chart costs a fresh tab
    100 ms or more, and three in a row held its grid back."""
    _open(wide_page, dashboard.url)
    assert wide_page.evaluate(BURST) == 0, "nothing drawn within the task"
    wide_page.evaluate(TWO_FRAMES)
    assert wide_page.evaluate("window.__full.length") == 1


def test_a_layout_without_points_waits_for_its_data(dashboard: Process, wide_page: Page) -> None:
    """A fresh tab's layout comes before its points: drawing the empty chart then cost about
    100 ms just before the real draw. It waits (250 ms at most); points draw it at once."""
    page = wide_page
    _open(page, dashboard.url)
    layout = f"LiveChart.layout({CHART_ID}, [{{key: 'k', name: 'k', color: '#123456'}}])"
    row = "[Date.now(), 50, 1, -1, 10]"

    reset = f"LiveChart.reset({CHART_ID}, 'k', [{row}], null, null, false)"
    before, after = page.evaluate(
        f"async () => {{ {layout}; await ({TWO_FRAMES})(); const before = window.__full.length;"
        f" {reset}; await ({TWO_FRAMES})(); return [before, window.__full.length]; }}"
    )
    assert before == 0, "no points: no draw at the next frame"
    assert after == 1, "its points draw it at the next frame"

    started = page.evaluate(
        f"() => {{ LiveChart.layout({CHART_ID}, [{{key: 'e', name: 'e', color: '#654321'}}]);"
        " return performance.now(); }"
    )
    page.wait_for_function("() => window.__full.length === 2", timeout=5_000)
    waited = page.evaluate("window.__full[1]") - started
    assert 200 <= waited <= 2_000, f"an empty layout is drawn after its wait, not never: {waited}"


def test_the_tab_tells_the_server_it_drew_its_chart(dashboard: Process, wide_page: Page) -> None:
    """The rest of the seed waits for a first tab's drawn chart (``chart_shown``): the
    dashboard logs the moment it hears it (once per process; any earlier tab of this
    module's dashboard may have been the first)."""
    _open(wide_page, dashboard.url)
    said = "the first tab drew its chart"
    wait_until(lambda: said in dashboard.log.read_text(errors="replace"), 10, "chart_shown")
