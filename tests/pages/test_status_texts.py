"""Header texts: badge per connection state, durations, "data as of"."""

from __future__ import annotations

import pytest

from app.humanize import format_age
from app.pages.status import as_of_text, badge_view, scenario_line
from app.stores.connection import ConnectionState, ConnectionStore, ReasonCode
from app.stores.scenario import ScenarioRun

NOW = 1_795_000_000.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "<1 s"),
        (42.9, "42 s"),
        (185, "3 min"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
        (86400 * 3 + 3600 * 4, "3 d 4 h"),
    ],
)
def test_format_age(seconds: float, text: str) -> None:
    """Durations read at a glance."""
    assert format_age(seconds) == text


@pytest.mark.parametrize(
    ("state", "label", "color"),
    [
        (ConnectionState.CONNECTED, "Connected", "positive"),
        (ConnectionState.CONNECTING, "Connecting", "warning"),
        (ConnectionState.RECONNECTING, "Reconnecting", "warning"),
        (ConnectionState.ERROR, "Error", "negative"),
        (ConnectionState.DISCONNECTED, "Disconnected", "grey-7"),
    ],
)
def test_badge_label_and_colour(state: ConnectionState, label: str, color: str) -> None:
    """Green connected, amber (re)connecting, red error, grey disconnected."""
    conn = ConnectionStore()
    conn.transition(state, ReasonCode.LINK_LOST, "because", NOW)
    view = badge_view(conn, NOW)
    assert (view.label, view.color) == (label, color)
    assert view.detail.endswith("because")


def test_reconnecting_detail_has_attempt_and_countdown() -> None:
    """While reconnecting the detail says which attempt and when the next one starts."""
    conn = ConnectionStore(max_reconnect_attempts=10)
    conn.set_attempts(2)
    conn.set_retry_at(NOW + 3.2)
    conn.transition(ConnectionState.RECONNECTING, ReasonCode.LINK_LOST, "connection lost", NOW)
    assert badge_view(conn, NOW).detail == "attempt 2 of 10 · retry in 4 s · connection lost"
    assert "retrying now" in badge_view(conn, NOW + 5).detail


def test_data_as_of_in_the_chosen_zone() -> None:
    """ "data as of" names its zone; a day other than today is written out."""
    assert as_of_text(NOW, "UTC").endswith(" 11:06:40 UTC")
    assert as_of_text(NOW, "Europe/Berlin").endswith(" 12:06:40 Europe/Berlin")
    assert as_of_text(NOW, "Not/AZone").endswith(" 11:06:40 UTC")
    assert "2026-11-18" in as_of_text(NOW, "UTC")  # not today


def test_scenario_line_names_the_running_then_the_settling_scenario() -> None:
    """Running wins over settling; times in the tab's zone; nothing when neither."""
    start = 1_768_485_600_000  # 2026-01-15T14:00:00Z, a winter day (Berlin is UTC+1)
    running = ScenarioRun("x", "Exam season surge", "active", start, start + 1_800_000)
    settling = ScenarioRun("y", "Payment outage", "settling", start, start, start + 300_000)
    line = scenario_line(running, settling, "UTC")
    assert line is not None and line.label == "Scenario: Exam season surge"
    assert line.detail == (
        "Exam season surge is running since 2026-01-15 14:00:00 UTC, "
        "planned to end at 2026-01-15 14:30:00 UTC"
    )
    later = scenario_line(None, settling, "Europe/Berlin")
    assert later is not None and later.label == "Settling: Payment outage"
    assert later.detail.endswith("settle back to baseline until 2026-01-15 15:05:00 Europe/Berlin")
    assert scenario_line(None, None, "UTC") is None
    bare = scenario_line(ScenarioRun("z", "Z", "active"), None, "UTC")
    assert bare is not None and bare.detail == "Z is running"
