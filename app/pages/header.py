"""The page header (title, the simulator's scenario, connection badge, data freshness,
controls) and the counters strip.

On a phone the header stays one line: the title text, the badge's detail and the button
labels give way, and every control keeps its icon and an accessible name.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from nicegui import ui
from nicegui.elements.mixins.text_element import TextElement

from app.pages.contracts import DashboardServices, run_command
from app.pages.status import Counters, as_of_text, badge_view, counters_text, scenario_line
from app.security.ui import logout_button
from app.stores.scenario import ScenarioStore


def set_text(label: TextElement, text: str) -> None:
    """Change a text only when it changes (each change is a message to the tab)."""
    if label.text != text:
        label.set_text(text)


def dim(element: ui.element, frozen: bool) -> None:
    """Dim a panel while its data may be old (``dash-frozen``), and light it again."""
    if ("dash-frozen" in element.classes) != frozen:
        if frozen:
            element.classes(add="dash-frozen")
        else:
            element.classes(remove="dash-frozen")


def set_visible(element: ui.element, visible: bool) -> None:
    if element.visible != visible:
        element.set_visibility(visible)


class Header:
    """The scenario running or settling (for every tab, read-only ones too); badge with
    reason, attempt and retry countdown; the technical detail one click away; "data as of"
    while the data may be old; Reconnect now, time zone, theme, log out."""

    def __init__(
        self, services: DashboardServices, zone: Callable[[], str], local: Callable[[], bool]
    ) -> None:
        self._services = services
        self._zone = zone
        self._local = local
        with ui.header(elevated=True).classes("items-center gap-2 px-3 py-2 no-wrap dash-header"):
            ui.icon("monitor_heart", size="26px").classes("text-sky-500")
            ui.label(services.settings.title).classes(
                "text-lg font-semibold tracking-wide dash-hide-narrow"
            )
            ui.space()
            with ui.row().classes("items-center no-wrap min-w-0") as self.scenario_box:
                self.scenario = ui.badge("", color="orange-8").classes(
                    "text-sm px-2 py-1 truncate dash-scenario"
                )
                self.scenario.mark("scenario-status").props(
                    "data-testid=scenario-status role=status"
                )
                self.scenario.style("max-width: 30vw")
                self.scenario_tip = ui.tooltip("").mark("scenario-detail")
            self.scenario_box.set_visibility(False)
            self.as_of = ui.label().classes("text-sm font-medium dash-attention")
            self.as_of.mark("data-as-of").props("role=status")
            with ui.row().classes("items-center gap-1 no-wrap"):
                self.badge = ui.badge("", color="grey-7").classes("text-sm px-3 py-1")
                self.badge.mark("connection-badge").props("data-testid=connection-badge")
                self.detail = ui.label().classes("text-sm dash-muted dash-hide-narrow truncate")
                self.detail.mark("connection-detail").props("data-testid=connection-detail")
                self.detail.style("max-width: 34vw")
                with (
                    ui.button(icon="info_outline").props(
                        'flat round dense size=sm aria-label="Connection details"'
                    ) as self.more,
                    ui.menu().classes("p-3 max-w-md"),
                ):
                    self.more_text = ui.label().classes("text-sm whitespace-pre-wrap")
                    self.more_text.mark("connection-technical")
            self._button("Reconnect now", "refresh", self._reconnect).mark("reconnect")
            self.zone_button = self._button("UTC", "schedule", None).mark("zone-toggle")
            self.zone_button.props('aria-label="Time zone: UTC or local"')
            self.zone_button.on("click", js_handler="() => DashPrefs.toggleZone()")
            theme = self._button("Theme", "contrast", None).mark("theme-toggle")
            theme.on("click", js_handler="() => DashPrefs.cycleTheme()")
            logout_button(services.settings.auth_enabled)

    @staticmethod
    def _button(label: str, icon: str, handler: Callable[[], object] | None) -> ui.button:
        button = ui.button(label, icon=icon, on_click=handler)
        button.props(f'outline dense no-caps aria-label="{label}"').classes("px-2 dash-compact")
        return button

    def show_scenario(self, store: ScenarioStore, zone: str) -> None:
        """The running (else the settling) scenario, or nothing; only changes are sent."""
        line = scenario_line(store.active, store.settling, zone)
        set_visible(self.scenario_box, line is not None)
        if line is None:
            return
        set_text(self.scenario, line.label)
        set_text(self.scenario_tip, line.detail)
        if self.scenario.props.get("color") != line.color:
            self.scenario.props(f"color={line.color}")

    async def _reconnect(self) -> None:
        await run_command(self._services.manager.reconnect_now())
        ui.notify("Reconnecting now", type="info", position="top")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the stores and update only what changed."""
        now = time.time()
        conn = self._services.connection
        view = badge_view(conn, now)
        if self.badge.text != view.label:
            self.badge.set_text(view.label)
        if self.badge.props.get("color") != view.color:
            self.badge.props(f"color={view.color}")
        set_text(self.detail, view.detail)
        technical = conn.reason_detail or "no further detail"
        set_text(self.more_text, f"{view.detail}\n\n{technical}\n\n{conn.url}")
        as_of = self._services.health.data_as_of
        set_text(self.as_of, "" if as_of is None else as_of_text(as_of, self._zone()))
        set_visible(self.as_of, as_of is not None)
        set_text(self.zone_button, "Local" if self._local() else "UTC")


class CounterStrip:
    """Compact counters: events, duplicates dropped, malformed, gaps, reconnects, errors."""

    def __init__(self, services: DashboardServices) -> None:
        self._services = services
        self._values: dict[str, ui.label] = {}
        with (
            ui.row()
            .classes("w-full items-center gap-x-6 gap-y-1 px-4 py-1 text-sm dash-panel")
            .mark("counters")
        ):
            for name, value in counters_text(self._counters()):
                with ui.row().classes("items-baseline gap-1 no-wrap"):
                    ui.label(name).classes("dash-muted")
                    self._values[name] = (
                        ui.label(value)
                        .classes("font-mono font-semibold")
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
            set_text(self._values[name], value)
