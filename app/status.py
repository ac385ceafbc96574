"""``GET /api/dashboard/status``: one JSON snapshot of the link, the stores and the process.

Built from the stores on the event loop (they are not thread-safe); every figure has one
home and is read from there: the connection store for the link, the stream store for
points, duplicates and gaps, the history loader for each stream's load state, the external
events store and the state poller for the ``external`` section, the scenario store for what
the simulator runs.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from typing import Any

from nicegui import Client

from app.protocol import iso_utc
from app.services import Services
from app.stores.gaps import describe, outcome
from app.stores.types import Gap

MAX_INTERRUPTIONS = 500
"""Ledger entries the status lists (the newest); ``count`` says how many there are."""


def status_body(services: Services) -> dict[str, Any]:
    """``GET /api/dashboard/status``: the connection, its counters and per-stream figures."""
    body = services.connection.status()
    counters = body["counters"]
    # What the stream store decides, the stream store counts (one home per counter).
    counters["duplicatesDropped"] = services.streams.duplicates_dropped
    counters["backfilledPoints"] = services.streams.backfilled_points
    counters["gaps"] = len(services.streams.gaps())
    counters["historyRejectedByKind"] = dict(services.history.model.rejected_by_kind)
    if services.simulator is not None:
        # Same snapshot as eventsReceived, so the two can be compared (ingestion lag).
        counters["embeddedSimulatorEmitted"] = services.simulator.engine.emitted
    streams: dict[str, Any] = {}
    health = services.health
    now = time.time()
    for name in dict.fromkeys([*health.followed(), *services.streams.stream_names()]):
        streams[name] = _stream_status(services, name, now)
    body["streams"] = streams
    body["interruptions"] = interruptions_body(services.streams.ledger.all())
    body["dataAsOf"] = _iso(health.data_as_of)
    body["external"] = external_status(services)
    body["scenario"] = scenario_status(services)
    body["process"] = process_figures()
    policy = services.streams.rollup
    body["storage"] = {
        **services.streams.footprint(),
        "rawWindowSeconds": policy.raw_window_ms / 1000,
        "rollupBucketSeconds": policy.bucket_ms / 1000,
    }
    return body


def interruptions_body(entries: list[Gap]) -> dict[str, Any]:
    """The interruption ledger: counts by outcome and the newest entries, newest first."""
    by_outcome: dict[str, int] = {}
    for entry in entries:
        kind, _ = outcome(entry)
        by_outcome[kind] = by_outcome.get(kind, 0) + 1
    listed = [describe(e, iso_utc) for e in reversed(entries[-MAX_INTERRUPTIONS:])]
    return {"count": len(entries), "byOutcome": by_outcome, "entries": listed}


def _stream_status(services: Services, name: str, now: float) -> dict[str, Any]:
    """One stream's figures: its points, its history load, its health and freshness."""
    stats = services.streams.stats(name)
    load = services.history.state(name)
    cell = services.health.cell(name)
    fresh = services.health.fresh_at(name)
    interval = services.health.interval_s(name)
    limit = services.health.stale_after_s(name)
    return {
        "state": None if cell is None else cell.state,
        "value": None if cell is None else cell.value,
        "lastFreshAt": _iso(fresh),
        "ageSeconds": None if fresh is None else round(now - fresh, 1),
        "expectedIntervalSeconds": None if interval is None else round(interval, 3),
        "staleAfterSeconds": None if limit is None else round(limit, 1),
        "stale": cell is not None and cell.state == "stale",
        "history": load.status,
        "historyError": load.error,
        "historyPoints": stats.history_points,
        "livePoints": stats.live_points,
        "firstTimestamp": _iso_ms(stats.first_ts_ms),
        "lastTimestamp": _iso_ms(stats.last_ts_ms),
    }


def external_status(services: Services) -> dict[str, Any]:
    """External events: how many, from which source, how each source is doing, what was
    refused (skipped) and what was noted (kept with something set aside), by kind."""
    store, poll = services.external, services.state_poller.status
    by_source = store.count_by_source()
    history = services.history.model.streams.values()
    return {
        "count": len(store),
        "version": store.version,
        "sources": {
            "history": {
                "events": by_source["history"],
                "received": store.received["history"],
                "loaded": any(load.status == "loaded" for load in history),
            },
            "state": {
                "events": by_source["state"],
                "received": store.received["state"],
                "availability": poll.availability,
                "lastError": poll.last_error,
                "lastOkAt": _iso(poll.last_ok_at),
                "nextPollAt": _iso(poll.next_poll_at),
                "polls": poll.polls,
                "failuresInARow": poll.failures,
                "activeEvents": poll.active_events,
                "intervalSeconds": services.state_poller.interval,
            },
            "scenario": {"events": by_source["scenario"], "received": store.received["scenario"]},
        },
        "rejectedByKind": dict(store.rejected_by_kind),
        "notedByKind": dict(store.notes_by_kind),
    }


def scenario_status(services: Services) -> dict[str, Any]:
    """The active scenario, the settling one and until when, read-only, the last error."""
    store = services.scenarios.store
    active, settling = store.active, store.settling
    error = store.last_error
    return {
        "active": None
        if active is None
        else {
            "id": active.id,
            "name": active.name,
            "startedAt": _iso_ms(active.started_ms),
            "endsAt": _iso_ms(active.ends_ms),
        },
        "settling": None if settling is None else {"id": settling.id, "name": settling.name},
        "settlingUntil": _iso_ms(store.settling_until_ms),
        "readOnly": services.scenarios.read_only,
        "scenarios": len(store.scenarios),
        "lastError": None if error is None else {"action": error.action, "message": error.text},
    }


def _iso(at: float | None) -> str | None:
    return None if at is None else iso_utc(at * 1000)


def _iso_ms(ms: int | None) -> str | None:
    return None if ms is None else iso_utc(ms)


def process_figures() -> dict[str, Any]:
    """Soak figures: asyncio tasks of the running loop (None off-loop), resident memory, the
    browser tabs whose socket is connected to this process right now (viewers), and the
    objects the garbage collector no longer scans (frozen once the start-up seed is in), and
    whether it runs (off while ``python -m app`` starts)."""
    try:
        tasks: int | None = len(asyncio.all_tasks())
    except RuntimeError:  # no running loop in this thread
        tasks = None
    figures = {"tasks": tasks, "rssBytes": _rss_bytes(), "viewers": viewers()}
    return {**figures, "gcFrozenObjects": gc.get_freeze_count(), "gcEnabled": gc.isenabled()}


def viewers() -> int:
    """Page clients with a live socket (a tab that is open and connected, not one loading)."""
    return sum(1 for client in list(Client.instances.values()) if client.has_socket_connection)


def _rss_bytes() -> int | None:
    """Resident set size from /proc (Linux; an in-memory read, so fine on the loop)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")
