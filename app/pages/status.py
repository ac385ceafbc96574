"""What the header says about the upstream link, the data's freshness and the scenario the
simulator runs: pure functions.

Everything here takes plain values and a ``now`` so tests need no clock and no UI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.pages.series import zone
from app.stores.connection import ConnectionStore
from app.stores.scenario import ScenarioRun

BADGE_COLORS: Final[dict[str, str]] = {
    "connected": "positive",
    "connecting": "warning",
    "reconnecting": "warning",
    "error": "negative",
    "disconnected": "grey-7",
}
"""Quasar colours: green connected, amber connecting/reconnecting, red error, grey off."""

_LABELS: Final[dict[str, str]] = {
    "connected": "Connected",
    "connecting": "Connecting",
    "reconnecting": "Reconnecting",
    "error": "Error",
    "disconnected": "Disconnected",
}


@dataclass(frozen=True, slots=True)
class BadgeView:
    """The badge: a label, its colour, and a detail line (reason, attempt, retry)."""

    label: str
    color: str
    detail: str


def badge_view(conn: ConnectionStore, now: float) -> BadgeView:
    """Label, colour and detail of the connection badge at ``now`` (epoch seconds)."""
    state = str(conn.state)
    label = _LABELS.get(state, state.capitalize())
    parts: list[str] = []
    if state == "reconnecting":
        attempt = f"attempt {conn.reconnect_attempts}"
        if conn.max_reconnect_attempts:
            attempt += f" of {conn.max_reconnect_attempts}"
        parts.append(attempt)
        if conn.next_retry_at is not None:
            wait = conn.next_retry_at - now
            parts.append(f"retry in {math.ceil(wait)} s" if wait > 0 else "retrying now")
    if conn.reason:
        parts.append(conn.reason)
    if state == "error" and conn.last_error and conn.last_error != conn.reason:
        parts.append(conn.last_error)
    return BadgeView(label, BADGE_COLORS.get(state, "grey-7"), " · ".join(parts))


def clock_text(at: float, zone_name: str) -> str:
    """``14:03:22 UTC`` in the tab's zone, with the date when it is not today there."""
    name, tz = zone(zone_name)
    stamp = datetime.fromtimestamp(at, tz)
    day = "" if stamp.date() == datetime.now(tz).date() else stamp.strftime("%Y-%m-%d ")
    return f"{day}{stamp:%H:%M:%S} {name}"


def as_of_text(at: float, zone_name: str) -> str:
    """``data as of 14:03:22 UTC``: when the data on screen was last fresh, in the tab's zone."""
    return f"data as of {clock_text(at, zone_name)}"


@dataclass(frozen=True, slots=True)
class ScenarioLine:
    """What the header and the panel say of the simulator's scenario: a short label, a
    sentence with the times, and the badge colour."""

    label: str
    detail: str
    color: str


def scenario_line(
    active: ScenarioRun | None, settling: ScenarioRun | None, zone_name: str
) -> ScenarioLine | None:
    """The running scenario (or else the settling one) in words; None when there is none."""

    def at(ms: int | None) -> str | None:
        return None if ms is None else clock_text(ms / 1000, zone_name)

    if active is not None:
        parts = [f"since {at(active.started_ms)}" if active.started_ms is not None else ""]
        if active.ends_ms is not None:
            parts.append(f"planned to end at {at(active.ends_ms)}")
        detail = ", ".join(p for p in parts if p)
        return ScenarioLine(
            f"Scenario: {active.name}",
            f"{active.name} is running" + (f" {detail}" if detail else ""),
            "orange-8",
        )
    if settling is not None:
        until = at(settling.settled_ms)
        return ScenarioLine(
            f"Settling: {settling.name}",
            f"{settling.name} was stopped; the streams settle back to baseline"
            + (f" until {until}" if until else ""),
            "blue-grey-6",
        )
    return None


@dataclass(frozen=True, slots=True)
class Counters:
    """The status strip's numbers."""

    events: int
    duplicates: int
    malformed: int
    gaps: int
    reconnects: int
    server_errors: int


def counters_text(c: Counters) -> list[tuple[str, str]]:
    """``(name, value)`` pairs in display order."""
    return [
        ("events", f"{c.events:,}"),
        ("duplicates dropped", f"{c.duplicates:,}"),
        ("malformed", f"{c.malformed:,}"),
        ("gaps", f"{c.gaps:,}"),
        ("reconnects", f"{c.reconnects:,}"),
        ("server errors", f"{c.server_errors:,}"),
    ]
