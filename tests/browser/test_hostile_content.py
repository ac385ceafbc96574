"""Hostile content from the simulator is shown as text and never runs: a scripted server.

Stream names, payload fields, error frames, close reasons, external events and an HTML
history error all carry markup with ``alert(...)``; the page must show the literal text
where it displays it and neither run a dialog nor gain an element with an inline handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.support.asgi_thread import serve_in_thread
from tests.support.browser import chart_ready
from tests.support.processes import status, wait_until

from . import hostile
from .hostile import SCAN, TRAP
from .servers import Process, start_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

DETAIL = "[data-testid=connection-detail]"


@pytest.fixture(scope="module")
def hostile_stack() -> Iterator[Process]:
    """The hostile server and a dashboard that ends in ``error`` after one reconnect."""
    with serve_in_thread(hostile.create_app()) as port:
        dash = start_dashboard(
            "--simulator-url",
            f"http://127.0.0.1:{port}",
            "--topics",
            f"{hostile.NORMAL_STREAM},{hostile.BROKEN_STREAM}",
            "--max-reconnect-attempts",
            "1",
            "--backoff-initial",
            "0.2",
            "--backoff-jitter",
            "0",
        )
        try:
            yield dash
        finally:
            dash.stop()


def _settled(dash: Process) -> dict[str, Any] | None:
    body = status(dash)
    counters = body["counters"]
    ready = (
        body["connection"]["state"] == "error"
        and counters["malformedByKind"].get("bad_stream_name", 0) >= 60
        and counters["historyRejectedByKind"].get("bad_stream_name", 0) >= 1
        and body["streams"].get(hostile.BROKEN_STREAM, {}).get("history") == "error"
    )
    return body if ready else None


def test_hostile_text_is_shown_never_run(browser: Browser, hostile_stack: Process) -> None:
    """Names that are markup are refused and counted; markup in error frames, close reasons
    and history errors shows as text; no dialog runs and no element is injected."""
    dash = hostile_stack
    body = wait_until(lambda: _settled(dash), 30, "dashboard in error, hostile names counted")
    assert body["connection"]["lastError"] == f"{hostile.ERROR_CODE}: {hostile.ERROR_MESSAGE}"
    assert set(body["streams"]) == {hostile.NORMAL_STREAM, hostile.BROKEN_STREAM}

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    dialogs: list[str] = []
    try:
        context.add_init_script(TRAP)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(dash.url)
        page.wait_for_function(
            f"() => {{ const d = document.querySelector('{DETAIL}');"
            f" return d && d.textContent.includes({hostile.CLOSE_REASON!r})"
            f" && d.textContent.includes({hostile.ERROR_MESSAGE!r}); }}",
            timeout=20_000,
        )
        assert hostile.ERROR_CODE in page.locator(DETAIL).inner_text()
        page.wait_for_selector(".dash-cell", timeout=20_000)
        cells = page.evaluate("() => [...document.querySelectorAll('[data-stream]')]"
                              ".map((c) => c.dataset.stream)")  # fmt: skip
        assert sorted(cells) == sorted([hostile.NORMAL_STREAM, hostile.BROKEN_STREAM])
        page.get_by_label("Streams on the chart (up to 6)").click()
        page.get_by_role("option").first.wait_for(timeout=10_000)
        options = page.get_by_role("option").all_inner_texts()
        assert not any("<" in o for o in options) and hostile.NORMAL_STREAM in options
        page.keyboard.press("Escape")
        _hover_tooltip(page)

        page.goto(f"{dash.url}/?streams={quote(hostile.BROKEN_STREAM, safe='')}")
        page.get_by_text(
            f"server answered 500 Internal Server Error: {hostile.HISTORY_500}"
        ).wait_for(timeout=20_000)
        page.get_by_role("button", name="Reconnect now").click()
        page.get_by_text("Reconnecting now").wait_for(timeout=10_000)

        assert page.evaluate("() => window.__alerts") == []
        assert dialogs == []
        injected = page.evaluate("() => window.__injected")
        assert injected == [], "\n".join(injected)
        assert page.evaluate(SCAN) == []
        assert hostile.HISTORY_500 in page.evaluate("() => document.body.innerText")
    finally:
        context.close()


def _hover_tooltip(page: Page) -> None:
    """Hover the newest points until ECharts shows its tooltip; check it holds no markup."""
    chart = page.locator(".nicegui-echart")
    page.wait_for_function(chart_ready(30), timeout=20_000)
    box = chart.bounding_box()
    assert box is not None
    tooltip = "() => [...document.querySelectorAll('.nicegui-echart div')].find((d) =>"
    tooltip += " d.style.zIndex === '9999999' && d.style.display !== 'none' &&"
    tooltip += " d.textContent.includes(' UTC'))?.innerHTML || ''"
    for fraction in (0.97, 0.9, 0.8, 0.6):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)
        try:
            page.wait_for_function(f"() => ({tooltip})() !== ''", timeout=2_000)
            break
        except Exception:  # the cursor missed the grid: try further left
            continue
    html = page.evaluate(tooltip)
    assert hostile.NORMAL_STREAM in html and ("history" in html or "live" in html)
    assert "<img" not in html and "<script" not in html


def test_a_name_that_is_markup_is_no_export(hostile_stack: Process) -> None:
    """Exporting a name that is markup is a 404 in the contract's shape, name clipped."""
    wait_until(lambda: _settled(hostile_stack), 30, "hostile names counted")
    response = httpx.get(
        f"{hostile_stack.url}/api/dashboard/export",
        params={"stream": hostile.IMG_STREAM, "format": "csv"},
        timeout=10,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "STREAM_NOT_FOUND"
    assert response.headers["content-type"].startswith("application/json")
