"""The dashboard end to end: real processes, Debian Chromium, the chart's browser-side data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.support.browser import CHART_ID, CHART_LENGTH, LINE, chart_ready

from .servers import ARTIFACTS, Process, Stack

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

DAY_MS = 86_400_000
STREAM = "customer.tutor.search"
SHOWN = (
    "() => { const o = getElement(" + CHART_ID + ").chart.getOption();"
    " const warn = new Set(o.series[1].data.map((p) => p[0]));"
    " const crit = new Set(o.series[2].data.map((p) => p[0]));"
    " const src = ['history', 'live', 'catchup', 'backfill', 'gap'];"
    " return o.series[0].data.map((p) => [p[0], p[1], src[p[2]],"
    " crit.has(p[0]) ? 'critical' : warn.has(p[0]) ? 'warning' : null]); }"
)
"""[ts, normalized, source, flag] of every point ECharts draws."""
BADGE = "document.querySelector('[data-testid=connection-badge]')"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab with a desktop-sized viewport."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def open_dashboard(page: Page, url: str, min_points: int = 1000) -> None:
    """Open the page and wait until the chart holds ``min_points`` points."""
    page.goto(url)
    page.wait_for_function(chart_ready(min_points), timeout=45_000, polling=100)


def chart_length(page: Page) -> int:
    """Points of the line series as ECharts holds them."""
    return int(page.evaluate(CHART_LENGTH))


def badge(page: Page) -> str:
    """The connection badge's text."""
    return str(page.evaluate(f"() => {BADGE}.textContent.trim()"))


def wait_badge(page: Page, text: str, timeout_ms: int = 30_000) -> None:
    """Wait until the connection badge reads ``text``."""
    page.wait_for_function(
        f"() => {BADGE} && {BADGE}.textContent.trim() === {text!r}",
        timeout=timeout_ms,
        polling=100,
    )


def ms(iso: str) -> int:
    """Epoch milliseconds of an ISO 8601 UTC timestamp."""
    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def test_chart_shows_seven_days_and_grows(dashboard: Process, page: Page) -> None:
    """Seven days of history are on the chart at once, and live events extend it."""
    open_dashboard(page, dashboard.url)
    first, last = page.evaluate(f"() => {{ const d = {LINE}; return [d[0][0], d.at(-1)[0]]; }}")
    assert last - first >= 6.9 * DAY_MS
    zoom = page.evaluate(f"() => getElement({CHART_ID}).chart.getOption().dataZoom[0]")
    assert zoom["endValue"] == last, "the 7d preset is anchored at the newest point"
    assert zoom["startValue"] == max(first, last - 7 * DAY_MS)
    page.wait_for_function(f"() => {LINE}.at(-1)[0] > {last}", timeout=30_000, polling=100)
    newest = page.evaluate(f"() => {LINE}.at(-1)")
    assert newest[0] > last and newest[2] in (1, 2), "a live (or catch-up) point at the edge"
    wait_badge(page, "Connected")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))


def test_export_matches_the_chart(dashboard: Process, page: Page) -> None:
    """JSON and CSV exports hold exactly the rows the browser draws (plus newer ones)."""
    open_dashboard(page, dashboard.url)
    shown: list[list[Any]] = page.evaluate(SHOWN)
    held = page.evaluate(CHART_LENGTH)  # before the export, which may have newer points
    body = httpx.get(
        f"{dashboard.url}/api/dashboard/export", params={"stream": STREAM, "format": "json"}
    ).json()
    assert body["stream"] == STREAM
    exported = [
        [ms(p["timestamp"]), p["normalized"], p["source"], p["anomalyFlag"]] for p in body["points"]
    ]
    assert len(exported) >= held >= len(shown) > 1000
    at: dict[int, list[list[Any]]] = {}
    for export_row in exported:  # a long line reaches ECharts reduced: a subset
        flag = export_row[3] if export_row[3] in ("warning", "critical") else None
        at.setdefault(export_row[0], []).append([*export_row[:3], flag])
    for browser_row in shown:
        assert browser_row in at.get(browser_row[0], []), browser_row
    text = httpx.get(
        f"{dashboard.url}/api/dashboard/export", params={"stream": STREAM, "format": "csv"}
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["timestamp"] for r in rows[: len(shown)]] == [
        p["timestamp"] for p in body["points"][: len(shown)]
    ]
    missing = httpx.get(f"{dashboard.url}/api/dashboard/export", params={"stream": "nope.x"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "STREAM_NOT_FOUND"
    bad = httpx.get(
        f"{dashboard.url}/api/dashboard/export", params={"stream": STREAM, "format": "xml"}
    )
    assert bad.status_code == 400


def test_reconnect_keeps_the_chart_free_of_duplicates(external_stack: Stack, page: Page) -> None:
    """Connected, then Reconnecting while the simulator is down, then Connected, no repeats."""
    open_dashboard(page, external_stack.dashboard.url)
    wait_badge(page, "Connected")
    before = chart_length(page)
    page.wait_for_function(
        f"() => ({CHART_LENGTH})() > {before}",
        timeout=30_000,
        polling=100,
    )
    external_stack.simulator.stop()
    wait_badge(page, "Reconnecting")
    page.screenshot(path=str(ARTIFACTS / "dashboard-reconnecting.png"))
    assert "attempt" in page.evaluate(
        "() => document.querySelector('[data-testid=connection-detail]').textContent"
    )
    external_stack.restart_simulator()
    wait_badge(page, "Connected")
    during = chart_length(page)
    page.wait_for_function(
        f"() => ({CHART_LENGTH})() > {during}",
        timeout=30_000,
        polling=100,
    )
    rows: list[list[Any]] = page.evaluate(SHOWN)
    stamps = [r[0] for r in rows]
    assert stamps == sorted(stamps), "the line never goes back in time"
    points = [(r[0], r[1]) for r in rows]
    assert len(points) == len(set(points)), "no point appears twice"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-after-reconnect.png"))
