"""The status grid: one cell per followed stream, grouped, coloured by state.

The health board (:mod:`app.stores.health`) decides every cell once for all tabs; a tab's
grid only forwards what changed since the board version its browser holds: the whole
grid once (``StatusGrid.reset`` in ``static/statusgrid.js``), then the changed cells. A
cell's hover card asks for its details when it opens (``grid_detail``), so sparklines and
ages cost nothing until someone looks.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from nicegui import ui
from nicegui.events import GenericEventArguments

from app.facts import short_name
from app.pages.contracts import DashboardServices
from app.pages.header import dim, set_text
from app.pages.tabcalls import call_in_tab
from app.stores.health import Cell

Select = Callable[[str, bool], Awaitable[None]]
"""What a click does: ``(stream, add)``, ``add`` with Ctrl/Cmd/Shift."""


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


STATE_CODES: dict[str, int] = {"normal": 0, "warning": 1, "critical": 2, "stale": 3, "nodata": 4}
"""A state as sent to the browser (``STATES`` in ``statusgrid.js``, same order)."""
THRESHOLDS = (30, 40, 60, 70)


def shown_value(value: float | None) -> str | None:
    """The value as a cell shows it: whole, but with one decimal when it rounds to a
    threshold, so a critical 70.3 never reads "70"."""
    if value is None:
        return None
    whole = round(value)
    return f"{value:.1f}" if whole in THRESHOLDS else str(whole)


def wire_cell(cell: Cell) -> list[Any]:
    """``[state code, shown value, since]``: what a cell shows, nothing more (a value that
    moves below what is shown sends nothing); ``since`` to the second."""
    since = None if cell.since is None else int(cell.since)
    return [STATE_CODES[cell.state], shown_value(cell.value), since]


class StatusGrid:
    """One tab's grid; :meth:`push` sends the cells that changed since the last call."""

    def __init__(self, services: DashboardServices, on_select: Select) -> None:
        self._services = services
        self._on_select = on_select
        self._version: int | None = None
        """Board version the browser is at; None: it needs the whole grid."""
        self._layout: list[tuple[str, list[str]]] = []
        self._shown: dict[str, list[Any]] = {}
        """What the browser shows of each cell (wire form), in the order of the last reset."""
        self._selected: dict[str, str] = {}
        self.highlighted: list[str] = []
        """Streams outlined for the focused external event."""
        self.element = ui.element("div").classes("w-full dash-grid-host").mark("status-grid")
        self.element.props('role=group aria-label="Status of every followed stream"')
        ui.on("grid_select", self._select)
        ui.on("grid_detail", self._detail)

    @property
    def pending(self) -> bool:
        return self._version is None or self._services.health.version > self._version

    def push(self) -> int:
        """Send the cells whose look changed (every cell, and the groups, when the streams
        changed). An update names a cell by its index in the last reset."""
        board = self._services.health
        layout = self._services.facts.grouped(board.followed())
        if self._version is None or layout != self._layout:
            self._layout = layout
            self._version = board.version
            groups = [[g, [[s, short_name(s)] for s in members]] for g, members in layout]
            self._shown = {c.stream: wire_cell(c) for c in board.cells()}
            cells = [[stream, *wired] for stream, wired in self._shown.items()]
            self._run(
                f"StatusGrid.reset({self.element.id},{_js(groups)},{_js(cells)},{_js(self._selected)})"
            )
            return len(cells)
        if board.version <= self._version:
            return 0
        changed = board.changes_since(self._version)
        self._version = board.version
        index = {stream: i for i, stream in enumerate(self._shown)}
        updates: list[list[Any]] = []
        for cell in changed:
            wired = wire_cell(cell)
            if cell.stream not in index:  # not in the browser's grid: send it all again
                self._version = None
                return self.push()
            if self._shown[cell.stream] != wired:
                self._shown[cell.stream] = wired
                updates.append([index[cell.stream], *wired])
        if updates:
            self._run(f"StatusGrid.update({self.element.id},{_js(updates)})")
        return len(updates)

    def mark(self, colors: dict[str, str]) -> None:
        """Show which streams the chart has, in their series colours."""
        if colors != self._selected:
            self._selected = dict(colors)
            self._run(f"StatusGrid.selected({self.element.id},{_js(self._selected)})")

    def highlight(self, streams: Sequence[str]) -> None:
        """Outline these streams' cells (an external event's affected streams); [] clears."""
        wanted = list(dict.fromkeys(streams))
        if wanted != self.highlighted:
            self.highlighted = wanted
            self._run(f"StatusGrid.highlight({self.element.id},{_js(wanted)})")

    def filter(self, groups: Sequence[str] | None, states: Sequence[str] | None) -> None:
        """Show only cells of these groups and states (None: no restriction)."""
        g = None if groups is None else list(groups)
        s = None if states is None else list(states)
        self._run(f"StatusGrid.filter({self.element.id},{_js(g)},{_js(s)})")

    def groups(self) -> list[str]:
        return [g for g, _ in self._layout] or [
            g for g, _ in self._services.facts.grouped(self._services.health.followed())
        ]

    async def _select(self, event: GenericEventArguments) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        stream = args.get("stream")
        if args.get("grid") != self.element.id or not isinstance(stream, str):
            return
        if stream in self._services.health.followed():
            await self._on_select(stream, bool(args.get("add")))

    def _detail(self, event: GenericEventArguments) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        stream = args.get("stream")
        if args.get("grid") != self.element.id or not isinstance(stream, str):
            return
        detail = self._services.health.detail(stream)
        if detail is None:
            return
        body = {
            "stream": detail.stream,
            "state": detail.state,
            "value": detail.value,
            "raw": detail.raw,
            "deviation": detail.deviation,
            "freshAt": detail.fresh_at,
            "staleAfter": detail.stale_after_s,
            "spark": detail.spark,
        }
        self._run(f"StatusGrid.detail({self.element.id},{_js(body)})")

    def _run(self, code: str) -> None:
        call_in_tab(self.element, code)


