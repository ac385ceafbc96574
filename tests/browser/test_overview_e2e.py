"""The whole marketplace at a glance, in Chromium: grid, navigation, staleness, phone, keys.

Screenshots of the grid in both themes and at phone width land in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.browser import CHART_ID, chart_ready
from tests.support.processes import status, wait_until

from .servers import ARTIFACTS, Process, Stack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

GROUPS = {"customer": 10, "tutor": 10, "session": 12, "support": 8, "marketing": 5, "system": 5}
STATES = {"normal", "warning", "critical", "stale", "nodata"}
SERIES = f"() => getElement({CHART_ID}).chart.getOption().series.filter(Boolean).map((s) => s.id)"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="dark")
    yield ctx
    ctx.close()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".dash-cell", timeout=45_000)
    page.wait_for_function(chart_ready(100), timeout=45_000, polling=100)


def _cells(page: Page) -> dict[str, str]:
    return dict(
        page.evaluate(
            "() => [...document.querySelectorAll('.dash-cell')]"
            ".map((c) => [c.dataset.stream, c.dataset.state])"
        )
    )


def test_grid_shows_every_stream_in_its_domain(context: BrowserContext, dashboard: Process) -> None:
    """50 cells in six groups (sizes as the original's), each with a state; both themes."""
    page = context.new_page()
    _open(page, dashboard.url)
    groups = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.dash-grid-group')]"
        ".map((g) => [g.dataset.group, g.querySelectorAll('.dash-cell').length]))"
    )
    assert groups == GROUPS
    cells = _cells(page)
    assert len(cells) == 50 and set(cells.values()) <= STATES
    rows = page.evaluate("() => document.querySelectorAll('.sr-only tr').length")
    assert rows == 51, "a table of stream, state and value for screen readers"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-dark.png"))
    page.locator("[aria-label=Theme]").click()  # auto -> light
    page.wait_for_function("() => !document.body.classList.contains('body--dark')")
    page.screenshot(path=str(ARTIFACTS / "overview-light.png"))
    background = page.evaluate(
        "() => getComputedStyle(document.querySelector('.dash-cell')).backgroundColor"
    )
    page.reload()
    page.wait_for_selector(".dash-cell", timeout=45_000)
    assert page.evaluate("() => localStorage.getItem('dash.theme')") == "light"
    assert not page.evaluate("() => document.body.classList.contains('body--dark')")
    assert background != "rgba(0, 0, 0, 0)"


def test_click_and_multi_select_change_chart_and_url(
    context: BrowserContext, dashboard: Process
) -> None:
    """Click shows one stream, Shift-click adds one; the URL follows and Back goes back."""
    page = context.new_page()
    _open(page, dashboard.url)
    assert page.evaluate(SERIES)[0] == "line:customer.tutor.search"
    page.click('[data-stream="session.booking.requested"]')
    page.wait_for_function("() => location.search.includes('streams=session.booking.requested')")
    page.click('[data-stream="support.ticket.created"]', modifiers=["Shift"])
    page.wait_for_function(
        "() => decodeURIComponent(location.search)"
        ".includes('streams=session.booking.requested,support.ticket.created')"
    )
    page.wait_for_function(
        f"() => ({SERIES})().filter((id) => id.startsWith('line:')).length === 2",
        timeout=20_000,
    )
    colors = page.evaluate(
        f"() => getElement({CHART_ID}).chart.getOption().series"
        ".filter((s) => s && s.id.startsWith('line:')).map((s) => s.color)"
    )
    assert len(set(colors)) == 2, "each stream its own colour"
    _legend_names_and_switches_lines(page, colors)
    pressed = page.evaluate(
        "() => [...document.querySelectorAll('.dash-cell[aria-pressed=true]')]"
        ".map((c) => c.dataset.stream)"
    )
    assert sorted(pressed) == ["session.booking.requested", "support.ticket.created"]
    page.go_back()
    page.wait_for_function(
        f"() => ({SERIES})().filter((id) => id.startsWith('line:')).length === 1",
        timeout=20_000,
    )
    assert "support.ticket.created" not in page.evaluate("() => location.search")
    copy = context.new_page()
    copy.goto(f"{dashboard.url}/?streams=support.ticket.created,session.started&range=24h")
    copy.wait_for_function(
        f"() => ({SERIES})().filter((id) => id.startsWith('line:')).length === 2",
        timeout=30_000,
    )


