"""What the header says about the upstream link and the selected stream: pure functions.

Everything here takes plain values and a ``now`` so tests need no clock and no UI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.pages.series import zone
from app.stores.connection import ConnectionStore

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


def as_of_text(at: float, zone_name: str) -> str:
    """``data as of 14:03:22 UTC``: when the data on screen was last fresh, in the tab's zone."""
    name, tz = zone(zone_name)
    stamp = datetime.fromtimestamp(at, tz)
    day = "" if stamp.date() == datetime.now(tz).date() else stamp.strftime("%Y-%m-%d ")
    return f"data as of {day}{stamp:%H:%M:%S} {name}"


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
