"""The dashboard's pages: ``/`` (the live dashboard, with its script and stylesheet under
``/dashboard-static/``) and the export endpoint.

``register_pages(services)`` is the one entry point; the pages read the stores in
``services`` and call the manager's, the loader's and the scenario control's commands,
nothing else.
"""

from __future__ import annotations

from nicegui import app, ui

from app.pages.assets import register_assets
from app.pages.contracts import DashboardServices
from app.pages.dashboard import page_builder
from app.pages.export import register_export
from app.pages.pulse import Pulse, store_versions
from app.pages.subscriptions import Subscriptions

__all__ = ["register_pages"]


def register_pages(services: DashboardServices) -> None:
    """Define ``/``, its assets and ``GET /api/dashboard/export`` on NiceGUI's app."""
    subscriptions = Subscriptions(list(services.settings.topics))
    pulse = Pulse(store_versions(services))
    app.on_startup(pulse.start)
    app.on_shutdown(pulse.stop)
    page = page_builder(services, subscriptions, register_assets(), pulse)
    ui.page("/", title=services.settings.title)(page)
    register_export(services)
