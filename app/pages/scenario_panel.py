"""The scenario panel: the simulator's scenarios, start one, stop it, reset with a confirmation.

Everything it shows comes from :class:`app.stores.scenario.ScenarioStore`; the dashboard
calls :meth:`ScenarioPanel.refresh` when the store's version moved, and the chart gets the
scenario's bands from :func:`scenario_bands`. Commands go to
:class:`app.context.scenario_control.ScenarioControl` with the tab's own credentials, so a
tab whose session ended cannot act. With ``--read-only`` the panel is not built at all.
Names and descriptions come from the simulator and are shown as text.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui
from starlette.datastructures import Headers

from app.context.scenario_control import Outcome, ScenarioControl
from app.humanize import format_age
from app.pages.annotations import Annotation
from app.pages.header import set_text, set_visible
from app.pages.status import scenario_line
from app.protocol.scenarios import ScenarioInfo
from app.stores.scenario import Problem, ScenarioStore

RESET_WARNING = (
    "Every scenario stops at once, without settling, and the simulator's history returns "
    "to its baseline. Every open dashboard sees the change."
)


def scenario_bands(store: ScenarioStore) -> list[Annotation]:
    """The chart's ``scenario`` layer: a band while a scenario runs, one while it settles
    (a marker where an end is unknown), on the streams it changes."""
    items: list[Annotation] = []
    for run in store.runs:
        key = f"scenario:{run.id}:{run.started_ms}"
        if run.started_ms is not None:
            label = f"Scenario {run.name}" + (" (running)" if run.phase == "active" else "")
            items.append(
                Annotation(key, run.started_ms, run.ends_ms, label, "warning", run.streams)
            )
        if run.phase == "settling" and run.ends_ms is not None:
            items.append(
                Annotation(
                    f"{key}:settling",
                    run.ends_ms,
                    run.settled_ms,
                    f"{run.name}: settling back to baseline",
                    "info",
                    run.streams,
                )
            )
    return items


def tab_credentials() -> Callable[[], Headers | None]:
    """The headers of this tab's page request (its session cookie), read when it acts."""
    client = ui.context.client

    def credentials() -> Headers | None:
        try:
            return client.request.headers
        except RuntimeError:  # a client without a request (NiceGUI's test clients)
            return None

    return credentials


