"""The external events timeline: one card per event, newest first, and their chart markers.

The cards are drawn by ``static/timeline.js`` from plain values (every text from the
simulator goes into ``textContent``, never HTML; a link is a link only for ``http(s)``,
opened in a new tab with ``rel="noopener noreferrer"``). A tab gets every event once
(``Timeline.reset``), then only the events new or changed since the store version it
holds (``Timeline.update``). Filters by type and severity apply to the cards and to the
chart's markers; the time range (24 h, 7 d) to the cards (the chart has its own window).

On the chart each event is a marker, or a band when its duration is known, in the
``events`` annotation layer (:meth:`app.pages.chart.LiveChart.annotate`), its icon and
title shown on hover; a card's eye button hides its marker, the list's hides them all
(remembered by the browser, ``LiveChart.setHidden``). Clicking a card asks the dashboard
to highlight and chart its affected streams, and shows each one's observed change beside
the expected one (:mod:`app.context.impact`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Final

from nicegui import ui
from nicegui.events import GenericEventArguments

from app.context.impact import expected_words, observe, observed_words
from app.context.poller import PollerStatus
from app.pages.annotations import Annotation, Tone
from app.pages.chart import LiveChart
from app.pages.contracts import DashboardServices
from app.pages.header import set_text
from app.pages.tabcalls import call_in_tab
from app.protocol.external import SEVERITIES, TYPES, clip
from app.stores.external import StoredEvent

LAYER: Final = "events"
"""The chart annotation layer of external events."""
DAY_MS: Final = 86_400_000
RANGES: Final = {"24 h": DAY_MS, "7 d": 7 * DAY_MS}
DEFAULT_RANGE: Final = "7 d"
LOOK: Final = {
    "marketing": ("campaign", "\U0001f4e3"),
    "product": ("rocket_launch", "\U0001f680"),
    "infrastructure": ("dns", "\U0001f6e0"),
    "academic": ("school", "\U0001f393"),
    "competitive": ("storefront", "\u2694"),
    "operational": ("support_agent", "\u2699"),
    "other": ("help_outline", "\u2022"),
}
"""Per type: the card's Material icon and the chart marker's glyph (canvas text)."""
TONES: Final[dict[str, Tone]] = {
    "info": "info",
    "warning": "warning",
    "critical": "critical",
    "unknown": "muted",
}
MARKER_LABEL: Final = 120

FocusHandler = Callable[[StoredEvent | None], Awaitable[None]]
"""What a card click does: the event to focus, or None to let go of the focused one."""


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def marker_key(event_id: str) -> str:
    """The chart annotation key of an event (the key its hidden state is remembered by)."""
    return "event:" + event_id


def wire_event(stored: StoredEvent) -> dict[str, Any]:
    """An event as ``timeline.js`` draws it: plain values, texts as given (capped)."""
    item = stored.item
    impact = item.impact
    return {
        "id": item.id,
        "key": marker_key(item.id),
        "ts": item.ts_ms,
        "end": item.end_ms,
        "kind": item.kind,
        "type": item.type,
        "icon": LOOK[item.kind][0],
        "title": item.title,
        "level": item.level,
        "severity": item.severity,
        "streams": list(item.streams),
        "expected": expected_words(impact),
        "duration": None if impact is None else impact.duration_text,
        "description": item.description,
        "link": item.link,
        "refusedLink": item.refused_link,
        "sources": list(stored.sources),
        "ai": item.injected_by_ai,
    }


def event_annotations(
    events: Iterable[StoredEvent], kinds: Sequence[str] | None, levels: Sequence[str] | None
) -> list[Annotation]:
    """The ``events`` layer: a marker per event (a band with a known duration), filtered
    by type and severity like the cards; shown while one of its streams is on the chart."""
    out: list[Annotation] = []
    for stored in events:
        item = stored.item
        if (kinds and item.kind not in kinds) or (levels and item.level not in levels):
            continue
        label = f"{LOOK[item.kind][1]} {item.title or item.type or 'external event'}"
        out.append(
            Annotation(
                key=marker_key(item.id),
                start_ms=item.ts_ms,
                end_ms=item.end_ms,
                label=clip(label, MARKER_LABEL),
                tone=TONES[item.level],
                streams=item.streams,
            )
        )
    return out


def context_note(count: int, poll: PollerStatus, history_loaded: bool, now: float) -> str:
    """What the timeline says about where its events come from, in words ("" if all is well)."""
    parts: list[str] = []
    if count == 0:
        parts.append(
            "No external events reported by the simulator"
            + ("." if history_loaded else " yet (history is still loading).")
        )
    if poll.availability == "absent":
        parts.append(
            f"{_sentence(poll.last_error or 'the simulator has no state endpoint')}: "
            "events come only from the history and from scenario starts."
        )
    elif poll.availability == "failing":
        due = poll.next_poll_at
        wait = "" if due is None else f"; next try in {max(0, round(due - now))} s"
        parts.append(f"Cannot read the simulator's state: {poll.last_error}{wait}.")
    return " ".join(parts)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class Timeline:
    """One tab's cards; :meth:`push` sends the events that changed since the last call."""

    def __init__(self, services: DashboardServices, on_focus: FocusHandler) -> None:
        self._services = services
        self._on_focus = on_focus
        self._version: int | None = None
        """Store version the browser is at; None: it needs every event."""
        self.focused: str | None = None
        self._observed: dict[str, str] = {}
        self.element = ui.element("div").classes("w-full dash-timeline-host").mark("timeline")
        self.element.props('role=list aria-label="External events, newest first"')
        ui.on("timeline_focus", self._focus)

    @property
    def pending(self) -> bool:
        return self._version is None or self._services.external.version > self._version

    def push(self) -> int:
        """Send the new and changed events (all of them the first time or after a drop)."""
        store = self._services.external
        if self._version is None:
            delta_events, reset = store.events(), True
        else:
            delta = store.changes_since(self._version)
            delta_events, reset = delta.events, delta.reset
        self._version = store.version
        wired = [wire_event(e) for e in delta_events]
        if reset:
            self._run(f"Timeline.reset({self.element.id},{_js(wired)})")
        elif wired:
            self._run(f"Timeline.update({self.element.id},{_js(wired)})")
        return len(wired)

    def filter(
        self, kinds: Sequence[str] | None, levels: Sequence[str] | None, span_ms: int
    ) -> None:
        """Show only cards of these types and severities (None: all), within ``span_ms``."""
        k = None if kinds is None else list(kinds)
        s = None if levels is None else list(levels)
        self._run(f"Timeline.filter({self.element.id},{_js(k)},{_js(s)},{span_ms})")

    def show_focus(self, event_id: str | None) -> None:
        self.focused = event_id
        self._observed = {}
        self._run(f"Timeline.focus({self.element.id},{_js(event_id)})")

    def refresh_observed(self) -> None:
        """The focused event's observed change per affected stream (sent when it changed)."""
        stored = None if self.focused is None else self._services.external.get(self.focused)
        if stored is None:
            return
        item = stored.item
        direction = None if item.impact is None else item.impact.direction
        now_ms = int(time.time() * 1000)
        rows = {
            stream: observed_words(
                observe(self._services.streams, stream, item.ts_ms, item.end_ms, now_ms), direction
            )
            for stream in item.streams
        }
        if rows != self._observed:
            self._observed = rows
            self._run(f"Timeline.observed({self.element.id},{_js(item.id)},{_js(rows)})")

    async def _focus(self, event: GenericEventArguments) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        ident = args.get("id")
        if args.get("timeline") != self.element.id or not isinstance(ident, str):
            return
        stored = self._services.external.get(ident)
        await self._on_focus(None if stored is None or ident == self.focused else stored)

    def _run(self, code: str) -> None:
        call_in_tab(self.element, code)


