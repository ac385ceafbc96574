"""Wiring: settings -> services -> routes and pages on NiceGUI's app -> ``ui.run``."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any

from fastapi.responses import JSONResponse
from nicegui import app, ui

from app.config import Settings
from app.logs import configure as configure_logging
from app.pages import register_pages
from app.protocol import iso_utc
from app.security import auth, wiring
from app.services import Services
from app.simulator import SimulatorConfig, mount

log = logging.getLogger("app")


def status_body(services: Services) -> dict[str, Any]:
    """``GET /api/dashboard/status``: the connection, its counters and per-stream figures."""
    body = services.connection.status()
    counters = body.setdefault("counters", {})
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


async def wait_for_nicegui_server() -> None:
    """Return once NiceGUI's uvicorn server has bound its socket and serves requests."""
    from nicegui.server import Server

    # uvicorn offers no event for "bound and serving", only this flag.
    while not getattr(getattr(Server, "instance", None), "started", False):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


def build(settings: Settings, services: Services | None = None) -> Services:
    """Create the services and register everything on NiceGUI's app; returns the services."""
    services = services or Services.create(settings)
    wiring.install(app, settings)  # Host/Origin, body caps, headers; login with a token
    if services.wait_until_serving is None:
        services.wait_until_serving = wait_for_nicegui_server
    if services.simulator is not None:
        mount(app, services.simulator)

    # async: served on the event loop, because the stores are not thread-safe (a plain def
    # would run in a worker thread while the loop writes) and the task count needs the loop.
    @app.get("/api/dashboard/status")
    async def dashboard_status() -> JSONResponse:
        return JSONResponse(status_body(services))

    register_pages(services)
    app.on_startup(services.start)
    app.on_shutdown(services.stop)
    return services


def run(settings: Settings) -> None:
    """Serve the dashboard until interrupted (``python -m app``)."""
    configure_logging()
    build(settings)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the previous
    # handler: make that one a plain exit, so a clean stop ends with status 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    mode = "embedded simulator" if settings.embedded else f"simulator at {settings.simulator_url}"
    log.info("dashboard on http://%s:%d (%s)", settings.host, settings.port, mode)
    for warning in auth.access_warnings(settings):
        log.warning(warning)
    ui.run(
        host=settings.host,
        port=settings.port,
        title=settings.title,
        reload=False,
        show=settings.show,
        native=settings.native,
        window_size=(1280, 860) if settings.native else None,
        dark=None,
        show_welcome_message=False,
        **SimulatorConfig.from_settings(settings).uvicorn_options(),
    )
