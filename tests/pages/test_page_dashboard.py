"""What a user sees on the dashboard, driven by NiceGUI's User fixture (no browser)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from app.pages.dashboard import SPACING_SLACK
from app.stores.connection import ConnectionState
from tests.pages import dashboard_state
from tests.pages.dashboard_state import (
    OTHER,
    STREAM,
    FakeServices,
    LoadState,
    live_event,
    make_services,
    seed_history,
    set_state,
)

pytestmark = pytest.mark.nicegui_main_file("tests/pages/fake_main.py")

WAIT = 30
"""``should_see`` retries (0.1 s apart): the page refreshes every push interval."""


@pytest.fixture
def services() -> Iterator[FakeServices]:
    """Fresh stores and fakes, installed before the User fixture runs the main file."""
    dashboard_state.current = make_services()
    yield dashboard_state.current
    dashboard_state.current = None


@pytest.fixture
async def user_page(services: FakeServices, user: User) -> User:
    """A user who opened ``/`` with the services of ``services``."""
    return user


def _chart(user: User) -> ui.echart:
    (element,) = user.find(kind=ui.echart).elements
    return element


def _scripts(user: User) -> list[str]:
    assert user.client is not None
    return [
        message[2]["code"]
        for _, _, message in user.client.outbox.message_history
        if message[1] == "run_javascript"
    ]


async def _until(condition: Callable[[], bool], what: str, limit: float = 3.0) -> None:
    """Poll ``condition()`` 0.05 s apart; fail after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_badge_shows_each_connection_state(user_page: User, services: FakeServices) -> None:
    """The badge names the state; reconnecting adds the attempt and the retry countdown."""
    await user_page.open("/")
    await user_page.should_see("Disconnected", retries=WAIT)
    conn = services.connection
    set_state(conn, ConnectionState.CONNECTING, "opening ws://test/ws")
    await user_page.should_see("Connecting", retries=WAIT)
    await user_page.should_see("opening ws://test/ws", retries=WAIT)
    set_state(conn, ConnectionState.CONNECTED, "subscribed to 1 topic")
    await user_page.should_see("Connected", retries=WAIT)
    conn.set_attempts(3)
    conn.set_retry_at(time.time() + 8.5)
    set_state(conn, ConnectionState.RECONNECTING, "connection closed (1006)")
    await user_page.should_see("Reconnecting", retries=WAIT)
    await user_page.should_see(content="attempt 3 · retry in 9 s", retries=WAIT)
    set_state(conn, ConnectionState.ERROR, "gave up after 5 attempts")
    await user_page.should_see("Error", retries=WAIT)
    await user_page.should_see(content="gave up after 5 attempts", retries=WAIT)
    (badge,) = user_page.find(marker="connection-badge").elements
    assert badge.props["color"] == "negative"


async def test_reconnect_now_calls_the_manager(user_page: User, services: FakeServices) -> None:
    """The header's button asks the shared manager to reconnect at once."""
    await user_page.open("/")
    user_page.find("Reconnect now").click()
    await _until(lambda: ("reconnect_now", ()) in services.manager.calls, "reconnect_now")


async def test_counters_and_event_age_are_shown(user_page: User, services: FakeServices) -> None:
    """The strip shows events, duplicates, malformed and gaps; the header the event age."""
    conn = services.connection
    conn.count_events(12345)
    conn.count_malformed("invalid_json", 3)
    now_ms = int(time.time() * 1000)
    event = live_event(STREAM, now_ms - 4000, 50.0)
    services.streams.add_events([event, event, event])
    services.streams.record_gap(STREAM, now_ms - 600_000, now_ms - 300_000)
    await user_page.open("/")
    await user_page.should_see("12,345", retries=WAIT)
    await user_page.should_see(marker="counter-duplicates-dropped", content="2", retries=WAIT)
    await user_page.should_see(marker="counter-malformed", content="3", retries=WAIT)
    await user_page.should_see(marker="counter-gaps", content="1", retries=WAIT)
    await user_page.should_see(content="last event 4 s ago", retries=WAIT)
    await user_page.should_not_see(marker="stale")


async def test_stale_warning_when_stream_is_quiet(user_page: User, services: FakeServices) -> None:
    """A stream silent for far longer than its cadence gets a stale warning."""
    hour_ago = int(time.time() * 1000) - 3_600_000
    services.streams.add_events([live_event(STREAM, hour_ago, 50.0)])
    await user_page.open("/")
    await user_page.should_see(content="Stale: no event for 1 h", retries=WAIT)


