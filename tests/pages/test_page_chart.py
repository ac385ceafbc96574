"""What the chart sends a tab: layout, one reset per stream, then deltas; presets; export."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from app.pages.dashboard import SPACING_SLACK
from app.pages.series import CSV_HEADER
from tests.pages.dashboard_state import (
    OTHER,
    STREAM,
    FakeServices,
    live_event,
    seed_history,
    wait_for,
)
from tests.pages.sent import calls, emit, scripts

pytestmark = pytest.mark.nicegui_main_file("tests/pages/fake_main.py")


@pytest.fixture
async def user_page(services: FakeServices, user: User) -> User:
    return user


def _chart(user: User) -> ui.echart:
    (element,) = user.find(kind=ui.echart).elements
    return element


def _calls(user: User, name: str) -> list[list[Any]]:
    """Arguments of every ``LiveChart.<name>(...)`` call sent to the tab, in order."""
    return calls(user, f"LiveChart.{name}")


async def test_chart_gets_each_series_once_then_deltas(
    user_page: User, services: FakeServices
) -> None:
    """The layout names the stream; history goes out in one reset, live events as appends;
    the chart's redraw budget is the setting's."""
    newest = seed_history(services.streams, STREAM, hours=24)
    services.settings.chart_draw_budget = 0.2
    await user_page.open("/")
    chart = _chart(user_page)
    await wait_for(lambda: bool(_calls(user_page, "reset")), "the first reset")
    ((chart_id, layout),) = _calls(user_page, "layout")
    assert _calls(user_page, "tune") == [[chart_id, {"drawBudget": 0.2}]]
    assert chart_id == chart.id and [s["key"] for s in layout] == [STREAM]
    ((_, key, rows, start, end, thinned),) = _calls(user_page, "reset")
    assert thinned is False, "288 rows go whole"
    assert key == STREAM and len(rows) == 288 and rows[-1][0] == newest
    assert rows[-1][4] is not None, "history rows carry the raw value"
    assert (start, end) == (newest - 7 * 86_400_000, newest), "7d window at the newest point"
    services.streams.add_events(
        [live_event(STREAM, newest + 1000, 90.0), live_event(STREAM, newest + 2000, 52.0)]
    )
    await wait_for(lambda: bool(_calls(user_page, "append")), "a push")
    assert _calls(user_page, "append") == [
        [chart.id, STREAM, [[newest + 1000, 90.0, 1, 2, None], [newest + 2000, 52.0, 1, 0, None]]]
    ]
    push = next(c for c in scripts(user_page) if c.startswith("LiveChart.append"))
    assert len(push) < 160, "a delta carries the new rows only"
    assert chart.options["series"] == [], "points never travel in the option"
    assert user_page.client is not None
    updates = [m for _, _, m in user_page.client.outbox.message_history if m[1] == "update"]
    assert not any(str(chart.id) in m[2] for m in updates), "the option is never re-sent"


async def test_a_second_stream_is_sent_whole_and_the_first_kept(
    user_page: User, services: FakeServices
) -> None:
    """Adding a stream lays out both and resets only the new one."""
    seed_history(services.streams, STREAM, hours=2)
    seed_history(services.streams, OTHER, hours=3)
    await user_page.open("/")
    await wait_for(lambda: len(_calls(user_page, "reset")) == 1, "the first reset")
    user_page.find(marker="stream-select").click()
    user_page.find(OTHER).click()
    await wait_for(lambda: len(_calls(user_page, "reset")) == 2, "the second stream's reset")
    layouts = _calls(user_page, "layout")
    assert [s["key"] for s in layouts[-1][1]] == [STREAM, OTHER]
    colors = [s["color"] for s in layouts[-1][1]]
    assert len(set(colors)) == 2, "each stream its own colour"
    assert [call[1] for call in _calls(user_page, "reset")] == [STREAM, OTHER]


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
    await wait_for(lambda: bool(_calls(user_page, "reset")), "the first reset")
    await asyncio.sleep(interval + 0.1)  # quiet: the last push is more than an interval ago
    sent = time.time()
    services.streams.add_events([live_event(STREAM, newest + 1000, 60.0)])
    await wait_for(lambda: len(_append_times(user_page)) == 1, "the first append")
    first = _append_times(user_page)[0]
    assert first - sent < interval / 2, "a change after a quiet period is not held back"
    services.streams.add_events([live_event(STREAM, newest + 2000, 61.0)])
    services.streams.add_events([live_event(STREAM, newest + 3000, 62.0)])
    await wait_for(lambda: len(_append_times(user_page)) == 2, "the second append")
    second = _append_times(user_page)[1]
    assert second - first >= interval * (1 - SPACING_SLACK) - 0.02, "pushes keep their spacing"
    assert second - first < interval + 0.3, "and the waiting change goes out when due"
    rows = [r[0] for call in _calls(user_page, "append") for r in call[2]]
    assert rows == [newest + 1000, newest + 2000, newest + 3000], "one delta per push"


async def test_preset_zooms_and_reset_zoom_unlights_it(
    user_page: User, services: FakeServices
) -> None:
    """A preset sets the window at the newest point; after reset zoom, none is lit (a free
    zoom in the browser does the same: tests/browser)."""
    newest = seed_history(services.streams, STREAM, hours=48)
    await user_page.open("/")
    chart = _chart(user_page)
    await wait_for(lambda: bool(_calls(user_page, "reset")), "the first reset")
    (toggle,) = user_page.find(marker="preset").elements
    assert toggle.value == "7d"
    toggle.value = "1h"
    expected = [chart.id, newest - 3_600_000, newest]
    await wait_for(lambda: expected in _calls(user_page, "zoom"), "the zoom call")
    user_page.find(marker="reset-zoom").click()
    await wait_for(lambda: bool(_calls(user_page, "resetZoom")), "reset zoom")
    await wait_for(lambda: toggle.value is None, "no preset lit after reset zoom")


async def test_the_first_view_is_the_tab_telling_it_drew_its_chart(
    user_page: User, services: FakeServices
) -> None:
    """The rest of the seed waits for ``first_view``: points sent are not enough (they may
    still be on their way); the tab's ``chart_shown`` for this chart sets it, other
    charts' and malformed ones do not."""
    await user_page.open("/")
    seed_history(services.streams, STREAM, hours=1)
    await wait_for(lambda: any(c[2] for c in _calls(user_page, "reset")), "the first points")
    chart = _chart(user_page)
    for bad in ({"chart": chart.id + 1000}, {"chart": str(chart.id)}, {}, ["x"], None):
        emit(user_page, "chart_shown", bad)
    assert not services.first_view.is_set()
    emit(user_page, "chart_shown", {"chart": chart.id})
    assert services.first_view.is_set()