LEGEND = (
    "() => [...document.querySelectorAll('.dash-legend-item')].map((i) => [i.textContent,"
    " i.getAttribute('aria-pressed'), getComputedStyle(i.firstChild).backgroundColor])"
)
POINTS = (
    f"(id) => getElement({CHART_ID}).chart.getOption().series.find((s) => s && s.id === id)"
    ".data.length"
)


def _legend_names_and_switches_lines(page: Page, colors: list[str]) -> None:
    """The HTML legend names each line in its colour; a click switches one off and on."""
    legend = page.evaluate(LEGEND)
    assert [name for name, _, _ in legend] == [
        "session.booking.requested",
        "support.ticket.created",
    ], "one entry per line, no warning/critical entries with two streams"
    assert all(pressed == "true" for _, pressed, _ in legend)
    assert len({swatch for _, _, swatch in legend}) == len(set(colors)) == 2
    line = "line:support.ticket.created"
    entry = page.locator(".dash-legend-item", has_text="support.ticket.created")
    entry.click()
    page.wait_for_function(f"() => ({POINTS})('{line}') === 0", timeout=10_000)
    assert entry.get_attribute("aria-pressed") == "false"
    entry.click()
    page.wait_for_function(f"() => ({POINTS})('{line}') > 0", timeout=10_000)
    assert entry.get_attribute("aria-pressed") == "true"


def test_free_zoom_unlights_the_preset(context: BrowserContext, dashboard: Process) -> None:
    """A zoom in the chart leaves no range button lit; a preset lights its button again."""
    page = context.new_page()
    _open(page, dashboard.url)
    lit = "() => [...document.querySelectorAll('[aria-label=\"Time range\"] .q-btn')]"
    lit += ".filter((b) => b.getAttribute('aria-pressed') === 'true' ||"
    lit += " b.classList.contains('q-btn--active') || b.classList.contains('bg-primary'))"
    lit += ".map((b) => b.textContent.trim())"
    assert page.evaluate(lit) == ["7d"]
    zoom = "{type: 'dataZoom', start: 60, end: 80}"
    page.evaluate(f"() => getElement({CHART_ID}).chart.dispatchAction({zoom})")
    page.wait_for_function(f"() => ({lit})().length === 0", timeout=10_000)
    page.get_by_role("button", name="24h").click()
    page.wait_for_function(f"() => ({lit})().join() === '24h'", timeout=10_000)


def test_a_scenario_turns_its_streams_cell_critical(
    context: BrowserContext, dashboard: Process
) -> None:
    """Exam season more than doubles searches: the cell turns critical, pulsing."""
    page = context.new_page()
    _open(page, dashboard.url)
    started = httpx.post(
        f"{dashboard.url}/api/simulation/scenario",
        json={"scenarioId": "exam-season-surge"},
        timeout=10,
    )
    assert started.status_code in (200, 409), started.text
    try:
        page.wait_for_selector(
            '[data-stream="customer.tutor.search"][data-state="critical"]', timeout=90_000
        )
        animation = page.evaluate(
            "() => getComputedStyle(document.querySelector("
            "'[data-stream=\"customer.tutor.search\"]'), '::after').animationName"
        )
        assert animation == "dash-pulse"
        assert status(dashboard)["streams"]["customer.tutor.search"]["state"] == "critical"
    finally:
        httpx.post(f"{dashboard.url}/api/simulation/reset", json={}, timeout=10)


def test_killed_simulator_turns_cells_stale_with_data_as_of(
    context: BrowserContext, external_stack: Stack
) -> None:
    """Simulator gone: "data as of" at once, dimmed, then busy streams turn stale."""
    page = context.new_page()
    _open(page, external_stack.dashboard.url)
    external_stack.simulator.stop()
    page.get_by_text(re.compile(r"^data as of \d\d:\d\d:\d\d UTC$")).first.wait_for(timeout=30_000)
    assert page.evaluate("() => document.querySelectorAll('.dash-frozen').length") == 2
    assert page.get_by_text(re.compile(r"^data as of ")).count() >= 3  # header, grid, chart
    page.wait_for_selector('.dash-cell[data-state="stale"]', timeout=90_000)
    stale = [s for s, st in _cells(page).items() if st == "stale"]
    body = status(external_stack.dashboard)
    assert all(body["streams"][s]["stale"] for s in stale)
    page.screenshot(path=str(ARTIFACTS / "overview-stale.png"))
    external_stack.restart_simulator()
    page.wait_for_function("() => !document.querySelector('.dash-frozen')", timeout=60_000)


