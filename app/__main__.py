"""``python -m app``: read the settings, wire the services, serve the dashboard."""

from __future__ import annotations

import sys

UNUSED_IMPORTS = ("aiohttp", "pydantic.v1")
"""Installed with NiceGUI or what it needs, imported at start, never used by the dashboard."""
NATIVE_ONLY_IMPORTS = ("webview",)
"""Imported by NiceGUI at start, used only by the native window."""


def skip_unused_imports(native: bool) -> None:
    """Mark :data:`UNUSED_IMPORTS` (and, without the native window, :data:`NATIVE_ONLY_IMPORTS`)
    as not installed, before NiceGUI is imported.

    - aiohttp: NiceGUI imports python-socketio, whose package imports its Socket.IO *client*,
      which imports aiohttp when it is installed: 0.25 s of import time on a 2-core machine.
      The dashboard serves Socket.IO and never uses the client (NiceGUI needs it only for
      On Air); engine.io's client then records aiohttp as unavailable.
    - pydantic.v1: FastAPI imports Pydantic's old API to tell whether a route's parameter is
      an old model, and takes its absence as "no" (the dashboard has none).
    - webview (pywebview, the native extra): NiceGUI imports it and its web server to see
      whether native mode could run.

    The last two together: about 0.05 s more before the port opens. Only the command line
    does this, so a program that imports :mod:`app` keeps its own.
    """
    for name in UNUSED_IMPORTS + (() if native else NATIVE_ONLY_IMPORTS):
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError


if __name__ in {"__main__", "__mp_main__"}:
    from app.collector import pause_for_start

    # Not in a process that runs this file as ``__mp_main__`` (the native window's child,
    # when started as ``python app/__main__.py``): it starts no server to turn it on again.
    if __name__ == "__main__":
        pause_for_start()
    from app.config import load_settings

    settings = load_settings()  # --help and bad values end here, before NiceGUI is loaded
    skip_unused_imports(settings.native)
    from app.main import run

    run(settings)
