"""The dashboard page: header, status grid, chart of up to six streams, scenarios, external
events, counters.

Each tab builds its own view of the shared stores and runs one ``ui.timer`` whose tick waits
for the app's pulse and pushes chart deltas as soon as a shown stream changed (at most one
push per ``push_interval``), forwards the grid's changed cells and the new external events, and
refreshes the texts. What the tab shows lives in its URL (:mod:`app.pages.view`): every
change is pushed to the browser's history and Back brings the previous view back. The
scenario store is read by version: the header, the scenario panel and the chart's scenario
bands change on every tab as soon as it moves. Nothing here talks to the upstream link
except through the manager's, the loader's and the scenario control's commands.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlencode

from nicegui import ui
from nicegui.events import GenericEventArguments

from app.pages.chart_panel import ChartPanel
from app.pages.contracts import DashboardServices, run_command
from app.pages.grid import GridPanel
from app.pages.header import CounterStrip, Header
from app.pages.ledger import LAYER as LEDGER
from app.pages.ledger import ledger_annotations
from app.pages.pulse import Pulse
from app.pages.scenario_panel import ScenarioPanel, scenario_bands
from app.pages.series import zone
from app.pages.status import as_of_text
from app.pages.subscriptions import Subscriptions
from app.pages.timeline import TimelinePanel
from app.pages.view import View, parse_view
from app.stores.external import StoredEvent

log = logging.getLogger(__name__)

POLL_INTERVAL: Final = 0.02
"""Least seconds between two of a tab's ticks (NiceGUI's timer interval).

A tab with nothing new does not poll: its tick waits on the app's pulse
(:mod:`app.pages.pulse`), which wakes every tab within 10 ms of a store change. Pushes are
event-driven with a minimum spacing: a change goes out when the tab wakes, unless the tab
pushed less than the spacing ago; then it goes out exactly when the spacing has passed, so
under a steady flow each push follows the upstream's flush instead of an unrelated timer.
"""

TEXT_REFRESH_S: Final = 1.0
"""Seconds between refreshes of the texts (badge, counters, grid card, chart states).

Every changed text is a message the tab's NiceGUI client applies through Vue; at ten a
second they cost a tab more than its chart. Once a second keeps the countdowns true and
the tab quiet; an operator's own action refreshes at once.
"""

SPACING_SLACK: Final = 0.1
"""The spacing is ``push_interval`` less this fraction (at most ~11 pushes/s at 0.1 s).

