"""What a user sees on the dashboard, driven by NiceGUI's User fixture (no browser).

The chart's pushes are in ``test_page_chart.py``; the grid is drawn by JavaScript and is
tested in a real browser (``tests/browser``).
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from nicegui import ui
from nicegui.testing import User

from app.pages.grid import shown_value
from app.stores.connection import ConnectionState, ReasonCode
from tests.pages.dashboard_state import (
    OTHER,
    STREAM,
    FakeServices,
    LoadState,
    live_event,
    set_state,
    wait_for,
)
from tests.pages.sent import scripts

pytestmark = pytest.mark.nicegui_main_file("tests/pages/fake_main.py")

WAIT = 30
"""``should_see`` retries (0.1 s apart): the page refreshes every push interval."""


@pytest.fixture
async def user_page(services: FakeServices, user: User) -> User:
    """A user who opened ``/`` with the services of ``services``."""
    return user


def _chart(user: User) -> ui.echart:
    (element,) = user.find(kind=ui.echart).elements
    return element


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
    await user_page.should_see(content="attempt 3 · retry in ", retries=WAIT)
    (detail,) = user_page.find(marker="connection-detail").elements
    assert re.search(r"retry in [6-9] s", detail.text), detail.text
    set_state(conn, ConnectionState.ERROR, "gave up after 5 attempts")
    await user_page.should_see("Error", retries=WAIT)
    await user_page.should_see(content="gave up after 5 attempts", retries=WAIT)
    (badge,) = user_page.find(marker="connection-badge").elements
    assert badge.props["color"] == "negative"


async def test_reconnect_now_calls_the_manager(user_page: User, services: FakeServices) -> None:
    """The header's button asks the shared manager to reconnect at once."""
    await user_page.open("/")
    user_page.find("Reconnect now").click()
    await wait_for(lambda: ("reconnect_now", ()) in services.manager.calls, "reconnect_now")


async def test_counters_are_shown(user_page: User, services: FakeServices) -> None:
    """The strip shows events, duplicates, malformed and gaps."""
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


async def test_technical_detail_is_one_click_away(user_page: User, services: FakeServices) -> None:
    """The badge says it for people; the info menu holds the exception text."""
    services.connection.transition(
        ConnectionState.RECONNECTING,
        ReasonCode.CONNECT_FAILED,
        "cannot reach the simulator at 127.0.0.1:9: connection refused",
        time.time(),
        "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 9)",
    )
    await user_page.open("/")
    await user_page.should_see(content="connection refused", retries=WAIT)
    await user_page.should_see(marker="connection-technical", content="Errno 111", retries=WAIT)


async def test_data_as_of_while_the_link_is_down(user_page: User, services: FakeServices) -> None:
    """Down: the header and the grid say how old the data is, until fresh data arrives."""
    conn = services.connection
    set_state(conn, ConnectionState.CONNECTED, "up")
    conn.frame_received(time.time() - 5)
    await user_page.open("/")
    set_state(conn, ConnectionState.RECONNECTING, "gone")
    await user_page.should_see(marker="data-as-of", content="data as of", retries=WAIT)
    await user_page.should_see(marker="grid-as-of", content="data as of", retries=WAIT)
    set_state(conn, ConnectionState.CONNECTED, "back")
    await asyncio.sleep(0.3)
    await user_page.should_see(marker="data-as-of", content="data as of", retries=WAIT)
    conn.count_events(1)
    await user_page.should_not_see(marker="data-as-of", retries=WAIT)


async def test_history_progress_for_every_followed_stream(
    user_page: User, services: FakeServices
) -> None:
    """While the seed loads, the grid card counts the streams done."""
    for name in services.facts.names[:20]:
        services.history.states[name] = LoadState("loaded")
    for name in services.facts.names[20:]:
        services.history.states[name] = LoadState("loading")
    await user_page.open("/")
    await user_page.should_see(content="Loading 7-day history: 20 of 50 streams", retries=WAIT)
    for name in services.facts.names[20:]:
        services.history.states[name] = LoadState("loaded")
    await user_page.should_not_see(content="Loading 7-day history", retries=WAIT)


async def test_choosing_streams_loads_them_and_pushes_the_url(
    user_page: User, services: FakeServices
) -> None:
    """Adding a stream in the selector loads it and is in the URL; '*' already covers it."""
    await user_page.open("/")
    await wait_for(lambda: ("load", STREAM) in services.history.calls, "initial load")
    user_page.find(marker="stream-select").click()
    user_page.find(OTHER).click()
    await wait_for(lambda: ("load", OTHER) in services.history.calls, "load of the new stream")
    assert not [t for name, t in services.manager.calls if name == "set_topics"]
    pushed = [c for c in scripts(user_page) if c.startswith("history.pushState")]
    assert pushed and f"streams={STREAM},{OTHER}" in pushed[-1] and "range=7d" in pushed[-1]


@pytest.mark.parametrize("services", [{"topics": [STREAM]}], indirect=True)
async def test_a_stream_beyond_the_topics_is_subscribed_too(
    user_page: User, services: FakeServices
) -> None:
    """Following one stream, a tab that shows another subscribes to it as well."""
    await user_page.open(f"/?streams={OTHER}")
    await wait_for(
        lambda: ("set_topics", (STREAM, OTHER)) in services.manager.calls, "the wider subscription"
    )


async def test_the_url_opens_a_view(user_page: User, services: FakeServices) -> None:
    """``/?streams=a,b&range=24h`` opens that view; unknown names are left out, never swapped."""
    await user_page.open(f"/?streams={OTHER},no.such.stream,{STREAM}&range=24h")
    (select,) = user_page.find(marker="stream-select").elements
    assert select.value == [OTHER, STREAM]
    (toggle,) = user_page.find(marker="preset").elements
    assert toggle.value == "24h"
    await user_page.open("/?stream=no.such.stream")
    (select,) = user_page.find(marker="stream-select").elements
    assert select.value == [STREAM]