class GridPanel:
    """The grid card: title, history progress, "data as of", filters, and the grid."""

    def __init__(self, services: DashboardServices, on_select: Select) -> None:
        self._services = services
        with ui.column().classes("w-full gap-2 p-3 dash-panel") as self.card:
            with ui.row().classes("w-full items-center gap-x-3 gap-y-1"):
                ui.label("Marketplace").classes("text-base font-semibold")
                self.progress = ui.label().classes("text-sm dash-muted").mark("history-progress")
                self.progress.props("role=status")
                self.as_of = ui.label().classes("text-sm dash-attention")
                self.as_of.mark("grid-as-of")
                ui.space()
                self.domains = (
                    ui.select([], multiple=True, value=[], label="Domains", on_change=self._filter)
                    .props("outlined dense options-dense clearable use-chips")
                    .classes("min-w-[10rem]")
                    .mark("domain-filter")
                )
                self.alerts = ui.switch("Only warning and critical", on_change=self._filter)
                self.alerts.mark("state-filter")
            self.grid = StatusGrid(services, on_select)

    def _filter(self) -> None:
        groups = list(self.domains.value or []) or None
        states = ["warning", "critical"] if self.alerts.value else None
        self.grid.filter(groups, states)

    def refresh(self, as_of: str | None) -> None:
        """History progress, the frozen look while data may be old, the domain choices."""
        followed = self._services.health.followed()
        history = self._services.history
        statuses = [history.state(s).status for s in followed]
        loaded = statuses.count("loaded")
        failed = statuses.count("error")
        if loaded == len(followed):
            text = ""
        elif failed and loaded + failed == len(followed):
            text = f"History: {failed} of {len(followed)} streams could not be loaded"
        else:
            days = f"{self._services.settings.history_days:g}-day"
            text = f"Loading {days} history: {loaded} of {len(followed)} streams"
        set_text(self.progress, text)
        set_text(self.as_of, as_of or "")
        dim(self.card, as_of is not None)
        groups = self.grid.groups()
        if list(self.domains.options) != groups:
            self.domains.set_options(
                groups, value=[g for g in self.domains.value or [] if g in groups]
            )
