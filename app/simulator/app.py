"""Serving the simulator: a standalone FastAPI app, or mounted on an existing one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from starlette.types import Lifespan

from app.simulator.config import SimulatorConfig
from app.simulator.rest import rest_router
from app.simulator.service import Simulator
from app.simulator.ws import websocket_router


def mount(app: FastAPI, sim: Simulator, *, manage_lifecycle: bool = False) -> None:
    """Add ``/ws`` and ``/api/simulation/*`` of ``sim`` to ``app``.

    With ``manage_lifecycle`` the app's lifespan also starts and stops the simulator
    (around whatever lifespan it already has). Without it, call ``await sim.start()`` and
    ``await sim.stop()`` yourself, e.g. from NiceGUI's ``app.on_startup``/``on_shutdown``.
    """
    app.include_router(websocket_router(sim))
    app.include_router(rest_router(sim))
    if manage_lifecycle:
        inner: Lifespan[Any] = app.router.lifespan_context

        @contextlib.asynccontextmanager
        async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
            async with sim, inner(asgi_app) as state:
                yield state

        app.router.lifespan_context = lifespan


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    """A standalone simulator app whose lifespan runs the generator; ``app.state.simulator``."""
    sim = Simulator(config)
    app = FastAPI(title="AI Mock Simulator", docs_url=None, redoc_url=None)
    app.state.simulator = sim
    mount(app, sim, manage_lifecycle=True)
    return app


def serve_options(config: SimulatorConfig) -> dict[str, Any]:
    """``uvicorn.Config`` keyword arguments for a standalone server (wsproto keepalive)."""
    return {"ws": "wsproto", **config.uvicorn_options()}
