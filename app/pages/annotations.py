"""Context drawn on the chart: bands (a stretch of time) and markers (an instant).

Several sources annotate the same chart, each in its own *layer* (the gap ledger, external
events, the scenario's settling period...). A layer is replaced whole with
:meth:`app.pages.chart.LiveChart.annotate`, and sent to the browser only when it changed;
``static/chartmarks.js`` draws every layer as ECharts ``markArea`` / ``markLine`` items of
one extra series, whose labels are canvas text (never HTML). An annotation tied to streams
shows only while one of them is on the chart; one the user hid (by key) stays hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Tone = Literal["info", "ok", "warning", "critical", "muted"]
"""Colour of an annotation, from the page's palette (the same in both themes)."""

BAND, MARKER = 0, 1


@dataclass(frozen=True, slots=True)
class Annotation:
    """One band (``end_ms`` set) or marker (``end_ms`` None) on the chart's time axis."""

    key: str
    """Unique within its layer, stable while the thing it shows exists (hiding uses it)."""
    start_ms: int
    end_ms: int | None
    label: str
    """Shown on hover, as text."""
    tone: Tone = "info"
    streams: tuple[str, ...] = ()
    """Shown only while one of these streams is on the chart; empty: always."""

    def wire(self) -> list[Any]:
        """``[key, kind, start, end, label, tone, streams]`` as ``livechart.js`` reads it."""
        kind = MARKER if self.end_ms is None else BAND
        return [self.key, kind, self.start_ms, self.end_ms, self.label, self.tone, self.streams]


def wire_layer(items: Iterable[Annotation]) -> list[list[Any]]:
    """A layer's annotations as sent to the browser, in a stable order."""
    return [a.wire() for a in sorted(items, key=lambda a: (a.start_ms, a.key))]