def test_phone_layout(browser: Browser, dashboard: Process) -> None:
    """390 px: header on one line, no sideways scrolling, cells wrap, chart axis in view."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = ctx.new_page()
        _open(page, dashboard.url)
        header = page.locator(".q-header").bounding_box()
        assert header is not None and header["height"] < 64
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        widest = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.dash-cell')]"
            ".map((c) => c.getBoundingClientRect().right))"
        )
        assert widest <= 390
        chart = page.locator(".nicegui-echart").bounding_box()
        assert chart is not None and chart["x"] >= 0 and chart["x"] + chart["width"] <= 390
        page.wait_for_selector(".dash-legend-item[data-key=critical]")
        legend = page.evaluate(
            "() => { const l = document.querySelector('.dash-legend');"
            " return [l.scrollWidth, l.clientWidth]; }"
        )
        assert legend[0] <= legend[1], f"the legend's entries fit in one line: {legend}"
        page.screenshot(path=str(ARTIFACTS / "overview-phone.png"), full_page=True)
    finally:
        ctx.close()


def test_keyboard_reaches_and_operates_the_grid(
    context: BrowserContext, dashboard: Process
) -> None:
    """Tab reaches the cells with a visible focus ring; Enter shows, Shift+Enter adds."""
    page = context.new_page()
    _open(page, dashboard.url)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('dash-cell')"):
            break
    else:
        raise AssertionError("Tab never reached a grid cell")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused cell shows a focus ring"
    first = page.evaluate("() => document.activeElement.dataset.stream")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => location.search.includes({json.dumps('streams=' + first)})")
    page.keyboard.press("Tab")
    second = page.evaluate("() => document.activeElement.dataset.stream")
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        f"() => decodeURIComponent(location.search).includes({json.dumps(first + ',' + second)})"
    )
    card = page.evaluate("() => document.querySelector('.dash-card:not([hidden])')?.innerText")
    assert card and second in card, "focus opens the cell's card"
    wait_until(lambda: len(_cells(page)) == 50, 5, "the grid stays whole")


# Counts the tab's Intl.DateTimeFormat constructions (the first costs ~70 ms).
INTL_COUNTER = """
window.__intlFormatters = 0;
Intl.DateTimeFormat = new Proxy(Intl.DateTimeFormat, {
  construct(target, args) { window.__intlFormatters += 1; return new target(...args); },
  apply(target, self, args) { window.__intlFormatters += 1; return target(...args); },
});
"""


def test_times_in_utc_or_the_browsers_zone(browser: Browser, dashboard: Process) -> None:
    """Times read in UTC by default and in the browser's zone after the switch (a half-hour
    zone: the minutes too), remembered; written from Date's getters, not an Intl formatter."""
    ctx = browser.new_context(timezone_id="America/St_Johns")
    try:
        ctx.add_init_script(INTL_COUNTER)
        page = ctx.new_page()
        _open(page, dashboard.url)
        fmt = (
            "() => [DashPrefs.format(1764590602000), DashPrefs.format(5000, false),"
            " DashPrefs.zoneName()]"
        )
        assert page.evaluate(fmt) == ["2025-12-01 12:03:22", "00:00:05", "UTC"]
        page.wait_for_function("() => document.querySelector('time.dash-event-when[title]')")
        assert page.evaluate("() => window.__intlFormatters") == 0, "UTC needs no Intl formatter"
        page.locator('[aria-label="Time zone: UTC or local"]').click()
        page.wait_for_function("() => localStorage.getItem('dash.tz') === 'local'")
        assert page.evaluate(fmt) == ["2025-12-01 08:33:22", "20:30:05", "America/St_Johns"]
        assert page.evaluate("() => window.__intlFormatters") == 1, "the zone named once"
    finally:
        ctx.close()
