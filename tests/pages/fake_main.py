"""Main file for the dashboard's User tests: the real pages over test-controlled services."""

from __future__ import annotations

import sys
from pathlib import Path

from nicegui import ui

sys.path.insert(0, str(Path(__file__).parent))

import dashboard_state

from app.pages import register_pages

if dashboard_state.current is None:
    dashboard_state.current = dashboard_state.make_services()
register_pages(dashboard_state.current)
ui.run(storage_secret="dashboard tests", show=False, reload=False)
