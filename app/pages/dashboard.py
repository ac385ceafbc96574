"""The dashboard page: header, counters, stream selector, presets and the live chart.

Each tab builds its own view of the shared stores and runs one short ``ui.timer`` that
pushes chart deltas as soon as its stream changed (at most one push per ``push_interval``)
and refreshes the status texts; nothing here talks to the upstream link except through the
manager's and the loader's commands.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Final

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from app.pages.chart import DEFAULT_PRESET, PRESETS, LiveChart
from app.pages.contracts import DashboardServices, run_command
from app.pages.header import CounterStrip, Header
from app.protocol.topics import DEFAULT_TOPIC, expand, is_topic

log = logging.getLogger(__name__)

POLL_INTERVAL: Final = 0.02
"""Seconds between a tab's checks for a changed stream (an integer compare when idle).

Pushes are event-driven with a minimum spacing: a change goes out at the first check after
it arrived, unless the tab pushed less than the spacing ago; then it goes out exactly when
the spacing has passed. So a batch after a quiet period waits at most this long, and under
a steady flow each push follows the upstream's flush instead of an unrelated timer.
"""

SPACING_SLACK: Final = 0.1
"""The spacing is ``push_interval`` less this fraction (at most ~11 pushes/s at 0.1 s).

Under a steady flow of one batch per ``push_interval`` (the simulator flushes every 0.1 s),
a spacing of exactly ``push_interval`` never lets a late push (a slow check, a loop stall)
catch up: every later push inherits its delay, and the pushes drift to a random phase
against the flushes, which is the average wait this schedule is there to remove. With the
slack, a late push moves back to just after the flush within a few pushes.
"""


class Subscriptions:
    """The streams open tabs show; the manager subscribes to them plus the configured topics.

    One upstream connection serves every tab, so a tab switching streams must not take
    another tab's stream away: the subscription is the union.
    """

    def __init__(self, configured: list[str]) -> None:
        self._configured = list(configured)
        self._by_tab: dict[str, str] = {}

    def topics(self) -> list[str]:
        """Configured topics first, then every stream a tab shows that they do not cover.

        A stream whose name is no valid topic (it came from the wire: markup, spaces...)
        cannot be subscribed to by name; it is left out rather than failing every tab's
        subscription, and keeps arriving under ``*`` or its domain's pattern, if at all.
        """
        shown = {s for s in self._by_tab.values() if is_topic(s)}
        covered = set(expand(self._configured, sorted(shown)))
        extra = sorted(shown - covered)
        return [*self._configured, *extra]

    def select(self, tab: str, stream: str) -> list[str]:
        """Record that ``tab`` shows ``stream``; returns the topics to subscribe to."""
        self._by_tab[tab] = stream
        return self.topics()

    def release(self, tab: str) -> list[str]:
        """Forget a closed tab; returns the topics to subscribe to."""
        self._by_tab.pop(tab, None)
        return self.topics()


def _toggle(element: ui.element, visible: bool) -> None:
    if element.visible != visible:
        element.set_visibility(visible)


class Dashboard:
    """One tab's dashboard."""

    def __init__(
        self, services: DashboardServices, subscriptions: Subscriptions, stream: str
    ) -> None:
        self._services = services
        self._subs = subscriptions
        self._client = ui.context.client
        names = sorted(set(services.facts.names) | set(services.streams.stream_names()))
        self.header = Header(services, lambda: self.chart.stream)
        with ui.column().classes("w-full max-w-screen-2xl mx-auto px-4 py-3 gap-3"):
            self.counters = CounterStrip(services)
            with ui.row().classes("w-full items-center gap-4"):
                self.select = (
                    ui.select(
                        names,
                        value=stream,
                        with_input=True,
                        label="Stream",
                        on_change=self._on_select,
                    )
                    .props("dark outlined dense options-dense")
                    .classes("w-96")
                    .mark("stream-select")
                )
                self.preset = (
                    ui.toggle(list(PRESETS), value=DEFAULT_PRESET, on_change=self._on_preset)
                    .props("dense no-caps toggle-color=light-blue-8 text-color=blue-grey-2")
                    .mark("preset")
                )
                ui.space()
                self.stats = ui.label().classes("text-sm text-slate-400").mark("stream-stats")
            with (
                ui.row()
                .classes(
                    "w-full items-center gap-3 px-4 py-2 rounded bg-red-950 border border-red-700"
                )
                .mark("history-error") as self.error_banner
            ):
                ui.icon("error_outline", size="24px").classes("text-red-300")
                self.error_text = ui.label().classes("text-red-100 grow")
                ui.button("Retry", icon="replay", on_click=self._retry).props(
                    "color=negative dense no-caps"
                ).mark("retry")
            with ui.card().classes("w-full p-2 relative bg-slate-900").style("height: 64vh"):
                self.title = ui.label(stream).classes("text-base font-medium text-slate-200 px-2")
                self.title.mark("stream-title")
                self.chart = LiveChart(services.streams, stream, DEFAULT_PRESET)
                with self._overlay("history-loading") as self.loading:
                    ui.spinner(size="xl", color="sky-4")
                    days = services.settings.history_days
                    ui.label(f"Loading {days:g} days of history…").classes("text-slate-200")
                with self._overlay("empty-state") as self.empty:
                    ui.icon("query_stats", size="48px").classes("text-slate-500")
                    ui.label("No data for this stream yet").classes("text-slate-300 text-lg")
                    ui.label("Points appear as soon as history or live events arrive.").classes(
                        "text-slate-500 text-sm"
                    )
        self.refresh()
        self._interval = services.settings.push_interval
        self._poll = min(POLL_INTERVAL, self._interval)
        self._spacing = self._interval * (1 - SPACING_SLACK)
        self._pushed_at = -math.inf
        """``time.monotonic()`` when the last push started."""
        self._refreshed_at = -math.inf
        self._timer = ui.timer(self._poll, self.tick)
        self._client.on_delete(self._on_closed)

    @staticmethod
    def _overlay(marker: str) -> ui.column:
        return (
            ui.column()
            .classes("absolute inset-0 items-center justify-center gap-2 bg-slate-900/70 z-10")
            .mark(marker)
        )

    @property
    def stream(self) -> str:
        """The stream this tab shows."""
        return self.chart.stream

    async def tick(self) -> None:
        """Push the chart's delta when due, then bring the status texts up to date.

        Due: the stream changed since the last push and the spacing (``push_interval`` less
        :data:`SPACING_SLACK`) has passed since that push started; a push due before the
        next check waits here for exactly that.
        The status texts are refreshed after each push, and every ``push_interval`` while
        no push is pending (under a steady flow: once per push, as before).
        """
        pushed = False
        pending = self.chart.pending
        if pending:
            wait = self._pushed_at + self._spacing - time.monotonic()
            if wait < self._poll:
                if wait > 0:
                    await asyncio.sleep(wait)
                self._pushed_at = time.monotonic()
                pushed = True
                try:
                    await self.chart.push()
                except Exception:  # a broken push must not stop the status from updating
                    log.exception("chart push failed for %s", self.chart.stream)
        now = time.monotonic()
        if pushed or (not pending and now - self._refreshed_at >= self._interval):
            self._refreshed_at = now
            self.refresh()

    def refresh(self) -> None:
        """Re-read the stores: header, counters, stats, loading, empty and error states."""
        self.header.refresh()
        self.counters.refresh()
        stream = self.chart.stream
        state = self._services.history.state(stream)
        failed = state.status == "error"
        if failed:
            text = f"History of {stream} could not be loaded: {state.error or 'unknown error'}"
            if self.error_text.text != text:
                self.error_text.set_text(text)
        _toggle(self.error_banner, failed)
        _toggle(self.loading, state.status == "loading")
        _toggle(self.empty, self.chart.point_count == 0 and state.status != "loading")
        st = self._services.streams.stats(stream)
        text = f"{st.history_points:,} history · {st.live_points:,} live points"
        if self.stats.text != text:
            self.stats.set_text(text)

    async def _on_select(self, event: ValueChangeEventArguments[str | None]) -> None:
        stream = event.value
        if not stream or stream == self.chart.stream:
            return
        self.title.set_text(stream)
        await self.chart.show(stream)
        self.refresh()
        await self.subscribe()
        await run_command(self._services.history.load(stream))
        self.refresh()

    def _on_preset(self, event: ValueChangeEventArguments[str | None]) -> None:
        if event.value:
            self.chart.set_preset(event.value)

    async def _retry(self) -> None:
        await run_command(self._services.history.retry(self.chart.stream))
        self.refresh()

    async def subscribe(self) -> None:
        """Make the upstream subscription cover this tab's stream (and keep the others')."""
        topics = self._subs.select(self._client.id, self.chart.stream)
        await self._apply(topics)

    async def _apply(self, topics: list[str]) -> None:
        if list(self._services.connection.topics) != topics:
            await run_command(self._services.manager.set_topics(topics))

    async def _on_closed(self) -> None:
        await self._apply(self._subs.release(self._client.id))

    async def start(self) -> None:
        """After the first render: subscribe, and load history if nobody has yet."""
        await self.subscribe()
        if self._services.history.state(self.chart.stream).status == "idle":
            await run_command(self._services.history.load(self.chart.stream))


def default_stream(topics: list[str], known: set[str]) -> str:
    """The first configured topic that names a stream, else ``customer.tutor.search``."""
    for topic in topics:
        if topic in known:
            return topic
    return DEFAULT_TOPIC if DEFAULT_TOPIC in known or not known else min(known)


def page_builder(
    services: DashboardServices, subscriptions: Subscriptions, script_url: str
) -> Callable[[str | None], object]:
    """The ``/`` page function: ``?stream=NAME`` opens another stream than the default."""

    def dashboard_page(stream: str | None = None) -> None:
        ui.dark_mode(True)
        ui.page_title(services.settings.title)
        ui.add_head_html(f'<script src="{script_url}"></script>')
        ui.query("body").classes("bg-slate-950 text-slate-100")
        known = set(services.facts.names) | set(services.streams.stream_names())
        if stream not in known:
            stream = default_stream(services.settings.topics, known)
        dashboard = Dashboard(services, subscriptions, stream)
        ui.timer(0, dashboard.start, once=True)

    return dashboard_page
