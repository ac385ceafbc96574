"""The chart card: which streams, which range, export, help, and the chart with its states.

Above the chart: a searchable multi-select of the streams shown (up to six, each its own
colour in the legend), the range presets (none is lit after a free zoom), reset zoom,
CSV/JSON export of what is on screen, and a help popover that says what the axis means.
Over the chart: loading, error (with Retry and the technical detail one click away) and
"no data yet", which never covers an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from app.pages.chart import LiveChart
from app.pages.contracts import DashboardServices
from app.pages.header import dim, set_text, set_visible
from app.pages.status import as_of_text
from app.pages.view import MAX_STREAMS, RANGES, View

HELP = (
    "Normalized scale, 0-100: 50 is the stream's usual level for this time of day and "
    "weekday; 15 points are one standard deviation. The status grid calls 40-60 normal, "
    "30-40 and 60-70 warning, beyond that critical. Lines are history (5-minute buckets) "
    "and live events; the tooltip says which, with the raw value where the source gave one."
)


class ChartPanel:
    """The chart and its controls; the dashboard owns the view and tells this panel."""

    def __init__(
        self,
        services: DashboardServices,
        view: View,
        on_streams: Callable[[list[str]], Awaitable[None]],
        on_range: Callable[[str], Awaitable[None]],
    ) -> None:
        self._services = services
        self._on_streams = on_streams
        self._on_range = on_range
        self._quiet = False
        with ui.column().classes("w-full gap-2 p-2 dash-panel relative") as self.card:
            self._controls(view)
            self.error_banner = self._error_banner()
            self.gaps_note = self._gaps_note()
            with (
                ui.element("div")
                .classes("w-full relative")
                .style("height: 58vh; min-height: 280px")
            ):
                self.chart = LiveChart(
                    services.streams,
                    view.streams,
                    view.range,
                    draw_budget=services.settings.chart_draw_budget,
                )
                for fmt, button in self.exports.items():
                    handler = f"() => LiveChart.download({self.chart.element.id}, '{fmt}')"
                    button.on("click", js_handler=handler)
                self.loading = self._overlay("history-loading", "sync", "Loading history…")
                self.empty = self._overlay("empty-state", "query_stats", "")
                with self.empty:
                    self.empty_since = ui.label().classes("text-sm dash-muted")

    def _controls(self, view: View) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            self.select = (
                ui.select(
                    self._names(),
                    value=list(view.streams),
                    multiple=True,
                    with_input=True,
                    label=f"Streams on the chart (up to {MAX_STREAMS})",
                    on_change=self._selected,
                )
                .props("outlined dense options-dense use-chips")
                .classes("grow")
                .style("min-width: 240px; max-width: 760px")
                .mark("stream-select")
            )
            self.preset = (
                ui.toggle(list(RANGES), value=view.range, on_change=self._ranged)
                .props('dense no-caps toggle-color=primary aria-label="Time range"')
                .mark("preset")
            )
            ui.button(icon="zoom_out_map", on_click=self.reset_zoom).props(
                'flat dense round aria-label="Reset zoom"'
            ).tooltip("Reset zoom").mark("reset-zoom")
            self.exports = {
                fmt: ui.button(fmt.upper(), icon="download")
                .props(f'flat dense no-caps aria-label="Export {fmt.upper()} of what is shown"')
                .mark(f"export-{fmt}")
                for fmt in ("csv", "json")
            }
            self.as_of = ui.label().classes("text-sm dash-attention").mark("chart-as-of")
            with (
                ui.button(icon="help_outline")
                .props('flat dense round aria-label="What the axis means"')
                .mark("axis-help"),
                ui.menu().classes("p-3 max-w-sm"),
            ):
                ui.label(HELP).classes("text-sm")

    def _error_banner(self) -> ui.row:
        classes = "w-full items-center gap-3 px-3 py-2 rounded border border-red-600"
        with ui.row().classes(classes).classes("dash-error").mark("history-error") as banner:
            ui.icon("error_outline", size="22px")
            self.error_text = ui.label().classes("grow")
            with (
                ui.button(icon="info_outline").props(
                    'flat round dense size=sm aria-label="Technical detail"'
                ),
                ui.menu().classes("p-3 max-w-md"),
            ):
                self.error_detail = ui.label().classes("text-sm whitespace-pre-wrap")
            self.retry = ui.button("Retry", icon="replay").props("color=negative dense no-caps")
            self.retry.mark("retry")
        return banner

    def _gaps_note(self) -> ui.row:
        """Shown while a stream on the chart has gaps the history could not fill."""
        classes = "w-full items-center gap-3 px-3 py-1 rounded border dash-attention"
        with ui.row().classes(classes).mark("gaps-note") as note:
            ui.icon("report_gmailerrorred", size="20px")
            self.gaps_text = ui.label().classes("grow text-sm")
            self.retry_gaps = ui.button("Backfill again", icon="replay").props("dense no-caps")
            self.retry_gaps.mark("retry-gaps")
        return note

    def _overlay(self, marker: str, icon: str, text: str) -> ui.column:
        with (
            ui.column()
            .classes("absolute inset-0 items-center justify-center gap-2 z-10")
            .classes("dash-overlay")
            .mark(marker)
        ) as overlay:
            ui.icon(icon, size="40px").classes("dash-muted")
            label = ui.label(text).classes("text-lg")
        if marker == "empty-state":
            self.empty_text = label
        return overlay

    def _names(self) -> list[str]:
        return sorted(set(self._services.facts.names) | set(self._services.streams.stream_names()))

    # --- the dashboard tells the panel ---------------------------------------------------------

    def show(self, view: View) -> None:
        """Reflect ``view`` in the controls without calling back."""
        self._quiet = True
        try:
            if list(self.select.value or []) != list(view.streams):
                self.select.set_value(list(view.streams))
            if self.preset.value != view.range:
                self.preset.set_value(view.range)
        finally:
            self._quiet = False

    def reset_zoom(self) -> None:
        self.chart.reset_zoom()
        self.show(View(tuple(self.chart.streams), None))

    def refresh(self, zone: str = "UTC", as_of: str | None = None) -> None:
        """Loading, error and empty states of the streams shown; "data as of" while the
        data may be old (the chart dims)."""
        set_text(self.as_of, as_of or "")
        dim(self.card, as_of is not None)
        history = self._services.history
        loads = {s: history.state(s) for s in self.chart.streams}
        failed = {s: st for s, st in loads.items() if st.status == "error"}
        if failed:
            names = ", ".join(failed)
            first = next(iter(failed.values()))
            set_text(self.error_text, f"History of {names} could not be loaded: {first.error}")
            set_text(self.error_detail, getattr(first, "error_detail", "") or "no further detail")
        set_visible(self.error_banner, bool(failed))
        shown = set(self.chart.streams)
        unfilled = [g for g in self._services.streams.gaps() if g.stream in shown]
        missing = sum(1 for g in unfilled if g.state == "unfillable")
        if missing:
            what = "1 gap" if missing == 1 else f"{missing} gaps"
            set_text(self.gaps_text, f"{what} on the chart could not be backfilled from history")
        set_visible(self.gaps_note, bool(missing))
        loading = any(st.status == "loading" for st in loads.values())
        no_points = not self.chart.point_count
        set_visible(self.loading, loading and no_points)
        empty = no_points and not loading and not failed
        set_visible(self.empty, empty)
        if empty:
            since = as_of_text(self._services.health.started_at, zone).replace("data as of ", "")
            set_text(self.empty_text, "No data for these streams yet")
            set_text(self.empty_since, f"nothing from the server since {since}")

    # --- the operator tells the panel -------------------------------------------------------

    async def _selected(self, event: ValueChangeEventArguments[Sequence[str] | None]) -> None:
        if self._quiet:
            return
        chosen = [s for s in (event.value or []) if isinstance(s, str)]
        if not chosen:  # the chart always shows a stream: keep the last one
            self.show(View(tuple(self.chart.streams), self.preset.value))
            return
        await self._on_streams(chosen[-MAX_STREAMS:])

    async def _ranged(self, event: ValueChangeEventArguments[str | None]) -> None:
        if not self._quiet and event.value:
            await self._on_range(event.value)
