"""The live ECharts time series of up to six streams, fed by deltas from the stream store.

The element's ``options`` hold the chart's look only; the points travel as ordered JS
calls (``static/livechart.js``): ``layout`` names the streams and their colours, one
``reset`` per stream with its whole series when the tab has connected (or the stream was
added, or the store started a new epoch for it), then ``append`` calls with only the rows
that are new since the previous push.

Why the points are not in ``options``: NiceGUI embeds element props in the page HTML
(escaped in Python) and the browser turns them into reactive Vue state. Measured with
100,000 points: 1.3 s of blocked event loop per page build, 3.4 MB of HTML and about 5 s
in the browser, long enough for NiceGUI's handshake to time out and the tab to reload
forever. Sent after the handshake as one JS call, encoded off the event loop, the same
series never touches Vue. A reload or a late tab gets every series once.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from nicegui import ui
from nicegui.events import GenericEventArguments

from app.pages.annotations import Annotation, wire_layer
from app.pages.contracts import StreamsView
from app.pages.series import chart_rows, wire_rows
from app.pages.shared import SHARED, Append
from app.pages.tabcalls import call_in_tab
from app.pages.thinning import detail, thin
from app.pages.view import DEFAULT_RANGE, RANGES
from app.stores.streams import Point

PALETTE: Final = ("#0ea5e9", "#f97316", "#10b981", "#d946ef", "#8b5cf6", "#eab308")
"""Series colours, in the order streams are added (distinct in both themes)."""


def preset_window(preset: str, newest_ms: int | None) -> tuple[int, int] | None:
    """The dataZoom window of a preset, anchored at the newest point (None: no data)."""
    if newest_ms is None:
        return None
    return newest_ms - RANGES.get(preset, RANGES[DEFAULT_RANGE]), newest_ms


def _zoom() -> list[dict[str, Any]]:
    # "empty", not "filter": points outside the window become gaps instead of leaving the
    # series, which draws the same line, and the marks (drawn in ECharts' large mode, see
    # livechart.js) never end up with no point in the window, which large mode throws on.
    common: dict[str, Any] = {"xAxisIndex": 0, "filterMode": "empty", "start": 0, "end": 100}
    # No data shadow in the slider: ECharts redraws it from every point on each update.
    slider = {"type": "slider", "height": 22, "bottom": 8, "showDataShadow": False, **common}
    return [{"type": "inside", **common}, slider]


def chart_options() -> dict[str, Any]:
    """The ECharts option without data: the axes, tooltip and zoom (series, and the legend
    in HTML, come from ``livechart.js``, colours from the page's theme)."""
    return {
        "animation": False,
        "backgroundColor": "transparent",
        "useUTC": True,
        "grid": {"left": 56, "right": 20, "top": 36, "bottom": 64},
        "legend": {"show": False},  # drawn in HTML by chartlegend.js
        "tooltip": {"trigger": "axis", ":formatter": "LiveChart.tooltip"},
        "xAxis": {"type": "time", "axisLabel": {"hideOverlap": True}, "splitLine": {"show": False}},
        "yAxis": {
            "type": "value",
            "min": 0,
            "max": 100,
            "interval": 25,
            "name": "normalized (50 = usual)",
            "nameLocation": "middle",
            "nameRotate": 90,
            "nameGap": 36,
        },
        "dataZoom": _zoom(),
        "series": [],
    }


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _encode_series(
    points: list[Point], window: tuple[int, int] | None
) -> tuple[str, int | None, int, bool]:
    """The JSON rows of a whole series as sent (thinned past :data:`SEND_WHOLE`), its newest
    timestamp, the rows sent and whether they were thinned (thread-safe)."""
    rows = chart_rows(points)
    sent = thin(rows, window)
    return (
        _js(wire_rows(sent)),
        (rows[-1].ts_ms if rows else None),
        len(sent),
        len(sent) < len(rows),
    )


def _encode_detail(points: list[Point], columns: int) -> str:
    """The JSON rows of a zoomed window, about two per column (thread-safe)."""
    return _js(wire_rows(detail(chart_rows(points), columns)))


@dataclass(slots=True)
class Feed:
    """What the browser holds of one stream: the store version it is at, its newest point."""

    stream: str
    color: str
    version: int | None = None
    """Store version the browser is at; None: it needs the whole series."""
    last_ms: int | None = None
    count: int | None = None


class LiveChart:
    """One tab's chart; :meth:`push` sends what changed since the last call.

    The browser holds nothing until the first :meth:`push` (after the tab connected) sends
    every series; whole series are encoded in a worker thread from a snapshot taken on
    the event loop, so a 100,000-point series does not stall other tabs or the upstream.
    """

    def __init__(
        self,
        streams: StreamsView,
        shown: Sequence[str],
        preset: str | None = DEFAULT_RANGE,
        *,
        draw_budget: float | None = None,
    ) -> None:
        self._streams = streams
        self.preset = preset
        self.feeds: list[Feed] = []
        self._lock = asyncio.Lock()
        self._laid_out = False
        self._layers: dict[str, list[list[Any]]] = {}
        """What the browser holds of each annotation layer."""
        self.element = ui.echart(chart_options()).classes("w-full h-full").mark("live-chart")
        self._arrange(shown)
        ui.on("chart_detail", self._on_detail)
        self._tuning = {} if draw_budget is None else {"drawBudget": draw_budget}

    @property
    def streams(self) -> list[str]:
        return [f.stream for f in self.feeds]

    @property
    def colors(self) -> dict[str, str]:
        return {f.stream: f.color for f in self.feeds}

    @property
    def point_count(self) -> int | None:
        """Points (including gap breaks) sent for all streams; None before the first push."""
        counts = [f.count for f in self.feeds]
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)

    @property
    def newest_ms(self) -> int | None:
        """Timestamp of the newest point sent, over all streams."""
        return max((f.last_ms for f in self.feeds if f.last_ms is not None), default=None)

    @property
    def pending(self) -> bool:
        """Whether :meth:`push` has something to send (integer reads, no store copy)."""
        if not self._laid_out:
            return True
        version = self._streams.stream_version
        return any(f.version is None or version(f.stream) > f.version for f in self.feeds)

    async def push(self) -> int:
        """Send what changed since the last push (whole series the first time)."""
        async with self._lock:
            self._layout()
            sent = 0
            for feed in list(self.feeds):
                sent += await self._push_feed(feed)
            return sent

    async def show(self, streams: Sequence[str], preset: str | None = None) -> None:
        """Show ``streams`` (new ones are sent whole, kept ones keep their points)."""
        async with self._lock:
            if preset is not None:
                self.preset = preset
            self._arrange(streams)
            self._laid_out = False
            self._layout()
            for feed in list(self.feeds):
                if feed.version is None:
                    await self._replace(feed)
            self.set_preset(self.preset)

    def set_preset(self, preset: str | None) -> None:
        """Zoom to a preset window anchored at the newest point (None: keep the free zoom)."""
        self.preset = preset
        window = None if preset is None else preset_window(preset, self.newest_ms)
        if window is not None:
            self._run(f"LiveChart.zoom({self.element.id},{window[0]},{window[1]})")

    def annotate(self, layer: str, items: Iterable[Annotation]) -> bool:
        """Replace the annotations of ``layer``; sent only if they changed (True: sent).

        A layer the browser never got counts as empty, so an empty one is not sent."""
        wired = wire_layer(items)
        if self._layers.get(layer, []) == wired:
            return False
        self._layers[layer] = wired
        self._run(f"LiveChart.annotate({self.element.id},{_js(layer)},{_js(wired)})")
        return True

    def reset_zoom(self) -> None:
        """Show the whole range; no preset is active afterwards."""
        self.preset = None
        self._run(f"LiveChart.resetZoom({self.element.id})")

    def _arrange(self, streams: Sequence[str]) -> None:
        kept = {f.stream: f for f in self.feeds}
        taken = {f.color for f in self.feeds if f.stream in streams}
        free = [c for c in PALETTE if c not in taken]
        feeds: list[Feed] = []
        for stream in dict.fromkeys(streams):
            feed = kept.get(stream)
            if feed is None:
                feed = Feed(stream, free.pop(0) if free else PALETTE[len(feeds) % len(PALETTE)])
            feeds.append(feed)
        self.feeds = feeds

    def _layout(self) -> None:
        if self._laid_out:
            return
        self._laid_out = True
        items = [{"key": f.stream, "name": f.stream, "color": f.color} for f in self.feeds]
        self._run(f"LiveChart.layout({self.element.id},{_js(items)})")
        if self._tuning:
            self._run(f"LiveChart.tune({self.element.id},{_js(self._tuning)})")

    async def _push_feed(self, feed: Feed) -> int:
        if feed.version is None:
            return await self._replace(feed)
        key = ("append", feed.stream, feed.version, feed.last_ms)
        shared: Append | None = SHARED.get(self._streams, key)
        if shared is None:
            delta = self._streams.changes_since(feed.stream, feed.version)
            if delta.version == feed.version:
                return 0
            points = delta.points
            behind = points and feed.last_ms is not None and points[0].ts_ms < feed.last_ms
            if delta.reset or behind:
                # A new epoch, or a point that does not extend the right edge: resend it all.
                return await self._replace(feed)
            shared = self._encode_append(feed, delta.version, points, delta.trimmed)
            SHARED.put(self._streams, key, shared)
        feed.version = shared.version
        if shared.args is None:
            return 0
        feed.last_ms = shared.last_ms
        feed.count = max(0, (feed.count or 0) + shared.rows - shared.trimmed)
        self._run(f"LiveChart.append({self.element.id},{shared.args})")
        return shared.rows

    def _encode_append(self, feed: Feed, version: int, points: list[Point], trimmed: int) -> Append:
        """The append that takes a tab at ``feed``'s point to ``version`` (shared by all)."""
        trim_before: int | None = None
        if trimmed:
            trim_before = self._streams.stats(feed.stream).first_ts_ms
        rows = chart_rows(points, after_ms=feed.last_ms)
        if not rows and not trimmed:
            return Append(version, None, feed.last_ms, 0, 0)
        args = f"{_js(feed.stream)},{_js(wire_rows(rows))}"
        if trim_before is not None:
            args += f",{trim_before}"
        elif trimmed:  # everything was evicted
            args += f",{_js(2**53)}"
        last_ms = rows[-1].ts_ms if rows else feed.last_ms
        return Append(version, args, last_ms, len(rows), trimmed)

    async def _replace(self, feed: Feed) -> int:
        store, stream = self._streams, feed.stream
        version = store.version
        newest = max(self.newest_ms or 0, store.stats(stream).last_ts_ms or 0) or None
        window = None if self.preset is None else preset_window(self.preset, newest)
        encoded: tuple[str, int | None, int, bool] = await SHARED.series(
            store,  # the snapshot is a copy, taken on the event loop
            ("series", stream, window),
            lambda: asyncio.to_thread(_encode_series, store.series(stream), window),
        )
        rows, feed.last_ms, count, thinned = encoded
        feed.version = version
        feed.count = count
        # Without a window (a free zoom, or no data yet) the browser keeps its view; a
        # thinned series is fine in the window it was thinned for (or nowhere: it asks).
        zoom = "null,null" if window is None else f"{window[0]},{window[1]}"
        fine = _js(list(window) if thinned and window else thinned)
        key = _js(feed.stream)
        self._run(f"LiveChart.reset({self.element.id},{key},{rows},{zoom},{fine})")
        return count

    async def _on_detail(self, event: GenericEventArguments) -> None:
        """The tab zoomed into a thinned series: send the rows of its window, about two per
        pixel column of its width. Asks are checked: this chart, a stream it shows, numbers."""
        args = event.args if isinstance(event.args, dict) else {}
        if args.get("chart") != self.element.id:
            return
        feed = next((f for f in self.feeds if f.stream == args.get("key")), None)
        ask = [args.get(k) for k in ("start", "end", "px")]
        if feed is None or not all(isinstance(v, int | float) and math.isfinite(v) for v in ask):
            return
        start, end, px = (int(v) for v in ask)  # type: ignore[arg-type]
        async with self._lock:
            end = min(end, feed.last_ms or end)  # what is newer comes by appends
            if end <= start:
                return
            snapshot = self._streams.series(feed.stream, start, end)
            rows = await asyncio.to_thread(_encode_detail, snapshot, px)
            key = _js(feed.stream)
            self._run(f"LiveChart.detail({self.element.id},{key},{start},{end},{rows})")

    def _run(self, code: str) -> None:
        call_in_tab(self.element, code)