Under a steady flow of one batch per ``push_interval`` (the simulator flushes every 0.1 s),
a spacing of exactly ``push_interval`` never lets a late push (a slow check, a loop stall)
catch up: every later push inherits its delay, and the pushes drift to a random phase
against the flushes, which is the average wait this schedule is there to remove. With the
slack, a late push moves back to just after the flush within a few pushes.
"""


class Dashboard:
    """One tab's dashboard."""

    def __init__(
        self, services: DashboardServices, subscriptions: Subscriptions, view: View, pulse: Pulse
    ):
        self._services = services
        self._pulse = pulse
        self._subs = subscriptions
        self._client = ui.context.client
        self.view = view
        self.zone = "UTC"
        """The IANA zone this tab shows times in (the browser tells, see prefs.js)."""
        self.local_time = False
        """True when the operator chose the browser's zone over UTC."""
        self.header = Header(services, lambda: self.zone, lambda: self.local_time)
        with ui.column().classes("w-full max-w-screen-2xl mx-auto px-2 sm:px-4 py-3 gap-3"):
            self.grid = GridPanel(services, self.select)
            self.panel = ChartPanel(services, view, self.show_streams, self.show_range)
            self.scenario_panel = (
                None if services.scenarios.read_only else ScenarioPanel(services.scenarios)
            )
            self.timeline = TimelinePanel(services, self.panel.chart, self.focus_event)
            self.counters = CounterStrip(services)
        self.panel.retry.on_click(self._retry)
        self.panel.retry_gaps.on_click(self._retry_gaps)
        self.chart = self.panel.chart
        self._interval = services.settings.push_interval
        self._poll = min(POLL_INTERVAL, self._interval)
        self._spacing = self._interval * (1 - SPACING_SLACK)
        self._pushed_at = -math.inf
        """``time.monotonic()`` when the last push started."""
        self._refreshed_at = -math.inf
        self._history_version = -1
        self._ledger_key: tuple[int, tuple[str, ...]] | None = None
        self._scenario_version = -1
        ui.on("dash_prefs", self._prefs)
        ui.on("chart_zoom", self._zoomed)
        ui.on("chart_shown", self._chart_shown)
        ui.on("view_changed", self._popstate)
        self.refresh()
        self._timer = ui.timer(self._poll, self.tick)
        self._client.on_delete(self._on_closed)

    # --- the loop -------------------------------------------------------------------------

    async def tick(self) -> None:
        """Forward the grid's and timeline's changes, push the chart's delta when due, refresh
        the texts.

        Due: a shown stream changed since the last push and the spacing (``push_interval``
        less :data:`SPACING_SLACK`) has passed since that push started; a push due before
        the next check waits here for exactly that. The texts are refreshed once a second
        (:data:`TEXT_REFRESH_S`), and at once when the first points reach an empty chart.
        """
        if not self._due():
            await self._pulse.wait(self._refreshed_at + TEXT_REFRESH_S - time.monotonic())
        # The grid, the timeline and the chart's annotations first: cheap, and the tab then
        # draws a new chart once with its annotations instead of twice (see chartpace.js).
        try:
            self._forward()
        except Exception:  # a broken panel must not stop the chart from updating
            log.exception("grid, timeline or annotations push failed")
        pushed = False
        empty = not self.chart.point_count
        if self.chart.pending:
            wait = self._pushed_at + self._spacing - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._pushed_at = time.monotonic()
            pushed = True
            try:
                await self.chart.push()
            except Exception:  # a broken push must not stop the status from updating
                log.exception("chart push failed for %s", self.chart.streams)
        now = time.monotonic()
        filled = pushed and empty and bool(self.chart.point_count)
        loaded = self._services.history.version != self._history_version
        if filled or loaded or now - self._refreshed_at >= TEXT_REFRESH_S:
            self._history_version = self._services.history.version
            self._refreshed_at = now
            self.refresh()

    def _forward(self) -> None:
        """Send what changed of the grid, the timeline, the annotations and the scenario."""
        if self.grid.grid.pending:
            self.grid.grid.push()
        if self.timeline.pending:
            self.timeline.push()
        self._annotate()
        if self._services.scenarios.store.version != self._scenario_version:
            self.show_scenario()

    def _due(self) -> bool:
        """Whether anything this tab shows changed (or its texts are due): integer reads."""
        services = self._services
        return (
            self.chart.pending
            or self.grid.grid.pending
            or self.timeline.pending
            or services.scenarios.store.version != self._scenario_version
            or (services.streams.ledger.version, tuple(self.chart.streams)) != self._ledger_key
            or services.history.version != self._history_version
            or time.monotonic() - self._refreshed_at >= TEXT_REFRESH_S
        )

    def _annotate(self) -> None:
        """Context on the chart, when it changed: the interruption ledger of shown streams."""
        ledger = self._services.streams.ledger
        key = (ledger.version, tuple(self.chart.streams))
        if key != self._ledger_key:
            self._ledger_key = key
            self.chart.annotate(LEDGER, ledger_annotations(ledger.all(), self.chart.streams))

    def refresh(self) -> None:
        """Re-read the stores: header, grid card, chart states, counters."""
        self.header.refresh()
        at = self._services.health.data_as_of
        as_of = None if at is None else as_of_text(at, self.zone)
        self.grid.refresh(as_of)
        self.panel.refresh(self.zone, as_of)
        self.timeline.refresh()
        self.counters.refresh()

    def show_scenario(self) -> None:
        """The scenario in the header, the panel and the chart's bands (each sends only what
        changed)."""
        store = self._services.scenarios.store
        self._scenario_version = store.version
        self.header.show_scenario(store, self.zone)
        if self.scenario_panel is not None:
            self.scenario_panel.refresh(self.zone)
        self.chart.annotate("scenario", scenario_bands(store))

    # --- what the tab shows ---------------------------------------------------------------

    async def select(self, stream: str, add: bool) -> None:
        """A grid cell was clicked: show only its stream, or (``add``) add or remove it."""
        await self.apply(self.view.showing(stream, add))

    async def focus_event(self, stored: StoredEvent | None) -> None:
        """A timeline card was clicked: outline its streams in the grid and add the ones the
        dashboard knows to the chart (up to six); None lets go of the focused event."""
        timeline = self.timeline.timeline
        if stored is None:
            self.grid.grid.highlight([])
            timeline.show_focus(None)
            return
        streams = list(stored.item.streams)
        self.grid.grid.highlight(streams)
        timeline.show_focus(stored.id)
        known = known_streams(self._services)
        chartable = [s for s in streams if s in known]
        if chartable:
            await self.apply(self.view.adding(chartable))
        timeline.refresh_observed()

    async def show_streams(self, streams: list[str]) -> None:
        await self.apply(View(tuple(streams), self.view.range))

    async def show_range(self, preset: str) -> None:
        await self.apply(View(self.view.streams, preset))

    async def apply(self, view: View, push_url: bool = True) -> None:
        """Show ``view``: chart, controls, grid marks, subscription, URL."""
        if view == self.view:
            return
        old, self.view = self.view, view
        self.panel.show(view)
        if view.streams != old.streams:
            await self.chart.show(view.streams, view.range)
            self.grid.grid.mark(self.chart.colors)
            await self.subscribe()
            for stream in view.streams:
                if self._services.history.state(stream).status == "idle":
                    await run_command(self._services.history.load(stream))
        elif view.range is not None:
            self.chart.set_preset(view.range)
        if push_url:
            ui.navigate.history.push(view.query())
        self.refresh()

    def _chart_shown(self, event: GenericEventArguments) -> None:
        """The tab drew its chart's first points (after its grid): the rest of the seed, held
        back for the first tab's view, may start (see ``main.first_view_gate``)."""
        args = event.args if isinstance(event.args, dict) else {}
        first_view = self._services.first_view
        if args.get("chart") == self.chart.element.id and not first_view.is_set():
            log.info("the first tab drew its chart")
            first_view.set()

    def _zoomed(self, event: GenericEventArguments) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        if args.get("chart") == self.chart.element.id and self.view.range is not None:
            self.view = View(self.view.streams, None)
            self.chart.preset = None
            self.panel.show(self.view)

    async def _popstate(self, event: GenericEventArguments) -> None:
        """Back or Forward: show the view of the URL the browser went to."""
        query = event.args if isinstance(event.args, str) else ""
        await self.apply(self._parse(query), push_url=False)

    def _parse(self, query: str | None) -> View:
        return _view(self._services, query, None)

    def _prefs(self, event: GenericEventArguments) -> None:
        args: dict[str, Any] = event.args if isinstance(event.args, dict) else {}
        name, _ = zone(str(args.get("zone") or "UTC")[:64])
        local = args.get("tz") == "local"
        if (name, local) != (self.zone, self.local_time):
            self.zone, self.local_time = name, local
            self.refresh()
            self.show_scenario()

    async def _retry(self) -> None:
        history = self._services.history
        failed = [s for s in self.chart.streams if history.state(s).status == "error"]
        for stream in failed:
            await run_command(history.retry(stream))
        still = [s for s in failed if history.state(s).status == "error"]
        if still:
            reason = history.state(still[0]).error or "unknown error"
            ui.notify(f"Retry failed again: {reason}", type="negative", multi_line=True)
        elif failed and all(history.state(s).status == "loaded" for s in failed):
            ui.notify("History loaded", type="positive")
        self.refresh()

    def _retry_gaps(self) -> None:
        """Put the gaps history could not fill back in the backfill queue (every stream's)."""
        again = self._services.history.retry_gaps()
        what = "1 gap" if again == 1 else f"{again} gaps"
        ui.notify(f"Backfilling {what} again", type="info")
        self.refresh()

    # --- the upstream subscription --------------------------------------------------------

    async def subscribe(self) -> None:
        """Make the upstream subscription cover this tab's streams (and keep the others')."""
        topics = self._subs.select(self._client.id, self.chart.streams)
        await self._apply_topics(topics)

    async def _apply_topics(self, topics: list[str]) -> None:
        if list(self._services.connection.topics) != topics:
            await run_command(self._services.manager.set_topics(topics))

    async def _on_closed(self) -> None:
        await self._apply_topics(self._subs.release(self._client.id))

    async def start(self) -> None:
        """After the first render: subscribe, load history if nobody has yet, start the URL."""
        await self.subscribe()
        for stream in self.chart.streams:
            if self._services.history.state(stream).status == "idle":
                await run_command(self._services.history.load(stream))
        self._services.scenarios.request_refresh()
        ui.navigate.history.replace(self.view.query())
        self.grid.grid.mark(self.chart.colors)
        ui.run_javascript(
            "window.addEventListener('popstate', () => emitEvent('view_changed', location.search));"
            "DashPrefs.init();"
        )


def page_builder(
    services: DashboardServices, subscriptions: Subscriptions, head_html: str, pulse: Pulse
) -> Callable[..., object]:
    """The ``/`` page: ``?streams=a,b&range=24h`` (or ``?stream=NAME``) chooses the view."""

    def dashboard_page(
        streams: str | None = None, range: str | None = None, stream: str | None = None
    ) -> None:
        ui.page_title(services.settings.title)
        ui.add_head_html(head_html)
        query = urlencode({k: v for k, v in (("streams", streams), ("range", range)) if v})
        board = Dashboard(services, subscriptions, _view(services, query, stream), pulse)
        ui.timer(0, board.start, once=True)

    return dashboard_page


def known_streams(services: DashboardServices) -> set[str]:
    """Streams the chart may show: the catalog's, the store's, and every followed one (a
    followed stream the server never named counts, so the page shows it with no data
    rather than another stream)."""
    return {*services.facts.names, *services.streams.stream_names(), *services.health.followed()}


def _view(services: DashboardServices, query: str | None, legacy: str | None) -> View:
    """The view of a URL (unknown streams left out)."""
    fallback = services.facts.default_stream(services.settings.topics)
    return parse_view(query, known_streams(services), fallback, legacy)
