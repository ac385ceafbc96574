"""The dashboard's pages: ``/`` (the live dashboard) and the export endpoint.

``register_pages(services)`` is the one entry point; the pages read the stores in
``services`` and call the manager's, the loader's and the scenario control's commands,
nothing else.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nicegui import app, ui

from app.pages.contracts import DashboardServices
from app.pages.dashboard import page_builder
from app.pages.export import register_export
from app.pages.pulse import Pulse, store_versions
from app.pages.subscriptions import Subscriptions

__all__ = ["register_pages"]

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/dashboard-static"
SCRIPTS = (
    "prefs.js",
    "dom.js",
    "chartreduce.js",
    "chartdetail.js",
    "chartview.js",
    "chartmarks.js",
    "chartlegend.js",
    "chartlook.js",
    "chartpace.js",
    "livechart.js",
    "statusgrid.js",
    "timeline.js",
)
STYLES = ("utilities.css", "dashboard.css")


def _url(name: str) -> str:
    # The content hash in the URL lets browsers cache the file and still see every change.
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{STATIC_URL}/{name}?v={digest}"


def head_html() -> str:
    """The page's own stylesheet and scripts (served from this package, never inline)."""
    styles = "".join(f'<link rel="stylesheet" href="{_url(n)}">' for n in STYLES)
    scripts = "".join(f'<script src="{_url(n)}"></script>' for n in SCRIPTS)
    return styles + scripts


def register_pages(services: DashboardServices) -> None:
    """Define ``/`` and ``GET /api/dashboard/export`` on NiceGUI's app."""
    app.add_static_files(STATIC_URL, STATIC_DIR)
    subscriptions = Subscriptions(list(services.settings.topics))
    pulse = Pulse(store_versions(services))
    app.on_startup(pulse.start)
    app.on_shutdown(pulse.stop)
    page = page_builder(services, subscriptions, head_html(), pulse)
    ui.page("/", title=services.settings.title)(page)
    register_export(services)
