"""JavaScript the browser tests, scripts and benchmarks evaluate to read the page's chart.

One home for "where is the chart and how many points does it hold", so a change of the
chart's layout (series come and go with the streams shown) is followed everywhere at once.
"""

from __future__ import annotations

CHART = "document.querySelector('.nicegui-echart')"
"""The chart's host element."""
CHART_ID = f"+{CHART}.id.slice(1)"
"""NiceGUI's id of the chart element (``getElement(CHART_ID).chart`` is ECharts)."""
LINE = f"((getElement({CHART_ID}).chart.getOption().series || [])[0] || {{data: []}}).data"
"""The first line series' data as ECharts holds it (empty before the layout is drawn)."""


def chart_ready(min_points: int = 1) -> str:
    """A predicate: the chart exists and its first line holds ``min_points`` points or more."""
    return (
        f"() => {{ const el = {CHART}; const c = el && getElement({CHART_ID});"
        f" return !!(c && c.chart && window.LiveChart && {LINE}.length >= {min_points}); }}"
    )


CHART_LENGTH = (
    f"() => {{ const el = {CHART}; const c = el && getElement({CHART_ID});"
    f" return c && c.chart && window.LiveChart ? LiveChart.points({CHART_ID}) : 0; }}"
)
"""Points the tab holds for the first line (ECharts gets a reduced line past 4,000), 0
while there is no chart."""

BANDS = (
    f"() => (getElement({CHART_ID}).chart.getOption().series.find("
    "(s) => s && s.id === 'annotations')?.markArea?.data || []).map((pair) => pair[0].name)"
)
"""Labels of the bands the chart draws (every annotation layer: ledger, scenario, events)."""
MARKERS = (
    f"() => {{ const s = getElement({CHART_ID}).chart.getOption().series"
    ".find((x) => x && x.id === 'annotations');"
    " return s ? [...s.markArea.data.map((d) => d[0].name), ...s.markLine.data.map((d) => d.name)]"
    " : []; }"
)
"""Labels of the bands and markers the chart draws."""
