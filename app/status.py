"""``GET /api/dashboard/status``: one JSON snapshot of the link, the stores and the process.

Built from the stores on the event loop (they are not thread-safe); every figure has one
home and is read from there: the connection store for the link, the stream store for
points, duplicates and gaps, the history loader for each stream's load state.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from app.protocol import iso_utc
from app.services import Services


def status_body(services: Services) -> dict[str, Any]:
    """``GET /api/dashboard/status``: the connection, its counters and per-stream figures."""
    body = services.connection.status()
    counters = body["counters"]
    # What the stream store decides, the stream store counts (one home per counter).
    counters["duplicatesDropped"] = services.streams.duplicates_dropped
    counters["backfilledPoints"] = services.streams.backfilled_points
    counters["gaps"] = len(services.streams.gaps())
    if services.simulator is not None:
        # Same snapshot as eventsReceived, so the two can be compared (ingestion lag).
        counters["embeddedSimulatorEmitted"] = services.simulator.engine.emitted
    streams: dict[str, Any] = {}
    for name in services.streams.stream_names():
        stats = services.streams.stats(name)
        load = services.history.state(name)
        streams[name] = {
            "history": load.status,
            "historyError": load.error,
            "historyPoints": stats.history_points,
            "livePoints": stats.live_points,
            "firstTimestamp": iso_utc(stats.first_ts_ms) if stats.first_ts_ms is not None else None,
            "lastTimestamp": iso_utc(stats.last_ts_ms) if stats.last_ts_ms is not None else None,
        }
    body["streams"] = streams
    body["process"] = process_figures()
    return body


def process_figures() -> dict[str, Any]:
    """Soak figures: asyncio tasks of the running loop (None off-loop) and resident memory."""
    try:
        tasks: int | None = len(asyncio.all_tasks())
    except RuntimeError:  # no running loop in this thread
        tasks = None
    return {"tasks": tasks, "rssBytes": _rss_bytes()}


def _rss_bytes() -> int | None:
    """Resident set size from /proc (Linux; an in-memory read, so fine on the loop)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")
