"""Main file for the dashboard's User tests: the real pages over test-controlled services."""

from __future__ import annotations

from nicegui import app, ui

from app.pages import register_pages
from tests.pages import dashboard_state

if dashboard_state.current is None:
    dashboard_state.current = dashboard_state.make_services()
register_pages(dashboard_state.current)
# The health board is ticked by the services in the real app; here by a page-independent timer.
app.timer(0.1, lambda: dashboard_state.current and dashboard_state.current.health.tick())
ui.run(storage_secret="dashboard tests", show=False, reload=False)
