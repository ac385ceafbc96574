"""Main file for the dashboard's User tests: the real pages over test-controlled services."""

from __future__ import annotations

from nicegui import ui

from app.pages import register_pages
from tests.pages import dashboard_state

if dashboard_state.current is None:
    dashboard_state.current = dashboard_state.make_services()
register_pages(dashboard_state.current)
ui.run(storage_secret="dashboard tests", show=False, reload=False)
