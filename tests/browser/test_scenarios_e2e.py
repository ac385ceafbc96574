"""Scenario control in Chromium: start and stop from the panel, against the embedded
simulator and against an external scripted one that refuses.

Starting exam-season-surge more than doubles ``customer.tutor.search``: the header names
the scenario, the stream's cell turns critical and the chart draws critical points; Stop
makes the header say it settles and puts a settling band on the chart. Screenshots land in
``test-artifacts/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support import scripted_scenarios
from tests.support.asgi_thread import serve_in_thread
from tests.support.browser import BANDS, CHART_ID, chart_ready
from tests.support.processes import status

from .servers import ARTIFACTS, Process, start_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

HEADER = "[data-testid=scenario-status]"
STREAM = "customer.tutor.search"
OPTION = f"getElement({CHART_ID}).chart.getOption()"
CRITICAL_POINTS = (
    f"() => ({OPTION}.series.find((s) => s && s.id === 'critical:{STREAM}') || {{data: []}})"
    ".data.length"
)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


def _header_is(page: Page, prefix: str, timeout: float = 20_000) -> None:
    page.wait_for_function(
        f"() => (document.querySelector('{HEADER}')?.offsetParent !== null) &&"
        f" document.querySelector('{HEADER}').textContent.trim().startsWith({json.dumps(prefix)})",
        timeout=timeout,
    )


def test_start_and_stop_from_the_panel(context: BrowserContext, dashboard: Process) -> None:
    """Start: header, critical cell and chart; Stop: settling in the header and a band."""
    page = context.new_page()
    page.goto(f"{dashboard.url}/?streams={STREAM}&range=1h")
    page.wait_for_function(chart_ready(10), timeout=45_000, polling=100)
    before = page.evaluate(CRITICAL_POINTS)
    try:
        page.get_by_role("button", name="Start Exam season surge").click()
        _header_is(page, "Scenario: Exam season surge")
        page.get_by_text("Exam season surge started").wait_for(timeout=10_000)
        page.wait_for_selector(f'[data-stream="{STREAM}"][data-state="critical"]', timeout=90_000)
        page.wait_for_function(f"() => ({CRITICAL_POINTS})() > {before}", timeout=30_000)
        assert "Scenario Exam season surge (running)" in page.evaluate(BANDS)
        assert status(dashboard)["scenario"]["active"]["id"] == "exam-season-surge"
        # The start's own external event: a timeline card and a band of its duration.
        card = page.locator(".dash-event", has_text="Exam season surge").first
        card.wait_for(timeout=10_000)
        assert "from scenario" in card.inner_text()
        page.wait_for_function(
            f"() => ({BANDS})().includes('\\u{{1f393}} Exam season surge')", timeout=10_000
        )
        page.screenshot(path=str(ARTIFACTS / "scenario-running.png"))

        page.get_by_role("button", name="Stop").click()
        _header_is(page, "Settling: Exam season surge")
        page.wait_for_function(
            f"() => ({BANDS})().includes('Exam season surge: settling back to baseline')",
            timeout=10_000,
        )
        assert page.get_by_text("settle back to baseline until").count() >= 1
        body = status(dashboard)["scenario"]
        assert body["active"] is None and body["settlingUntil"] is not None
        page.screenshot(path=str(ARTIFACTS / "scenario-settling.png"))
    finally:
        httpx.post(f"{dashboard.url}/api/simulation/reset", json={}, timeout=10)


@pytest.fixture
def scripted_stack() -> Iterator[tuple[Process, scripted_scenarios.Script]]:
    """A dashboard using a scripted external simulator (served in this process)."""
    script = scripted_scenarios.Script()
    with serve_in_thread(scripted_scenarios.create_app(script)) as port:
        dash = start_dashboard("--simulator-url", f"http://127.0.0.1:{port}")
        yield dash, script
        dash.stop()


def test_an_external_simulator_refusing_a_start_is_shown_in_words(
    context: BrowserContext, scripted_stack: tuple[Process, scripted_scenarios.Script]
) -> None:
    """409 from an external simulator: a sentence on the page; then a start that works."""
    dash, script = scripted_stack
    page = context.new_page()
    page.goto(dash.url)
    page.get_by_role("button", name="Start Exam season surge").wait_for(timeout=30_000)
    script.refuse_start = (
        409,
        {"error": {"code": "SCENARIO_ALREADY_ACTIVE", "message": "quality-crisis is active"}},
    )
    page.get_by_role("button", name="Start Exam season surge").click()
    words = "Could not start the scenario: another scenario is already running; stop it first"
    page.get_by_text(words).wait_for(timeout=10_000)
    assert page.locator(HEADER).is_hidden()
    page.screenshot(path=str(ARTIFACTS / "scenario-refused.png"))
    script.refuse_start = None
    page.get_by_role("button", name="Start Exam season surge").click()
    _header_is(page, "Scenario: Exam season surge")
    assert page.get_by_text(words).is_hidden(), "a success clears the error"
    assert [r[2] for r in script.requests if r[0] == "POST"] == [
        {"scenarioId": "exam-season-surge"},
        {"scenarioId": "exam-season-surge"},
    ]


def test_read_only_dashboard(context: BrowserContext) -> None:
    """``--read-only``: no panel on the page, the simulator's writes answer 403."""
    dash = start_dashboard("--read-only", "--sim-rate", "20")
    try:
        page = context.new_page()
        page.goto(dash.url)
        page.wait_for_function(chart_ready(1), timeout=45_000, polling=100)
        assert page.get_by_text("Scenarios", exact=True).count() == 0
        assert page.get_by_role("button", name="Start Exam season surge").count() == 0
        answer = httpx.post(
            f"{dash.url}/api/simulation/scenario", json={"scenarioId": "exam-season-surge"}
        )
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "READ_ONLY"
        assert status(dash)["scenario"]["readOnly"] is True
    finally:
        dash.stop()
