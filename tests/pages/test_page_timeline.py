"""The external events timeline as the page drives it (User fixture, no browser).

The cards themselves are drawn by ``timeline.js``; they are checked in Chromium in
``tests/browser/test_timeline_e2e.py``. Here: what the page sends (once, then deltas),
the chart's ``events`` layer, the filters, the note on where events come from, and a
card's focus (grid highlight, chart streams, observed change).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from app.protocol import iso_utc
from tests.pages.dashboard_state import (
    OTHER,
    STREAM,
    FakeServices,
    seed_history,
    wait_for,
)
from tests.pages.sent import calls, emit

pytestmark = pytest.mark.nicegui_main_file("tests/pages/fake_main.py")

WAIT = 30
BOOKING = "session.booking.requested"


def ext(ident: str, minutes_ago: float, **extra: Any) -> dict[str, Any]:
    """An external event ``minutes_ago`` before now."""
    return {
        "id": ident,
        "timestamp": iso_utc(time.time() * 1000 - minutes_ago * 60_000),
        "type": "marketing",
        "title": f"event {ident}",
        "severity": "info",
        "expectedImpact": {"streams": [STREAM], "direction": "increase", "magnitude": "high"},
        **extra,
    }


def layer(user: User) -> list[str]:
    """Keys of the last ``events`` annotation layer sent to the chart."""
    sent = [args[2] for args in calls(user, "LiveChart.annotate") if args[1] == "events"]
    return [item[0] for item in sent[-1]] if sent else []


async def opened(user: User) -> list[dict[str, Any]]:
    """Open ``/`` and return the events of the timeline's first reset."""
    await user.open("/")
    await wait_for(lambda: bool(calls(user, "Timeline.reset")), "the timeline's first reset")
    events: list[dict[str, Any]] = calls(user, "Timeline.reset")[0][1]
    return events


async def test_events_reach_the_tab_once_then_as_deltas(services: FakeServices, user: User) -> None:
    """Every event in one reset, later only what changed; each is a marker on the chart."""
    services.external.add([ext("a", 120), ext("b", 30)], "history")
    events = await opened(user)
    assert sorted(e["id"] for e in events) == ["a", "b"]
    first = next(e for e in events if e["id"] == "a")
    assert first["icon"] == "campaign" and first["expected"] == "\u2191 increase, high"
    await wait_for(lambda: layer(user) == ["event:a", "event:b"], "markers of both events")
    services.external.add([ext("c", 5), ext("b", 30)], "state")
    await wait_for(lambda: bool(calls(user, "Timeline.update")), "the delta")
    (count,) = user.find(marker="timeline-count").elements
    assert isinstance(count, ui.label)
    assert count.text == "3 in memory", "the count goes with the cards, not a second later"
    (update,) = calls(user, "Timeline.update")
    assert [e["id"] for e in update[1]] == ["b", "c"], "b changed (a second source), c is new"
    assert len(calls(user, "Timeline.reset")) == 1
    await wait_for(lambda: layer(user) == ["event:a", "event:b", "event:c"], "the new marker")


async def test_filters_reach_the_cards_and_the_markers(services: FakeServices, user: User) -> None:
    """Type and severity filter cards and markers; the time range only the cards."""
    services.external.add(
        [ext("m", 60), ext("p", 30, type="product", severity="critical")], "history"
    )
    await opened(user)
    (kinds,) = user.find(marker="timeline-type").elements
    assert isinstance(kinds, ui.select)
    kinds.value = ["product"]
    await wait_for(
        lambda: [user_args[1] for user_args in calls(user, "Timeline.filter")] == [["product"]],
        "the type filter",
    )
    await wait_for(lambda: layer(user) == ["event:p"], "only the product marker")
    (levels,) = user.find(marker="timeline-severity").elements
    assert isinstance(levels, ui.select)
    levels.value = ["info"]
    await wait_for(lambda: layer(user) == [], "no product event is info")
    (span,) = user.find(marker="timeline-range").elements
    assert isinstance(span, ui.toggle)
    span.value = "24 h"
    await wait_for(lambda: calls(user, "Timeline.filter")[-1][3] == 86_400_000, "the 24 h range")
    assert layer(user) == [], "the range leaves the chart's markers alone"


async def test_the_note_says_where_events_come_from(services: FakeServices, user: User) -> None:
    """No events and no state endpoint are said in words; a failing one with its retry."""
    status = services.state_poller.status
    status.availability = "absent"
    status.last_error = (
        "the simulator at 127.0.0.1:9 has no state endpoint (GET /api/simulation/state: 404)"
    )
    await user.open("/")
    await user.should_see(
        marker="timeline-note", content="No external events reported by the simulator", retries=WAIT
    )
    await user.should_see(
        content="The simulator at 127.0.0.1:9 has no state endpoint (GET /api/simulation/state: "
        "404): events come only from the history and from scenario starts.",
        retries=WAIT,
    )
    status.availability = "failing"
    status.last_error = "server answered 503: busy"
    status.next_poll_at = time.time() + 8
    services.external.add([ext("a", 10)], "history")
    await user.should_see(
        content="Cannot read the simulator's state: server answered 503: busy; next try in",
        retries=WAIT,
    )
    await user.should_not_see(content="No external events reported", retries=WAIT)


async def test_a_card_click_highlights_and_charts_its_streams(
    services: FakeServices, user: User
) -> None:
    """Focus outlines the event's streams, adds them to the chart, and shows what they did."""
    seed_history(services.streams, OTHER, hours=6)
    impact = {"streams": [OTHER, BOOKING], "direction": "decrease", "magnitude": "low"}
    services.external.add([ext("x", 90, expectedImpact=impact)], "history")
    await opened(user)
    (host,) = user.find(marker="timeline").elements
    emit(user, "timeline_focus", {"timeline": host.id, "id": "x"})
    await wait_for(
        lambda: [OTHER, BOOKING] in [args[1] for args in calls(user, "StatusGrid.highlight")],
        "the grid highlight",
    )
    (select,) = user.find(marker="stream-select").elements
    await wait_for(
        lambda: select.value == [STREAM, OTHER, BOOKING], "the streams added to the chart"
    )
    await wait_for(lambda: bool(calls(user, "Timeline.observed")), "the observed figures")
    eid, rows = calls(user, "Timeline.observed")[-1][1:]
    assert eid == "x" and set(rows) == {OTHER, BOOKING}
    assert rows[BOOKING] == "no data during the event yet"
    assert " \u2192 " in rows[OTHER], "history on both sides of the event"
    emit(user, "timeline_focus", {"timeline": host.id, "id": "x"})
    await wait_for(
        lambda: calls(user, "StatusGrid.highlight")[-1][1] == [], "the highlight cleared"
    )
    assert calls(user, "Timeline.focus")[-1][1] is None
