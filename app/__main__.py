"""``python -m app``: read the settings, wire the services, serve the dashboard."""

from __future__ import annotations

from app.config import load_settings
from app.main import run

if __name__ in {"__main__", "__mp_main__"}:
    run(load_settings())
