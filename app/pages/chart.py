"""The live ECharts time series of one stream, fed by deltas from the stream store.

The element's ``options`` hold the chart's look only; the points travel as ordered JS
calls (``static/livechart.js``): one ``reset`` with the whole series when the tab has
connected (or switches stream, or the store starts a new epoch), then ``append`` calls
with only the rows that are new since the previous push.

Why the points are not in ``options``: NiceGUI embeds element props in the page HTML
(escaped in Python) and the browser turns them into reactive Vue state. Measured with
100,000 points: 1.3 s of blocked event loop per page build, 3.4 MB of HTML and about 5 s
in the browser, long enough for NiceGUI's handshake to time out and the tab to reload
forever. Sent after the handshake as one JS call, encoded off the event loop, the same
series never touches Vue. A reload or a late tab gets the whole series once, through
that first ``reset``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

from nicegui import ui

from app.pages.contracts import StreamsView
from app.pages.series import chart_rows, wire_rows
from app.stores.streams import Point

PRESETS: Final[dict[str, int]] = {
    "1h": 3_600_000,
    "6h": 6 * 3_600_000,
    "24h": 24 * 3_600_000,
    "7d": 7 * 24 * 3_600_000,
}
DEFAULT_PRESET: Final = "7d"

_TEXT = "#cbd5e1"
_MUTED = "#64748b"
_GRID = "rgba(148, 163, 184, 0.15)"
LINE_COLOR: Final = "#38bdf8"
WARNING_COLOR: Final = "#f59e0b"
CRITICAL_COLOR: Final = "#ef4444"


def preset_window(preset: str, newest_ms: int | None) -> tuple[int, int] | None:
    """The dataZoom window of a preset, anchored at the newest point (None: no data)."""
    if newest_ms is None:
        return None
    return newest_ms - PRESETS.get(preset, PRESETS[DEFAULT_PRESET]), newest_ms


def _zoom() -> list[dict[str, Any]]:
    common: dict[str, Any] = {"xAxisIndex": 0, "filterMode": "filter", "start": 0, "end": 100}
    slider = {
        "type": "slider",
        "height": 22,
        "bottom": 8,
        "borderColor": _GRID,
        "textStyle": {"color": _MUTED},
        "dataBackground": {"lineStyle": {"color": _MUTED}, "areaStyle": {"color": _GRID}},
        **common,
    }
    return [{"type": "inside", **common}, slider]


def chart_options() -> dict[str, Any]:
    """The ECharts option without data: line with area, baseline at 50, flag markers, zoom."""
    return {
        "animation": False,
        "backgroundColor": "transparent",
        "textStyle": {"color": _TEXT},
        "grid": {"left": 48, "right": 24, "top": 36, "bottom": 64},
        "legend": {
            "top": 4,
            "right": 16,
            "textStyle": {"color": _TEXT},
            "data": ["normalized", "warning", "critical"],
        },
        "tooltip": {
            "trigger": "axis",
            ":formatter": "LiveChart.tooltip",
            "backgroundColor": "#0f172a",
            "borderColor": "#334155",
            "textStyle": {"color": "#e2e8f0"},
        },
        "xAxis": {
            "type": "time",
            "axisLine": {"lineStyle": {"color": _MUTED}},
            "axisLabel": {"color": _TEXT, "hideOverlap": True},
            "splitLine": {"show": False},
        },
        "yAxis": {
            "type": "value",
            "min": 0,
            "max": 100,
            "interval": 25,
            "name": "normalized",
            "nameTextStyle": {"color": _MUTED},
            "axisLabel": {"color": _TEXT},
            "splitLine": {"lineStyle": {"color": _GRID}},
        },
        "dataZoom": _zoom(),
        "series": [
            {
                "id": "line",
                "name": "normalized",
                "type": "line",
                "data": [],
                "encode": {"x": 0, "y": 1},
                "showSymbol": False,
                "connectNulls": False,
                "sampling": "lttb",
                "color": LINE_COLOR,
                "lineStyle": {"width": 1.5},
                "areaStyle": {"opacity": 0.15},
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"color": CRITICAL_COLOR, "type": "dashed", "width": 1.5},
                    "label": {
                        "color": CRITICAL_COLOR,
                        "position": "insideStartTop",
                        "formatter": "baseline 50",
                    },
                    "data": [{"yAxis": 50}],
                },
            },
            _marks("warning", WARNING_COLOR, 6),
            _marks("critical", CRITICAL_COLOR, 8),
        ],
    }


def _marks(name: str, color: str, size: int) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "type": "scatter",
        "data": [],
        "symbolSize": size,
        "color": color,
        "large": True,
        "largeThreshold": 2000,
        "z": 3,
    }


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _encode_series(points: list[Point]) -> tuple[str, int | None, int]:
    """The JSON rows of a whole series, its newest timestamp and its length (thread-safe)."""
    rows = chart_rows(points)
    return _js(wire_rows(rows)), (rows[-1].ts_ms if rows else None), len(rows)


class LiveChart:
    """One tab's chart of one stream; :meth:`push` sends what changed since the last call.

    The browser holds nothing until the first :meth:`push` (after the tab connected) sends
    the whole series; whole series are encoded in a worker thread from a snapshot taken on
    the event loop, so a 100,000-point series does not stall other tabs or the upstream.
    """

    def __init__(self, streams: StreamsView, stream: str, preset: str = DEFAULT_PRESET) -> None:
        self._streams = streams
        self.stream = stream
        self.preset = preset
        self._version: int | None = None
        """Store version the browser is at; None: it needs the whole series."""
        self._last_ms: int | None = None
        self._count: int | None = None
        self._lock = asyncio.Lock()
        self.element = ui.echart(chart_options()).classes("w-full h-full").mark("live-chart")

    @property
    def point_count(self) -> int | None:
        """Points (including gap breaks) sent to the browser; None before the first push."""
        return self._count

    @property
    def newest_ms(self) -> int | None:
        """Timestamp of the newest point sent."""
        return self._last_ms

    @property
    def pending(self) -> bool:
        """Whether :meth:`push` has something to send (two integer reads, no store copy)."""
        version = self._version
        return version is None or self._streams.stream_version(self.stream) > version

    async def push(self) -> int:
        """Send what changed since the last push (the whole series the first time)."""
        async with self._lock:
            if self._version is None:
                return await self._replace()
            delta = self._streams.changes_since(self.stream, self._version)
            if delta.version == self._version:
                return 0
            points = delta.points
            behind = points and self._last_ms is not None and points[0].ts_ms < self._last_ms
            if delta.reset or behind:
                # A new epoch, or a point that does not extend the right edge: resend it all.
                return await self._replace()
            self._version = delta.version
            return self._append(delta.points, delta.trimmed)

    async def show(self, stream: str) -> int:
        """Switch to ``stream``: its whole series is sent once."""
        async with self._lock:
            self.stream = stream
            return await self._replace()

    def set_preset(self, preset: str) -> None:
        """Zoom to a preset window anchored at the newest point."""
        self.preset = preset
        window = preset_window(preset, self._last_ms)
        if window is not None:
            self._run(f"LiveChart.zoom({self.element.id},{window[0]},{window[1]})")

    def _append(self, points: list[Point], trimmed: int) -> int:
        trim_before: int | None = None
        if trimmed:
            trim_before = self._streams.stats(self.stream).first_ts_ms
        rows = chart_rows(points, after_ms=self._last_ms)
        if not rows and not trimmed:
            return 0
        if rows:
            self._last_ms = rows[-1].ts_ms
        self._count = max(0, (self._count or 0) + len(rows) - trimmed)
        args = f"{self.element.id},{_js(wire_rows(rows))}"
        if trim_before is not None:
            args += f",{trim_before}"
        elif trimmed:  # everything was evicted
            args += f",{_js(2**53)}"
        self._run(f"LiveChart.append({args})")
        return len(rows)

    async def _replace(self) -> int:
        version = self._streams.version
        snapshot = self._streams.series(self.stream)  # a copy, taken on the event loop
        rows, self._last_ms, count = await asyncio.to_thread(_encode_series, snapshot)
        self._version = version
        self._count = count
        window = preset_window(self.preset, self._last_ms)
        start, end = window if window is not None else (None, None)
        self._run(f"LiveChart.reset({self.element.id},{rows},{_js(start)},{_js(end)})")
        return count

    def _run(self, code: str) -> None:
        self.element.client.run_javascript(code)
