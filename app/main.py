"""Wiring: settings -> services -> routes and pages on NiceGUI's app -> ``ui.run``."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from nicegui import app, ui
from starlette.types import ASGIApp

from app import status
from app.collector import resume_frozen
from app.config import Settings
from app.logs import configure as configure_logging
from app.pages import register_pages
from app.security import auth, wiring
from app.services import Services
from app.simulator import SimulatorConfig, mount

log = logging.getLogger("app")

REST_OF_SEED_WAIT_S = 3.0
"""At most this long, the rest of the seed waits for the first tab's first view."""


async def wait_for_nicegui_server() -> None:
    """Return once NiceGUI's uvicorn server has bound its socket and serves requests."""
    from nicegui.server import Server

    # uvicorn offers no event for "bound and serving", only this flag.
    while not getattr(getattr(Server, "instance", None), "started", False):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


def first_view_gate(
    shown: asyncio.Event, timeout: float = REST_OF_SEED_WAIT_S
) -> Callable[[], Awaitable[None]]:
    """A wait that ends once ``shown`` is set (the first tab drew its chart's first points,
    after its grid), or after ``timeout``.

    The rest of the week of every other stream is the biggest parse of the start; while the
    first tab loads and draws, it would compete with serving that tab for the one event loop
    and the two cores (cold start went from about 4.2 to 3.3 s here when it waited for the
    tab's connection). Waiting until the tab was only *sent* its view was not enough: the
    messages still had to leave the process, and did so 0.1-0.45 s late behind the parse.
    """

    async def wait() -> None:
        try:
            async with asyncio.timeout(timeout):
                await shown.wait()
        except TimeoutError:
            log.info("no tab drew its chart within %.0f s: the rest of the seed loads", timeout)

    return wait


def build(settings: Settings, services: Services | None = None) -> Services:
    """Create the services and register everything on NiceGUI's app; returns the services."""
    services = services or Services.create(settings)
    installed = wiring.install(app, settings)  # Host/Origin, body caps, headers; login
    services.scenarios.policy.gate = installed.gate  # scenario actions need a live session
    if services.wait_until_serving is None:
        services.wait_until_serving = wait_for_nicegui_server
    if services.before_rest_of_seed is None:
        services.before_rest_of_seed = first_view_gate(services.first_view)
    if services.simulator is not None:
        mount(app, services.simulator)

    # async: served on the event loop, because the stores are not thread-safe (a plain def
    # would run in a worker thread while the loop writes) and the task count needs the loop.
    @app.get("/api/dashboard/status")
    async def dashboard_status() -> JSONResponse:
        return JSONResponse(status.status_body(services))

    register_pages(services)
    app.on_startup(services.start)
    app.on_shutdown(services.stop)
    return services


GZIP_LEVEL = 1
"""Compression level of HTTP answers. A new browser gets the page's scripts (2.5 MB) compressed
anew; level 1 (nginx's default) took 49 ms of the server's time for them where Starlette's
default 9 took 147 ms, for 15 % more bytes (a browser then keeps them for a year)."""


def _gzip(asgi: ASGIApp) -> GZipMiddleware:
    return GZipMiddleware(asgi, minimum_size=500, compresslevel=GZIP_LEVEL)


def run(settings: Settings) -> None:
    """Serve the dashboard until interrupted (``python -m app``)."""
    configure_logging()
    build(settings)
    app.on_startup(resume_frozen)  # python -m app starts with it off, see app/collector.py
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
        tailwind=False,  # the pages' utility classes come as a stylesheet: static/utilities.css
        gzip_middleware_factory=_gzip,
        **SimulatorConfig.from_settings(settings).uvicorn_options(),
    )