async def test_late_tab_gets_the_whole_series_once(
    services: FakeServices, create_user: Callable[[], User]
) -> None:
    """A tab opened after live points arrived gets all of them in its one reset."""
    newest = seed_history(services.streams, STREAM, hours=6)
    first = create_user()
    await first.open("/")
    await wait_for(lambda: bool(_calls(first, "reset")), "the first tab's reset")
    services.streams.add_events([live_event(STREAM, newest + i * 1000, 60.0) for i in (1, 2, 3)])
    await wait_for(lambda: bool(_calls(first, "append")), "a push")
    late = create_user()
    await late.open("/")
    await wait_for(lambda: bool(_calls(late, "reset")), "the late tab's reset")
    ((_, _, rows, _, _, _),) = _calls(late, "reset")
    assert len(rows) == 72 + 3
    assert not _calls(late, "append")
    ((_, _, first_rows, _, _, _),) = _calls(first, "reset")
    assert len(first_rows) + len(_calls(first, "append")[0][2]) == 72 + 3


async def test_a_long_series_is_sent_thinned_and_a_zoom_gets_its_window_finer(
    user_page: User, services: FakeServices
) -> None:
    """A week of a busy stream reaches the tab at about two rows a column, spike kept; the
    tab's zoom asks for its window and gets every point there, or two per pixel of it."""
    newest = int(time.time() * 1000) - 60_000
    first = newest - 7 * 86_400_000
    step = 30_000  # 20,160 points
    spike = first + 5_000 * step
    events = [
        live_event(STREAM, t, 99.0 if t == spike else 45.0 + (t // step) % 10)
        for t in range(first, newest + 1, step)
    ]
    services.streams.add_events(events)
    await user_page.open(f"/?streams={STREAM}&range=7d")
    await wait_for(lambda: bool(_calls(user_page, "reset")), "the first reset")
    ((chart_id, _, rows, start, end, thinned),) = _calls(user_page, "reset")
    assert thinned == [start, end] and (start, end) == (newest - 7 * 86_400_000, newest)
    assert len(rows) <= 2 * 1200 + 2 * 300 + 4 < len(events)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert rows[0][0] == first and rows[-1][0] == newest and [spike, 99.0] in [r[:2] for r in rows]

    hour = (spike - 1_800_000, spike + 1_800_000)
    emit(
        user_page,
        "chart_detail",
        {"chart": chart_id, "key": STREAM, "start": hour[0], "end": hour[1], "px": 900},
    )
    await wait_for(lambda: bool(_calls(user_page, "detail")), "the window's rows")
    ((_, key, a, b, fine),) = _calls(user_page, "detail")
    assert (key, a, b) == (STREAM, *hour)
    assert [r[0] for r in fine] == list(range(hour[0], hour[1] + 1, step)), (
        "every point of the hour"
    )

    week = (first, newest)
    emit(
        user_page,
        "chart_detail",
        {"chart": chart_id, "key": STREAM, "start": week[0], "end": week[1], "px": 500},
    )
    await wait_for(lambda: len(_calls(user_page, "detail")) == 2, "the week at 500 px")
    coarse = _calls(user_page, "detail")[1][4]
    assert len(coarse) <= 2 * 500 + 2 and [spike, 99.0] in [r[:2] for r in coarse]

    for bad in (
        {"chart": chart_id + 1, "key": STREAM, "start": 0, "end": newest, "px": 100},
        {"chart": chart_id, "key": "not.shown", "start": 0, "end": newest, "px": 100},
        {"chart": chart_id, "key": STREAM, "start": "0", "end": newest, "px": 100},
        {"chart": chart_id, "key": STREAM, "start": newest, "end": first, "px": 100},
        ["not", "a", "dict"],
    ):
        emit(user_page, "chart_detail", bad)
    emit(
        user_page,
        "chart_detail",
        {"chart": chart_id, "key": STREAM, "start": spike, "end": spike + 1, "px": 10**9},
    )
    await wait_for(lambda: len(_calls(user_page, "detail")) == 3, "the last good ask")
    assert _calls(user_page, "detail")[2][4][0][:2] == [spike, 99.0]


async def test_tabs_at_the_same_point_share_one_encoding(
    services: FakeServices, create_user: Callable[[], User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tabs showing one stream: a new point is read from the store and encoded once,
    and both tabs get the same append."""
    newest = seed_history(services.streams, STREAM, hours=6)
    tabs = [create_user(), create_user()]
    for tab in tabs:
        await tab.open("/")
    await wait_for(lambda: all(_calls(t, "reset") for t in tabs), "both tabs' resets")
    reads: list[str] = []
    read = services.streams.changes_since

    def counting(stream: str, version: int) -> Any:
        reads.append(stream)
        return read(stream, version)

    monkeypatch.setattr(services.streams, "changes_since", counting)
    services.streams.add_events([live_event(STREAM, newest + 1000, 61.0)])
    await wait_for(lambda: all(_calls(t, "append") for t in tabs), "both tabs' appends")
    first, second = (_calls(t, "append")[0][1:] for t in tabs)
    assert first == second and first[1][0][:2] == [newest + 1000, 61.0]
    assert reads == [STREAM], "one read of the store for both tabs"


async def test_export_of_one_stream(user_page: User, services: FakeServices) -> None:
    """JSON and CSV of one stream; 404 for an unknown stream, 400 for a bad format."""
    newest = seed_history(services.streams, STREAM, hours=1)
    services.streams.record_gap(STREAM, newest + 1000, newest + 3000)
    http = user_page.http_client
    body = (await http.get("/api/dashboard/export", params={"stream": STREAM})).json()
    assert body["stream"] == STREAM and body["timezone"] == "UTC" and len(body["points"]) == 13
    assert body["points"][-1] == {
        "timestamp": body["points"][-1]["timestamp"],
        "normalized": None,
        "raw": None,
        "anomalyFlag": None,
        "source": "gap",
    }
    assert body["points"][0]["timestamp"].endswith("Z")
    csv_text = (
        await http.get("/api/dashboard/export", params={"stream": STREAM, "format": "csv"})
    ).text
    lines = csv_text.splitlines()
    assert lines[0].split(",") == [*CSV_HEADER] and len(lines) == 14
    missing = await http.get("/api/dashboard/export", params={"stream": "no.such"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "STREAM_NOT_FOUND"
    bad = await http.get("/api/dashboard/export", params={"stream": STREAM, "format": "xml"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_FORMAT"


async def test_export_marks_rolled_up_points(user_page: User, services: FakeServices) -> None:
    """After a roll-up the export tells the kept points of a busy minute from raw ones."""
    now_ms = int(time.time() * 1000)
    old = now_ms - 3 * 3_600_000
    old -= old % 60_000
    busy = [live_event(STREAM, old + i * 100, 40.0 + i % 30) for i in range(600)]
    services.streams.add_events([*busy, live_event(STREAM, now_ms - 1000, 50.0)])
    while services.streams.roll_up():
        pass
    http = user_page.http_client
    body = (await http.get("/api/dashboard/export", params={"stream": STREAM})).json()
    sources = [p["source"] for p in body["points"]]
    assert sources[-1] == "live" and set(sources[:-1]) == {"rollup"}
    assert {p["rollup"]["events"] for p in body["points"][:-1]} == {600}
    assert min(p["normalized"] for p in body["points"]) == 40.0
    assert max(p["normalized"] for p in body["points"]) == 69.0


async def test_export_of_what_the_chart_shows(user_page: User, services: FakeServices) -> None:
    """Several streams, the window on screen, times in the chosen zone, named."""
    newest = seed_history(services.streams, STREAM, hours=2)
    seed_history(services.streams, OTHER, hours=2)
    params = {
        "streams": f"{STREAM},{OTHER}",
        "format": "csv",
        "tz": "Europe/Berlin",
        "start": str(newest - 3_600_000),
        "end": str(newest),
    }
    answer = await user_page.http_client.get("/api/dashboard/export", params=params)
    assert answer.headers["x-time-zone"] == "Europe/Berlin"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["stream"] for r in rows} == {STREAM, OTHER}
    assert len(rows) == 2 * 13, "one hour of 5-minute points, both ends included"
    assert all(r["timestamp"].endswith(("+01:00", "+02:00")) for r in rows)
    json_params = {**params, "format": "json"}
    body = (await user_page.http_client.get("/api/dashboard/export", params=json_params)).json()
    assert set(body["streams"]) == {STREAM, OTHER} and body["timezone"] == "Europe/Berlin"
    too_many = ",".join(services.facts.names[:7])
    refused = await user_page.http_client.get("/api/dashboard/export", params={"streams": too_many})
    assert refused.status_code == 400


async def test_the_ledger_is_on_the_chart_in_the_export_and_changes_live(
    user_page: User, services: FakeServices
) -> None:
    """Each interruption of a shown stream is a band labelled by outcome; a later backfill
    relabels it on the chart; the export lists the same intervals with the same words."""
    newest = seed_history(services.streams, STREAM, hours=2)
    store = services.streams
    store.record_recovered(STREAM, newest - 3_000_000, newest - 2_990_000, 7)
    gap = store.record_gap(STREAM, newest - 1_800_000, newest - 1_500_000)
    store.record_gap(OTHER, newest - 1_800_000, newest - 1_500_000)  # not shown: no band
    await user_page.open("/")

    def bands() -> list[list[Any]]:
        calls = _calls(user_page, "annotate")
        return calls[-1][2] if calls else []

    await wait_for(lambda: len(bands()) == 2, "two bands")
    assert [(b[4], b[5]) for b in bands()] == [
        ("recovered by catch-up (7 events)", "ok"),
        ("missing so far, backfilling (5 min)", "warning"),
    ]
    store.set_gap_state(gap.id, "filled", 5)
    await wait_for(lambda: bands()[1][4] == "backfilled from history (5 points)", "a new label")
    http = user_page.http_client
    body = (await http.get("/api/dashboard/export", params={"stream": STREAM})).json()
    assert [(e["outcome"], e["label"]) for e in body["interruptions"]] == [
        ("recovered", "recovered by catch-up (7 events)"),
        ("backfilled", "backfilled from history (5 points)"),
    ]
    params = {"streams": f"{STREAM},{OTHER}", "format": "csv", "table": "interruptions"}
    answer = await http.get("/api/dashboard/export", params=params)
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["stream"], r["outcome"], r["seconds"]) for r in rows] == [
        (STREAM, "recovered", "10.0"),
        (STREAM, "backfilled", "300.0"),
        (OTHER, "backfilling", "300.0"),
    ]