async def test_switching_stream_resubscribes_and_loads(
    user_page: User, services: FakeServices
) -> None:
    """Choosing another stream subscribes to it and loads its history."""
    await user_page.open("/")
    await _until(lambda: ("load", STREAM) in services.history.calls, "initial load")
    user_page.find(kind=ui.select).click()
    user_page.find(OTHER).click()
    await _until(lambda: ("load", OTHER) in services.history.calls, "load of the new stream")
    topics = [t for name, t in services.manager.calls if name == "set_topics"]
    assert topics and OTHER in topics[-1]
    assert STREAM in topics[-1], "the configured topic stays subscribed"
    await user_page.should_see(marker="stream-title", content=OTHER, retries=WAIT)
    assert len(_calls(user_page, "reset")) == 2, "the new stream's series was sent once"


async def test_query_parameter_opens_a_stream(user_page: User, services: FakeServices) -> None:
    """``/?stream=NAME`` opens that stream; an unknown name falls back to the default."""
    await user_page.open(f"/?stream={OTHER}")
    await user_page.should_see(marker="stream-title", content=OTHER, retries=WAIT)
    await user_page.open("/?stream=no.such.stream")
    await user_page.should_see(marker="stream-title", content=STREAM, retries=WAIT)


async def test_loading_state_while_history_loads(user_page: User, services: FakeServices) -> None:
    """While history loads the chart shows a loading overlay, not the empty state."""
    services.history.states[STREAM] = LoadState("loading")
    await user_page.open("/")
    await user_page.should_see("Loading 7 days of history…", retries=WAIT)
    await user_page.should_not_see("No data for this stream yet")


async def test_empty_state_when_no_points(user_page: User, services: FakeServices) -> None:
    """A loaded stream without points says so instead of showing a blank chart."""
    services.history.states[STREAM] = LoadState("loaded")
    await user_page.open("/")
    await user_page.should_see("No data for this stream yet", retries=WAIT)
    services.streams.add_events([live_event(STREAM, int(time.time() * 1000), 55.0)])
    await user_page.should_not_see("No data for this stream yet", retries=WAIT)


async def test_history_error_banner_retries(user_page: User, services: FakeServices) -> None:
    """A failed history load shows its error as plain text and a Retry button."""
    message = "HTTP 503 from simulator: <b>unavailable</b>"
    services.history.states[STREAM] = LoadState("error", message)
    await user_page.open("/")
    await user_page.should_see(content=message, retries=WAIT)
    assert not user_page.find(kind=ui.label, content=message).elements.pop().props.get("innerHTML")
    user_page.find("Retry").click()
    await _until(lambda: ("retry", STREAM) in services.history.calls, "retry")
    await user_page.should_not_see(content=message, retries=WAIT)
    await user_page.should_see("Loading 7 days of history…", retries=WAIT)


def _calls(user: User, name: str) -> list[list[Any]]:
    """Arguments of every ``LiveChart.<name>(...)`` call sent to the tab, in order."""
    prefix = f"LiveChart.{name}("
    return [
        json.loads(f"[{code[len(prefix) : -1]}]")
        for code in _scripts(user)
        if code.startswith(prefix)
    ]


async def test_chart_gets_the_series_once_then_deltas(
    user_page: User, services: FakeServices
) -> None:
    """History goes out once in one reset; live events follow as small appends."""
    newest = seed_history(services.streams, STREAM, hours=24)
    await user_page.open("/")
    chart = _chart(user_page)
    await _until(lambda: bool(_calls(user_page, "reset")), "the first reset")
    ((chart_id, rows, start, end),) = _calls(user_page, "reset")
    assert chart_id == chart.id and len(rows) == 288 and rows[-1][0] == newest
    assert (start, end) == (newest - 7 * 86_400_000, newest), "7d window at the newest point"
    services.streams.add_events(
        [live_event(STREAM, newest + 1000, 90.0), live_event(STREAM, newest + 2000, 52.0)]
    )
    await _until(lambda: bool(_calls(user_page, "append")), "a push")
    assert _calls(user_page, "append") == [
        [chart.id, [[newest + 1000, 90.0, 1, 2], [newest + 2000, 52.0, 1, 0]]]
    ]
    push = next(c for c in _scripts(user_page) if c.startswith("LiveChart.append"))
    assert len(push) < 100, "a delta carries the new rows only"
    assert chart.options["series"][0]["data"] == [], "points never travel in the option"
    assert user_page.client is not None
    updates = [m for _, _, m in user_page.client.outbox.message_history if m[1] == "update"]
    assert not any(str(chart.id) in m[2] for m in updates), "the option is never re-sent"


