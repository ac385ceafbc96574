"""The page header (title, connection badge, Reconnect now) and the counters strip."""

from __future__ import annotations

import time
from collections.abc import Callable

from nicegui import ui

from app.pages.contracts import DashboardServices, run_command
from app.pages.status import (
    Counters,
    badge_view,
    counters_text,
    last_event_text,
    stale_text,
)
from app.security.ui import logout_button


def _set(label: ui.label, text: str) -> None:
    """Change a label only when its text changes (each change is a message to the tab)."""
    if label.text != text:
        label.set_text(text)


class Header:
    """Connection badge with reason, attempt and retry countdown; event age; stale warning."""

    def __init__(self, services: DashboardServices, stream: Callable[[], str]) -> None:
        self._services = services
        self._stream = stream
        with ui.header(elevated=True).classes("items-center gap-3 px-4 py-2 bg-slate-900"):
            ui.icon("monitor_heart", size="28px").classes("text-sky-400")
            ui.label(services.settings.title).classes("text-xl font-semibold tracking-wide")
            ui.space()
            self.last_event = ui.label().classes("text-sm text-slate-300").mark("last-event")
            self.stale = ui.label().classes("text-sm font-medium text-amber-300").mark("stale")
            with ui.row().classes("items-center gap-2 no-wrap"):
                self.badge = ui.badge("", color="grey-7").classes("text-sm px-3 py-1")
                self.badge.mark("connection-badge").props("data-testid=connection-badge")
                self.detail = ui.label().classes("text-sm text-slate-300").mark("connection-detail")
                self.detail.props("data-testid=connection-detail")
            ui.button("Reconnect now", icon="refresh", on_click=self._reconnect).props(
                "outline color=sky-3 dense no-caps"
            ).classes("px-2").mark("reconnect")
            logout_button(services.settings.auth_enabled)

    async def _reconnect(self) -> None:
        await run_command(self._services.manager.reconnect_now())
        ui.notify("Reconnecting now", type="info", position="top")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the stores and update only what changed."""
        now = time.time()
        view = badge_view(self._services.connection, now)
        if self.badge.text != view.label:
            self.badge.set_text(view.label)
        if self.badge.props.get("color") != view.color:
            self.badge.props(f"color={view.color}")
        _set(self.detail, view.detail)
        stream = self._stream()
        newest = self._services.streams.newest_event_ms(stream)
        _set(self.last_event, last_event_text(newest, now))
        stale = stale_text(newest, self._services.facts.expected_interval_s(stream, now), now)
        _set(self.stale, stale)
        if self.stale.visible != bool(stale):
            self.stale.set_visibility(bool(stale))


class CounterStrip:
    """Compact counters: events, duplicates dropped, malformed, gaps, reconnects, errors."""

    def __init__(self, services: DashboardServices) -> None:
        self._services = services
        self._values: dict[str, ui.label] = {}
        with (
            ui.row()
            .classes(
                "w-full items-center gap-x-6 gap-y-1 px-4 py-1 text-sm bg-slate-800/60 rounded"
            )
            .mark("counters")
        ):
            for name, value in counters_text(self._counters()):
                with ui.row().classes("items-baseline gap-1 no-wrap"):
                    ui.label(name).classes("text-slate-400")
                    self._values[name] = (
                        ui.label(value)
                        .classes("font-mono font-semibold text-slate-100")
                        .mark(f"counter-{name.replace(' ', '-')}")
                    )

    def _counters(self) -> Counters:
        conn = self._services.connection
        streams = self._services.streams
        # Duplicates and gaps as the store counts them, like GET /api/dashboard/status.
        return Counters(
            events=conn.events_received,
            duplicates=streams.duplicates_dropped,
            malformed=conn.malformed_messages,
            gaps=len(streams.gaps()),
            reconnects=conn.reconnects,
            server_errors=conn.server_errors,
        )

    def refresh(self) -> None:
        """Re-read the counters."""
        for name, value in counters_text(self._counters()):
            _set(self._values[name], value)