class TimelinePanel:
    """The timeline card: title, where events come from, filters, the cards; it keeps the
    chart's ``events`` layer in step with the store and the filters."""

    def __init__(
        self, services: DashboardServices, chart: LiveChart, on_focus: FocusHandler
    ) -> None:
        self._services = services
        self._chart = chart
        with ui.column().classes("w-full gap-2 p-3 dash-panel") as self.card:
            self.card.mark("timeline-panel")
            with ui.row().classes("w-full items-center gap-x-3 gap-y-1"):
                ui.label("External events").classes("text-base font-semibold")
                self.count = ui.label().classes("text-sm dash-muted").mark("timeline-count")
                ui.space()
                self.kinds = self._multi(TYPES, "Types", "timeline-type")
                self.levels = self._multi(SEVERITIES, "Severities", "timeline-severity")
                self.span = (
                    ui.toggle(list(RANGES), value=DEFAULT_RANGE, on_change=self._filtered)
                    .props('dense no-caps toggle-color=primary aria-label="Events from the last"')
                    .mark("timeline-range")
                )
            self.note = ui.label().classes("text-sm dash-attention").mark("timeline-note")
            self.note.props("role=status")
            self.timeline = Timeline(services, on_focus)

    def _multi(self, options: Sequence[str], label: str, marker: str) -> ui.select:
        return (
            ui.select(list(options), multiple=True, value=[], label=label, on_change=self._filtered)
            .props("outlined dense options-dense clearable use-chips")
            .classes("min-w-[9rem]")
            .mark(marker)
        )

    @property
    def pending(self) -> bool:
        return self.timeline.pending

    def push(self) -> None:
        """New or changed events to the cards, the count beside the title and the chart's
        markers, together (the count never disagrees with the cards' "N of M shown")."""
        self.timeline.push()
        self._count()
        self._annotate()

    def _count(self) -> int:
        count = len(self._services.external)
        set_text(self.count, f"{count} in memory" if count else "")
        return count

    def filters(self) -> tuple[list[str] | None, list[str] | None, int]:
        kinds = [k for k in self.kinds.value or [] if isinstance(k, str)] or None
        levels = [s for s in self.levels.value or [] if isinstance(s, str)] or None
        return kinds, levels, RANGES.get(str(self.span.value), RANGES[DEFAULT_RANGE])

    def refresh(self) -> None:
        """The count and the note on where events come from; the focused card's figures."""
        count = self._count()
        loads = [self._services.history.state(s).status for s in self._services.health.followed()]
        note = context_note(
            count, self._services.state_poller.status, "loaded" in loads, time.time()
        )
        set_text(self.note, note)
        self.timeline.refresh_observed()

    def _filtered(self) -> None:
        kinds, levels, span = self.filters()
        self.timeline.filter(kinds, levels, span)
        self._annotate()

    def _annotate(self) -> None:
        kinds, levels, _ = self.filters()
        self._chart.annotate(
            LAYER, event_annotations(self._services.external.events(), kinds, levels)
        )