def _append_times(user: User) -> list[float]:
    """When each ``LiveChart.append`` call left the server (``time.time()``)."""
    assert user.client is not None
    return [
        at
        for _, at, message in user.client.outbox.message_history
        if message[1] == "run_javascript" and message[2]["code"].startswith("LiveChart.append(")
    ]


async def test_pushes_follow_changes_at_most_once_per_interval(
    user_page: User, services: FakeServices
) -> None:
    """A change after a quiet period goes out at once; the next waits out push_interval."""
    interval = 0.5  # long, so "at once" and "waited" are far apart even on a busy machine
    services.settings = services.settings.model_copy(update={"push_interval": interval})
    newest = seed_history(services.streams, STREAM, hours=1)
    await user_page.open("/")
    await _until(lambda: bool(_calls(user_page, "reset")), "the first reset")
    await asyncio.sleep(interval + 0.1)  # quiet: the last push is more than an interval ago
    sent = time.time()
    services.streams.add_events([live_event(STREAM, newest + 1000, 60.0)])
    await _until(lambda: len(_append_times(user_page)) == 1, "the first append")
    first = _append_times(user_page)[0]
    assert first - sent < interval / 2, "a change after a quiet period is not held back"
    services.streams.add_events([live_event(STREAM, newest + 2000, 61.0)])
    services.streams.add_events([live_event(STREAM, newest + 3000, 62.0)])
    await _until(lambda: len(_append_times(user_page)) == 2, "the second append")
    second = _append_times(user_page)[1]
    assert second - first >= interval * (1 - SPACING_SLACK) - 0.02, "pushes keep their spacing"
    assert second - first < interval + 0.3, "and the waiting change goes out when due"
    rows = [r[0] for call in _calls(user_page, "append") for r in call[1]]
    assert rows == [newest + 1000, newest + 2000, newest + 3000], "one delta per push"


async def test_preset_zooms_to_window_at_newest(user_page: User, services: FakeServices) -> None:
    """A preset sets the dataZoom window, anchored at the newest point."""
    newest = seed_history(services.streams, STREAM, hours=48)
    await user_page.open("/")
    chart = _chart(user_page)
    await _until(lambda: bool(_calls(user_page, "reset")), "the first reset")
    (toggle,) = user_page.find(kind=ui.toggle).elements
    assert toggle.value == "7d"
    toggle.value = "1h"
    expected = [chart.id, newest - 3_600_000, newest]
    await _until(lambda: expected in _calls(user_page, "zoom"), "the zoom call")


async def test_late_tab_gets_the_whole_series_once(
    services: FakeServices, create_user: Callable[[], User]
) -> None:
    """A tab opened after live points arrived gets all of them in its one reset."""
    newest = seed_history(services.streams, STREAM, hours=6)
    first = create_user()
    await first.open("/")
    await _until(lambda: bool(_calls(first, "reset")), "the first tab's reset")
    services.streams.add_events([live_event(STREAM, newest + i * 1000, 60.0) for i in (1, 2, 3)])
    await _until(lambda: bool(_calls(first, "append")), "a push")
    late = create_user()
    await late.open("/")
    await _until(lambda: bool(_calls(late, "reset")), "the late tab's reset")
    ((_, rows, _, _),) = _calls(late, "reset")
    assert len(rows) == 72 + 3
    assert not _calls(late, "append")
    ((_, first_rows, _, _),) = _calls(first, "reset")
    assert len(first_rows) + len(_calls(first, "append")[0][1]) == 72 + 3


async def test_export_endpoint(user_page: User, services: FakeServices) -> None:
    """JSON and CSV exports of a stream; 404 for an unknown stream, 400 for a bad format."""
    newest = seed_history(services.streams, STREAM, hours=1)
    services.streams.record_gap(STREAM, newest + 1000, newest + 3000)
    http = user_page.http_client
    body = (await http.get("/api/dashboard/export", params={"stream": STREAM})).json()
    assert body["stream"] == STREAM and len(body["points"]) == 13
    assert body["points"][-1] == {
        "timestamp": body["points"][-1]["timestamp"],
        "normalized": None,
        "anomalyFlag": None,
        "source": "gap",
    }
    csv_text = (
        await http.get("/api/dashboard/export", params={"stream": STREAM, "format": "csv"})
    ).text
    lines = csv_text.splitlines()
    assert lines[0] == "timestamp,normalized,anomalyFlag,source" and len(lines) == 14
    missing = await http.get("/api/dashboard/export", params={"stream": "no.such"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "STREAM_NOT_FOUND"
    bad = await http.get("/api/dashboard/export", params={"stream": STREAM, "format": "xml"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_FORMAT"