async def test_loading_state_while_history_loads(user_page: User, services: FakeServices) -> None:
    """While history loads the chart shows a loading overlay, not the empty state."""
    services.history.states[STREAM] = LoadState("loading")
    await user_page.open("/")
    await user_page.should_see("Loading history…", retries=WAIT)
    await user_page.should_not_see("No data for these streams yet")


async def test_empty_state_when_no_points(user_page: User, services: FakeServices) -> None:
    """A loaded stream without points says so instead of showing a blank chart."""
    services.history.states[STREAM] = LoadState("loaded")
    await user_page.open("/")
    await user_page.should_see("No data for these streams yet", retries=WAIT)
    services.streams.add_events([live_event(STREAM, int(time.time() * 1000), 55.0)])
    await user_page.should_not_see("No data for these streams yet", retries=WAIT)


async def test_history_error_banner_retries(user_page: User, services: FakeServices) -> None:
    """A failed load shows its error as text (never "no data" over it) and Retry says more."""
    message = "HTTP 503 from simulator: <b>unavailable</b>"
    services.history.states[STREAM] = LoadState("error", message, "HTTPStatusError: 503")
    await user_page.open("/")
    await user_page.should_see(content=message, retries=WAIT)
    await user_page.should_not_see("No data for these streams yet")
    assert not user_page.find(kind=ui.label, content=message).elements.pop().props.get("innerHTML")
    services.history.on_load = "error"
    user_page.find("Retry").click()
    await wait_for(lambda: ("retry", STREAM) in services.history.calls, "retry")
    await user_page.should_see("Retry failed again", retries=WAIT)
    services.history.on_load = "loading"
    user_page.find("Retry").click()
    await user_page.should_see("Loading history…", retries=WAIT)


@pytest.mark.parametrize("services", [{"topics": ["lab.unknown.stream", STREAM]}], indirect=True)
async def test_a_followed_stream_the_server_never_named_is_shown_not_swapped(
    user_page: User, services: FakeServices
) -> None:
    """An exact topic opens as itself, with no data since the start, never as another stream."""
    await user_page.open("/")
    (select,) = user_page.find(marker="stream-select").elements
    assert select.value == ["lab.unknown.stream"]
    services.history.states["lab.unknown.stream"] = LoadState("loaded")
    await user_page.should_see("No data for these streams yet", retries=WAIT)
    await user_page.should_see(content="nothing from the server since", retries=WAIT)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(47.1, "47"), (47.6, "48"), (69.96, "70.0"), (70.3, "70.3"), (29.6, "29.6"), (None, None)],
)
def test_a_cell_shows_whole_numbers_but_a_decimal_on_a_threshold(
    value: float | None, shown: str | None
) -> None:
    """A critical 70.3 never reads "70"; elsewhere whole numbers are enough."""
    assert shown_value(value) == shown


async def test_grid_sends_a_cell_only_when_what_it_shows_changes(
    user_page: User, services: FakeServices
) -> None:
    """The whole grid once, then an update naming the cell by index, only for a visible change."""
    now_ms = int(time.time() * 1000)
    services.streams.add_events([live_event(STREAM, now_ms - 3000, 47.1)])
    services.health.tick()
    await user_page.open("/")

    def resets() -> list[str]:
        return [c for c in scripts(user_page) if c.startswith("StatusGrid.reset")]

    await wait_for(lambda: bool(resets()), "the whole grid")
    reset = resets()[0]
    cells = json.loads("[" + reset.split(",", 1)[1].rsplit(")", 1)[0] + "]")[1]
    index = [c[0] for c in cells].index(STREAM)
    assert cells[index][1:3] == [0, "47"]

    def updates() -> list[str]:
        return [c for c in scripts(user_page) if c.startswith("StatusGrid.update")]

    services.streams.add_events([live_event(STREAM, now_ms - 2000, 47.3)])  # still shows 47
    services.health.tick()
    services.streams.add_events([live_event(STREAM, now_ms - 1000, 70.3)])
    services.health.tick()
    await wait_for(lambda: bool(updates()), "an update")
    sent = [json.loads("[" + u.split(",", 1)[1].rsplit(")", 1)[0] + "]")[0] for u in updates()]
    assert sent == [[[index, 2, "70.3", None]]]


async def test_gaps_history_could_not_fill_can_be_backfilled_again(
    user_page: User, services: FakeServices
) -> None:
    """A gap left unfillable on a shown stream is said above the chart, with a button that
    puts it back in the backfill queue; a gap of a stream not shown is not counted."""
    now = int(time.time() * 1000)
    services.streams.add_events([live_event(STREAM, now - 60_000, 50.0)])
    gap = services.streams.record_gap(STREAM, now - 50_000, now - 40_000)
    services.streams.set_gap_state(gap.id, "unfillable")
    other = services.streams.record_gap(OTHER, now - 50_000, now - 40_000)
    services.streams.set_gap_state(other.id, "unfillable")
    await user_page.open(f"/?streams={STREAM}")
    await user_page.should_see(
        "1 gap on the chart could not be backfilled from history", retries=WAIT
    )
    user_page.find(marker="retry-gaps").click()
    await wait_for(lambda: ("retry_gaps", "") in services.history.calls, "the retry")
    await user_page.should_see("Backfilling 2 gaps again", retries=WAIT)
    assert services.streams.gaps()[0].state == "open"
    await user_page.should_not_see("could not be backfilled", retries=WAIT)
