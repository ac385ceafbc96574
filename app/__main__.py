"""``python -m app``: read the settings, wire the services, serve the dashboard."""

from __future__ import annotations

import gc
import sys

UNUSED_IMPORTS = ("aiohttp",)
"""Installed with NiceGUI, imported by it at start, never used by the dashboard."""


def skip_unused_imports() -> None:
    """Mark :data:`UNUSED_IMPORTS` as not installed, before NiceGUI is imported.

    NiceGUI imports python-socketio, whose package imports its Socket.IO *client*, which
    imports aiohttp when it is installed: 0.25 s of import time on a 2-core machine, the
    port open 0.12 s sooner without it.
    The dashboard serves Socket.IO and never uses the client (NiceGUI needs it only for
    On Air, which the dashboard does not use); engine.io's client then records aiohttp as
    unavailable. Only the command line does this, so a program that imports :mod:`app`
    keeps its own aiohttp.
    """
    for name in UNUSED_IMPORTS:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError


if __name__ in {"__main__", "__mp_main__"}:
    # No garbage collection while the imports and the wiring build their hundreds of
    # thousands of long-lived objects (the collector kept walking them: the port opened
    # 0.1 s later); main.run turns it on again when the server starts. Not in the native
    # window's child process (``__mp_main__``), which starts no server.
    if __name__ == "__main__":
        gc.disable()
    skip_unused_imports()
    from app.config import load_settings
    from app.main import run

    run(load_settings())