class ScenarioPanel:
    """One tab's scenario card."""

    def __init__(self, control: ScenarioControl) -> None:
        self._control = control
        self._credentials = tab_credentials()
        self._shown: tuple[ScenarioInfo, ...] | None = None
        self._starts: dict[str, ui.button] = {}
        self._texts: dict[str, tuple[ui.label, ui.label]] = {}
        with ui.column().classes("w-full gap-2 p-3 dash-panel").mark("scenario-panel") as card:
            self.card = card
            self._head()
            self.error = self._problem_row("scenario-error", dismiss=True)
            self.list_note = self._problem_row("scenario-list-note", dismiss=False)
            self.empty = ui.label("Loading the simulator's scenarios…").classes(
                "text-sm dash-muted"
            )
            self.tiles = ui.element("div").classes(
                "w-full grid gap-2 grid-cols-1 sm:grid-cols-2 xl:grid-cols-3"
            )
        self.dialog = self._reset_dialog()

    # --- building ------------------------------------------------------------------------------

    def _head(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            ui.icon("science", size="22px").classes("text-orange-600")
            ui.label("Scenarios").classes("text-base font-semibold")
            self.status = ui.label().classes("text-sm grow").mark("scenario-panel-status")
            self.status.props("role=status")
            self.stop_button = self._button("Stop", "stop_circle", self._stop).mark("scenario-stop")
            self.reset_button = self._button("Reset…", "restart_alt", self.dialog_open)
            self.reset_button.mark("scenario-reset")

    @staticmethod
    def _button(label: str, icon: str, handler: Callable[[], object]) -> ui.button:
        button = ui.button(label, icon=icon, on_click=handler)
        button.props("outline dense no-caps").classes("px-2")
        return button

    def _problem_row(self, marker: str, dismiss: bool) -> ui.row:
        classes = "w-full items-center gap-2 px-3 py-2 rounded border border-red-600 dash-error"
        with ui.row().classes(classes).mark(marker) as row:
            ui.icon("error_outline", size="20px")
            text = ui.label().classes("grow").mark(f"{marker}-text")
            with (
                ui.button(icon="info_outline").props(
                    'flat round dense size=sm aria-label="Technical detail"'
                ),
                ui.menu().classes("p-3 max-w-md"),
            ):
                detail = ui.label().classes("text-sm whitespace-pre-wrap").mark(f"{marker}-detail")
            if dismiss:
                ui.button(icon="close", on_click=self._control.clear_error).props(
                    'flat round dense size=sm aria-label="Dismiss"'
                ).mark(f"{marker}-dismiss")
            else:
                ui.button("Retry", icon="replay", on_click=self._retry_list).props(
                    "color=negative dense no-caps"
                ).mark("scenario-list-retry")
        row.set_visibility(False)
        self._texts[marker] = (text, detail)
        return row

    def _reset_dialog(self) -> ui.dialog:
        with ui.dialog().mark("scenario-reset-dialog") as dialog, ui.card().classes("max-w-md"):
            ui.label("Reset the simulation?").classes("text-lg font-semibold")
            ui.label(RESET_WARNING).classes("text-sm")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=dialog.close).props("flat no-caps")
                ui.button("Reset", icon="restart_alt", on_click=self._reset).props(
                    "color=negative no-caps"
                ).mark("scenario-reset-confirm")
        return dialog

    def _tile(self, info: ScenarioInfo) -> None:
        with ui.column().classes("gap-1 p-2 rounded border dash-scenario-tile"):
            with ui.row().classes("w-full items-center gap-2 no-wrap"):
                ui.label(info.name).classes("font-medium grow truncate")
                if info.duration_s is not None:
                    ui.label(format_age(info.duration_s)).classes("text-xs dash-muted no-wrap")
            if info.description:
                ui.label(info.description).classes("text-sm dash-muted")
            button = ui.button("Start", icon="play_arrow", on_click=lambda: self._start(info.id))
            button.props("dense no-caps color=primary").classes("self-start px-2")
            button.props["aria-label"] = f"Start {info.name}"  # a value, never parsed
            button.mark("scenario-start", f"scenario-start-{info.id}")
            self._starts[info.id] = button

    # --- the store tells the panel -------------------------------------------------------------

    def refresh(self, zone: str) -> None:
        """Re-read the store; only what changed goes to the browser."""
        store = self._control.store
        if store.scenarios != self._shown:
            self._shown = store.scenarios
            self._starts = {}
            self.tiles.clear()
            with self.tiles:
                for info in store.scenarios:
                    self._tile(info)
        active = store.active
        line = scenario_line(active, store.settling, zone)
        if store.pending:
            said = f"{store.pending[0].upper()}{store.pending[1:]}…"
        else:
            said = line.detail if line else "No scenario is running: the simulator is at baseline"
        set_text(self.status, said)
        busy = store.pending is not None
        for scenario_id, button in self._starts.items():
            button.set_enabled(not busy and (active is None or active.id != scenario_id))
            set_text(button, "Running" if active and active.id == scenario_id else "Start")
        self.stop_button.set_enabled(not busy and active is not None)
        self.reset_button.set_enabled(not busy)
        self._show_problem("scenario-error", self.error, store.last_error)
        self._show_problem("scenario-list-note", self.list_note, store.list_error)
        set_visible(self.empty, not store.scenarios and store.list_error is None)
        if store.scenarios_loaded:
            set_text(self.empty, "The simulator offers no scenarios")

    def _show_problem(self, marker: str, row: ui.row, problem: Problem | None) -> None:
        text, detail = self._texts[marker]
        if problem is not None:
            set_text(text, problem.text)
            set_text(detail, problem.detail or "no further detail")
        set_visible(row, problem is not None)

    # --- the operator tells the panel ----------------------------------------------------------

    def dialog_open(self) -> None:
        self.dialog.open()

    async def _start(self, scenario_id: str) -> None:
        self._tell(await self._control.start(scenario_id, self._credentials()))

    async def _stop(self) -> None:
        self._tell(await self._control.stop(self._credentials()))

    async def _reset(self) -> None:
        self.dialog.close()
        self._tell(await self._control.reset(self._credentials()))

    def _retry_list(self) -> None:
        self._control.request_refresh(with_list=True)

    def _tell(self, outcome: Outcome) -> None:
        """Confirm to the operator who acted; a failure the store keeps is already shown."""
        error = self._control.store.last_error
        if outcome.ok:
            ui.notify(outcome.text, type="positive", position="top")
        elif error is None or error.text != outcome.text:
            ui.notify(outcome.text, type="negative", position="top", multi_line=True)
