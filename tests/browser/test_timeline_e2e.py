"""External events end to end: a scripted simulator announces them, Chromium shows them.

Events come from the history answer and from the state's ``activeEvents`` (added while the
dashboard runs); each shows as a card and as a chart marker; filters hide them; a card
click outlines its streams in the grid and charts them; hostile text stays text and a
``javascript:`` link never becomes a link; a server that loses its state endpoint is said
so, and nothing else stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page

from tests.support.asgi_thread import serve_in_thread
from tests.support.browser import CHART_ID, MARKERS, chart_ready
from tests.support.processes import status, wait_until

from . import announcer
from .announcer import STREAMS, external
from .hostile import SCAN, TRAP
from .servers import ARTIFACTS, Process, start_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CARD = ".dash-event[data-id='{}']"
HOSTILE_TITLE = "<img src=x onerror=alert('pwn-event-title')>"
HOSTILE_DESCRIPTION = "<script>alert('pwn-event-description')</script><b>bold?</b>"
HOSTILE_LINK = "javascript:alert('pwn-event-link')"


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[FastAPI, Process]]:
    """The announcing simulator (history events from the start) and a dashboard using it."""
    app = announcer.create_app()
    app.state.history_events = [
        external("campaign-1", 3, title="Spring campaign"),
        external(
            "release-1",
            30,
            type="product",
            severity="critical",
            title="Release 2.0",
            expectedImpact={"streams": [STREAMS[1], STREAMS[2]], "direction": "increase"},
            externalLink="https://example.com/releases/2.0",
        ),
        external(
            "hostile-1",
            5,
            type="competitive",
            title=HOSTILE_TITLE,
            description=HOSTILE_DESCRIPTION,
            externalLink=HOSTILE_LINK,
        ),
    ]
    with serve_in_thread(app) as port:
        dash = start_dashboard(
            "--simulator-url",
            f"http://127.0.0.1:{port}",
            "--topics",
            ",".join(STREAMS),
            "--state-interval",
            "0.5",
        )
        try:
            yield app, dash
        finally:
            dash.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab that records dialogs and injected elements (see ``hostile.TRAP``)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.add_init_script(TRAP)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield tab
    assert dialogs == []
    context.close()


def _open(page: Page, dash: Process, query: str = "") -> None:
    page.goto(dash.url + query)
    page.wait_for_function(chart_ready(10), timeout=45_000, polling=100)
    page.wait_for_selector(CARD.format("campaign-1"), timeout=30_000)


def _markers(page: Page) -> list[str]:
    return list(page.evaluate(MARKERS))


def _shown_ids(page: Page) -> list[str]:
    return list(
        page.evaluate(
            "() => [...document.querySelectorAll('.dash-event')].map((c) => c.dataset.id)"
        )
    )


def test_events_appear_as_cards_and_markers(page: Page, stack: tuple[FastAPI, Process]) -> None:
    """History's events at once, a state's active event within a poll, newest first; both
    drawn on the chart (a band for a known duration); the status API counts them."""
    app, dash = stack
    _open(page, dash)
    assert _shown_ids(page) == ["campaign-1", "hostile-1", "release-1"]
    page.wait_for_function(f"() => ({MARKERS})().some((n) => n.endsWith('Spring campaign'))")
    app.state.active_events = [external("scenario-7", 0.2, type="academic", title="Exam rush")]
    page.wait_for_selector(CARD.format("scenario-7"), timeout=10_000)
    assert _shown_ids(page)[0] == "scenario-7"
    card = page.locator(CARD.format("scenario-7"))
    assert "from state" in card.inner_text() and card.locator("time").inner_text() == "12 min ago"
    when = card.locator("time").get_attribute("title") or ""
    assert when.endswith(" UTC") and when[:2] == "20"
    page.wait_for_function(f"() => ({MARKERS})().some((n) => n.endsWith('Exam rush'))")
    external_status = status(dash)["external"]
    assert external_status["count"] == 4
    assert external_status["sources"]["state"]["availability"] == "available"
    assert external_status["sources"]["state"]["events"] == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)


def test_a_filter_hides_the_card_and_its_marker(page: Page, stack: tuple[FastAPI, Process]) -> None:
    """Choosing the product type hides the marketing card and its marker; 24 h hides a
    30-hour-old card but keeps its marker (the chart has its own window)."""
    _, dash = stack
    _open(page, dash, f"/?streams={STREAMS[0]},{STREAMS[1]}")
    page.wait_for_function(f"() => ({MARKERS})().some((n) => n.endsWith('Spring campaign'))")
    page.get_by_label("Types").click()
    page.get_by_role("option", name="product").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector(\"[data-id='campaign-1']\")")
    assert _shown_ids(page) == ["release-1"]
    page.wait_for_function(f"() => !({MARKERS})().some((n) => n.endsWith('Spring campaign'))")
    assert any(n.endswith("Release 2.0") for n in _markers(page))
    page.get_by_role("button", name="24 h").click()
    page.wait_for_function("() => !document.querySelector(\"[data-id='release-1']\")")
    assert page.locator(".dash-timeline-empty").inner_text() == "No event matches these filters."
    assert any(n.endswith("Release 2.0") for n in _markers(page))


def test_marker_toggles_are_remembered(page: Page, stack: tuple[FastAPI, Process]) -> None:
    """A card's eye hides its marker; the list's hides all; both survive a reload."""
    _, dash = stack
    _open(page, dash)
    page.wait_for_function(f"() => ({MARKERS})().some((n) => n.endsWith('Spring campaign'))")
    page.locator(CARD.format("campaign-1")).locator(".dash-event-marker").click()
    page.wait_for_function(f"() => !({MARKERS})().some((n) => n.endsWith('Spring campaign'))")
    page.reload()
    _open(page, dash)
    page.wait_for_function(f"() => ({MARKERS})().length > 0")
    assert not any(n.endswith("Spring campaign") for n in _markers(page))
    marker = page.locator(CARD.format("campaign-1")).locator(".dash-event-marker")
    assert marker.get_attribute("aria-pressed") == "false"
    page.locator(".dash-timeline-all").click()
    page.wait_for_function(f"() => ({MARKERS})().length === 0")
    page.locator(".dash-timeline-all").click()
    marker.click()
    page.wait_for_function(f"() => ({MARKERS})().some((n) => n.endsWith('Spring campaign'))")


def test_a_card_click_highlights_its_streams_and_charts_them(
    page: Page, stack: tuple[FastAPI, Process]
) -> None:
    """The release's two streams are outlined in the grid, join the chart and the URL, and
    each shows its expected impact beside the observed change."""
    _, dash = stack
    _open(page, dash)
    page.locator(CARD.format("release-1")).locator(".dash-event-title").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.dash-cell[data-highlight=true]')].length === 2"
    )
    lit = page.evaluate(
        "() => [...document.querySelectorAll('.dash-cell[data-highlight=true]')]"
        ".map((c) => c.dataset.stream).sort()"
    )
    assert lit == sorted([STREAMS[1], STREAMS[2]])
    page.wait_for_function(
        f"() => getElement({CHART_ID}).chart.getOption().series"
        ".filter((s) => s && String(s.id).startsWith('line:')).length === 3",
        timeout=20_000,
    )
    wanted = f"streams={STREAMS[0]},{STREAMS[1]},{STREAMS[2]}"
    # The URL follows once the new streams' history is asked for (after the chart's layout).
    page.wait_for_function(f"() => decodeURIComponent(location.search).includes({wanted!r})")
    rows = page.locator(CARD.format("release-1")).locator(".dash-event-streams li")
    observed = "[data-id='release-1'] .dash-event-observed"
    page.wait_for_function(f'() => document.querySelectorAll("{observed}").length === 2')
    text = rows.first.inner_text()
    assert "expected: \u2191 increase" in text and "observed: " in text
    page.locator(CARD.format("release-1")).locator(".dash-event-title").click()
    page.wait_for_function("() => !document.querySelector('.dash-cell[data-highlight=true]')")


def test_hostile_text_is_text_and_the_link_cannot_run(
    page: Page, stack: tuple[FastAPI, Process]
) -> None:
    """Markup in the title and description shows literally; a javascript: link is plain
    text, clicking it runs nothing; a real link opens in a new tab without an opener."""
    _, dash = stack
    _open(page, dash)
    card = page.locator(CARD.format("hostile-1"))
    assert card.locator(".dash-event-title").inner_text() == HOSTILE_TITLE
    assert card.locator(".dash-event-desc").inner_text() == HOSTILE_DESCRIPTION
    refused = card.locator(".dash-event-refused")
    assert refused.inner_text().endswith(HOSTILE_LINK)
    assert card.locator("a").count() == 0
    refused.click()
    links: list[dict[str, Any]] = page.evaluate(
        "() => [...document.querySelectorAll('a')].map((a) => ({href: a.getAttribute('href'),"
        " target: a.target, rel: a.rel}))"
    )
    assert not [a for a in links if (a["href"] or "").strip().lower().startswith("javascript")]
    good = page.locator(CARD.format("release-1")).locator("a.dash-event-link")
    assert good.get_attribute("href") == "https://example.com/releases/2.0"
    assert good.get_attribute("target") == "_blank"
    assert good.get_attribute("rel") == "noopener noreferrer"
    assert page.evaluate("() => window.__alerts") == []
    assert page.evaluate("() => window.__injected") == []
    assert page.evaluate(SCAN) == []


def test_a_server_without_state_endpoint_is_said_so(
    page: Page, stack: tuple[FastAPI, Process]
) -> None:
    """A 404 from the state endpoint: the timeline says so, the events and the live
    chart stay (runs last: the poller then reads only once a minute)."""
    app, dash = stack
    app.state.state_status = 404
    wait_until(
        lambda: status(dash)["external"]["sources"]["state"]["availability"] == "absent",
        10,
        "the poller to meet the 404",
    )
    _open(page, dash)
    note = page.get_by_text("has no state endpoint (GET /api/simulation/state: 404)")
    note.wait_for(timeout=10_000)
    assert note.inner_text().endswith(
        ": events come only from the history and from scenario starts."
    )
    body = status(dash)
    assert body["connection"]["state"] == "connected"
    assert body["external"]["count"] >= 3
    count = page.evaluate(f"() => getElement({CHART_ID}).chart.getOption().series[0].data.length")
    page.wait_for_function(
        f"() => getElement({CHART_ID}).chart.getOption().series[0].data.length > {count}",
        timeout=10_000,
    )


RENDERS_OF_A_BURST = """async () => {
  const list = document.querySelector('.dash-timeline-list');
  const root = list.parentElement;
  const id = Number(root.id.slice(1));
  let lists = 0;
  const isList = (n) => n.classList && n.classList.contains('dash-timeline-list');
  const seen = new MutationObserver((changes) => changes.forEach((c) =>
    c.addedNodes.forEach((n) => { if (isList(n)) lists += 1; })));
  seen.observe(root, { childList: true });
  Timeline.filter(id, null, null, null);
  Timeline.focus(id, null);
  window.dispatchEvent(new CustomEvent('dash-prefs'));
  const within = root.querySelector('.dash-timeline-list') === list ? 0 : 1;  // replaced?
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  await new Promise((done) => setTimeout(done, 0));
  seen.disconnect();
  return [within, lists];
}"""
"""Three changes in one task (a filter, a focus, new preferences): renders within the task
and in all, counted as lists the panel put in."""


def test_changes_arriving_together_render_the_panel_once(
    page: Page, stack: tuple[FastAPI, Process]
) -> None:
    _, dash = stack
    _open(page, dash)
    assert page.evaluate(RENDERS_OF_A_BURST) == [0, 1]
